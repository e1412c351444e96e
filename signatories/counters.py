"""Live signature counts.

The count is read on every letter page, widget and API call, so it must never be a
COUNT(*) over the signature table. It lives in Redis as a hash per letter with the
fields ``all`` (confirmed signatures) and ``hidden`` (those not shown by name), ``ts``
(when it last moved) and ``moves`` (how many times it moved). Every change that moves it
(confirmation, withdrawal, moderation) adds to it once after its transaction commits; a
missing count is rebuilt from the rows; ``counts_reconcile`` and the ``rebuild_counts``
command recompute it from the rows. A recount is stored only if ``moves`` did not change
while it read the rows, so a change committed meanwhile is never lost.

Redis is reached through a circuit breaker (mailing.breaker): while it is down, hung or
skipped after a recent failure, counts come from the rows.

Without REDIS_URL (the embedded default) the same numbers live in the process-local cache.
"""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from redis.commands.core import Script

from mailing.breaker import BreakerOpen, redis_read
from mailing.breaker import redis_run as _redis
from signatories.models import Signature

log = logging.getLogger(__name__)

# Every move bumps ``moves``, a version of the count that only goes up. It adds to
# ``all`` and ``hidden`` only when they exist: a missing count is rebuilt from the rows,
# which already include the change, so adding to it would count twice.
_BUMP = """
redis.call('HINCRBY', KEYS[1], 'moves', 1)
if redis.call('HEXISTS', KEYS[1], 'all') == 1 then
  redis.call('HINCRBY', KEYS[1], 'all', ARGV[1])
  redis.call('HINCRBY', KEYS[1], 'hidden', ARGV[2])
  redis.call('HSET', KEYS[1], 'ts', ARGV[3])
  return tonumber(redis.call('HGET', KEYS[1], 'all'))
end
return -1
"""
# Writes a recount unless the count moved since ``moves`` was read (before the rows were):
# a change committed meanwhile may be missing from the rows the recount read.
_SET_IF_UNCHANGED = """
local moves = redis.call('HGET', KEYS[1], 'moves')
if ARGV[1] == '*' or (moves == false and ARGV[1] == '') or moves == ARGV[1] then
  redis.call('HSET', KEYS[1], 'all', ARGV[2], 'hidden', ARGV[3], 'ts', ARGV[4])
  return 1
end
return 0
"""


# The fields of a letter's hash.
_FIELDS = ("all", "hidden", "ts", "moves")


@dataclass(frozen=True)
class Counts:
    all: int
    hidden: int
    updated: float | None = None

    @property
    def named(self) -> int:
        return self.all - self.hidden


def _warn(message: str, letter_id: object, error: redis.RedisError) -> None:
    # While the breaker is open, every page would log the same line: the breaker logged it.
    level = logging.DEBUG if isinstance(error, BreakerOpen) else logging.WARNING
    log.log(level, message, letter_id, exc_info=level == logging.WARNING)


def _key(letter_id: int) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:sigcount:{letter_id}"


def counts_from_rows(*, letter_id: int) -> Counts:
    """Recount from the signature rows. Expensive on big letters: not for page views."""
    row = Signature.objects.filter(
        letter_id=letter_id, status=Signature.Status.CONFIRMED
    ).aggregate(all=Count("pk"), hidden=Count("pk", filter=Q(show_name=False)))
    return Counts(all=row["all"], hidden=row["hidden"], updated=time.time())


def counts_get(*, letter_id: int) -> Counts:
    """The current counts of one letter, from Redis; rebuilt from the rows when missing."""
    return counts_get_many(letter_ids=[letter_id])[letter_id]


