"""Two owners' requests inviting one address at the same moment end like two in a row."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from letters.models import Invitation
from tests.factories import make_letter, make_member, make_user


def _wait_until_blocked_on_a_lock(pid: int) -> None:
    """Return once backend ``pid`` waits for a lock another transaction holds.

    Bounded by a number of polls, not a clock: if it never blocks, the test fails here.
    """
    with connection.cursor() as cursor:
        for _ in range(20_000):
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
    pytest.fail("the second invitation never waited for the first one")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_invitations_of_one_address_leave_one_pending_and_no_error():
    letter = make_letter(slug="race-letter")
    owner = make_member(letter=letter, user=make_user(email="owner@example.org")).user
    url = reverse("organize:invite", kwargs={"slug": letter.slug})
    data = {"email": "Friend@Example.org", "role": "editor"}
    first_client = Client(raise_request_exception=False)
    second_client = Client(raise_request_exception=False)
    first_client.force_login(owner)
    second_client.force_login(owner)
    second_ready, first_inserted, second_blocked = (threading.Event() for _ in range(3))
    second_pid: list[int] = []
    statuses: dict[str, int] = {}
    errors: list[BaseException] = []

    def first() -> None:
        # The first request runs inside an outer transaction that stays open until the
        # second request is stuck behind it: the exact interleaving of a real race.
        try:
            with transaction.atomic():
                statuses["first"] = first_client.post(url, data).status_code
                first_inserted.set()
                second_blocked.wait()
        except BaseException as error:
            errors.append(error)
            first_inserted.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            connection.ensure_connection()
            second_pid.append(connection.connection.info.backend_pid)
            second_ready.set()
            first_inserted.wait()
            statuses["second"] = second_client.post(url, data).status_code
        except BaseException as error:
            errors.append(error)
            second_ready.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_ready.wait()
    first_inserted.wait()
    try:
        if not errors:
            _wait_until_blocked_on_a_lock(second_pid[0])
    finally:
        second_blocked.set()
        for thread in threads:
            thread.join()

    assert errors == []
    assert statuses == {"first": 302, "second": 302}
    pending = Invitation.objects.filter(letter=letter, accepted_at__isnull=True)
    assert list(pending.values_list("email_normalized", "role")) == [
        ("friend@example.org", "editor")
    ]
    assert Invitation.objects.count() == 1
