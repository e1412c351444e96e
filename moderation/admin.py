from django.contrib import admin

from moderation.models import ModerationAction


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """Read only: the audit log is written by the moderation services alone."""

    list_display = ["letter", "action", "state", "affected", "counted", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["letter", "actor"]
    raw_id_fields = ["letter", "signature", "actor"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
