from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from redis.connection import AbstractConnection

from mailing.breaker import breakers_reset
from signatories.live import memo_forget_all


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher() -> Iterator[None]:
    """Hashing with MD5 keeps the suite fast; production keeps Django's default hashers."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _no_public_read_memo() -> Iterator[None]:
    """Each read asks Redis, so a test sees a change in the very next answer; the tests of
    the memo (tests/embeds/test_read_memo.py) turn it on."""
    with override_settings(PUBLIC_READ_MEMO_SECONDS=0):
        yield


@pytest.fixture(scope="session", autouse=True)
def _empty_broker() -> None:
    """Start from an empty broker so no message of an earlier run reaches a test worker."""
    if settings.CELERY_BROKER_URL.startswith("redis"):
        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Counters and rate limits live in Redis; each test starts with none, and with no
    Redis server skipped after an earlier test's failure; and with no page kept in the
    process (letters/pagecache.py)."""
    from letters.pagecache import page_forget_all
    from signatories.figures import figures_forget_all

    breakers_reset()
    figures_forget_all()
    cache.clear()
    page_forget_all()
    memo_forget_all()


class RoundTrips(list[bytes]):
    """What redis-py sends to any Redis server, one entry per round trip (the start of
    each); the commands still run."""

    @property
    def sent(self) -> list[bytes]:
        return self


@pytest.fixture
def redis_round_trips(monkeypatch) -> RoundTrips:
    trips = RoundTrips()
    real = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        first = command[0] if isinstance(command, list | tuple) else command
        trips.append(bytes(first)[:60])
        return real(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return trips
