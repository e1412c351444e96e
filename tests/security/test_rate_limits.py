"""The sign form as an email cannon, and organizer accounts as a spam source.

Each test is one attack. The signing limits are the production defaults unless the test
says otherwise (the pytest env does not raise them), so these tests also prove the
defaults. Limits live in Redis database 13-15 of the test run, emptied before each test.
"""

import logging
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from letters.models import Letter, LetterVersion
from signatories import outbox as signer_outbox
from signatories.models import OutboxMessage, Signature
from tests.factories import (
    answer_without_secrets,
    form_data,
    is_check_inbox,
    make_letter,
    make_member,
    make_signature,
    make_user,
    sign_data,
)
from tests.processes import PRODUCTION, settings_in_child

pytestmark = pytest.mark.django_db

HELD = Signature.Status.HELD
PENDING = Signature.Status.PENDING
NETWORK, LETTER, ADDRESS = "rate_limit_network", "rate_limit_letter", "rate_limit_address"


@pytest.fixture(autouse=True)
def _no_proof_of_work(settings):
    """A burst also switches the proof of work on (test_bot_forms.py proves that); these
    tests look at what the rate limits do to requests that get through it."""
    settings.CHALLENGE_NETWORK_BURST = 10**9
    settings.CHALLENGE_LETTER_PER_MINUTE = 10**9


def sign(letter: Letter, email: str, **meta: Any):
    """One sign POST, as a browser (or a script) sends it."""
    return Client().post(
        reverse("signatories:sign", args=[letter.slug]), sign_data(email=email), **meta
    )


def mailed(**filters: object) -> int:
    """How many emails the site queued for signers."""
    return OutboxMessage.objects.filter(**filters).count()


def test_one_client_cannot_make_the_site_mail_more_than_ten_addresses_a_minute():
    letter = make_letter()
    answers = [sign(letter, f"victim{n}@example.org", REMOTE_ADDR="203.0.113.9") for n in range(40)]

    assert all(is_check_inbox(answer) for answer in answers)
    pages = {
        answer_without_secrets(answer, email=f"victim{n}@example.org")
        for n, answer in enumerate(answers)
    }
    assert len(pages) == 1
    assert mailed() == 10
    assert Signature.objects.filter(status=PENDING).count() == 10
    held = Signature.objects.filter(status=HELD)
    assert held.count() == 30
    assert set(held.values_list("hold_reason", "status_before_moderation", "moderation")) == {
        (NETWORK, PENDING, None)
    }
    assert not OutboxMessage.objects.filter(signature__in=held).exists()
    signer_outbox.outbox_drain()
    assert len(mail.outbox) == 10


def test_a_client_over_its_limit_sees_the_same_check_your_inbox_page():
    letter = make_letter()
    for n in range(10):
        sign(letter, f"person{n}@example.org", REMOTE_ADDR="203.0.113.9")
    within = Client().post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(email="within@example.org"),
        REMOTE_ADDR="198.51.100.1",
        follow=True,
    )
    over = Client().post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(email="over@example.org"),
        REMOTE_ADDR="203.0.113.9",
        follow=True,
    )

    assert Signature.objects.get(email_normalized="over@example.org").status == HELD
    assert Signature.objects.get(email_normalized="within@example.org").status == PENDING
    assert is_check_inbox(over) and is_check_inbox(within)
    assert answer_without_secrets(over, email="over@example.org") == answer_without_secrets(
        within, email="within@example.org"
    )


def test_signing_again_over_the_limit_cannot_hold_someone_elses_signature():
    letter = make_letter()
    confirmed = make_signature(letter=letter, email="known@example.org")
    for n in range(10):
        sign(letter, f"filler{n}@example.org", REMOTE_ADDR="203.0.113.9")
    before = mailed()

    response = sign(letter, "Known@Example.org", REMOTE_ADDR="203.0.113.9")

    assert is_check_inbox(response)
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.hold_reason) == (Signature.Status.CONFIRMED, "")
    assert mailed() == before


