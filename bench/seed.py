"""Seed the benchmark database: the benchmark letter with many confirmed signatures, and
enough other published letters to fill the home page.

Run by bench/run.py as ``python -m bench.seed <slug> <signatures> <letters> [<small>]``
with the benchmark's environment; ``<small>`` signatures go to a second letter,
``<slug>-10k``, whose pages are compared with the big letter's. The rows are written by
one INSERT ... SELECT over generate_series. For a big letter the secondary indexes of the
signature table (five of them trigram GIN indexes) are dropped first and built again
afterwards: building an index once over a million rows is many times faster than
updating it a million times.
"""

import os
import sys
import time
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

# Every column a seeded signature sets, with the SQL that fills it for row ``i`` of
# generate_series: one list for the confirmed rows here and the pending ones whose tokens
# bench/probe.py prepares, so the two never drift from the table or from each other.
SIGNATURE_COLUMNS = {
    "letter_id": "%(letter)s",
    "letter_version_id": "%(version)s",
    "name": "'Seeded Signer ' || i",
    "email": "'seed' || i || '@example.org'",
    "email_normalized": "'seed' || i || '@example.org'",
    "email_domain": "'example.org'",
    "network_key": "''",
    "role": "(ARRAY['Illustrator', 'Novelist', 'Composer', 'Translator', ''])[1 + i %% 5]",
    "organization": "''",
    "country": "(ARRAY['GB', 'DE', 'FR', 'ES', 'JP', 'NG', 'BR', ''])[1 + i %% 8]",
    "city": "''",
    "comment": "''",
    "show_name": "i %% 7 <> 0",
    "consent_version": "'bench'",
    "opt_in_updates": "false",
    "status": "'confirmed'",
    "created_at": "now() - make_interval(secs => i * 10)",
    "confirmed_at": "now() - make_interval(secs => i * 10 - 5)",
    "token_hash": "''",
    "status_before_moderation": "''",
    "verification_method": "''",
    "verification_note": "''",
    "language": "'en'",
    "hold_reason": "''",
    "source": "''",
}


def signatures_sql(*, rows: str, columns: dict[str, str | None] | None = None) -> str:
    """INSERT ... SELECT of signatures over ``rows`` (a FROM clause that names each row
    ``i``): SIGNATURE_COLUMNS with ``columns`` replacing some (None leaves one unset)."""
    merged = {**SIGNATURE_COLUMNS, **(columns or {})}
    values = {name: value for name, value in merged.items() if value is not None}
    return (
        f"INSERT INTO signatories_signature ({', '.join(values)})\n"
        f"SELECT {', '.join(values.values())}\nFROM {rows}"
    )


SIGNATURES_SQL = signatures_sql(rows="generate_series(1, %(count)s) AS i")

# Secondary indexes only: the primary key and the indexes behind constraints stay.
INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = 'signatories_signature'::regclass
  AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""

# The count's event log (signatories.models.CountEvent): one confirmation event per
# letter and day of its time zone, as the migration that added the log wrote for the
# signatures before it, so that each count equals the sum of its events.
EVENTS_SQL = """
INSERT INTO signatories_countevent (letter_id, kind, delta, occurred_at, reason)
SELECT s.letter_id, 'confirm', count(*), min(s.confirmed_at), ''
FROM signatories_signature s JOIN letters_letter l ON l.id = s.letter_id
WHERE s.status = 'confirmed' AND s.letter_id = ANY(%(letters)s)
GROUP BY s.letter_id, (s.confirmed_at AT TIME ZONE l.time_zone)::date
"""

# Below this many rows, updating the indexes row by row is quicker than rebuilding them.
REBUILD_FROM = 100_000
OTHER_LETTER_SIGNATURES = 20


def _letter(*, slug: str, title: str, goal: int, days: int) -> tuple[int, int]:
    from django.utils import timezone

    from letters.models import Letter, LetterVersion

    letter = Letter.objects.create(
        slug=slug,
        title=title,
        summary="A letter for the benchmark harness.",
        body="We ask for **fast pages**.\n\n" + "A paragraph of the letter. " * 60,
        status=Letter.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(days=days),
        goal=goal,
        ask_comment=True,
    )
    version = LetterVersion.objects.create(
        letter=letter, language=letter.language, number=1, title=letter.title, body=letter.body
    )
    letter.current_version = version
    letter.save(update_fields=["current_version"])
    return letter.pk, version.pk


def _insert(cursor: "CursorWrapper", *, letter: int, version: int, count: int) -> int:
    cursor.execute(SIGNATURES_SQL, {"letter": letter, "version": version, "count": count})
    return letter


def seed(*, slug: str, count: int, letters: int, small: int = 0) -> None:
    """``letters`` published letters: ``slug`` with ``count`` signatures, ``<slug>-10k``
    with ``small`` (when not 0), the rest with a few each."""
    from django.db import connection, transaction

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        rebuild = count + small >= REBUILD_FROM
        dropped: list[tuple[str, str]] = []
        seeded: list[int] = []
        if rebuild:
            cursor.execute(INDEXES_SQL)
            dropped = cursor.fetchall()
            for name, _definition in dropped:
                cursor.execute(f"DROP INDEX {name}")
        # The other letters are older than the benchmark letter, which comes first.
        for number in range(1, letters - (2 if small else 1)):
            pk, version = _letter(
                slug=f"{slug}-{number}", title=f"Another letter {number}", goal=1000,
                days=30 + number,
            )  # fmt: skip
            seeded.append(
                _insert(cursor, letter=pk, version=version, count=OTHER_LETTER_SIGNATURES)
            )
        if small:
            # The same list at a small size: the pages that must be no slower at `count`.
            pk, version = _letter(
                slug=f"{slug}-10k", title="Benchmark letter, small", goal=small * 2, days=30
            )
            seeded.append(_insert(cursor, letter=pk, version=version, count=small))
        pk, version = _letter(slug=slug, title="Benchmark letter", goal=count * 2, days=30)
        seeded.append(_insert(cursor, letter=pk, version=version, count=count))
        cursor.execute(EVENTS_SQL, {"letters": seeded})
        inserted = time.monotonic()
        # The foreign keys are checked at commit; an index cannot be built before they are.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in dropped:
            cursor.execute(definition)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE signatories_signature")
    print(
        f"Seeded /{slug}/ with {count} confirmed signatures, /{slug}-10k/ with {small}, and "
        f"{letters - (2 if small else 1)} other letters "
        f"in {time.monotonic() - started:.1f} s (rows {inserted - started:.1f} s, "
        f"{len(dropped)} indexes rebuilt)"
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    small = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    seed(slug=sys.argv[1], count=int(sys.argv[2]), letters=int(sys.argv[3]), small=small)
