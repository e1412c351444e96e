"""A letter's public facts, kept in each web process and checked against Redis.

The counter JSON, the badges and the widget are the most requested URLs of a letter that
goes viral, and each needs only a handful of the letter's fields. Reading the row costs
more than everything else those views do, so every process keeps the facts of the public
letters it served (``LetterFacts``) in a dict, and uses them only while they are current:

- Each letter has a **version** in Redis (``version_key``): a random token, replaced by
  ``facts_changed`` whenever the letter's row is saved or deleted (``letters/apps.py``
  connects it to ``post_save`` and ``post_delete``, so the admin and the shell count
  too). A token is never reused, so a version seen once cannot come back after a change.
  The version of the index (``index_version_key``) is replaced with it: the index lists
  every public letter.
- A reader reads the version *before* the row and stores the row under that version. A
  change commits, then replaces the version: a process that read the row before the
  commit stored it under the old version, which no longer matches.
- ``facts_get`` reads the version together with whatever else the caller needs (the
  count, ``signatories.live``) in one Redis round trip: a warm read touches no database.
  The first read of a slug in a process costs two queries (the letter's id, so that its
  version can be read before its row; then the row), a read after a change one.
- While Redis is unavailable, nothing cached is trusted: the row is read every time, and
  a process that finds Redis unavailable drops every entry it holds. An entry is also
  never used after ``FACTS_MAX_AGE`` seconds, which bounds how long a change whose version
  could not be replaced (Redis down at that moment) stays unseen by a process that
  served nothing during the outage.
- Unknown slugs and drafts are never remembered: each such request reads the database,
  so a letter is public everywhere the moment it is published.
- Without REDIS_URL (the embedded default) there is no version to check: every read
  reads the row.

A change made with ``QuerySet.update()`` sends no ``post_save``: code that updates
letters that way must call ``facts_changed`` itself.
"""

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from letters.models import Letter, public_status_of, signing_is_open
from letters.selectors import letter_list_public
from mailing.breaker import redis_run

log = logging.getLogger(__name__)

# The longest an entry is used, in seconds, even when its version still matches.
FACTS_MAX_AGE = 60.0
# Letters kept per process; the oldest entry leaves first.
MAX_ENTRIES = 1000
# A version nobody changes disappears after this long; the next reader sets a new one.
VERSION_TTL = 7 * 24 * 3600

_FIELDS = (
    "id",
    "slug",
    "title",
    "summary",
    "organizer_name",
    "status",
    "language",
    "goal",
    "published_at",
    "closes_at",
    "updated_at",
    "require_challenge",
    "widget_sign",
    "time_zone",
)


@dataclass(frozen=True)
class LetterFacts:
    """What the public reads of a letter show; duck-types the few Letter members they use."""

    id: int
    slug: str
    title: str
    summary: str
    organizer_name: str
    status: str
    language: str
    goal: int | None
    published_at: datetime | None
    closes_at: datetime | None
    updated_at: datetime
    require_challenge: bool
    widget_sign: bool
    time_zone: str
    path: str

    @classmethod
    def from_letter(cls, letter: Letter) -> "LetterFacts":
        values = {name: getattr(letter, name) for name in _FIELDS}
        return cls(**values, path=letter.get_absolute_url())

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_open(self) -> bool:
        return signing_is_open(status=self.status, closes_at=self.closes_at)

    @property
    def public_status(self) -> str:
        return public_status_of(status=self.status, is_open=self.is_open)

    def get_absolute_url(self) -> str:
        return self.path


@dataclass(frozen=True)
class _Entry:
    version: str
    stored: float
    facts: LetterFacts


_ids: dict[str, int] = {}
_entries: dict[int, _Entry] = {}
# Reads need no lock (a dict lookup is atomic); writes take it so that evicting the oldest
# entry never races another thread's write (gthread workers).
_lock = threading.Lock()


def version_key(letter_id: int) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:letterfacts:{letter_id}"


def facts_load(*, slug: str) -> LetterFacts | None:
    """The facts of the published or closed letter with this slug, from the database."""
    rows = list(letter_list_public().filter(slug=slug).values(*_FIELDS)[:1])
    if not rows:
        return None
    path = reverse("letters:detail", kwargs={"slug": slug})
    return LetterFacts(**rows[0], path=path)


