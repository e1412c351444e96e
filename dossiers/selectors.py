"""Reads for dossiers: the letter's signatories at one moment, and a letter's dossiers."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from dossiers.models import Dossier
from letters.models import Letter
from signatories.counters import counts_from_rows
from signatories.selectors import signatory_list_public

# Rows read from the server-side cursor at a time.
CHUNK_SIZE = 2000

# What a dossier prints of a named signatory; never the email.
ROW_FIELDS = ("name", "role", "organization", "country", "verified_at")

Row = tuple[str, str, str, str, datetime | None]


@dataclass(frozen=True)
class Snapshot:
    """The counts of a letter at ``as_of``, and the named rows of that same moment."""

    as_of: datetime
    count_all: int
    count_hidden: int
    rows: Iterator[Row]

    @property
    def count_named(self) -> int:
        return self.count_all - self.count_hidden


@contextmanager
def letter_snapshot(*, letter: Letter) -> Iterator[Snapshot]:
    """The count and the named signatories of ``letter`` as one moment saw them.

    On PostgreSQL everything is read in one read-only REPEATABLE READ transaction, so a
    signature confirmed or withdrawn meanwhile changes neither the count nor the list, and
    the number of named rows is the count minus those who chose not to be named. The rows
    are those of the public list (signatories.selectors), read in chunks.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT statement_timestamp()")
                as_of = cursor.fetchone()[0]
        else:
            as_of = timezone.now()
        counts = counts_from_rows(letter_id=letter.pk)
        rows = (
            signatory_list_public(letter=letter)
            .values_list(*ROW_FIELDS)
            .iterator(chunk_size=CHUNK_SIZE)
        )
        yield Snapshot(as_of=as_of, count_all=counts.all, count_hidden=counts.hidden, rows=rows)


def dossier_list(*, letter: Letter) -> QuerySet[Dossier]:
    return Dossier.objects.filter(letter=letter).order_by("-created_at", "-pk")
