"""Bots on the public forms: honeypot, time stamp and proof of work (docs/security.md).

Every attack here gets the answer a person gets ("check your inbox"), or for the proof of
work a clear form error, and leaves the database and the mail as they were.
"""

import logging
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis
import time_machine
from altcha import Challenge, Payload, solve_challenge
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from letters.models import Letter
from signatories import outbox as signer_outbox
from signatories.forms import form_stamp
from signatories.models import OutboxMessage, Signature
from tests.factories import (
    answer_without_secrets,
    form_data,
    is_check_inbox,
    make_letter,
    make_member_user,
    make_signature,
    sign_data,
)

pytestmark = pytest.mark.django_db

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REFUSED = "Complete the check that you are a person"


def sign_url(letter: Letter) -> str:
    return reverse("signatories:sign", args=[letter.slug])


def stamp_of(html: str) -> str:
    match = re.search(r'name="stamp" value="([^"]+)"', html)
    assert match, "the form has no stamp"
    return match.group(1)


def assert_nothing_stored_or_mailed() -> None:
    assert Signature.objects.count() == 0
    assert OutboxMessage.objects.count() == 0
    signer_outbox.outbox_drain()
    assert mail.outbox == []


def solved(client: Client) -> str:
    """What the widget posts: a challenge from our endpoint, solved as a browser would."""
    challenge = Challenge.from_dict(client.get(reverse("signatories:challenge")).json())
    solution = solve_challenge(challenge, timeout=10)
    assert solution is not None
    return Payload(challenge, solution).to_base64()


# Honeypot and time stamp ---------------------------------------------------------------


def test_a_bot_that_fills_the_honeypot_stores_and_mails_nothing_but_sees_the_same_page(client):
    letter = make_letter()
    response = client.post(sign_url(letter), sign_data(website="http://spam.example"))
    assert is_check_inbox(response)
    assert_nothing_stored_or_mailed()


def test_a_bot_that_posts_faster_than_a_person_can_fill_the_form_stores_and_mails_nothing(
    client, settings
):
    settings.MIN_FILL_SECONDS = 3
    letter = make_letter()
    response = client.post(sign_url(letter), sign_data(stamp=form_stamp(at=time.time() - 1)))
    assert is_check_inbox(response)
    assert_nothing_stored_or_mailed()


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("1700000000", id="unsigned"),
        pytest.param(form_stamp(at=time.time() - 60)[:-2] + "xx", id="tampered"),
        pytest.param(form_stamp(at=time.time() - 3 * 24 * 3600), id="expired"),
    ],
)
def test_a_bot_that_forges_drops_or_reuses_an_old_stamp_stores_and_mails_nothing(client, stamp):
    letter = make_letter()
    response = client.post(sign_url(letter), sign_data(stamp=stamp))
    assert is_check_inbox(response)
    assert_nothing_stored_or_mailed()


def test_a_bot_gets_exactly_the_page_a_person_gets(client):
    letter = make_letter()
    bot = client.post(sign_url(letter), sign_data(email="bot@example.org", website="x"))
    person = client.post(sign_url(letter), sign_data(email="ada@example.org"))
    assert is_check_inbox(bot) and is_check_inbox(person)
    assert answer_without_secrets(bot, email="bot@example.org") == answer_without_secrets(
        person, email="ada@example.org"
    )
    assert Signature.objects.get().email == "ada@example.org"


def test_a_person_who_takes_a_few_seconds_signs_without_javascript(client, settings):
    settings.MIN_FILL_SECONDS = 3
    letter = make_letter()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        html = client.get(letter.get_absolute_url()).content.decode()
        traveller.shift(timedelta(seconds=4))
        response = client.post(sign_url(letter), sign_data(stamp=stamp_of(html)))
        signer_outbox.outbox_drain()
    assert is_check_inbox(response)
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert [message.to for message in mail.outbox] == [["ada@example.org"]]


