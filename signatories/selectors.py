import contextlib
from dataclasses import dataclass, replace
from datetime import datetime, time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection, connections
from django.db.models import (
    BooleanField,
    Count,
    F,
    Func,
    Min,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_countries import countries
from redis import RedisError

from letters.facts import facts_changed
from letters.models import Letter, Membership
from signatories import counters
from signatories.models import Signature

PUBLIC_FIELDS = (
    "pk",
    "name",
    "role",
    "organization",
    "country",
    "city",
    "comment",
    "confirmed_at",
    "verified_at",
)


def signatory_list_public(*, letter: Letter) -> QuerySet[Signature]:
    """Confirmed signatories who chose to be named: verified first, then newest first.

    Never with emails.
    """
    return (
        Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED, show_name=True)
        .order_by(F("verified_at").desc(nulls_last=True), "-confirmed_at", "-pk")
        .only(*PUBLIC_FIELDS)
    )


@dataclass(frozen=True)
class Showcase:
    """The names under a letter: those the organizers verified, then the newest others."""

    featured: list[Signature]
    latest: list[Signature]

    @property
    def shown(self) -> int:
        return len(self.featured) + len(self.latest)


def signatory_showcase(*, letter: Letter, featured: int = 6, latest: int = 10) -> Showcase:
    """Up to ``featured`` verified signatories (most recently verified first) and the
    ``latest`` newest of the rest: one query on PostgreSQL, two where the database cannot
    limit each half of a UNION (SQLite, the embedded default)."""
    public = signatory_list_public(letter=letter).order_by()
    verified = public.filter(verified_at__isnull=False).order_by("-verified_at", "-pk")
    others = public.filter(verified_at__isnull=True).order_by("-confirmed_at", "-pk")
    if connections[public.db].features.supports_slicing_ordering_in_compound:
        rows = list(verified[:featured].union(others[:latest], all=True))
    else:
        rows = [*verified[:featured], *others[:latest]]
    return Showcase(
        featured=sorted(
            (row for row in rows if row.verified_at is not None),
            key=lambda row: (row.verified_at, row.pk),
            reverse=True,
        ),
        latest=sorted(
            (row for row in rows if row.verified_at is None),
            key=lambda row: (row.confirmed_at, row.pk),
            reverse=True,
        ),
    )


TOP_COUNTRIES_CACHE_SECONDS = 600


def signatory_top_countries(*, letter: Letter, limit: int = 5) -> tuple[str, ...]:
    """The countries named confirmed signatories of ``letter`` gave most, most first.

    Cached per letter for some minutes: the sign form offers them first, on every view of
    the page. While the cache is down the form offers none rather than query each time.
    """
    key = f"top-countries:{letter.pk}:{limit}"
    try:
        top = cache.get(key)
    except RedisError:
        return ()
    if top is None:
        top = tuple(
            Signature.objects.filter(
                letter=letter, status=Signature.Status.CONFIRMED, show_name=True
            )
            .exclude(country="")
            .values_list("country", flat=True)
            .annotate(n=Count("pk"))
            .order_by("-n", "country")[:limit]
        )
        with contextlib.suppress(RedisError):
            cache.set(key, top, timeout=TOP_COUNTRIES_CACHE_SECONDS)
    return tuple(top)


def signatory_page(*, letter: Letter, number: str | int | None, per_page: int = 50) -> Page:
    counts = counters.counts_get(letter_id=letter.pk)
    # The named count comes from the counter, so paging never runs a COUNT(*).
    paginator = Paginator(signatory_list_public(letter=letter), per_page)
    paginator.count = counts.named  # type: ignore[misc]
    return paginator.get_page(number)


# Search, filters and the breakdown of the public list -----------------------------------


@dataclass(frozen=True)
class SignatoryQuery:
    """What a visitor looks for among the named signatories; empty values match all."""

    q: str = ""
    role: str = ""  # lower case, as the breakdown groups roles
    country: str = ""

    @property
    def narrows(self) -> bool:
        return bool(self.q or self.role or self.country)