def facts_get[T](
    *,
    slug: str,
    fetch: Callable[[int, str], tuple[str | None, T]],
    fallback: Callable[[int], T],
) -> tuple[LetterFacts, T] | None:
    """The facts of a public letter and what ``fetch`` read with its version; None for a
    draft or an unknown slug.

    ``fetch(letter_id, version_key)`` reads the version (None when missing) and anything
    else the caller needs in one round trip to Redis, and raises a RedisError when Redis
    is unavailable; ``fallback(letter_id)`` then gives that from the database.
    """
    if not settings.REDIS_URL:
        return _uncached(slug, fallback)
    letter_id = _ids.get(slug)
    if letter_id is None:
        letter_id = _id_load(slug)
        if letter_id is None:
            return None
        _remember(slug, letter_id)
    try:
        version, extra = fetch(letter_id, version_key(letter_id))
    except redis.RedisError:
        # Changes made meanwhile may not have replaced their versions: start afresh.
        facts_forget_all()
        return _uncached(slug, fallback)
    entry = _entries.get(letter_id)
    if (
        entry is not None
        and entry.version == version
        and entry.facts.slug == slug
        and time.monotonic() - entry.stored < FACTS_MAX_AGE
    ):
        return entry.facts, extra
    if version is None:
        # Missing (expired, or Redis lost it): set one before reading the row.
        version = _version_claim(letter_id)
    facts = facts_load(slug=slug)
    if facts is None or facts.id != letter_id:
        # Unpublished, deleted, or the slug now names another letter: answer from the
        # database, and learn the slug again on the next read.
        _forget(slug, letter_id)
        return None if facts is None else (facts, fallback(facts.id))
    if version is not None:
        _store(facts, version)
    return facts, extra


def _id_load(slug: str) -> int | None:
    """The id of the public letter with this slug: the first read of a slug in a process
    needs it to read the version before the row."""
    return letter_list_public().filter(slug=slug).values_list("id", flat=True).first()


def _uncached[T](slug: str, fallback: Callable[[int], T]) -> tuple[LetterFacts, T] | None:
    facts = facts_load(slug=slug)
    return None if facts is None else (facts, fallback(facts.id))


def _remember(slug: str, letter_id: int) -> None:
    with _lock:
        if len(_ids) >= MAX_ENTRIES:
            del _ids[next(iter(_ids))]
        _ids[slug] = letter_id


def _store(facts: LetterFacts, version: str) -> None:
    with _lock:
        if len(_entries) >= MAX_ENTRIES:
            del _entries[next(iter(_entries))]
        _entries[facts.id] = _Entry(version=version, stored=time.monotonic(), facts=facts)


def _forget(slug: str, letter_id: int) -> None:
    with _lock:
        _ids.pop(slug, None)
        _entries.pop(letter_id, None)


def facts_forget_all() -> None:
    """Drop every kept entry of this process."""
    with _lock:
        _ids.clear()
        _entries.clear()


def index_version_key() -> str:
    """The version of the index of letters: replaced with every letter's version."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:letterfacts:index"


def version_claim(key: str) -> str | None:
    """Set a version at ``key`` where there is none, and return the one that stands; None
    when Redis is unavailable."""

    def claim(client: redis.Redis) -> list[Any]:
        pipeline = client.pipeline(transaction=False)
        pipeline.set(key, secrets.token_hex(8), nx=True, ex=VERSION_TTL)
        pipeline.get(key)
        return pipeline.execute()

    try:
        return redis_run(claim)[1]
    except redis.RedisError:
        log.debug("Could not set the version %s", key)
        return None


def _version_claim(letter_id: int) -> str | None:
    return version_claim(version_key(letter_id))


def _version_replace(letter_id: int) -> None:
    def replace(client: redis.Redis) -> list[Any]:
        pipeline = client.pipeline(transaction=False)
        pipeline.set(version_key(letter_id), secrets.token_hex(8), ex=VERSION_TTL)
        pipeline.set(index_version_key(), secrets.token_hex(8), ex=VERSION_TTL)
        return pipeline.execute()

    try:
        redis_run(replace)
    except redis.RedisError:
        with _lock:
            _entries.pop(letter_id, None)
        log.warning(
            "Could not replace the facts version of letter %s; other processes may serve its "
            "old facts for up to %s s",
            letter_id,
            FACTS_MAX_AGE,
            exc_info=True,
        )


def facts_changed(*, letter_id: int) -> None:
    """Make every process drop its copy of this letter's facts.

    The version is replaced at once, so this process sees the change inside its own
    transaction, and again after the commit: a process that read the row between the two
    read the old row, and stored it under a version that no longer matches.
    """
    if not settings.REDIS_URL:
        return
    _version_replace(letter_id)
    transaction.on_commit(lambda: _version_replace(letter_id), robust=True)
