import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

from letters import ratelimits
from letters.clients import ClientKeys
from letters.errors import ServiceError
from letters.models import Letter
from letters.prepared import PreparedLookup, column_sql, table_sql
from mailing.addresses import address_hash, email_normalize
from signatories import counters, events, outbox
from signatories.models import CountEvent, LetterSuppression, OutboxMessage, Signature
from signatories.selectors import signatory_breakdown_forget
from signatories.signals import count_increased
from signatories.tokens import NOT_ME_SALT, WITHDRAW_SALT, token_hash

log = logging.getLogger(__name__)


class LetterNotOpen(ServiceError):
    """The letter does not accept signatures (draft, closed or past its closing date)."""


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
    # The language of the page the signer saw; empty or unknown means the letter's.
    language: str = ""
    # The ``ref`` the signer arrived with, already cleaned by ``source_clean``.
    source: str = ""
    # The text the signer agreed to (its language and version): None means the letter's
    # current original (``letters.translations.signed_version_id`` finds it).
    letter_version_id: int | None = None


SOURCE_MAX_LENGTH = 64
_SOURCE = re.compile(r"[A-Za-z0-9._-]+")


def source_clean(value: object) -> str:
    """The source named by a ``ref`` (a link's or an embed's): a short token of letters,
    digits, ``.``, ``_`` and ``-``, lowercased. Anything else is no source ("") and never
    an error: the signer did nothing wrong."""
    if not isinstance(value, str):
        return ""
    token = value.strip()
    if len(token) > SOURCE_MAX_LENGTH or not _SOURCE.fullmatch(token):
        return ""
    return token.lower()


def signature_create(
    *, letter: Letter, data: SignatureData, client: ClientKeys | None = None
) -> Signature:
    """Record a signature, or recognise a repeat, and queue the right email.

    The caller learns nothing from the result that it may show: a new, pending or already
    confirmed address all lead to the same "check your inbox" page. A new signature over a
    rate limit (of ``client``, of the letter, or of emails to its address) is held for the
    organizers and no email is sent; a repeat over a limit only sends nothing.

    A new address, the common case, costs one INSERT, one round trip to Redis for all
    its limits and the outbox row, in one transaction; the unique constraint, not a
    SELECT before, tells a repeat, which takes ``_sign_again``.
    """
    if not letter.is_open:
        raise LetterNotOpen
    normalized = email_normalize(email=data.email)
    if _suppressed(letter_id=letter.pk, digest=address_hash(email=normalized)):
        # The owner of this address said they did not sign: store and mail nothing, and
        # answer as for anyone else.
        log.info("Signature with a suppressed address on letter %s ignored", letter.pk)
        return Signature(letter=letter, email_normalized=normalized, **data.__dict__)
    try:
        return _sign_new(letter=letter, normalized=normalized, data=data, client=client)
    except IntegrityError:
        pass
    return _sign_again(letter=letter, normalized=normalized, data=data, client=client)


# The two statements below run on every sign or confirm POST. They are written in SQL
# because the ORM spent more CPU compiling each of them (about 0.6 ms) than the database
# spent answering (docs/write-path.md); the tests count and check them like any query.


@cache
def _suppressed_sql() -> str:
    table = table_sql(LetterSuppression)
    letter = column_sql(LetterSuppression, "letter")
    address = column_sql(LetterSuppression, "address_hash")
    return f"SELECT 1 FROM {table} WHERE {letter} = %s AND {address} = %s LIMIT 1"  # noqa: S608


def _suppressed(*, letter_id: int, digest: str) -> bool:
    """Whether this address said "I didn't sign this" for the letter."""
    with connection.cursor() as cursor:
        cursor.execute(_suppressed_sql(), [letter_id, digest])
        return cursor.fetchone() is not None


