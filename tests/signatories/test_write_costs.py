"""What the two write hot paths cost: database queries and Redis round trips.

The sign POST and the confirm POST are the pages a viral letter writes through
(docs/benchmarks.md). These tests pin their cost to the minimum the design needs, so a
change that adds a query or a round trip has to say why. They count, they never time.

Queries are counted in a transactional test, as in production (autocommit with one
transaction per write): BEGIN and COMMIT are counted like every statement. Redis round
trips are counted at the socket: every command or pipeline that redis-py sends, whichever
client sends it (the cache, the rate limiter, the counters).
"""

import threading
from random import Random

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from embeds.services import share_card_milestone
from signatories import counters, outbox
from signatories.models import OutboxMessage, Signature
from tests.factories import (
    is_check_inbox,
    make_letter,
    make_pending_signature,
    make_signature,
    sign_data,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sign(client: Client, letter, **overrides):
    return client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**overrides))


def confirm(client: Client, token: str):
    return client.post(reverse("signatories:confirm", args=[token]))


@pytest.fixture
def letter():
    letter = make_letter(ask_country=True)
    client = Client()
    # Warm what every process has warm after its first request: connections, the Lua
    # scripts in Redis, the rendered subjects, the live count.
    assert is_check_inbox(sign(client, letter, email="warm@example.org"))
    counters.counts_get(letter_id=letter.pk)
    # A drain task was announced within the last second: the kick after commit costs
    # its one throttle check and publishes nothing (the broker is not counted here).
    cache.set(outbox.OUTBOX_KICK_KEY, 1, timeout=60)
    return letter


def test_a_new_signature_costs_six_statements_and_three_redis_round_trips(
    letter, django_assert_num_queries, redis_round_trips
):
    # The letter, the "I didn't sign this" list, then one transaction: the signature's
    # INSERT (no SELECT before: the unique constraint tells a repeat) and its outbox row.
    # Redis: the challenge's burst counters; every rate limit with the email's; the kick.
    with django_assert_num_queries(6):
        response = sign(Client(), letter, email="new@example.org")
    assert is_check_inbox(response)
    assert len(redis_round_trips) == 3, redis_round_trips.sent
    signature = Signature.objects.get(email_normalized="new@example.org")
    assert signature.status == Signature.Status.PENDING
    assert OutboxMessage.objects.filter(signature=signature, kind="confirm").count() == 1


def test_a_repeat_costs_the_refused_insert_a_locked_read_and_its_reminder(
    letter, django_assert_num_queries, redis_round_trips
):
    make_signature(letter=letter, email="again@example.org")
    # The letter and the list; the refused INSERT and its ROLLBACK; then BEGIN, the
    # locked read, the day's count of its emails, the reminder's row, COMMIT.
    with django_assert_num_queries(10):
        response = sign(Client(), letter, email="again@example.org")
    assert is_check_inbox(response)
    # The challenge; the signing limits; the email limit (counted only once the reminder
    # is due); the kick.
    assert len(redis_round_trips) == 4, redis_round_trips.sent
    assert Signature.objects.filter(email_normalized="again@example.org").count() == 1
    assert OutboxMessage.objects.filter(kind="already_signed").count() == 1


def test_a_signature_over_a_limit_is_held_with_one_update_and_no_email(
    letter, settings, django_assert_num_queries, redis_round_trips
):
    settings.SIGN_LIMIT_PER_LETTER = "1/minute"
    assert is_check_inbox(sign(Client(), letter, email="first@example.org"))  # uses it up
    redis_round_trips.sent.clear()
    with django_assert_num_queries(6):
        response = sign(Client(), letter, email="held@example.org")
    assert is_check_inbox(response)
    assert len(redis_round_trips) == 2, redis_round_trips.sent  # no kick: nothing to send
    signature = Signature.objects.get(email_normalized="held@example.org")
    assert (signature.status, signature.hold_reason) == ("held", "rate_limit_letter")
    assert signature.status_before_moderation == "pending"
    assert not OutboxMessage.objects.filter(signature=signature).exists()


def test_a_signature_over_its_address_email_limit_is_held_as_before(letter, settings):
    settings.EMAIL_LIMIT_PER_ADDRESS = "1/day"
    other = make_letter()
    assert is_check_inbox(sign(Client(), other, email="busy@example.org"))
    assert is_check_inbox(sign(Client(), letter, email="busy@example.org"))
    held = Signature.objects.get(letter=letter, email_normalized="busy@example.org")
    assert (held.status, held.hold_reason) == ("held", "rate_limit_address")
    assert OutboxMessage.objects.filter(signature__email_normalized="busy@example.org").count() == 1