def counts_get_many(*, letter_ids: Sequence[int]) -> dict[int, Counts]:
    """The counts of several letters in one round trip to Redis (lists, the API).

    A missing or unreadable hash is rebuilt from the rows; when Redis is unavailable all
    of them are counted from the rows, in one query.
    """
    if not settings.REDIS_URL or not letter_ids:
        return {letter_id: _local_get(letter_id) for letter_id in letter_ids}
    try:
        hashes = _redis(lambda client: _hgetall_many(client, letter_ids))
    except redis.RedisError as error:
        _warn("Redis unavailable; counting letters %s from the rows", letter_ids, error)
        return counts_from_rows_many(letter_ids=letter_ids)
    return {
        letter_id: _counts_of(letter_id, data)
        for letter_id, data in zip(letter_ids, hashes, strict=True)
    }


def _counts_of(letter_id: int, data: dict[str, str]) -> Counts:
    counts = _parse(data)
    if counts is None:
        # Missing, or not numbers (a hand edit, a bug elsewhere): the rows decide.
        counts = counts_rebuild(letter_id=letter_id, expected=data.get("moves"))
    return counts


def counts_get_with(
    *, letter_id: int, key: str, flags: Sequence[str] = ()
) -> tuple[str | None, Counts, tuple[bool, ...]]:
    """The string at ``key``, the counts of one letter and whether each key of ``flags``
    exists, in one round trip to Redis.

    For readers that check a version kept next to the count (``letters.facts``), and the
    letter page, which also needs the switches of the proof of work. Raises a RedisError
    when Redis is unavailable: the caller falls back to the database.
    """

    value, fields, *found = redis_read(
        ("GET", key), ("HMGET", _key(letter_id), *_FIELDS), *(("EXISTS", flag) for flag in flags)
    )
    data = {name: field for name, field in zip(_FIELDS, fields, strict=True) if field is not None}
    return value, _counts_of(letter_id, data), tuple(bool(each) for each in found)


# The string at KEYS[1], then the totals of the counts at KEYS[2..] joined by commas, "?"
# for a count that is missing: one short reply instead of every hash.
_TOTALS_WITH = """
local totals = {}
for i = 2, #KEYS do
  totals[#totals + 1] = redis.call('HGET', KEYS[i], 'all') or '?'
end
return {redis.call('GET', KEYS[1]) or false, table.concat(totals, ',')}
"""
# Sent by its SHA1 (EVALSHA), loaded into Redis on first use.
_totals_with = Script(None, _TOTALS_WITH.encode())  # type: ignore[arg-type]


def counts_totals_with(*, letter_ids: Sequence[int], key: str) -> tuple[str | None, str | None]:
    """The string at ``key`` and the totals of several letters joined by commas, in one
    round trip to Redis (the index checks its version with them); None for the totals
    when a count is missing, for the caller to read with ``counts_get_many``. Raises a
    RedisError when Redis is unavailable."""
    keys = [key, *(_key(letter_id) for letter_id in letter_ids)]
    value, totals = _redis(lambda client: _totals_with(keys=keys, client=client))
    return value, None if "?" in totals else totals


def _hgetall_many(client: redis.Redis, letter_ids: Sequence[int]) -> list[dict[str, str]]:
    pipeline = client.pipeline(transaction=False)
    for letter_id in letter_ids:
        pipeline.hgetall(_key(letter_id))
    return pipeline.execute()


def _parse(data: dict[str, str]) -> Counts | None:
    try:
        counts = Counts(int(data["all"]), int(data["hidden"]), float(data.get("ts") or 0) or None)
    except (KeyError, ValueError):
        return None
    return counts if 0 <= counts.hidden <= counts.all else None


def counts_from_rows_many(*, letter_ids: Sequence[int]) -> dict[int, Counts]:
    """Recount several letters from the rows in one query. Not for page views either."""
    rows = (
        Signature.objects.filter(letter_id__in=letter_ids, status=Signature.Status.CONFIRMED)
        .values("letter_id")
        .annotate(all=Count("pk"), hidden=Count("pk", filter=Q(show_name=False)))
        .order_by()
    )
    now = time.time()
    found = {row["letter_id"]: Counts(row["all"], row["hidden"], now) for row in rows}
    return {letter_id: found.get(letter_id, Counts(0, 0, now)) for letter_id in letter_ids}