@cache
def _confirm_sql() -> str:
    table = table_sql(Signature)
    status, at = column_sql(Signature, "status"), column_sql(Signature, "confirmed_at")
    key, token = column_sql(Signature, "id"), column_sql(Signature, "token_hash")
    update = (
        f"UPDATE {table} SET {status} = %s, {at} = %s "  # noqa: S608
        f"WHERE {key} = %s AND {token} = %s AND {status} = %s"
    )
    if connection.vendor != "postgresql":
        return update
    # The confirmation and its count event in one statement: the event is written exactly
    # when the UPDATE found the row still pending (signatories/events.py).
    events = table_sql(CountEvent)
    columns = ", ".join(
        column_sql(CountEvent, name)
        for name in ("letter", "kind", "delta", "occurred_at", "reason", "signature_id")
    )
    letter = column_sql(Signature, "letter")
    return (
        f"WITH confirmed AS ({update} RETURNING {letter}, {key}) "  # noqa: S608
        f"INSERT INTO {events} ({columns}) SELECT {letter}, %s, 1, %s, '', {key} FROM confirmed"
    )


def _confirm_row(*, pk: int, digest: str, now: datetime) -> bool:
    """``UPDATE … SET status = 'confirmed' WHERE id = … AND token_hash = … AND status =
    'pending'``: whether it found the row still pending under this link. On PostgreSQL
    the same statement writes the confirmation's count event; elsewhere a second one does,
    in the same transaction."""
    params: list[str | int | datetime] = [
        Signature.Status.CONFIRMED.value,
        now,
        pk,
        digest,
        Signature.Status.PENDING.value,
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_confirm_sql(), [*params, CountEvent.Kind.CONFIRM.value, now])
            return cursor.rowcount == 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_confirm_sql(), params)
        if cursor.rowcount != 1:
            return False
        letter_id = Signature.objects.filter(pk=pk).values_list("letter_id", flat=True).get()
        events.count_event_add(
            letter_id=letter_id, kind=CountEvent.Kind.CONFIRM, delta=1, signature_id=pk,
            occurred_at=now,
        )  # fmt: skip
        return True


def _sign_new(
    *, letter: Letter, normalized: str, data: SignatureData, client: ClientKeys | None
) -> Signature:
    """Insert a signature and count it against every limit, its email's included.

    Raises IntegrityError, having changed nothing, when the address signed the letter.
    """
    with transaction.atomic():
        signature = _signature_insert(letter=letter, normalized=normalized, hold="", data=data)
        hold = signing_limit_reason(letter=letter, client=client, address=normalized)
        if hold:
            _hold(signature=signature, reason=hold)
        else:
            outbox.outbox_queue(signature=signature, kind=OutboxMessage.Kind.CONFIRM)
    return signature


def _sign_again(
    *, letter: Letter, normalized: str, data: SignatureData, client: ClientKeys | None
) -> Signature:
    """The address had signed: remind it, within the limits.

    A signature withdrawn between the refused insert and the lookup frees the address, so
    the insert is tried again instead of failing on a row that is gone.
    """
    hold = signing_limit_reason(letter=letter, client=client)
    for attempt in range(3):
        with transaction.atomic():
            existing = _lock_existing(letter=letter, normalized=normalized)
            if existing is not None:
                _email_repeat(signature=existing, over_limit=bool(hold))
                return existing
        try:
            with transaction.atomic():
                signature = _signature_insert(
                    letter=letter, normalized=normalized, hold=hold, data=data
                )
                _email_new(signature=signature, hold=hold)
            return signature
        except IntegrityError:
            if attempt == 2:  # signed and withdrawn three times within this request
                raise
    raise AssertionError("unreachable")


def _email_new(*, signature: Signature, hold: str) -> None:
    """Queue the confirmation of a new signature, or hold it when its address is over its
    email limit."""
    if not hold and not outbox.outbox_add(signature=signature, kind=OutboxMessage.Kind.CONFIRM):
        hold = Signature.HoldReason.RATE_LIMIT_ADDRESS
        _hold(signature=signature, reason=hold)
    elif hold:
        log.info("Signature %s held: %s", signature.pk, hold)


def _hold(*, signature: Signature, reason: str) -> None:
    fields = _held(reason=reason)
    Signature.objects.filter(pk=signature.pk).update(**fields)
    for name, value in fields.items():
        setattr(signature, name, value)
    log.info("Signature %s held: %s", signature.pk, reason)


