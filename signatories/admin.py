from django.contrib import admin

from signatories.models import ModerationAction, OutboxMessage, Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["name", "letter", "status", "show_name", "created_at", "confirmed_at"]
    list_filter = ["status", "show_name", "letter"]
    search_fields = ["name", "email", "organization"]
    readonly_fields = ["status", "email_normalized", "token_hash", "token_issued_at", "consent_version"]
    list_select_related = ["letter"]
    show_full_result_count = False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["kind", "signature", "due_at", "sent_at", "attempts", "last_error"]
    list_filter = ["kind"]
    list_select_related = ["signature"]
    raw_id_fields = ["signature"]


@admin.register(ModerationAction)
class ModerationActionAdmin(admin.ModelAdmin):
    """Read only: the audit log is written by the moderation services alone."""

    list_display = ["letter", "action", "affected", "counted", "actor", "created_at"]
    list_filter = ["action"]
    list_select_related = ["letter", "actor"]
    raw_id_fields = ["letter", "signature", "actor"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
