"""The Redis cache, behind the circuit breaker of mailing.breaker.

Nothing in the cache is needed to serve a page: when Redis is down or hung, every call
behaves like a miss on an empty cache instead of raising, and after the first failure
the server is skipped for REDIS_BREAKER_SECONDS, so a page waits for at most one socket
timeout. What callers see meanwhile:

- ``get`` returns the default, ``get_many`` nothing, ``has_key`` False: pages are built
  from the database.
- ``add`` returns True, as on an empty cache. allauth takes its rate-limit lock with
  ``add`` (and waits a second, then refuses the login, when ``add`` says False): so
  logins keep working, without rate limits, while Redis is away. Our throttles that
  ``add`` before queueing a task then try the broker, and ``mailing.tasks.enqueue``
  skips a broker on the same server through the same breaker.
- ``set``, ``delete``, ``touch`` store nothing; ``incr`` raises ValueError, like a
  missing key.
"""

import functools
import re
from collections.abc import Callable
from typing import Any, Concatenate

from django.core.cache.backends.redis import RedisCache

from mailing.breaker import UNAVAILABLE, Breaker, breaker_for


def _guarded[**P, R](
    method: Callable[Concatenate[RedisCache, P], R], fallback: Callable[P, R]
) -> Callable[Concatenate[RedisCache, P], R]:
    @functools.wraps(method)
    def guarded(self: RedisCache, *args: P.args, **kwargs: P.kwargs) -> R:
        breaker: Breaker = self.breaker  # type: ignore[attr-defined]
        if breaker.is_open:
            return fallback(*args, **kwargs)
        try:
            result = method(self, *args, **kwargs)
        except UNAVAILABLE as error:
            breaker.failed(error)
            return fallback(*args, **kwargs)
        breaker.succeeded()
        return result

    return guarded


def _true(*args: Any, **kwargs: Any) -> bool:
    return True


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def _default(key: Any, default: Any = None, version: Any = None) -> Any:
    return default


def _no_values(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    return {}


def _all_failed(data: dict[Any, Any], *args: Any, **kwargs: Any) -> list[Any]:
    return list(data)


def _not_found(key: Any, *args: Any, **kwargs: Any) -> int:
    raise ValueError(f"Key {key!r} not found: Redis is unavailable.")


class BreakerRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        # Writes go to the first server; one breaker for the cache is enough.
        self.breaker = breaker_for(re.split("[;,]", server)[0])

    add = _guarded(RedisCache.add, _true)
    get = _guarded(RedisCache.get, _default)
    set = _guarded(RedisCache.set, _nothing)
    touch = _guarded(RedisCache.touch, _false)
    delete = _guarded(RedisCache.delete, _false)
    get_many = _guarded(RedisCache.get_many, _no_values)
    has_key = _guarded(RedisCache.has_key, _false)
    incr = _guarded(RedisCache.incr, _not_found)
    set_many = _guarded(RedisCache.set_many, _all_failed)
    delete_many = _guarded(RedisCache.delete_many, _nothing)
    clear = _guarded(RedisCache.clear, _nothing)