class FoldedText(Func):
    """Its arguments joined by spaces, in lower case and without accents (PostgreSQL).

    Over name, role and organization it is the expression of the trigram index of
    migration 0011, written the same way so that the planner uses that index.
    """

    function = "undersigned_unaccent"
    template = "%(function)s(LOWER(%(expressions)s))"
    arg_joiner = " || ' ' || "
    output_field = TextField()


class _UnindexedFoldedText(FoldedText):
    """The same text, written so that it does not match the trigram index: for a query
    that must read rows it already narrowed by id, never through that index."""

    template = "%(function)s(LOWER(LOWER(%(expressions)s)))"


class _Like(Func):
    arg_joiner = " LIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_matches(q: str, *, indexed: bool = True) -> Q | _Like:
    if connection.vendor == "postgresql":
        pattern = FoldedText(Value(f"%{_like_escape(q)}%"))
        folded = FoldedText if indexed else _UnindexedFoldedText
        return _Like(folded(F("name"), F("role"), F("organization")), pattern)
    # The embedded default (SQLite) matches case-insensitively, but not across accents.
    return Q(name__icontains=q) | Q(role__icontains=q) | Q(organization__icontains=q)


def signatory_search(*, letter: Letter, query: SignatoryQuery) -> QuerySet[Signature]:
    """The public list narrowed by ``query``: only ever confirmed signatories shown by
    name, so nothing a hidden signer entered can be found."""
    rows = signatory_list_public(letter=letter)
    if query.country:
        rows = rows.filter(country=query.country)
    if query.role:
        rows = rows.alias(role_key=Lower("role")).filter(role_key=query.role)
    if query.q:
        rows = rows.filter(_text_matches(query.q))
    return rows


class BadPosition(ValueError):
    """A page link whose position we did not give out."""


@dataclass(frozen=True)
class Position:
    """A signature's place in the public list's order, carried by page links."""

    verified_at: datetime | None
    confirmed_at: datetime
    pk: int

    @classmethod
    def of(cls, signature: Signature) -> "Position":
        assert signature.confirmed_at is not None
        return cls(signature.verified_at, signature.confirmed_at, signature.pk)

    def encode(self) -> str:
        verified = self.verified_at.isoformat() if self.verified_at else ""
        return urlsafe_base64_encode(
            f"{verified}|{self.confirmed_at.isoformat()}|{self.pk}".encode()
        )

    @classmethod
    def decode(cls, raw: str) -> "Position":
        try:
            verified, confirmed, pk = urlsafe_base64_decode(raw).decode().split("|")
            return cls(_aware(verified) if verified else None, _aware(confirmed), int(pk))
        except (ValueError, UnicodeDecodeError):
            raise BadPosition(raw) from None


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("we only give out times with a time zone")
    return value


def _later_unverified(p: Position) -> Q:
    """Unverified rows after ``p`` (itself unverified) in the list's order.

    The ``confirmed_at <= ...`` bound says again what the OR implies: it is the range
    condition that lets PostgreSQL start its index scan at ``p`` instead of walking every
    row before it, so a page deep in a million signatures costs what the first one does.
    """
    return Q(verified_at__isnull=True, confirmed_at__lte=p.confirmed_at) & (
        Q(confirmed_at__lt=p.confirmed_at) | Q(confirmed_at=p.confirmed_at, pk__lt=p.pk)
    )


def _earlier_unverified(p: Position) -> Q:
    return Q(verified_at__isnull=True, confirmed_at__gte=p.confirmed_at) & (
        Q(confirmed_at__gt=p.confirmed_at) | Q(confirmed_at=p.confirmed_at, pk__gt=p.pk)
    )


