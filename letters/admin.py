from django.contrib import admin

from letters.models import Invitation, Letter, LetterTranslation, LetterVersion, Membership


class LetterTranslationInline(admin.StackedInline):
    model = LetterTranslation
    extra = 0
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    inlines = [LetterTranslationInline]
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


@admin.register(LetterVersion)
class LetterVersionAdmin(admin.ModelAdmin):
    list_display = ["letter", "language", "number", "created_at", "created_by"]
    raw_id_fields = ["letter", "created_by"]
    readonly_fields = ["created_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["letter", "email", "role", "created_at", "accepted_at"]
    raw_id_fields = ["letter", "invited_by", "accepted_by"]
    search_fields = ["email"]