def signature_language(*, requested: str, letter: Letter) -> str:
    """The language to write to a signer in: theirs when the site speaks it, else the
    letter's (``fr-ca`` becomes ``fr``; an unknown code, the letter's language)."""
    if requested:
        try:
            return translation.get_supported_language_variant(requested)
        except LookupError:
            pass
    return letter.language


def _signature_insert(
    *, letter: Letter, normalized: str, hold: str, data: SignatureData
) -> Signature:
    return Signature.objects.create(
        letter=letter,
        email_normalized=normalized,
        email_domain=normalized.rpartition("@")[2],
        consent_version=settings.PRIVACY_NOTICE_VERSION,
        **_held(reason=hold),
        **{
            **data.__dict__,
            "letter_version_id": data.letter_version_id or letter.current_version_id,
            "language": signature_language(requested=data.language, letter=letter),
        },
    )


def _lock_existing(*, letter: Letter, normalized: str) -> Signature | None:
    return (
        Signature.objects.select_for_update()
        .filter(letter=letter, email_normalized=normalized)
        .first()
    )


def signing_limit_reason(*, letter: Letter, client: ClientKeys | None, address: str = "") -> str:
    """Count a sign request against the signing limits; the hold reason if over one.

    The limits of the client's host and network are checked first, so that one client
    over its own limit does not use up the letter's. With ``address`` (a new signature,
    whose confirmation would be sent), an email to it is then counted against
    EMAIL_LIMIT_PER_ADDRESS, as ``outbox.outbox_add`` would. All in one round trip.
    """
    limits = []
    if client is not None:
        limits += [
            ("SIGN_LIMIT_PER_IP", f"host:{client.host}"),
            ("SIGN_LIMIT_PER_NETWORK", f"network:{client.network}"),
        ]
    limits.append(("SIGN_LIMIT_PER_LETTER", f"letter:{letter.pk}"))
    if address:
        limits.append(("EMAIL_LIMIT_PER_ADDRESS", outbox.address_limit_key(address=address)))
    over = ratelimits.limits_first_hit(limits=limits)
    if over is None:
        return ""
    return {
        "SIGN_LIMIT_PER_IP": Signature.HoldReason.RATE_LIMIT_NETWORK,
        "SIGN_LIMIT_PER_NETWORK": Signature.HoldReason.RATE_LIMIT_NETWORK,
        "SIGN_LIMIT_PER_LETTER": Signature.HoldReason.RATE_LIMIT_LETTER,
        "EMAIL_LIMIT_PER_ADDRESS": Signature.HoldReason.RATE_LIMIT_ADDRESS,
    }[limits[over][0]]


def _held(*, reason: str) -> dict[str, str]:
    """The fields of a new signature held by a rate limit, before anyone confirmed it."""
    if not reason:
        return {}
    return {
        "status": Signature.Status.HELD,
        "status_before_moderation": Signature.Status.PENDING,
        "hold_reason": reason,
    }


def _email_repeat(*, signature: Signature, over_limit: bool) -> None:
    """Someone signed again with an address that signed: remind them, within the limits.

    A repeat over a rate limit never changes the existing signature, so nobody can get a
    stranger's confirmed signature held by signing with their address.
    """
    if over_limit:
        log.info("Repeat signature %s over a rate limit: no email", signature.pk)
        return
    kinds = {
        Signature.Status.CONFIRMED: OutboxMessage.Kind.ALREADY_SIGNED,
        Signature.Status.PENDING: OutboxMessage.Kind.CONFIRM,
    }
    kind = kinds.get(Signature.Status(signature.status))
    if kind is not None:  # held or removed: the organizers decide, no email
        outbox.outbox_add_limited(signature=signature, kind=kind)


