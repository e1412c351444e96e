from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from redis.connection import AbstractConnection


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    """Share cards are written to default storage; each test gets its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """The real Redis broker, emptied, to see which tasks were queued."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()


class RoundTrips(list):
    """What redis-py sends to any Redis server, one entry per round trip."""


@pytest.fixture
def redis_round_trips(monkeypatch) -> RoundTrips:
    trips = RoundTrips()
    real = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        trips.append(command)
        return real(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return trips
