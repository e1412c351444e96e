"""A circuit breaker for Redis: after one failure, skip that server for a while.

Redis holds only what the database can rebuild (counts, cached pages, throttles, the
queue), so every caller has a fallback. A Redis that refuses connections fails fast, but
one that hangs (a stopped process, a full network buffer) costs a whole socket timeout on
every call. The breaker turns that into one slow call per process and per
``REDIS_BREAKER_SECONDS``: after it, callers skip the server at once and use their
fallback; the first call after the pause tries the server again.

The state is per process and per server (host and port): the cache, the counters and the
broker on one server open and close together.
"""

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# The errors that say the server is unreachable or hung, as opposed to a bad command.
UNAVAILABLE: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


def _now() -> float:
    return time.monotonic()


class BreakerOpen(RedisConnectionError):
    """Raised instead of calling a server whose breaker is open.

    A ConnectionError, so code that already falls back when Redis is down does so.
    """


class Breaker:
    def __init__(self, server: str) -> None:
        self.server = server
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return _now() < self._open_until

    def check(self) -> None:
        """Raise BreakerOpen while the server is being skipped."""
        if self.is_open:
            raise BreakerOpen(f"Redis at {self.server} is skipped after a failure")

    def failed(self, error: BaseException) -> None:
        seconds = settings.REDIS_BREAKER_SECONDS
        with self._lock:
            first = self._open_until == 0.0
            self._open_until = _now() + seconds
        name = f"{type(error).__name__}: {error}"
        if first:
            log.error(
                "Redis at %s failed (%s); skipping it for %s s: counts come from the "
                "database, caches and throttles are bypassed",
                self.server,
                name,
                seconds,
            )
        else:
            log.warning(
                "Redis at %s still fails (%s); skipping it for %s s", self.server, name, seconds
            )

    def succeeded(self) -> None:
        if self._open_until:
            with self._lock:
                self._open_until = 0.0
            log.warning("Redis at %s answers again; using it", self.server)

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


_breakers: dict[str, Breaker] = {}
# Every call looks its breaker up: by URL, without parsing it again.
_breakers_by_url: dict[str, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(url: str) -> Breaker:
    """The breaker of the server a Redis URL points at (its database number aside)."""
    known = _breakers_by_url.get(url)
    if known is not None:
        return known
    parts = urlsplit(url)
    server = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
    if parts.scheme == "unix":
        server = parts.path
    with _breakers_lock:
        breaker = _breakers_by_url[url] = _breakers.setdefault(server, Breaker(server))
        return breaker


def breakers_reset() -> None:
    """Close every breaker (tests, and after an operator fixed Redis in a shell)."""
    with _breakers_lock:
        for breaker in _breakers.values():
            breaker.reset()


@functools.cache
def redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per URL and process, with the short timeouts."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=settings.REDIS_TIMEOUT_SECONDS,
        socket_timeout=settings.REDIS_TIMEOUT_SECONDS,
        decode_responses=True,
    )


def redis_run[T](command: Callable[[redis.Redis], T]) -> T:
    """Run ``command`` on the client of REDIS_URL through that server's breaker.

    Raises a RedisError when Redis is down, hung or skipped after a recent failure; every
    caller then falls back to the database.
    """
    return breaker_call(settings.REDIS_URL, command)


def breaker_call[T](url: str, command: Callable[[redis.Redis], T]) -> T:
    """Run ``command`` on the Redis at ``url`` through that server's breaker (the rate
    limiter's and the cache's servers, which need not be REDIS_URL's).

    Raises BreakerOpen while the server is skipped, and lets the error through (after
    opening the breaker) when the server is down or hung: the caller falls back.
    """
    breaker = breaker_for(url)
    breaker.check()
    try:
        result = command(redis_client(url))
    except UNAVAILABLE as error:
        breaker.failed(error)
        raise
    breaker.succeeded()
    return result


_threads = threading.local()
# Packed commands kept per thread (two per letter read).
_PACKED_KEPT = 4096


def _thread_connection(client: redis.Redis) -> redis.connection.AbstractConnection:
    """This thread's own connection to the server of ``client``, made with its pool's
    settings (timeouts, decoding); a process forked from ours makes its own."""
    kept: dict[int, tuple[int, redis.connection.AbstractConnection]] = _threads.__dict__.setdefault(
        "connections", {}
    )
    pool = client.connection_pool
    pid, connection = kept.get(id(pool), (0, None))
    if connection is None or pid != os.getpid():
        connection = pool.connection_class(**pool.connection_kwargs)
        kept[id(pool)] = (os.getpid(), connection)
    return connection


def _packed(connection: redis.connection.AbstractConnection, commands: tuple[Any, ...]) -> Any:
    """The commands as sent: the hot reads send the same few again and again."""
    kept: dict[tuple[Any, ...], Any] = _threads.__dict__.setdefault("packed", {})
    packed = kept.get(commands)
    if packed is None:
        if len(kept) >= _PACKED_KEPT:
            kept.clear()
        packed = kept[commands] = connection.pack_commands(commands)
    return packed


def _send_reads(client: redis.Redis, commands: tuple[tuple[str, ...], ...]) -> list[Any]:
    connection = _thread_connection(client)
    for attempt in (1, 2):
        try:
            connection.send_packed_command(_packed(connection, commands))
            return [connection.read_response() for _ in commands]
        except redis.ConnectionError:
            # Closed since its last use (Redis restarted): reads are safe to send again.
            connection.disconnect()
            if attempt == 2:
                raise
        except BaseException:
            # Replies may be left unread: the next call starts on a new connection.
            connection.disconnect()
            raise
    raise AssertionError("unreachable")


def redis_read(*commands: tuple[str, ...]) -> list[Any]:
    """The raw replies of read-only ``commands``, sent to REDIS_URL in one round trip on a
    connection this thread keeps, through the server's breaker.

    For the reads made on every hit of the hottest URLs (signatories.counters): redis-py's
    client takes a connection from its pool, wraps the command in retries and metrics, and
    gives it back, which costs about three times what the round trip itself does. Replies
    are not converted by redis-py's callbacks: ask for lists (HMGET, not HGETALL).
    """
    return breaker_call(settings.REDIS_URL, lambda client: _send_reads(client, commands))
