import contextlib
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from smtplib import SMTPException

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from letters.errors import ServiceError
from letters.models import Letter
from mailing import outbox
from mailing.addresses import email_normalize
from mailing.messages import connection
from signatories import counters, emails
from signatories.models import OutboxMessage, Signature
from signatories.signals import count_increased

log = logging.getLogger(__name__)

OUTBOX_BATCH = 50
OUTBOX_CLAIM = timedelta(minutes=5)
OUTBOX_MAX_ATTEMPTS = 8
OUTBOX_BACKOFF = timedelta(seconds=30)
OUTBOX_BACKOFF_MAX = timedelta(hours=6)


class LetterNotOpen(ServiceError):
    """The letter does not accept signatures (draft, closed or past its closing date)."""


def token_hash(*, token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignatureData:
    name: str
    email: str
    role: str = ""
    organization: str = ""
    country: str = ""
    city: str = ""
    comment: str = ""
    show_name: bool = True
    opt_in_updates: bool = False
    network_key: str = ""


def signature_create(*, letter: Letter, data: SignatureData) -> Signature:
    """Record a signature, or recognise a repeat, and queue the right email.

    The caller learns nothing from the result that it may show: a new, pending or already
    confirmed address all lead to the same "check your inbox" page.
    """
    if not letter.is_open:
        raise LetterNotOpen
    normalized = email_normalize(email=data.email)
    with transaction.atomic():
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    letter=letter,
                    letter_version_id=letter.current_version_id,
                    email_normalized=normalized,
                    email_domain=normalized.rpartition("@")[2],
                    consent_version=settings.PRIVACY_NOTICE_VERSION,
                    **data.__dict__,
                )
        except IntegrityError:
            signature = Signature.objects.select_for_update().get(
                letter=letter, email_normalized=normalized
            )
            kind = (
                OutboxMessage.Kind.ALREADY_SIGNED
                if signature.status == Signature.Status.CONFIRMED
                else OutboxMessage.Kind.CONFIRM
            )
            _outbox_add_limited(signature=signature, kind=kind)
        else:
            _outbox_add(signature=signature, kind=OutboxMessage.Kind.CONFIRM)
    return signature


def _outbox_add(*, signature: Signature, kind: str) -> None:
    OutboxMessage.objects.create(signature=signature, kind=kind, due_at=timezone.now())
    transaction.on_commit(outbox_kick)


def _outbox_add_limited(*, signature: Signature, kind: str) -> None:
    """Repeat an email only a few times a day, so a form cannot be used to flood an inbox."""
    since = timezone.now() - timedelta(days=1)
    recent = signature.outbox.filter(created_at__gte=since).count()
    if recent < settings.EMAILS_PER_SIGNATURE_PER_DAY:
        _outbox_add(signature=signature, kind=kind)
    else:
        log.info("Email limit reached for signature %s", signature.pk)


OUTBOX_KICK_KEY = "outbox-kick"
OUTBOX_KICK_SECONDS = 1  # at most one drain task published per second


def outbox_rearm() -> None:
    """Let the next commit publish a drain task again (called by the draining worker)."""
    with contextlib.suppress(RedisError):
        cache.delete(OUTBOX_KICK_KEY)


def outbox_kick() -> None:
    """Ask a worker to drain the outbox; never fails and never blocks for long.

    At most one task a second is published however many signatures arrive, and a broker
    that is down only delays the email until the periodic sweep.
    """
    from signatories.tasks import outbox_drain

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER or cache.add(
            OUTBOX_KICK_KEY, 1, timeout=OUTBOX_KICK_SECONDS
        ):
            outbox_drain.delay()
    except (KombuError, RedisError, OSError, RuntimeError):
        log.warning(
            "Could not announce new outbox messages; the sweep will send them", exc_info=True
        )


