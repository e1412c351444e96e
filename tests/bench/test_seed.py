"""The benchmark's seed writes rows the way the table is today: a column added to
signatures without a database default must be added to bench/seed.py too."""

import pytest

from bench.seed import seed
from signatories import tasks
from signatories.models import CountEvent, Signature


@pytest.mark.django_db(transaction=True)  # the seed ends with VACUUM
def test_the_seed_fills_every_column_a_signature_needs():
    seed(slug="bench-letter", count=30, letters=3, small=10)

    assert Signature.objects.filter(letter__slug="bench-letter").count() == 30
    assert Signature.objects.filter(letter__slug="bench-letter-10k").count() == 10
    assert set(Signature.objects.values_list("status", flat=True)) == {"confirmed"}
    # Each count is the sum of its events, as after the migration that added them.
    assert CountEvent.objects.filter(letter__slug="bench-letter").count() >= 1
    assert tasks.counts_check() == 0