def _later_verified(p: Position) -> Q:
    assert p.verified_at is not None
    later = Q(confirmed_at__lt=p.confirmed_at) | Q(confirmed_at=p.confirmed_at, pk__lt=p.pk)
    return Q(verified_at__lt=p.verified_at) | Q(verified_at=p.verified_at) & later


def _earlier_verified(p: Position) -> Q:
    assert p.verified_at is not None
    earlier = Q(confirmed_at__gt=p.confirmed_at) | Q(confirmed_at=p.confirmed_at, pk__gt=p.pk)
    return Q(verified_at__gt=p.verified_at) | Q(verified_at=p.verified_at) & earlier


_FORWARD_VERIFIED = ("-verified_at", "-confirmed_at", "-pk")
_FORWARD_OTHERS = ("-confirmed_at", "-pk")
_BACKWARD_VERIFIED = ("verified_at", "confirmed_at", "pk")
_BACKWARD_OTHERS = ("confirmed_at", "pk")


# How many rows of the list a search walks in order before it asks the text index.
SEARCH_WALK = 500


def _take(rows: QuerySet[Signature], q: str, order: tuple[str, ...], limit: int) -> list[Signature]:
    """The first ``limit`` of ``rows`` in ``order`` whose text matches ``q`` (all when "").

    A common word ("nurse" on a letter of nurses) matches so many rows that reading them
    all through the trigram index and sorting them takes seconds on a large letter, while
    its first page is among the first few hundred rows of the list. So the first
    ``SEARCH_WALK`` rows in order are tried first; when they hold a whole page, that is
    the page. Otherwise the match is rare, and the text index finds it quickly.
    """
    ordered = rows.order_by(*order)
    if not q:
        return list(ordered[:limit])
    walked = list(ordered.values_list("pk", flat=True)[:SEARCH_WALK])
    if not walked:
        return []
    # ``rows`` again, not the bare table: a signer hidden since the walk stays hidden. The
    # unindexed text keeps the planner on these ids instead of the trigram index.
    walk = ordered.filter(pk__in=walked).filter(_text_matches(q, indexed=False))
    found = list(walk[:limit])
    if len(found) == limit or len(walked) < SEARCH_WALK:
        return found
    return list(ordered.filter(_text_matches(q))[:limit])


def _rows_after(
    rows: QuerySet[Signature], q: str, after: Position | None, limit: int
) -> list[Signature]:
    """Up to ``limit`` rows after ``after`` (from the top when None), in the list's order.

    The list is the verified signatories, then the others; each half is read with its own
    keyset query, so both halves use an index range instead of an OFFSET or an OR.
    """
    verified = rows.filter(verified_at__isnull=False)
    others = rows.filter(verified_at__isnull=True)
    if after is not None and after.verified_at is None:
        return _take(others.filter(_later_unverified(after)), q, _FORWARD_OTHERS, limit)
    if after is not None:
        verified = verified.filter(_later_verified(after))
    found = _take(verified, q, _FORWARD_VERIFIED, limit)
    if len(found) < limit:
        found += _take(others, q, _FORWARD_OTHERS, limit - len(found))
    return found


def _rows_before(
    rows: QuerySet[Signature], q: str, before: Position, limit: int
) -> list[Signature]:
    """Up to ``limit`` rows just before ``before``, nearest first (the list's order reversed)."""
    verified = rows.filter(verified_at__isnull=False)
    if before.verified_at is not None:
        return _take(verified.filter(_earlier_verified(before)), q, _BACKWARD_VERIFIED, limit)
    others = rows.filter(_earlier_unverified(before))
    found = _take(others, q, _BACKWARD_OTHERS, limit)
    if len(found) < limit:
        found += _take(verified, q, _BACKWARD_VERIFIED, limit - len(found))
    return found


@dataclass(frozen=True)
class SearchPage:
    """One page of the public list or of search results, with the positions of the pages
    around it. Pages are found by position (keyset), never by OFFSET: a page deep in a
    large letter costs what the first one does, and the list has no COUNT(*)."""

    items: list[Signature]
    previous: str | None
    next: str | None