class ConfirmResult(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    UNAVAILABLE = "unavailable"  # held or removed by the organizers


def signature_for_token(*, token: str) -> Signature | None:
    if not token or len(token) > 100:
        return None
    return (
        Signature.objects.select_related("letter")
        .filter(token_hash=token_hash(token=token))
        .first()
    )


def token_state(*, signature: Signature | None) -> ConfirmResult:
    """What a confirmation link would do, without doing it."""
    if signature is None:
        return ConfirmResult.UNKNOWN
    if signature.status == Signature.Status.CONFIRMED:
        return ConfirmResult.ALREADY
    if signature.status != Signature.Status.PENDING:
        return ConfirmResult.UNAVAILABLE
    max_age = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    if signature.token_issued_at is None or signature.token_issued_at + max_age < timezone.now():
        return ConfirmResult.EXPIRED
    return ConfirmResult.CONFIRMED


def signature_confirm(*, token: str) -> tuple[ConfirmResult, Signature | None]:
    """Confirm the signature behind an emailed token. Safe to call twice or in parallel."""
    signature = signature_for_token(token=token)
    state = token_state(signature=signature)
    if state != ConfirmResult.CONFIRMED or signature is None:
        return state, signature
    with transaction.atomic():
        moved = Signature.objects.filter(pk=signature.pk, status=Signature.Status.PENDING).update(
            status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
        )
        if moved:
            hidden = 0 if signature.show_name else 1
            letter_id = signature.letter_id
            transaction.on_commit(lambda: _counted(letter_id=letter_id, hidden=hidden))
    signature.refresh_from_db(fields=["status", "confirmed_at"])
    return (ConfirmResult.CONFIRMED if moved else ConfirmResult.ALREADY), signature


def _counted(*, letter_id: int, hidden: int) -> None:
    """After a confirmation commits: move the count and announce the new total (None
    when Redis had no count yet: a listener that needs it reads and so rebuilds it)."""
    total = counters.counts_add(letter_id=letter_id, all=1, hidden=hidden)
    count_increased.send(sender=Signature, letter_id=letter_id, total=total)


def signature_resend(*, letter: Letter, email: str) -> None:
    """Send a fresh confirmation link to a pending signer; silent for anyone else."""
    if letter.is_open:
        _email_signer(
            letter=letter, email=email, kind=OutboxMessage.Kind.CONFIRM,
            status=Signature.Status.PENDING,
        )  # fmt: skip


def _email_signer(*, letter: Letter, email: str, kind: str, **filters: object) -> None:
    """Queue an email to whoever signed ``letter`` with ``email``, if anyone did.

    The caller shows the same page either way, so nobody learns whether an address signed.
    """
    try:
        normalized = email_normalize(email=email)
    except ValueError:
        return
    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update()
            .filter(letter=letter, email_normalized=normalized, **filters)
            .first()
        )
        if signature is not None:
            _outbox_add_limited(signature=signature, kind=kind)


WITHDRAW_SALT = "signatories.withdraw"


def withdraw_token(*, signature: Signature) -> str:
    """A signed, expiring link token; it dies with the signature it names."""
    return signing.dumps({"s": signature.pk, "e": signature.email_normalized}, salt=WITHDRAW_SALT)


def signature_for_withdraw_token(*, token: str) -> tuple[ConfirmResult, Signature | None]:
    max_age = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=WITHDRAW_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return ConfirmResult.EXPIRED, None
    except signing.BadSignature:
        return ConfirmResult.UNKNOWN, None
    signature = (
        Signature.objects.select_related("letter")
        .filter(pk=data.get("s"), email_normalized=data.get("e"))
        .first()
    )
    return (ConfirmResult.CONFIRMED if signature else ConfirmResult.ALREADY), signature


def signature_withdraw_request(*, letter: Letter, email: str) -> None:
    """Email a withdrawal link to whoever signed with this address; silent for anyone else."""
    _email_signer(letter=letter, email=email, kind=OutboxMessage.Kind.WITHDRAW)


