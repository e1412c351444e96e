"""A sick Redis never takes pages down, and a bad count is never a 500.

The hung-Redis tests start a private ``redis-server`` on a free port and stop it with
SIGSTOP: connections are accepted by the kernel but never answered, the worst case for a
client. The only timing asserted is the bound the issue demands (pages answer well within
the socket timeouts they would otherwise wait for), kept generous.
"""

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings as django_settings
from django.urls import reverse

from letters.models import Letter
from mailing import breaker
from signatories import counters, tasks
from signatories.models import Signature
from tests.factories import make_letter, make_member, make_signature, make_user

pytestmark = pytest.mark.django_db

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
TIMEOUT = 2.0  # seconds: each Redis call of a page would wait this long without the breaker


@dataclass
class PrivateRedis:
    process: subprocess.Popen[bytes]
    client: redis.Redis

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:
    """A redis-server of this test's own, used as the cache and for the counts."""
    port = _free_port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port, socket_timeout=TIMEOUT, decode_responses=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}/0"
        settings.REDIS_URL = url
        settings.REDIS_TIMEOUT_SECONDS = TIMEOUT
        settings.CACHES = {
            "default": {
                **django_settings.CACHES["default"],
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT},
            }
        }
        yield PrivateRedis(process, client)
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
        process.wait()


@pytest.fixture
def letters() -> list[Letter]:
    """A few published letters with one signature each; the first has an organizer."""
    letters = [make_letter(goal=100) for _ in range(4)]
    for letter in letters:
        make_signature(letter=letter)
    organizer = make_user(email="organizer@example.org", password="a-long-password")
    make_member(letter=letters[0], user=organizer)
    return letters


def _pages(letter: Letter) -> list[str]:
    return [
        letter.get_absolute_url(),
        reverse("letters:index"),
        reverse("embeds:api-detail", args=[letter.slug]),
        reverse("embeds:api-list"),
        reverse("embeds:widget", args=[letter.slug]),
        reverse("account_login"),
    ]


def test_pages_answer_at_once_while_redis_hangs(client, private_redis, letters) -> None:
    letter = letters[0]
    private_redis.stop()
    started = time.monotonic()
    for _ in range(2):
        for url in _pages(letter):
            response = client.get(url)
            assert response.status_code == 200, url
    elapsed = time.monotonic() - started
    # Twelve page loads: without the breaker each would wait at least one timeout (most of
    # them several); with it only the first does.
    assert elapsed < 4 * TIMEOUT
    assert (
        client.get(reverse("embeds:api-detail", args=[letter.slug])).json()["signature_count"] == 1
    )


def test_an_organizer_can_log_in_while_redis_hangs(client, private_redis, letters) -> None:
    private_redis.stop()
    response = client.post(
        reverse("account_login"),
        {"login": "organizer@example.org", "password": "a-long-password"},
    )
    assert response.status_code == 302
    dashboard = client.get(reverse("signatories:dashboard"))
    assert dashboard.status_code == 200
    assert letters[0].title in dashboard.content.decode()


def test_the_site_uses_redis_again_once_it_answers(
    client, private_redis, letters, monkeypatch
) -> None:
    letter = letters[0]
    private_redis.stop()
    assert client.get(letter.get_absolute_url()).status_code == 200
    private_redis.resume()
    assert client.get(letter.get_absolute_url()).status_code == 200
    assert private_redis.client.keys("*sigcount*") == []  # still skipped: the breaker is open
    later = time.monotonic() + django_settings.REDIS_BREAKER_SECONDS + 1
    monkeypatch.setattr(breaker, "_now", lambda: later)
    assert client.get(letter.get_absolute_url()).status_code == 200
    assert private_redis.client.hget(counters._key(letter.pk), "all") == "1"
    assert private_redis.client.keys("*letterfacts*")
    assert private_redis.client.keys("*letter-showcase*")


def test_a_corrupted_count_in_redis_is_rebuilt_not_a_500(client, private_redis, letters) -> None:
    letter = letters[0]
    key = counters._key(letter.pk)
    private_redis.client.hset(key, mapping={"all": "abc", "hidden": "0"})
    before = sorted(Signature.objects.values_list("pk", "status"))
    assert client.get(letter.get_absolute_url()).status_code == 200
    assert client.get(reverse("letters:index")).status_code == 200
    assert private_redis.client.hget(key, "all") == "1"
    assert sorted(Signature.objects.values_list("pk", "status")) == before


def test_reconciliation_goes_on_past_a_letter_it_cannot_reconcile(
    private_redis, letters, monkeypatch, caplog
) -> None:
    first, second, third = letters[:3]
    private_redis.client.hset(counters._key(first.pk), mapping={"all": "abc", "hidden": "x"})
    private_redis.client.hset(counters._key(third.pk), mapping={"all": "999", "hidden": "0"})
    reconcile = counters.counts_reconcile

    def broken_for_the_second(*, letter_id: int) -> counters.Counts:
        if letter_id == second.pk:
            raise RuntimeError("injected fault")
        return reconcile(letter_id=letter_id)

    monkeypatch.setattr(counters, "counts_reconcile", broken_for_the_second)
    with caplog.at_level(logging.ERROR, logger="signatories.tasks"):
        tasks.counts_reconcile.run()
    assert private_redis.client.hget(counters._key(first.pk), "all") == "1"
    assert private_redis.client.hget(counters._key(third.pk), "all") == "1"
    assert f"Could not reconcile the count of letter {second.pk}" in caplog.text
