import pytest
from django.core.management import call_command

from signatories import counters
from signatories.models import Signature
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db


def test_a_missing_count_is_rebuilt_from_the_rows_once(django_assert_num_queries):
    letter = make_letter()
    make_signature(letter=letter)
    make_signature(letter=letter, show_name=False)
    make_signature(letter=letter, status=Signature.Status.PENDING)
    with django_assert_num_queries(1):
        assert counters.counts_get(letter_id=letter.pk).all == 2
    with django_assert_num_queries(0):
        counts = counters.counts_get(letter_id=letter.pk)
    assert (counts.all, counts.hidden, counts.named) == (2, 1, 1)


def test_adding_to_a_missing_count_does_not_create_a_wrong_one():
    letter = make_letter()
    make_signature(letter=letter)
    counters.counts_add(letter_id=letter.pk, all=1, hidden=0)
    assert counters.counts_get(letter_id=letter.pk).all == 1


def test_reconcile_corrects_drift():
    letter = make_letter()
    make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    counters.counts_add(letter_id=letter.pk, all=5, hidden=0)  # simulate drift
    assert counters.counts_get(letter_id=letter.pk).all == 6
    counters.counts_reconcile(letter_id=letter.pk)
    assert counters.counts_get(letter_id=letter.pk).all == 1


def test_the_rebuild_command_recounts_every_letter():
    letter = make_letter()
    make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    counters.counts_add(letter_id=letter.pk, all=-1, hidden=0)
    call_command("rebuild_counts")
    assert counters.counts_get(letter_id=letter.pk).all == 1


def test_adding_returns_the_new_total_or_none_when_there_is_no_count_yet():
    letter = make_letter()
    make_signature(letter=letter)
    assert counters.counts_add(letter_id=letter.pk, all=1, hidden=0) is None
    counters.counts_get(letter_id=letter.pk)
    assert counters.counts_add(letter_id=letter.pk, all=1, hidden=0) == 2