def test_the_traps_are_out_of_sight_out_of_reach_and_hidden_from_screen_readers(client):
    html = client.get(make_letter().get_absolute_url()).content.decode()
    trap = re.search(r'<div class="form-extra" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap, "the honeypot is not wrapped out of sight"
    assert 'name="website"' in trap.group(1)
    assert 'tabindex="-1"' in trap.group(1)
    assert 'autocomplete="off"' in trap.group(1)
    # The stamp is a bare hidden input, not a labelled field group.
    assert re.search(r'<input type="hidden" name="stamp" value="[^"]+" id="id_stamp">', html)
    assert 'for="id_stamp"' not in html
    # Without a challenge, signing needs no script: no widget, no ALTCHA script.
    assert "altcha" not in html


def test_a_bot_cannot_use_the_new_link_form_to_mail_a_pending_signer(client):
    letter = make_letter()
    make_signature(letter=letter, email="ada@example.org", status=Signature.Status.PENDING)
    url = reverse("signatories:resend", args=[letter.slug])
    for trapped in (
        form_data(email="ada@example.org", website="x"),
        form_data(email="ada@example.org", stamp=form_stamp()),
        form_data(email="ada@example.org", stamp=None),
    ):
        response = client.post(url, trapped)
        assert is_check_inbox(response)
    assert OutboxMessage.objects.count() == 0
    assert client.post(url, form_data(email="ada@example.org")).status_code == 200
    assert OutboxMessage.objects.count() == 1


def test_a_bot_cannot_use_the_withdrawal_form_to_mail_a_signer(client):
    letter = make_letter()
    make_signature(letter=letter, email="ada@example.org")
    url = reverse("signatories:withdraw-request", args=[letter.slug])
    for trapped in (
        form_data(email="ada@example.org", website="x"),
        form_data(email="ada@example.org", stamp=form_stamp()),
        form_data(email="ada@example.org", stamp="forged"),
    ):
        response = client.post(url, trapped)
        assert is_check_inbox(response, template="signatories/withdraw_sent.html")
    assert OutboxMessage.objects.count() == 0
    assert client.post(url, form_data(email="ada@example.org")).status_code == 200
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize("name", ["signatories:resend", "signatories:withdraw-request"])
def test_the_new_link_and_withdrawal_forms_carry_the_same_traps(client, name):
    letter = make_letter()
    html = client.get(reverse(name, args=[letter.slug])).content.decode()
    assert '<div class="form-extra" aria-hidden="true">' in html
    assert stamp_of(html)


# Proof of work --------------------------------------------------------------------------


def test_a_burst_from_one_network_switches_the_challenge_on_for_that_network(client, settings):
    settings.CHALLENGE_NETWORK_BURST = 3
    letter = make_letter()
    for n in range(3):
        response = client.post(
            sign_url(letter), sign_data(email=f"s{n}@example.org"), REMOTE_ADDR=f"203.0.113.{n}"
        )
        assert is_check_inbox(response)

    # A fourth from the same /24 must prove work; the refusal says so and stores nothing.
    response = client.post(
        sign_url(letter), sign_data(email="fourth@example.org"), REMOTE_ADDR="203.0.113.200"
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert "<altcha-widget" in response.content.decode()
    assert Signature.objects.count() == 3
    assert OutboxMessage.objects.count() == 3
    page = client.get(letter.get_absolute_url(), REMOTE_ADDR="203.0.113.9").content.decode()
    assert "<altcha-widget" in page

    # Another network still signs without JavaScript.
    other = client.post(
        sign_url(letter), sign_data(email="o@example.org"), REMOTE_ADDR="198.51.100.7"
    )
    assert is_check_inbox(other)
    assert "<altcha-widget" not in client.get(letter.get_absolute_url()).content.decode()


def test_a_burst_on_one_letter_switches_the_challenge_on_for_every_signer(client, settings):
    settings.CHALLENGE_LETTER_PER_MINUTE = 3
    letter, quiet = make_letter(), make_letter()
    for n in range(3):
        client.post(
            sign_url(letter), sign_data(email=f"s{n}@example.org"), REMOTE_ADDR=f"10.{n}.0.1"
        )
    response = client.post(
        sign_url(letter), sign_data(email="late@example.org"), REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert not Signature.objects.filter(email="late@example.org").exists()
    assert is_check_inbox(client.post(sign_url(quiet), sign_data(), REMOTE_ADDR="192.0.2.1"))


def test_a_post_with_a_solved_challenge_signs(client):
    letter = make_letter(require_challenge=True)
    response = client.post(sign_url(letter), sign_data(altcha=solved(client)))
    assert is_check_inbox(response)
    assert Signature.objects.get().email == "ada@example.org"


def test_a_replayed_solution_is_refused_and_stores_nothing(client):
    letter = make_letter(require_challenge=True)
    payload = solved(client)
    assert is_check_inbox(client.post(sign_url(letter), sign_data(altcha=payload)))

    again = client.post(sign_url(letter), sign_data(email="bob@example.org", altcha=payload))
    assert again.status_code == 400
    assert REFUSED in again.content.decode()
    assert list(Signature.objects.values_list("email", flat=True)) == ["ada@example.org"]
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize("forge", ["garbage", "wrong_answer", "unsigned"])
def test_a_forged_solution_is_refused_and_stores_nothing(client, forge):
    letter = make_letter(require_challenge=True)
    payload = Payload.from_base64(solved(client))
    if forge == "wrong_answer":
        payload.solution.derived_key = "00" * 32
    if forge == "unsigned":
        payload.challenge.signature = None
    data = "not base64 at all" if forge == "garbage" else payload.to_base64()
    response = client.post(sign_url(letter), sign_data(altcha=data))
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert_nothing_stored_or_mailed()


def test_an_expired_solution_is_refused_and_stores_nothing(client, settings):
    letter = make_letter(require_challenge=True)
    payload = solved(client)
    with time_machine.travel(time.time() + settings.ALTCHA_EXPIRES_SECONDS + 5):
        response = client.post(sign_url(letter), sign_data(altcha=payload))
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert_nothing_stored_or_mailed()


def test_the_challenge_endpoint_sets_no_cookie_and_is_never_cached(client):
    response = client.get(reverse("signatories:challenge"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]
    assert set(response.json()) == {"parameters", "signature"}
    assert client.post(reverse("signatories:challenge")).status_code == 405


def test_only_editors_can_require_the_challenge_and_then_every_signer_must_pass_it(client):
    letter = make_letter(slug="guarded")
    fields = {"title": letter.title, "slug": letter.slug, "body": letter.body, "language": "en",
              "organizer_name": letter.organizer_name, "require_challenge": "on"}  # fmt: skip
    edit = reverse("organize:letter-edit", args=[letter.slug])

    client.force_login(make_member_user(letter=letter, role="viewer"))
    assert client.post(edit, fields).status_code == 403
    letter.refresh_from_db()
    assert letter.require_challenge is False

    client.force_login(make_member_user(letter=letter, role="editor"))
    assert client.get(edit).status_code == 200
    assert client.post(edit, fields).status_code == 302
    letter.refresh_from_db()
    assert letter.require_challenge is True

    visitor = Client()
    page = visitor.get(letter.get_absolute_url()).content.decode()
    assert "<altcha-widget" in page
    assert "vendor/altcha/altcha.min.js" in page
    response = visitor.post(sign_url(letter), sign_data())
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert_nothing_stored_or_mailed()


# Faults -----------------------------------------------------------------------------------


@pytest.fixture
def private_redis(settings) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own, as the cache; the test may kill it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"}
        }
        yield server
    finally:
        server.kill()
        server.wait()


def test_a_dead_cache_neither_stops_signing_nor_lets_a_burst_switch_the_check_on(
    client, settings, private_redis, caplog
):
    settings.CHALLENGE_NETWORK_BURST = 1
    letter = make_letter()
    assert is_check_inbox(client.post(sign_url(letter), sign_data(email="a@example.org")))
    private_redis.kill()
    private_redis.wait()

    with caplog.at_level(logging.WARNING, logger="signatories.challenge"):
        response = client.post(sign_url(letter), sign_data(email="b@example.org"))
    assert is_check_inbox(response)
    assert Signature.objects.count() == 2
    # The circuit breaker in front of the cache says so once, for every use of the cache.
    assert "skipping it for" in caplog.text