def _page(items: list[Signature], *, previous: bool, more: bool) -> SearchPage:
    return SearchPage(
        items=items,
        previous=Position.of(items[0]).encode() if previous and items else None,
        next=Position.of(items[-1]).encode() if more and items else None,
    )


def signatory_search_page(
    *,
    letter: Letter,
    query: SignatoryQuery,
    after: Position | None = None,
    before: Position | None = None,
    per_page: int = 50,
) -> SearchPage:
    """The page of matches after ``after`` (or before ``before``) in the list's order;
    an empty ``query`` pages through the whole public list."""
    rows = signatory_search(letter=letter, query=replace(query, q="")).order_by()
    if before is not None:
        found = _rows_before(rows, query.q, before, per_page + 1)
        items = found[:per_page][::-1]
        # Going back from a page there is always a page after it: the one we came from.
        return _page(items, previous=len(found) > per_page, more=True)
    found = _rows_after(rows, query.q, after, per_page + 1)
    return _page(found[:per_page], previous=after is not None, more=len(found) > per_page)


def signatory_page_numbered(*, letter: Letter, number: str | int | None) -> SearchPage:
    """A page of the public list by number, for ``?page=`` links given out before pages
    were found by position. Its links lead on by position."""
    page = signatory_page(letter=letter, number=number)
    items = list(page.object_list)
    return _page(items, previous=page.has_previous(), more=page.has_next())


BREAKDOWN_TOP = 5
ROLE_CHOICES_MAX = 50


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Tally:
    """Named signatories by the value of one field: the most common values, the other
    values together, and those who left the field empty."""

    top: list[Bucket]
    other: int
    not_given: int


@dataclass(frozen=True)
class Breakdown:
    """Where the named, confirmed signatories of a letter come from and what they do.

    Hidden signers are in no bucket: they are only in the letter's total count.
    """

    named: int
    countries: list[tuple[str, int]]  # every country given, most signatories first
    roles: list[tuple[str, str, int]]  # (lower-case key, label, count), the most common
    with_role: int

    def _country_buckets(self) -> list[Bucket]:
        # Country names in the language of the request: the cache keeps only codes.
        return [Bucket(code, str(countries.name(code)), n) for code, n in self.countries if code]

    def _role_buckets(self) -> list[Bucket]:
        return [Bucket(key, label, n) for key, label, n in self.roles]

    def country_tally(self) -> Tally:
        buckets = self._country_buckets()
        return _tally(buckets, given=sum(b.count for b in buckets), named=self.named)

    def role_tally(self) -> Tally:
        return _tally(self._role_buckets(), given=self.with_role, named=self.named)

    def country_choices(self) -> list[Bucket]:
        # In the order of the sign form's list: django_countries sorts for the language.
        present = dict(self.countries)
        return [
            Bucket(c.code, str(c.name), present[c.code]) for c in countries if c.code in present
        ]

    def role_choices(self) -> list[Bucket]:
        return sorted(self._role_buckets(), key=lambda b: b.label.casefold())


def _tally(buckets: list[Bucket], *, given: int, named: int) -> Tally:
    top = buckets[:BREAKDOWN_TOP]
    return Tally(top=top, other=given - sum(b.count for b in top), not_given=named - given)


def _breakdown_from_rows(letter_id: int) -> dict[str, object]:
    named = Signature.objects.filter(
        letter_id=letter_id, status=Signature.Status.CONFIRMED, show_name=True
    )
    by_country = list(
        named.values_list("country")
        .annotate(n=Count("pk"), with_role=Count("pk", filter=~Q(role="")))
        .order_by("-n", "country")
    )
    roles = list(
        named.exclude(role="")
        .annotate(key=Lower("role"))
        .values_list("key")
        .annotate(label=Min("role"), n=Count("pk"))
        .order_by("-n", "key")[:ROLE_CHOICES_MAX]
    )
    return {
        "named": sum(n for _country, n, _with_role in by_country),
        "countries": [(country, n) for country, n, _with_role in by_country],
        "roles": roles,
        "with_role": sum(with_role for _country, _n, with_role in by_country),
    }


