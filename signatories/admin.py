from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from signatories.models import CountCheck, CountEvent, ExportLog, OutboxMessage, Signature
from signatories.services import signature_withdraw


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["name", "letter", "status", "show_name", "created_at", "confirmed_at"]
    list_filter = ["status", "show_name", "letter"]
    search_fields = ["name", "email", "organization"]
    readonly_fields = [
        "status",
        "email_normalized",
        "token_hash",
        "token_issued_at",
        "consent_version",
    ]
    list_select_related = ["letter"]
    show_full_result_count = False

    # Deleting a signature here is a withdrawal: the count and its event log follow.
    def delete_model(self, request: HttpRequest, obj: Signature) -> None:
        signature_withdraw(signature=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        for signature in queryset.order_by("pk"):
            signature_withdraw(signature=signature)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["kind", "signature", "due_at", "sent_at", "attempts", "last_error"]
    list_filter = ["kind"]
    list_select_related = ["signature"]
    raw_id_fields = ["signature"]


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Read-only: the audit trail of who downloaded signer data."""

    list_display = ["created_at", "letter", "user", "format", "row_count"]
    list_filter = ["format"]
    list_select_related = ["letter", "user"]
    readonly_fields = ["letter", "user", "format", "fields", "row_count", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CountEvent)
class CountEventAdmin(_ReadOnly):
    """Read-only: the append-only log the public count is the sum of."""

    list_display = ["occurred_at", "letter", "kind", "delta", "reason", "action_id"]
    list_filter = ["kind"]
    list_select_related = ["letter"]
    show_full_result_count = False


@admin.register(CountCheck)
class CountCheckAdmin(_ReadOnly):
    """Read-only: the last check of each letter's count against its events."""

    list_display = ["letter", "checked_at", "public_count", "events_total", "mismatch_since"]
    list_select_related = ["letter"]
