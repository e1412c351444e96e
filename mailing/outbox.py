"""Claim, back-off and failure mechanics shared by every kind of outgoing mail.

Each app keeps its own rows (signatories' outbox, updates' deliveries); what they share is
how a worker claims a batch without ever sending a row twice, how it keeps its claim while
it sends, and how a failure waits or gives up.
"""

import smtplib
from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

from mailing.addresses import addresses_mask


def rows_claim(
    rows: "models.QuerySet[models.Model]", *, limit: int, claim_for: timedelta, order_by: str
) -> list[int]:
    """Claim up to ``limit`` of ``rows`` for ``claim_for``; return their ids."""
    return rows_claim_until(rows, limit=limit, claim_for=claim_for, order_by=order_by)[0]


def rows_claim_until(
    rows: "models.QuerySet[models.Model]", *, limit: int, claim_for: timedelta, order_by: str
) -> tuple[list[int], datetime]:
    """Claim up to ``limit`` of ``rows`` for ``claim_for``; return their ids and the claim.

    ``rows`` must have a ``claimed_until`` field. Rows locked by another worker are skipped
    (``SKIP LOCKED``) and rows under a live claim are left alone, so parallel workers never
    take the same row; a worker that dies leaves rows that are claimed again once the
    claim expires. The returned time identifies this claim for ``claim_renew``.
    """
    now = timezone.now()
    until = now + claim_for
    with transaction.atomic():
        ids = list(
            rows.select_for_update(skip_locked=True)
            .exclude(claimed_until__gt=now)
            .order_by(order_by)
            .values_list("pk", flat=True)[:limit]
        )
        rows.model._default_manager.filter(pk__in=ids).update(claimed_until=until)
    return ids, until


def claim_renew(
    rows: "models.QuerySet[models.Model]", *, pk: int, held: datetime, claim_for: timedelta
) -> datetime | None:
    """Extend our claim on row ``pk`` just before sending it; None if it is no longer ours.

    The claim is ours while ``claimed_until`` still holds the value we wrote: a worker
    that took the row after our claim expired wrote another one, and a row sent or
    finished meanwhile has left ``rows``. So a slow batch hands its late rows over
    instead of sending them a second time.
    """
    until = timezone.now() + claim_for
    renewed = rows.filter(pk=pk, claimed_until=held).update(claimed_until=until)
    return until if renewed else None


def backoff(*, attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """How long a message waits after its ``attempts``-th failure: doubling, capped."""
    return min(base * 2 ** min(attempts, 30), cap)


# Replies about the server or our own setup, not about the message: a wrong password or a
# server that turns us away must not throw away every message queued meanwhile.
_SERVER_ERRORS = (
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPHeloError,
    smtplib.SMTPConnectError,
)


def error_is_permanent(error: BaseException) -> bool:
    """True for an SMTP reply that another try would get again (a 5xx about this message).

    A refused recipient, a refused sender or refused data with a 5xx code are permanent;
    4xx replies, lost connections and timeouts are worth another try.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, _SERVER_ERRORS):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def error_text(error: BaseException) -> str:
    """A short description of a send failure for ``last_error`` and logs, with any
    address in it masked."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_decode(message)}" for code, message in error.recipients.values()]
        text = "recipient refused: " + "; ".join(parts)
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_decode(error.smtp_error)}"
    else:
        text = f"{type(error).__name__}: {error}"
    return addresses_mask(text)[:300]


def _decode(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)
