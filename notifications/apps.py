from typing import Any

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from mailing.status import reporter_register
        from moderation.signals import signatory_verified
        from notifications import outbox
        from signatories.signals import count_increased

        reporter_register(outbox.notifications_status)
        count_increased.connect(_on_count_increased, dispatch_uid="notifications-milestones")
        signatory_verified.connect(_on_verified, dispatch_uid="notifications-verified")


def _on_count_increased(*, letter_id: int, total: int | None, **kwargs: Any) -> None:
    from notifications.services import milestones_maybe_check

    milestones_maybe_check(letter_id=letter_id, total=total)


def _on_verified(*, signature_id: int, **kwargs: Any) -> None:
    from notifications.services import verified_notify

    verified_notify(signature_id=signature_id)
