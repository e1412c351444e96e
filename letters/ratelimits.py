"""Rate limits: moving windows kept in Redis through the `limits` library.

Every limit of the site goes through ``limit_hit``. A limit is the name of a setting that
holds it in the library's notation ("10/minute;60/hour"), so operators tune it from the
environment and tests from ``settings``. Keys are hashed with the SECRET_KEY before they
reach Redis: no IP address or email address is stored there.

A limiter that cannot reach Redis lets the request through and logs a WARNING: a broken
limiter must never stop people from signing (docs/security.md).
"""

import hashlib
import hmac
import logging
from functools import cache

from django.conf import settings
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def limit_hit(*, name: str, key: str) -> bool:
    """Count one event of ``key`` against the limit in setting ``name``; True when over it.

    An event over the limit is not counted, so a client that keeps trying is let through
    again as soon as its earlier events leave the window.
    """
    limiter = _limiter(settings.RATELIMIT_STORAGE_URL)
    hashed = _hashed(key)
    try:
        return not all(limiter.hit(item, name, hashed) for item in _items(getattr(settings, name)))
    except (StorageError, RedisError, OSError) as error:
        log.warning("Rate limit %s not checked, letting the request through: %s", name, error)
        return False


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
