import logging
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction

from letters import emails
from letters.models import Invitation

log = logging.getLogger(__name__)


def _payload(message: EmailMessage) -> dict[str, Any]:
    alternatives = getattr(message, "alternatives", [])
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "headers": dict(message.extra_headers),
        "alternatives": [[alt.content, alt.mimetype] for alt in alternatives],
        "content_subtype": message.content_subtype,
    }


def _publish(task: Any, **kwargs: Any) -> None:
    try:
        task.delay(**kwargs)
    except Exception:  # a broker that is down must not break the request
        log.exception("Could not queue %s", task.name)


def mail_send_after_commit(*, message: EmailMessage) -> None:
    """Queue an already rendered account email once the current transaction commits.

    allauth builds its links (email confirmation, password reset) while rendering, so this
    one task carries the rendered message instead of ids.
    """
    payload = _payload(message)
    transaction.on_commit(lambda: _publish(account_mail_send, message=payload))


def invitation_send_after_commit(*, invitation_id: int) -> None:
    transaction.on_commit(lambda: _publish(invitation_send, invitation_id=invitation_id))


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    ignore_result=True,
)
def account_mail_send(*, message: dict[str, Any]) -> None:
    """Send one rendered account email (verification, password reset, MFA notices)."""
    email = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message["headers"],
    )
    email.content_subtype = message["content_subtype"]
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    with emails.connection() as connection:
        connection.send_messages([email])


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
    ignore_result=True,
)
def invitation_send(*, invitation_id: int) -> bool:
    """Email an invitation link; does nothing for an invitation revoked or used meanwhile."""
    invitation = (
        Invitation.objects.select_related("letter", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    with emails.connection() as connection:
        connection.send_messages([emails.invitation(invitation=invitation)])
    return True