def test_one_network_cannot_spread_its_signatures_over_its_24_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    letter = make_letter()

    for n in range(1, 36):
        # The leftmost entry is written by the client and changes every time: it is ignored.
        forwarded = f"192.0.2.{n}, 203.0.113.{n}"
        sign(letter, f"p{n}@example.org", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    sign(
        letter,
        "neighbour@example.org",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.77, 198.51.100.4",
    )

    assert mailed() == 31  # 30 from 203.0.113.0/24, one from another network
    assert Signature.objects.filter(status=HELD, hold_reason=NETWORK).count() == 5
    assert Signature.objects.get(email_normalized="neighbour@example.org").status == PENDING


def test_a_spoofed_forwarded_for_entry_does_not_give_a_client_a_fresh_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    letter = make_letter()

    for n in range(12):
        forwarded = f"198.18.{n}.1, 203.0.113.9"
        sign(letter, f"p{n}@example.org", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert mailed() == 10
    assert Signature.objects.filter(status=HELD).count() == 2


def test_one_ipv6_host_cannot_rotate_addresses_within_its_64(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    letter = make_letter()

    for n in range(1, 13):
        forwarded = f"2001:db8:1:2::{n:x}"
        sign(letter, f"p{n}@example.org", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    sign(
        letter,
        "next-door@example.org",
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="2001:db8:1:3::1",
    )

    assert mailed() == 11  # ten from 2001:db8:1:2::/64, one from the next /64
    assert Signature.objects.filter(status=HELD).count() == 2
    assert Signature.objects.get(email_normalized="next-door@example.org").status == PENDING


def test_a_victim_address_gets_at_most_three_confirmation_mails_a_day_across_letters():
    letters = [make_letter() for _ in range(5)]
    victim = "victim@example.org"

    for n, letter in enumerate(letters):  # from five networks, within their own limits
        sign(letter, victim, REMOTE_ADDR=f"198.51.{n}.1")
    for n, letter in enumerate(letters):
        Client().post(
            reverse("signatories:resend", args=[letter.slug]),
            form_data(email=victim),
            REMOTE_ADDR=f"192.0.2.{n}",
        )
        Client().post(
            reverse("signatories:withdraw-request", args=[letter.slug]),
            form_data(email=victim),
            REMOTE_ADDR=f"192.0.2.{n}",
        )

    assert mailed(signature__email_normalized=victim) == 3
    signer_outbox.outbox_drain()
    assert [m.to for m in mail.outbox] == [[victim]] * 3
    held = Signature.objects.filter(email_normalized=victim, status=HELD)
    assert set(held.values_list("hold_reason", flat=True)) == {ADDRESS}
    assert held.count() == 2


def test_a_letter_takes_at_most_its_limit_of_signatures_a_minute_from_everyone(settings):
    settings.SIGN_LIMIT_PER_LETTER = "3/minute"
    letter, other = make_letter(), make_letter()

    for n in range(5):
        sign(letter, f"p{n}@example.org", REMOTE_ADDR=f"198.51.{n}.1")
    sign(other, "elsewhere@example.org", REMOTE_ADDR="198.51.9.1")

    assert Signature.objects.filter(letter=letter, status=PENDING).count() == 3
    held = Signature.objects.filter(letter=letter, status=HELD)
    assert set(held.values_list("hold_reason", flat=True)) == {LETTER}
    assert Signature.objects.get(letter=other).status == PENDING


def test_the_limits_are_read_from_settings(settings):
    settings.SIGN_LIMIT_PER_IP = "2/minute"
    settings.EMAIL_LIMIT_PER_ADDRESS = "1/day"
    letter = make_letter()

    for n in range(3):
        sign(letter, f"p{n}@example.org", REMOTE_ADDR="203.0.113.9")
    sign(make_letter(), "p0@example.org", REMOTE_ADDR="198.51.100.1")

    assert mailed() == 2
    reasons = Signature.objects.filter(status=HELD).values_list("hold_reason", flat=True)
    assert sorted(reasons) == [ADDRESS, NETWORK]


def test_the_production_limits_are_the_documented_defaults_and_a_bad_one_stops_the_start():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SIGN_LIMIT_PER_IP, s.SIGN_LIMIT_PER_NETWORK, s.SIGN_LIMIT_PER_LETTER, "
        "s.EMAIL_LIMIT_PER_ADDRESS, s.PREVIEW_LIMIT_PER_USER, "
        "s.LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT, s.NEW_ACCOUNT_DAYS)"
    )
    defaults = settings_in_child(code, **PRODUCTION)
    assert defaults.stdout.split() == [
        "10/minute;60/hour", "30/minute;300/hour", "600/minute", "3/day", "30/minute", "3", "7",
    ]  # fmt: skip

    bad = settings_in_child(**PRODUCTION, SIGN_LIMIT_PER_IP="lots")
    assert bad.returncode != 0
    assert "SIGN_LIMIT_PER_IP='lots' is not a rate limit" in bad.stderr


@pytest.fixture
def organizer(client):
    letter = make_letter()
    user = make_user()
    make_member(letter=letter, user=user, role="owner")
    client.force_login(user)
    return letter


def test_organizers_see_the_signatures_held_by_limits_and_a_link_to_exactly_them(client, organizer):
    letter = organizer
    make_signature(letter=letter, email="ordinary@example.org")
    for n in range(12):
        sign(letter, f"bot{n}@example.org", REMOTE_ADDR="203.0.113.9")

    page = client.get(reverse("moderation:list", args=[letter.slug]))
    html = page.content.decode()
    assert "2 signatures held by rate limits (Too many signatures from one network)" in html
    assert "?held_by=rate_limit_network" in html

    listed = client.get(reverse("moderation:list", args=[letter.slug]), {"held_by": "limits"})
    assert {s.email for s in listed.context["page"].items} == {
        "bot10@example.org",
        "bot11@example.org",
    }


def test_releasing_a_signature_held_by_a_limit_sends_its_confirmation_once(
    client, organizer, django_capture_on_commit_callbacks
):
    letter = organizer
    for n in range(11):
        sign(letter, f"p{n}@example.org", REMOTE_ADDR="203.0.113.9")
    signer_outbox.outbox_drain()
    mail.outbox.clear()
    held = Signature.objects.get(status=HELD)

    def act(action: str, **data: str):
        url = reverse(f"moderation:{action}", kwargs={"slug": letter.slug, "pk": held.pk})
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    act("release")
    signer_outbox.outbox_drain()
    held.refresh_from_db()
    assert (held.status, held.hold_reason) == (PENDING, "")
    assert [m.to for m in mail.outbox] == [[held.email]]

    act("hold", reason="Looks odd")
    act("release")
    signer_outbox.outbox_drain()
    assert len(mail.outbox) == 1
    assert mailed(signature=held) == 1


def test_releasing_is_refused_while_the_address_has_had_its_emails(client, organizer):
    letter = organizer
    for n in range(3):
        sign(make_letter(), "busy@example.org", REMOTE_ADDR=f"198.51.{n}.1")
    sign(letter, "busy@example.org", REMOTE_ADDR="198.51.9.1")
    held = Signature.objects.get(letter=letter)
    assert held.hold_reason == ADDRESS

    url = reverse("moderation:release", kwargs={"slug": letter.slug, "pk": held.pk})
    response = client.post(url)

    assert response.status_code == 409
    assert "has had all the emails it may get today" in response.content.decode()
    held.refresh_from_db()
    assert (held.status, held.hold_reason) == (HELD, ADDRESS)
    assert mailed(signature=held) == 0
    assert not held.actions.exists()


def _publish(client: Client, letter: Letter):
    return client.post(reverse("organize:letter-publish", args=[letter.slug]), follow=True)


def _draft(user) -> Letter:
    letter = make_letter(status=Letter.Status.DRAFT)
    make_member(letter=letter, user=user, role="owner")
    return letter


def test_a_new_account_cannot_publish_more_than_three_letters_a_day(client):
    user = make_user()
    client.force_login(user)
    drafts = [_draft(user) for _ in range(4)]

    for letter in drafts[:3]:
        _publish(client, letter)
    before = _letters()
    refused = _publish(client, drafts[3])

    assert "A new account can publish at most 3 letters a day" in refused.content.decode()
    assert _letters() == before
    assert Letter.objects.filter(status=Letter.Status.PUBLISHED).count() == 3
    drafts[3].refresh_from_db()
    assert (drafts[3].status, drafts[3].published_at) == (Letter.Status.DRAFT, None)


def _letters() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    return (
        sorted(Letter.objects.values_list("pk", "status", "published_at", "current_version")),
        sorted(LetterVersion.objects.values_list("pk", "letter_id", "number")),
    )


def test_the_markdown_preview_needs_an_organizer_with_a_verified_address(client):
    client.force_login(make_user(verified=False))

    response = client.post(reverse("organize:markdown-preview"), {"body": "*hi*"})

    assert response.status_code == 403
    assert response.content.decode() == "Verify your email address to see the live preview."


def test_the_markdown_preview_cannot_be_used_as_a_free_renderer(client):
    client.force_login(make_user())
    url = reverse("organize:markdown-preview")

    answers = [client.post(url, {"body": "*hi*"}).status_code for _ in range(31)]

    assert answers == [200] * 30 + [429]
    refused = client.post(url, {"body": "*hi*"})
    assert refused.content.decode() == "Too many previews at once. Wait a minute, then try again."


# -- Faults: the limiter's Redis goes away --------------------------------------------------


@pytest.fixture
def private_redis() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test's own, on a free port, to kill or freeze."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the private redis-server did not start")
        yield server, f"redis://127.0.0.1:{port}/0"
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait(timeout=10)


@pytest.mark.parametrize("fault", ["killed", "frozen"])
def test_a_broken_limiter_never_stops_signing(settings, private_redis, caplog, fault):
    server, url = private_redis
    settings.RATELIMIT_STORAGE_URL = url
    settings.REDIS_TIMEOUT_SECONDS = 0.3
    letter = make_letter()
    sign(letter, "before@example.org", REMOTE_ADDR="203.0.113.9")  # the limiter works
    if fault == "killed":
        server.kill()
        server.wait(timeout=10)
    else:
        server.send_signal(signal.SIGSTOP)

    with caplog.at_level(logging.WARNING, logger="letters.ratelimits"):
        response = sign(letter, "during@example.org", REMOTE_ADDR="203.0.113.9")

    assert is_check_inbox(response)
    assert Signature.objects.get(email_normalized="during@example.org").status == PENDING
    assert mailed(signature__email_normalized="during@example.org") == 1
    assert "not checked, letting the request through" in caplog.text