def counts_add(*, letter_id: int, all: int, hidden: int) -> int | None:
    """Move the counts of one letter; call after the change has committed.

    Returns the new total, or None when there was no count to move (it is rebuilt from
    the rows, which already include the change, on the next read).
    """
    if not settings.REDIS_URL:
        return _local_add(letter_id, all, hidden)
    try:
        total = _redis(
            lambda client: client.eval(_BUMP, 1, _key(letter_id), all, hidden, time.time())
        )
    except redis.RedisError as error:
        # The hash is now stale (or was not numbers); drop it so the next read rebuilds it.
        _warn("Could not move the count of letter %s; it will be rebuilt", letter_id, error)
        counts_forget(letter_id=letter_id)
        return None
    return None if total < 0 else int(total)


REBUILD_TRIES = 3


def counts_rebuild(*, letter_id: int, expected: str | None) -> Counts:
    """Recount from the rows and store the result unless the count moved meanwhile.

    ``expected`` is the ``moves`` field read before this call (None: there was none).
    When the count keeps moving, it tries again a few times, then stores the last recount
    anyway rather than have every reader recount: the periodic reconcile corrects it.
    """
    counts = counts_from_rows(letter_id=letter_id)
    if not settings.REDIS_URL:
        _local_set(letter_id, counts)
        return counts
    try:
        for _attempt in range(REBUILD_TRIES):
            if _store(letter_id, counts, expected=expected):
                return counts
            expected = _moves(letter_id)
            counts = counts_from_rows(letter_id=letter_id)
        log.warning("Count of letter %s kept moving during its recount", letter_id)
        _store(letter_id, counts, expected=None, force=True)
    except redis.RedisError as error:
        _warn("Redis unavailable; count of letter %s not stored", letter_id, error)
    return counts


def _store(letter_id: int, counts: Counts, *, expected: str | None, force: bool = False) -> bool:
    version = "*" if force else ("" if expected is None else expected)
    return bool(
        _redis(
            lambda client: client.eval(
                _SET_IF_UNCHANGED,
                1,
                _key(letter_id),
                version,
                counts.all,
                counts.hidden,
                counts.updated or time.time(),
            )
        )
    )


def counts_reconcile(*, letter_id: int) -> Counts:
    """Correct any drift between Redis and the rows (a rare race or a Redis restart)."""
    if not settings.REDIS_URL:
        return counts_rebuild(letter_id=letter_id, expected=None)
    return counts_rebuild(letter_id=letter_id, expected=_moves(letter_id))


def _moves(letter_id: int) -> str | None:
    value = _redis(lambda client: client.hget(_key(letter_id), "moves"))
    return None if value is None else str(value)


def counts_forget(*, letter_id: int) -> None:
    if not settings.REDIS_URL:
        cache.delete_many([f"sigcount:{letter_id}:all", f"sigcount:{letter_id}:hidden"])
        return
    try:
        _redis(lambda client: client.delete(_key(letter_id)))
    except redis.RedisError as error:
        _warn("Could not drop the count of letter %s", letter_id, error)


def _local_get(letter_id: int) -> Counts:
    values = cache.get_many([f"sigcount:{letter_id}:all", f"sigcount:{letter_id}:hidden"])
    if len(values) == 2:
        return Counts(values[f"sigcount:{letter_id}:all"], values[f"sigcount:{letter_id}:hidden"])
    return counts_rebuild(letter_id=letter_id, expected=None)


def _local_set(letter_id: int, counts: Counts) -> None:
    cache.set_many(
        {f"sigcount:{letter_id}:all": counts.all, f"sigcount:{letter_id}:hidden": counts.hidden},
        timeout=None,
    )


def _local_add(letter_id: int, all: int, hidden: int) -> int | None:
    try:
        total = cache.incr(f"sigcount:{letter_id}:all", all)
        cache.incr(f"sigcount:{letter_id}:hidden", hidden)
    except ValueError:
        counts_forget(letter_id=letter_id)
        return None
    return total
