"""Scale-out proof: two web servers and two Celery workers, one PostgreSQL, one Redis.

Each process is started as it would run on its own machine (tests/servers.py): nothing is
shared between them but the database, Redis and the mail server. Signers come through one
trusted proxy (TRUSTED_PROXY_COUNT=1) from many client networks, so the production rate
limits apply; they sign on both servers alternately, the two workers mail the
confirmations to one SMTP sink while outbox sweeps race the after-commit kicks, and the
confirmers follow the mailed links on both servers, some twice at once. Then:
nothing lost, nothing sent twice, and the count exact.
"""

import email
import email.policy
import http.client
import itertools
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import redis
from django.conf import settings

from config.celery import app as celery_app
from letters.models import Letter
from signatories import counters
from signatories.models import OutboxMessage, Signature
from tests.factories import form_data, make_letter
from tests.security.smtp_sink import SmtpSink, smtp_sink
from tests.servers import celery_process, free_port, site_env, web_process

# Three letters, each signed below the per-letter pace that switches the proof of work on
# (CHALLENGE_LETTER_PER_MINUTE, 60): the defences stay as in production and out of the way.
LETTERS = 3
SIGNERS_PER_LETTER = 16
CONCURRENCY = 8


class Browser:
    """One visitor: its own cookies, its own address behind the proxy, no JavaScript."""

    def __init__(self, port: int, client_ip: str) -> None:
        self.port, self.client_ip = port, client_ip
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict[str, str] | None = None):
        headers = {"X-Forwarded-For": self.client_ip, "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        payload = None
        if body is not None:
            payload = urlencode(body)
            origin = f"http://127.0.0.1:{self.port}"
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
            headers |= {"Sec-Fetch-Site": "same-origin"}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            html = response.read().decode()
        finally:
            connection.close()
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        self.cookies |= {name: morsel.value for name, morsel in jar.items()}
        return response.status, html

    def submit(self, path: str, page: str, fields: dict[str, str]):
        """POST a form of `page` to `path`, with the CSRF token the page carries, if any."""
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        extra = {"csrfmiddlewaretoken": token.group(1)} if token else {}
        return self.request("POST", path, fields | extra)


def _sign(port: int, number: int, letter: Letter) -> str | None:
    """Sign as a new visitor from its own network; the address when the site accepted it."""
    browser = Browser(port, f"198.{number // 200}.{number % 200}.7")
    status, page = browser.request("GET", f"/letters/{letter.slug}/")
    assert status == 200
    address = f"signer{number}@example.org"
    fields = form_data(name=f"Signer {number}", email=address, consent="on", show_name="on")
    status, answer = browser.submit(f"/letters/{letter.slug}/sign/", page, fields)
    return address if status == 200 and address in answer else None


def _confirm(port: int, number: int, path: str) -> int:
    """Open the mailed link, then press its button; the status of the answer."""
    browser = Browser(port, f"203.0.{number % 250}.9")
    status, page = browser.request("GET", path)
    assert status == 200, page
    return browser.submit(path, page, {})[0]


def _mailed_links(sink: SmtpSink) -> list[tuple[str, str]]:
    """(recipient, confirmation path) of every message the sink received."""
    links = []
    for raw in list(sink.messages):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        url = next(word for word in text.split() if "/confirm/" in word)
        links.append((str(message["To"]), urlsplit(url).path))
    return links


@pytest.fixture
def sweeps() -> Iterator[None]:
    """Outbox sweeps queued every half second, as beat would under a slow broker: each one
    races the kicks sent after commit for the same rows."""
    stop = threading.Event()

    def sweep() -> None:
        while not stop.wait(0.5):
            celery_app.send_task("signatories.tasks.outbox_sweep", queue="mail")

    thread = threading.Thread(target=sweep, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=5)


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_two_servers_and_two_workers_lose_nothing_send_nothing_twice_and_count_exactly(
    transactional_db, tmp_path: Path, sweeps: None
) -> None:
    letters = [make_letter() for _ in range(LETTERS)]
    with smtp_sink() as sink:
        mail = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port)}
        env = site_env(tmp_path, TRUSTED_PROXY_COUNT="1", EMAIL_USE_TLS="false", **mail)
        env.pop("EMAIL_BACKEND", None)
        ports = [free_port(), free_port()]
        site = {"SITE_URL": f"http://127.0.0.1:{ports[0]}"}
        logs = {name: tmp_path / f"{name}.log" for name in ("web1", "web2", "one", "two")}
        with (
            web_process(env, port=ports[0], log=logs["web1"], wait=False) as web1,
            web_process(env, port=ports[1], log=logs["web2"], wait=False) as web2,
            celery_process(env | site, name="one", log=logs["one"], beat=True, wait=False) as one,
            celery_process(env | site, name="two", log=logs["two"], wait=False) as two,
            ThreadPoolExecutor(CONCURRENCY) as pool,
        ):
            for process in (web1, web2, one, two):
                process.wait()
            jobs = list(enumerate(itertools.product(range(SIGNERS_PER_LETTER), letters), start=1))
            accepted = [
                address
                for address in pool.map(
                    lambda job: _sign(ports[job[0] % 2], job[0], job[1][1]), jobs
                )
                if address
            ]
            assert len(accepted) == LETTERS * SIGNERS_PER_LETTER

            assert _wait_for(lambda: len(sink.messages) >= len(accepted), 60), (
                f"{len(sink.messages)} of {len(accepted)} confirmation emails arrived"
            )
            # Time for a duplicate to show up: several more sweeps and kicks go by.
            time.sleep(3)
            links = _mailed_links(sink)
            # Every other link is followed twice at the same moment, once on each server
            # (a double click, or a mail client that opens links twice): neighbours in the
            # list run together and go to different servers.
            paths = []
            for number, (_, path) in enumerate(links):
                paths += [path, path] if number % 2 == 0 else [path]
            tasks = list(enumerate(paths))
            answers = list(pool.map(lambda t: _confirm(ports[t[0] % 2], t[0], t[1]), tasks))

        # Both workers took part: each ran tasks (sends, sweeps) of this test.
        assert all(" succeeded in " in logs[name].read_text() for name in ("one", "two"))
        mailed = Counter(recipient for recipient, _ in links)
        assert set(mailed) == set(accepted)  # nothing lost
        assert set(mailed.values()) == {1}  # nothing sent twice
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        assert answers == [200] * len(tasks)  # "confirmed" or, the second time, "already"

        store = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        for letter in letters:
            confirmed = Signature.objects.filter(
                letter=letter, status=Signature.Status.CONFIRMED
            ).count()
            live = store.hget(counters._key(letter.pk), "all")
            assert confirmed == SIGNERS_PER_LETTER
            assert live is not None and int(live) == confirmed
