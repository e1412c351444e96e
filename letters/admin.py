from django.contrib import admin

from letters.models import Letter, Membership


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "published_at", "closes_at", "goal"]
    list_filter = ["status", "language"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["letter", "user", "role", "created_at"]
    list_filter = ["role"]
    raw_id_fields = ["letter", "user"]