def test_limits_after_the_first_one_over_are_not_counted(letter, settings):
    """A client over its own limit does not use up the letter's (as with one call per
    limit): the letter's window only holds the requests that passed the client's."""
    settings.SIGN_LIMIT_PER_IP = "1/minute"
    settings.SIGN_LIMIT_PER_LETTER = "2/minute"
    for n in range(4):  # all from 127.0.0.1: the first passes, the others are held
        sign(Client(), letter, email=f"flood{n}@example.org")
    reasons = Signature.objects.filter(email_normalized__startswith="flood").order_by("pk")
    assert list(reasons.values_list("hold_reason", flat=True)) == [
        "", "rate_limit_network", "rate_limit_network", "rate_limit_network"
    ]  # fmt: skip
    settings.SIGN_LIMIT_PER_IP = "100/minute"
    # The letter's window holds flood0 and next; had the held ones counted in it, next
    # would be held too.
    sign(Client(), letter, email="next@example.org")
    sign(Client(), letter, email="last@example.org")
    assert Signature.objects.get(email_normalized="next@example.org").hold_reason == ""
    assert Signature.objects.get(email_normalized="last@example.org").hold_reason == (
        "rate_limit_letter"
    )


def test_a_first_confirmation_costs_a_read_an_update_and_one_counter_move(
    letter, django_assert_num_queries, redis_round_trips
):
    make_pending_signature(letter=letter, token="warm", email="w@example.org")
    make_pending_signature(letter=letter, token="first-time", email="c@example.org")
    # The process's first confirmation of this letter asked Redis for the share card of
    # its milestone (``SET NX``); the next ones at the same milestone remember it.
    assert confirm(Client(), "warm").status_code == 200
    assert share_card_milestone(1) == share_card_milestone(2)
    redis_round_trips.sent.clear()
    with django_assert_num_queries(2):  # SELECT with its letter; UPDATE ... WHERE pending
        response = confirm(Client(), "first-time")
    assert response.status_code == 200
    # The counter's move, nothing else.
    assert len(redis_round_trips) == 1, redis_round_trips.sent
    assert counters.counts_get(letter_id=letter.pk).all == 2


def test_a_confirmation_reaching_a_new_milestone_asks_for_its_share_card_once(
    letter, redis_round_trips
):
    for n in range(10):
        make_pending_signature(letter=letter, token=f"m{n}", email=f"m{n}@example.org")
    for n in range(9):
        confirm(Client(), f"m{n}")
    redis_round_trips.sent.clear()
    assert confirm(Client(), "m9").status_code == 200  # the count reaches 10
    # The move, the SET NX that wins, the card task published to the broker.
    assert len(redis_round_trips) == 3, redis_round_trips.sent
    assert cache.get(f"share-card-queued:{letter.pk}:10") == 1


def test_a_repeated_confirmation_costs_one_read_and_moves_nothing(
    letter, django_assert_num_queries, redis_round_trips
):
    make_pending_signature(letter=letter, token="twice", email="t@example.org")
    assert confirm(Client(), "twice").status_code == 200
    redis_round_trips.sent.clear()
    with django_assert_num_queries(1):
        response = confirm(Client(), "twice")
    assert response.status_code == 200
    assert "already" in response.content.decode().lower()
    assert len(redis_round_trips) == 0, redis_round_trips.sent
    assert counters.counts_get(letter_id=letter.pk).all == 1


def test_an_unknown_token_costs_one_read_and_changes_nothing(letter, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert confirm(Client(), "no-such-token").status_code == 404
    assert counters.counts_get(letter_id=letter.pk).all == 0


SIGNATURES = 24
THREADS = 6


def test_many_parallel_confirmations_and_repeats_leave_the_count_exact(letter):
    """Every thread confirms every link, in its own order: each signature goes from
    pending to confirmed once, and the live count in Redis moves once for each."""
    tokens = [f"parallel-{n}" for n in range(SIGNATURES)]
    for n, token in enumerate(tokens):
        make_pending_signature(letter=letter, token=token, show_name=n % 3 != 0)
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(seed: int) -> None:
        from django.db import connection

        order = list(tokens)
        Random(seed).shuffle(order)
        client = Client()
        try:
            barrier.wait()
            statuses.extend(confirm(client, token).status_code for token in order)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [200] * (SIGNATURES * THREADS)
    confirmed = Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED)
    assert confirmed.count() == SIGNATURES
    live = counters.counts_get(letter_id=letter.pk)
    rows = counters.counts_from_rows(letter_id=letter.pk)
    assert (live.all, live.hidden) == (rows.all, rows.hidden) == (SIGNATURES, SIGNATURES // 3)
    # Moved once per confirmation, never rebuilt from the rows meanwhile.
    raw = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    assert raw.hget(counters._key(letter.pk), "moves") == str(SIGNATURES)