def signature_withdraw(*, signature: Signature) -> None:
    """Delete a signature and everything kept about its signer; the count follows."""
    with transaction.atomic():
        deleted, _ = Signature.objects.filter(pk=signature.pk).delete()
        was_counted = deleted and signature.status == Signature.Status.CONFIRMED
        if was_counted:
            hidden = 0 if signature.show_name else -1
            letter_id = signature.letter_id
            transaction.on_commit(
                lambda: counters.counts_add(letter_id=letter_id, all=-1, hidden=hidden)
            )


def _claim_batch(*, limit: int) -> list[int]:
    due = OutboxMessage.objects.filter(
        sent_at__isnull=True, due_at__lte=timezone.now(), attempts__lt=OUTBOX_MAX_ATTEMPTS
    )
    return outbox.rows_claim(due, limit=limit, claim_for=OUTBOX_CLAIM, order_by="due_at")


def outbox_drain(*, limit: int = OUTBOX_BATCH) -> tuple[int, int]:
    """Send one batch of due outbox messages over one connection; return (sent, failed).

    Rows are claimed first so that parallel workers never send the same message, and a
    worker that dies mid-batch leaves rows that are claimed again when the claim expires.
    """
    ids = _claim_batch(limit=limit)
    if not ids:
        return 0, 0
    messages = OutboxMessage.objects.filter(pk__in=ids).select_related("signature__letter")
    return _send_all(messages)


def _send_all(messages: Iterable[OutboxMessage]) -> tuple[int, int]:
    messages = list(messages)
    sent = 0
    try:
        with connection() as mail:
            for message in messages:
                try:
                    _send_one(message=message, connection=mail)
                except (SMTPException, OSError) as error:
                    _outbox_failed(message=message, error=error)
                else:
                    sent += 1
    except (SMTPException, OSError) as error:
        # The server could not be reached at all: every message still claimed backs off.
        for message in messages:
            if not OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=False).exists():
                _outbox_failed(message=message, error=error)
    return sent, len(messages) - sent


def _send_one(*, message: OutboxMessage, connection: BaseEmailBackend) -> None:
    signature = message.signature
    if message.kind == OutboxMessage.Kind.CONFIRM:
        if signature.status != Signature.Status.PENDING:
            _outbox_done(message=message)
            return
        token = secrets.token_urlsafe(32)
        email = emails.confirmation(signature=signature, token=token)
        Signature.objects.filter(pk=signature.pk).update(
            token_hash=token_hash(token=token), token_issued_at=timezone.now()
        )
    elif message.kind == OutboxMessage.Kind.WITHDRAW:
        email = emails.withdraw(signature=signature, token=withdraw_token(signature=signature))
    else:
        email = emails.already_signed(
            signature=signature, withdraw_token=withdraw_token(signature=signature)
        )
    connection.send_messages([email])
    _outbox_done(message=message)


def _outbox_done(*, message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), claimed_until=None, attempts=F("attempts") + 1
    )


def _outbox_failed(*, message: OutboxMessage, error: Exception) -> None:
    attempts = message.attempts + 1
    backoff = outbox.backoff(attempts=attempts, base=OUTBOX_BACKOFF, cap=OUTBOX_BACKOFF_MAX)
    log.warning("Email %s failed (attempt %s): %s", message.pk, attempts, error)
    OutboxMessage.objects.filter(pk=message.pk).update(
        attempts=attempts,
        due_at=timezone.now() + backoff,
        claimed_until=None,
        last_error=str(error)[:300],
    )


def signature_purge_unconfirmed() -> int:
    """Delete signatures never confirmed within the retention period; return how many.

    Nobody is counted or listed without confirming, so there is no reason to keep the
    name and address of someone who never did.
    """
    cutoff = timezone.now() - timedelta(days=settings.PENDING_RETENTION_DAYS)
    _, by_model = Signature.objects.filter(
        status=Signature.Status.PENDING, created_at__lt=cutoff
    ).delete()
    return by_model.get(Signature._meta.label, 0)