def _breakdown_key(letter_id: int) -> str:
    return f"signatory-breakdown:1:{letter_id}"


def signatory_breakdown_forget(*, letter_id: int) -> None:
    """Drop the cached breakdown; call after a signature left the public list committed.

    The letter's version moves too: a signatories page drawn between the count's move and
    this call, with the old breakdown, was kept under the old version (letters/pagecache.py).
    """
    cache.delete(_breakdown_key(letter_id))
    facts_changed(letter_id=letter_id)


def signatory_breakdown(*, letter_id: int) -> Breakdown:
    """Named, confirmed signatories by country and by role, from the cache.

    Cached for ``SIGNATORY_BREAKDOWN_CACHE_SECONDS`` (5 minutes) rather than under a key
    that moves with the count: on a letter signed every second a moving key would redo
    these GROUP BYs over every named signature on nearly every view, just when the page
    is busiest. A short expiry bounds that work to one recount per letter and period; the
    exact total beside the breakdown comes live from Redis all the same. A signature that
    leaves the list (withdrawn, held, removed) drops the cache at once instead
    (``signatory_breakdown_forget``): what its signer entered is never shown after.
    """
    key = _breakdown_key(letter_id)
    data = cache.get(key)
    if data is None:
        data = _breakdown_from_rows(letter_id)
        cache.set(key, data, timeout=settings.SIGNATORY_BREAKDOWN_CACHE_SECONDS)
    return Breakdown(
        named=data["named"],
        countries=[tuple(row) for row in data["countries"]],
        roles=[tuple(row) for row in data["roles"]],
        with_role=data["with_role"],
    )


# The organizer's dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    letter: Letter
    role: str
    today: int
    total: int


def _start_of_today() -> datetime:
    return datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())


def dashboard_rows(*, user: User) -> list[DashboardRow]:
    """The caller's letters with their role, confirmed signatures today and in total."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("letter")
        .order_by("-letter__created_at")
    )
    letter_ids = [m.letter_id for m in memberships]
    totals = counters.counts_get_many(
        letter_ids=[m.letter_id for m in memberships if m.letter.is_public]
    )
    today = dict(
        Signature.objects.filter(
            letter_id__in=letter_ids,
            status=Signature.Status.CONFIRMED,
            confirmed_at__gte=_start_of_today(),
        )
        .values_list("letter_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        DashboardRow(
            letter=m.letter,
            role=m.role,
            today=today.get(m.letter_id, 0),
            total=totals[m.letter_id].all if m.letter.is_public else 0,
        )
        for m in memberships
    ]


def signature_list_newest_for_user(*, user: User, limit: int = 10) -> list[Signature]:
    """The newest confirmed signatures on any of the caller's letters. Never with emails."""
    return list(
        Signature.objects.filter(
            letter__memberships__user=user, status=Signature.Status.CONFIRMED
        )
        .select_related("letter")
        .only("name", "show_name", "role", "organization", "confirmed_at", "letter__title",
              "letter__slug")
        .order_by("-confirmed_at", "-pk")[:limit]
    )  # fmt: skip


@dataclass(frozen=True)
class SourceCount:
    source: str  # "" for signers who came with no ref
    count: int


def signature_source_counts(*, letter: Letter) -> list[SourceCount]:
    """Confirmed signatures of ``letter`` by the source they came from, most first: one
    GROUP BY query. For its organizers only; the public never sees sources."""
    rows = (
        Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED)
        .values_list("source")
        .annotate(signatures=Count("pk"))
        .order_by("-signatures", "source")
    )
    return [SourceCount(source=source, count=count) for source, count in rows]
