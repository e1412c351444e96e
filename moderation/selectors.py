"""Reads for the moderation pages: filters, keyset pages, signals, the correction log."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, Func, Q, QuerySet, Value
from django.db.models.functions import Lower, Trim, TruncHour
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from moderation.models import ModerationAction
from signatories import flags
from signatories.models import Signature

HELD_BY_LIMITS = "limits"


@dataclass(frozen=True)
class ModerationFilter:
    """Which signatures of a letter an organizer is looking at, or removing in bulk."""

    q: str = ""
    status: str = ""
    country: str = ""
    signed_from: datetime | None = None
    signed_before: datetime | None = None
    domain: str = ""
    network: str = ""
    held_by: str = ""  # HELD_BY_LIMITS or one Signature.HoldReason: held by rate limits

    def as_criteria(self) -> dict[str, str]:
        """The filter as strings: for links, hidden form fields and the audit log."""
        values = {
            "q": self.q,
            "status": self.status,
            "country": self.country,
            "signed_from": _datetime_param(self.signed_from),
            "signed_before": _datetime_param(self.signed_before),
            "domain": self.domain,
            "network": self.network,
            "held_by": self.held_by,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def narrows(self) -> bool:
        """Whether anything beyond the status is chosen: a bulk removal needs that."""
        return any(
            (
                self.q,
                self.country,
                self.signed_from,
                self.signed_before,
                self.domain,
                self.network,
                self.held_by,
            )
        )


def _datetime_param(value: datetime | None) -> str:
    # In the current time zone, which is how the filter form reads it back; with seconds
    # only when given, so a bulk removal's task reads back exactly the previewed filter.
    if not value:
        return ""
    local = timezone.localtime(value)
    if local.microsecond:
        return local.strftime("%Y-%m-%d %H:%M:%S.%f")
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def signature_list_for_moderation(
    *, letter: Letter, filters: ModerationFilter, search_emails: bool = True
) -> QuerySet[Signature]:
    """Every signature of a letter matching ``filters``, whatever its status.

    ``search_emails`` off (for viewers, who are not shown addresses) keeps the search
    from matching addresses, so that it cannot be used to find them out.
    """
    rows = Signature.objects.filter(letter=letter)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.country:
        rows = rows.filter(country=filters.country)
    if filters.signed_from:
        rows = rows.filter(created_at__gte=filters.signed_from)
    if filters.signed_before:
        rows = rows.filter(created_at__lt=filters.signed_before)
    if filters.domain:
        rows = rows.filter(email_domain=filters.domain.lower())
    if filters.network:
        rows = rows.filter(network_key=filters.network)
    if filters.held_by == HELD_BY_LIMITS:
        rows = rows.filter(status=Signature.Status.HELD).exclude(hold_reason="")
    elif filters.held_by:
        rows = rows.filter(status=Signature.Status.HELD, hold_reason=filters.held_by)
    if filters.q:
        # icontains on PostgreSQL uses the trigram indexes of migration 0003.
        found = Q(name__icontains=filters.q) | Q(organization__icontains=filters.q)
        if search_emails:
            found |= Q(email_normalized__icontains=filters.q)
        rows = rows.filter(found)
    return rows


@dataclass(frozen=True)
class KeysetPage:
    """One page of a list ordered newest first, with cursors instead of page numbers."""

    items: list[Signature]
    newer: int | None
    older: int | None


def signature_page_for_moderation(
    *,
    letter: Letter,
    filters: ModerationFilter,
    after: int | None = None,
    before: int | None = None,
    per_page: int = 50,
    search_emails: bool = True,
) -> KeysetPage:
    """A page of signatures, newest first, found by id so that no page runs a COUNT(*).

    ``after`` gives the page of signatures older than that id, ``before`` the page of
    those newer than it.
    """
    rows = signature_list_for_moderation(
        letter=letter, filters=filters, search_emails=search_emails
    ).select_related("moderation")
    if before is not None:
        found = list(rows.filter(pk__gt=before).order_by("pk")[: per_page + 1])
        more_newer = len(found) > per_page
        items = found[:per_page][::-1]
        return KeysetPage(
            items=items,
            newer=items[0].pk if more_newer else None,
            older=items[-1].pk if items else None,
        )
    if after is not None:
        rows = rows.filter(pk__lt=after)
    found = list(rows.order_by("-pk")[: per_page + 1])
    items = found[:per_page]
    return KeysetPage(
        items=items,
        newer=items[0].pk if after is not None and items else None,
        older=items[-1].pk if len(found) > per_page else None,
    )


class Flag(StrEnum):
    NETWORK_BURST = "network"
    DOMAIN_BURST = "domain"
    DISPOSABLE = "disposable"
    NAMESAKE = "namesake"

    @property
    def label(self) -> str:
        return str(_FLAG_LABELS[self])


_FLAG_LABELS = {
    Flag.NETWORK_BURST: _("Many signatures from the same network within an hour"),
    Flag.DOMAIN_BURST: _("Many signatures from the same email domain within an hour"),
    Flag.DISPOSABLE: _("Disposable email address"),
    Flag.NAMESAKE: _("Same name as a verified signatory of another letter"),
}


def _bursts(
    *, letter: Letter, field: str, values: Iterable[str], since: datetime, until: datetime
) -> set[tuple[str, datetime]]:
    """(value, hour) pairs of ``field`` with at least the threshold of signatures."""
    rows = (
        Signature.objects.filter(
            letter=letter,
            **{f"{field}__in": list(values)},
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(status=Signature.Status.REMOVED)
        .annotate(hour=TruncHour("created_at"))
        .values_list(field, "hour")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.MODERATION_BURST_THRESHOLD)
    )
    return {(value, hour) for value, hour, _n in rows}


def verified_names_elsewhere(*, letter: Letter) -> set[str]:
    """Names (compared loosely) of verified signatories of other letters."""
    names = (
        Signature.objects.filter(verified_at__isnull=False)
        .exclude(letter=letter)
        .exclude(status=Signature.Status.REMOVED)
        .values_list("name", flat=True)
    )
    return {flags.name_key(name) for name in names}


def signature_flags(*, letter: Letter, signatures: list[Signature]) -> dict[int, list[Flag]]:
    """The signals each of a page of signatures raises, in a handful of queries."""
    if not signatures:
        return {}
    hour = timedelta(hours=1)
    since = min(s.created_at for s in signatures).replace(minute=0, second=0, microsecond=0)
    until = max(s.created_at for s in signatures) + hour
    webmail = flags.webmail_domains()
    networks = {s.network_key for s in signatures if s.network_key}
    domains = {s.email_domain for s in signatures if s.email_domain not in webmail} - {""}
    network_bursts = _bursts(
        letter=letter, field="network_key", values=networks, since=since, until=until
    )
    domain_bursts = _bursts(
        letter=letter, field="email_domain", values=domains, since=since, until=until
    )
    namesakes = verified_names_elsewhere(letter=letter)
    result: dict[int, list[Flag]] = {}
    for s in signatures:
        hour_of = s.created_at.replace(minute=0, second=0, microsecond=0)
        found = []
        if (s.network_key, hour_of) in network_bursts:
            found.append(Flag.NETWORK_BURST)
        if (s.email_domain, hour_of) in domain_bursts:
            found.append(Flag.DOMAIN_BURST)
        if flags.is_disposable(domain=s.email_domain):
            found.append(Flag.DISPOSABLE)
        if s.verified_at is None and flags.name_key(s.name) in namesakes:
            found.append(Flag.NAMESAKE)
        result[s.pk] = found
    return result


@dataclass(frozen=True)
class Burst:
    """``count`` signatures with the same network key or email domain in one hour."""

    param: str
    key: str
    hour: datetime
    count: int

    @property
    def query(self) -> str:
        """The moderation list filtered to exactly these signatures."""
        return urlencode(
            {
                self.param: self.key,
                "signed_from": _datetime_param(self.hour),
                "signed_before": _datetime_param(self.hour + timedelta(hours=1)),
            }
        )


@dataclass(frozen=True)
class HeldByLimit:
    """``count`` signatures held at signing by the rate limit ``reason``."""

    reason: str
    count: int

    @property
    def label(self) -> str:
        return str(Signature.HoldReason(self.reason).label)

    @property
    def query(self) -> str:
        """The moderation list filtered to exactly these signatures."""
        return urlencode({"held_by": self.reason})


@dataclass(frozen=True)
class Signals:
    """The summary panel of the moderation page, over the last few days."""

    since: datetime
    network_bursts: list[Burst]
    domain_bursts: list[Burst]
    disposable: list[tuple[str, int]]
    namesakes: Sequence[Signature]
    held_by_limits: Sequence[HeldByLimit] = ()

    @property
    def any(self) -> bool:
        return bool(
            self.network_bursts
            or self.domain_bursts
            or self.disposable
            or self.namesakes
            or self.held_by_limits
        )


def _top_bursts(*, rows: QuerySet[Signature], field: str, param: str, limit: int) -> list[Burst]:
    grouped = (
        rows.exclude(**{field: ""})
        .annotate(hour=TruncHour("created_at"))
        .values_list(field, "hour")
        .annotate(n=Count("pk"))
        .filter(n__gte=settings.MODERATION_BURST_THRESHOLD)
        .order_by("-n", "-hour")[:limit]
    )
    return [Burst(param=param, key=key, hour=hour, count=n) for key, hour, n in grouped]


def _loose_name() -> Func | Lower:
    """The name in lower case; on PostgreSQL also with runs of spaces made one."""
    if connection.vendor == "postgresql":
        return Func(
            Trim(Lower("name")),
            Value(r"\s+"),
            Value(" "),
            Value("g"),
            function="REGEXP_REPLACE",
            output_field=CharField(),
        )
    return Trim(Lower("name"))


def moderation_signals(*, letter: Letter, limit: int = 10) -> Signals:
    """What looks unusual among the recent signatures of a letter.

    On a busy letter this groups hundreds of thousands of rows, so the result is cached
    for MODERATION_SIGNAL_CACHE_SECONDS; the flags on each row are always fresh.
    """
    key = f"moderation-signals:{letter.pk}"
    signals = cache.get(key)
    if signals is None:
        signals = _signals(letter=letter, limit=limit)
        cache.set(key, signals, timeout=settings.MODERATION_SIGNAL_CACHE_SECONDS)
    return signals


def moderation_signals_forget(*, letter_id: int) -> None:
    cache.delete(f"moderation-signals:{letter_id}")


def _signals(*, letter: Letter, limit: int) -> Signals:
    since = timezone.now() - timedelta(hours=settings.MODERATION_SIGNAL_HOURS)
    recent = Signature.objects.filter(letter=letter, created_at__gte=since).exclude(
        status=Signature.Status.REMOVED
    )
    webmail = flags.webmail_domains()
    domain_rows = recent.exclude(email_domain__in=webmail)
    by_domain = recent.values_list("email_domain").annotate(n=Count("pk")).order_by("-n")
    disposable = [(d, n) for d, n in by_domain if flags.is_disposable(domain=d)][:limit]
    names = verified_names_elsewhere(letter=letter)
    namesakes = (
        list(
            recent.filter(verified_at__isnull=True)
            .annotate(loose_name=_loose_name())
            .filter(loose_name__in=names)
            .order_by("-pk")[:limit]
        )
        if names
        else []
    )
    return Signals(
        since=since,
        network_bursts=_top_bursts(rows=recent, field="network_key", param="network", limit=limit),
        domain_bursts=_top_bursts(
            rows=domain_rows, field="email_domain", param="domain", limit=limit
        ),
        disposable=disposable,
        namesakes=namesakes,
        held_by_limits=signatures_held_by_limits(letter=letter),
    )


def signatures_held_by_limits(*, letter: Letter) -> list[HeldByLimit]:
    """The signatures of a letter that rate limits hold, by reason, however old: each
    waits for an organizer to release or remove it."""
    rows = (
        Signature.objects.filter(letter=letter, status=Signature.Status.HELD)
        .exclude(hold_reason="")
        .values_list("hold_reason")
        .annotate(n=Count("pk"))
        .order_by("hold_reason")
    )
    return [HeldByLimit(reason=reason, count=n) for reason, n in rows]


def correction_log(*, letter: Letter, limit: int = 500) -> list[ModerationAction]:
    """Every moderation that moved the public count of a letter, newest first."""
    return list(
        ModerationAction.objects.filter(
            letter=letter, counted__gt=0, state=ModerationAction.State.DONE
        ).order_by("-created_at", "-pk")[:limit]
    )


def correction_log_exists(*, letter: Letter) -> bool:
    return ModerationAction.objects.filter(
        letter=letter, counted__gt=0, state=ModerationAction.State.DONE
    ).exists()


def bulk_removals_unfinished(*, letter: Letter, days: int = 7) -> list[ModerationAction]:
    """Bulk removals of a letter still running in a task, or failed lately, newest first."""
    state = ModerationAction.State
    return list(
        ModerationAction.objects.filter(letter=letter, action=ModerationAction.Action.BULK_REMOVE)
        .filter(
            Q(state=state.RUNNING)
            | Q(state=state.FAILED, created_at__gte=timezone.now() - timedelta(days=days))
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")[:20]
    )