class ConfirmResult(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already"
    EXPIRED = "expired"
    UNKNOWN = "unknown"
    UNAVAILABLE = "unavailable"  # held or removed by the organizers
    CLOSED = "closed"  # the letter stopped counting before this signature was confirmed


# Read by every confirm POST: compiled once (letters/prepared.py).
_BY_TOKEN = PreparedLookup(
    lambda digest: (
        Signature.objects.select_related("letter").filter(token_hash=digest).order_by("pk")
    )
)


def signature_for_token(*, token: str) -> Signature | None:
    if not token or len(token) > 100:
        return None
    return _BY_TOKEN.first(token_hash(token=token))


def token_state(*, signature: Signature | None) -> ConfirmResult:
    """What a confirmation link would do, without doing it."""
    if signature is None:
        return ConfirmResult.UNKNOWN
    if signature.status == Signature.Status.CONFIRMED:
        return ConfirmResult.ALREADY
    if signature.status != Signature.Status.PENDING:
        return ConfirmResult.UNAVAILABLE
    if not signature.letter.is_open:
        return ConfirmResult.CLOSED
    max_age = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    if signature.token_issued_at is None or signature.token_issued_at + max_age < timezone.now():
        return ConfirmResult.EXPIRED
    return ConfirmResult.CONFIRMED


def _locked(*, pk: int) -> Signature | None:
    """The signature row, locked until the transaction ends; None once it is withdrawn.

    Every change of a signature's status locks its row first, and only its row (never the
    letter's: ``of=("self",)``), so two changes of one signature never interleave and no
    two paths take locks in opposite orders.
    """
    return (
        Signature.objects.select_for_update(of=("self",))
        .select_related("letter")
        .filter(pk=pk)
        .first()
    )


def signature_confirm(*, token: str) -> tuple[ConfirmResult, Signature | None]:
    """Confirm the signature behind an emailed token. Safe to call twice or in parallel.

    One SELECT reads the signature with its letter; when the link may confirm it, one
    UPDATE does, only if the row is still pending under this link as the UPDATE finds it
    (PostgreSQL checks the condition again on a row that a parallel transaction changed).
    So a withdrawal, a hold, a removal or a newer link that committed meanwhile wins, and
    the count moves only for a signature that really went from pending to confirmed.
    When the UPDATE finds nothing, the row is read again to say what it became: a
    withdrawn signature answers UNKNOWN, a held one UNAVAILABLE, a confirmed one ALREADY.
    """
    signature = signature_for_token(token=token)
    state = token_state(signature=signature)
    if state != ConfirmResult.CONFIRMED or signature is None:
        return state, signature
    now = timezone.now()
    if not _confirm_row(pk=signature.pk, digest=signature.token_hash, now=now):
        signature = signature_for_token(token=token)
        return token_state(signature=signature), signature
    signature.status, signature.confirmed_at = Signature.Status.CONFIRMED, now
    hidden = 0 if signature.show_name else 1
    letter_id = signature.letter_id
    transaction.on_commit(lambda: _counted(letter_id=letter_id, hidden=hidden))
    return ConfirmResult.CONFIRMED, signature


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
            outbox.outbox_add_limited(signature=signature, kind=kind)


def signature_for_withdraw_token(*, token: str) -> tuple[ConfirmResult, Signature | None]:
    max_age = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=WITHDRAW_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return ConfirmResult.EXPIRED, None
    except signing.BadSignature:
        return ConfirmResult.UNKNOWN, None
    signature = Signature.objects.select_related("letter").filter(pk=data.get("s")).first()
    if signature is not None and not _token_names_address(data, signature.email_normalized):
        signature = None
    return (ConfirmResult.CONFIRMED if signature else ConfirmResult.ALREADY), signature


def _token_names_address(data: dict[str, object], normalized: str) -> bool:
    """The link was made for this address (links made before addresses were hashed in
    them carry the address itself, "e")."""
    if "h" in data:
        return data["h"] == address_hash(email=normalized)
    return data.get("e") == normalized


def signature_withdraw_request(*, letter: Letter, email: str) -> None:
    """Email a withdrawal link to whoever signed with this address; silent for anyone else."""
    _email_signer(letter=letter, email=email, kind=OutboxMessage.Kind.WITHDRAW)


def signature_withdraw(*, signature: Signature) -> bool:
    """Delete a signature and everything kept about its signer; the count follows.

    Returns False when it was already gone. The count moves by what the row was under its
    lock (a confirmation or a moderation that committed meanwhile counts), not by what the
    caller loaded.
    """
    with transaction.atomic():
        current = _locked(pk=signature.pk)
        if current is None:
            return False
        current.delete()
        if current.status == Signature.Status.CONFIRMED:
            hidden = 0 if current.show_name else -1
            letter_id = current.letter_id
            events.count_event_add(
                letter_id=letter_id, kind=CountEvent.Kind.WITHDRAW, delta=-1,
                signature_id=signature.pk,
            )  # fmt: skip
            transaction.on_commit(
                lambda: counters.counts_add(letter_id=letter_id, all=-1, hidden=hidden)
            )
            transaction.on_commit(lambda: signatory_breakdown_forget(letter_id=letter_id))
    return True


class NotMeResult(StrEnum):
    ASK = "ask"  # a valid link, nothing done yet
    DONE = "done"
    CONFIRMED = "confirmed"  # the signature was confirmed: offer a withdrawal instead
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class NotMe:
    state: NotMeResult
    letter: Letter | None = None
    signature: Signature | None = None  # only when confirmed, for the withdrawal link


def not_me_for_token(*, token: str) -> tuple[NotMe, dict[str, object]]:
    """What an "I didn't sign this" link would do, without doing it."""
    max_age = timedelta(days=settings.CONFIRMATION_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=NOT_ME_SALT, max_age=max_age)
    except signing.SignatureExpired:
        return NotMe(NotMeResult.EXPIRED), {}
    except signing.BadSignature:
        return NotMe(NotMeResult.UNKNOWN), {}
    letter_id = data.get("l") if isinstance(data, dict) else None
    letter = Letter.objects.filter(pk=letter_id).first() if isinstance(letter_id, int) else None
    if letter is None or not isinstance(data.get("h"), str):
        return NotMe(NotMeResult.UNKNOWN), {}
    signature = _not_me_signature(data)
    if signature is not None and _was_confirmed(signature):
        return NotMe(NotMeResult.CONFIRMED, letter, signature), data
    return NotMe(NotMeResult.ASK, letter), data


def _not_me_signature(data: dict[str, object]) -> Signature | None:
    pk, letter_id = data.get("s"), data.get("l")
    if not isinstance(pk, int) or not isinstance(letter_id, int):
        return None
    signature = Signature.objects.filter(pk=pk, letter_id=letter_id).first()
    if signature is None or address_hash(email=signature.email_normalized) != data.get("h"):
        return None
    return signature


def _was_confirmed(signature: Signature) -> bool:
    return Signature.Status.CONFIRMED in (signature.status, signature.status_before_moderation)


def signature_disown(*, token: str) -> NotMe:
    """ "I didn't sign this": delete the unconfirmed signature behind an emailed link and
    never accept this address on this letter again. A confirmed signature is left alone
    (its owner confirmed it from this inbox): the answer offers a withdrawal instead.
    Safe to call twice.
    """
    found, data = not_me_for_token(token=token)
    if found.state != NotMeResult.ASK or found.letter is None:
        return found
    with transaction.atomic():
        signature = _not_me_signature(data)
        if signature is not None:
            signature = Signature.objects.select_for_update().filter(pk=signature.pk).first()
        if signature is not None and _was_confirmed(signature):
            return NotMe(NotMeResult.CONFIRMED, found.letter, signature)
        if signature is not None:
            signature.delete()
        LetterSuppression.objects.get_or_create(letter=found.letter, address_hash=data["h"])
    log.info("An address disowned a signature on letter %s", found.letter.pk)
    return NotMe(NotMeResult.DONE, found.letter)


def signature_purge_unconfirmed() -> int:
    """Delete signatures never confirmed within the retention period; return how many.

    Nobody is counted or listed without confirming, so there is no reason to keep the
    name and address of someone who never did, nor of someone held or removed before
    confirming. The organizers' audit rows about them stay, without the link to the person
    (``ModerationAction.signature`` erases it on delete).
    """
    cutoff = timezone.now() - timedelta(days=settings.PENDING_RETENTION_DAYS)
    never_confirmed = Q(status=Signature.Status.PENDING) | Q(
        status__in=[Signature.Status.HELD, Signature.Status.REMOVED],
        status_before_moderation=Signature.Status.PENDING,
    )
    _, by_model = Signature.objects.filter(never_confirmed, created_at__lt=cutoff).delete()
    return by_model.get(Signature._meta.label, 0)
