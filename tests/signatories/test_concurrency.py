"""Parallel requests for one address end with one signature and a count of one."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from signatories import counters
from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.factories import is_check_inbox, make_letter, sign_data

THREADS = 8


def in_parallel(action):
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_signs_and_confirms_for_one_address_count_once():
    letter = make_letter()
    assert counters.counts_get(letter_id=letter.pk).all == 0
    url = reverse("signatories:sign", args=[letter.slug])

    answers = in_parallel(
        lambda: is_check_inbox(Client().post(url, sign_data(email="twin@example.org")))
    )
    assert answers == [True] * THREADS
    assert Signature.objects.count() == 1

    signer_outbox.outbox_drain()
    link = next(w for w in mail.outbox[-1].body.split() if "/confirm/" in w)
    path = link.removeprefix("http://testserver")
    statuses = in_parallel(lambda: Client().post(path).status_code)
    assert statuses == [200] * THREADS

    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert counters.counts_get(letter_id=letter.pk).all == 1
    assert counters.counts_from_rows(letter_id=letter.pk).all == 1
