from django.contrib import admin

from updates.models import Update


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["title", "letter", "status", "recipients_total", "sent_count", "failed_count"]
    list_filter = ["status"]
    list_select_related = ["letter"]
    readonly_fields = [
        "status", "published_at", "prepared_at", "finished_at",
        "recipients_total", "sent_count", "failed_count", "skipped_count",
    ]  # fmt: skip
