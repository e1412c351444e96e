"""Rate limits: moving windows kept in Redis through the `limits` library.

Every limit of the site goes through ``limit_hit``. A limit is the name of a setting that
holds it in the library's notation ("10/minute;60/hour"), so operators tune it from the
environment and tests from ``settings``. Keys are hashed with the SECRET_KEY before they
reach Redis: no IP address or email address is stored there.

A limiter that cannot reach Redis lets the request through and logs a WARNING: a broken
limiter must never stop people from signing (docs/security.md).

With Redis, every limit is counted by one script that does what the library's moving
window does, on the library's keys: one round trip per call, however many windows a limit
has ("10/minute;60/hour"). ``limits_first_hit`` counts several limits of one request in
order in one round trip: the sign request is counted against four. The library parses the
limits and, without Redis (the embedded default), counts them in memory.
"""

import hashlib
import hmac
import logging
import time
from collections.abc import Sequence
from functools import cache

from django.conf import settings
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.commands.core import Script
from redis.exceptions import RedisError

from mailing.breaker import breaker_call, redis_client

log = logging.getLogger(__name__)


def limit_hit(*, name: str, key: str) -> bool:
    """Count one event of ``key`` against the limit in setting ``name``; True when over it.

    An event over the limit is not counted, so a client that keeps trying is let through
    again as soon as its earlier events leave the window.
    """
    if settings.RATELIMIT_STORAGE_URL.startswith("memory://"):
        return _hit_in_memory(name=name, key=key)
    return limits_first_hit(limits=[(name, key)]) is not None


def _hit_in_memory(*, name: str, key: str) -> bool:
    """``limit_hit`` through the library itself, for the in-process storage of the
    embedded default (no Redis, so no script)."""
    limiter = _limiter(settings.RATELIMIT_STORAGE_URL)
    hashed = _hashed(key)
    try:
        return not all(limiter.hit(item, name, hashed) for item in _items(getattr(settings, name)))
    except (StorageError, RedisError, OSError) as error:
        log.warning("Rate limit %s not checked, letting the request through: %s", name, error)
        return False


# The moving window of `limits` (its acquire_moving_window.lua, one entry at a time) over
# several windows: each is a list of the times of its recent events, newest first. The
# first full window stops the count and is returned (1-based); 0 when every one had room.
_ACQUIRE_IN_ORDER = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local expiry = tonumber(ARGV[2 * i + 1])
  local oldest = redis.call('LINDEX', key, limit - 1)
  if oldest and tonumber(oldest) >= now - expiry then
    return i
  end
  redis.call('LPUSH', key, now)
  redis.call('LTRIM', key, 0, limit - 1)
  redis.call('EXPIRE', key, expiry)
end
return 0
"""


def limits_first_hit(*, limits: Sequence[tuple[str, str]]) -> int | None:
    """Count one event against each ``(setting name, key)`` in order, stopping at the
    first limit that is over; its index, or None when none is.

    The same as calling ``limit_hit`` for each in turn until one says True, in one round
    trip to Redis: the limits after the one that is over are not counted.
    """
    url = settings.RATELIMIT_STORAGE_URL
    if url.startswith("memory://"):
        hits = (i for i, (name, key) in enumerate(limits) if _hit_in_memory(name=name, key=key))
        return next(hits, None)
    windows = [
        (index, item, f"{settings.RATELIMIT_KEY_PREFIX}:{item.key_for(name, _hashed(key))}")
        for index, (name, key) in enumerate(limits)
        for item in _items(getattr(settings, name))
    ]
    keys = [window_key for _index, _item, window_key in windows]
    args: list[float | int] = [time.time()]
    for _index, item, _key in windows:
        args += [item.amount, item.get_expiry()]
    try:
        full = breaker_call(url, lambda client: _acquire_script(url)(keys, args, client=client))
    except (RedisError, OSError) as error:
        names = ", ".join(name for name, _key in limits)
        noun = "Rate limit" if len(limits) == 1 else "Rate limits"
        log.warning("%s %s not checked, letting the request through: %s", noun, names, error)
        return None
    return windows[int(full) - 1][0] if full else None


@cache
def _acquire_script(url: str) -> Script:
    return redis_client(url).register_script(_ACQUIRE_IN_ORDER)


def _hashed(key: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"limit:{key}".encode(), hashlib.sha256)
    return digest.hexdigest()[:24]


@cache
def _items(text: str) -> list[RateLimitItem]:
    return parse_many(text)


@cache
def _limiter(url: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage(url))


def _storage(url: str) -> Storage:
    if url.startswith("memory://"):
        storage = storage_from_string(url)
    else:
        timeout = settings.REDIS_TIMEOUT_SECONDS
        storage = storage_from_string(
            url,
            key_prefix=settings.RATELIMIT_KEY_PREFIX,
            wrap_exceptions=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    assert isinstance(storage, Storage)
    return storage
