"""Seed the benchmark database: one published letter with many confirmed signatures.

Run by bench/run.py as ``python -m bench.seed <slug> <signatures>`` with the benchmark's
environment. The rows are written by one INSERT ... SELECT over generate_series, which is
far faster than the ORM for hundreds of thousands of rows.
"""

import os
import sys
from datetime import timedelta

SIGNATURES_SQL = """
INSERT INTO signatories_signature (
    letter_id, letter_version_id, name, email, email_normalized, email_domain, network_key,
    role, organization, country, city, comment, show_name, consent_version, opt_in_updates,
    status, created_at, confirmed_at, token_hash, status_before_moderation,
    verification_method, verification_note, hold_reason, language
)
SELECT
    %(letter)s, %(version)s, 'Seeded Signer ' || i, 'seed' || i || '@example.org',
    'seed' || i || '@example.org', 'example.org', '',
    (ARRAY['Illustrator', 'Novelist', 'Composer', 'Translator', ''])[1 + i %% 5],
    '', (ARRAY['GB', 'DE', 'FR', 'ES', 'JP', 'NG', 'BR', ''])[1 + i %% 8], '', '',
    i %% 7 <> 0, 'bench', false, 'confirmed',
    now() - make_interval(secs => i * 10), now() - make_interval(secs => i * 10 - 5), '', '',
    '', '', '', ''
FROM generate_series(1, %(count)s) AS i
"""


def seed(*, slug: str, count: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from letters.models import Letter, LetterVersion

    with transaction.atomic():
        letter = Letter.objects.create(
            slug=slug,
            title="Benchmark letter",
            summary="A letter with many confirmed signatures, for the benchmark harness.",
            body="We ask for **fast pages**.\n\n" + "A paragraph of the letter. " * 60,
            status=Letter.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=30),
            goal=count * 2,
            ask_comment=True,
        )
        version = LetterVersion.objects.create(
            letter=letter, number=1, title=letter.title, body=letter.body
        )
        letter.current_version = version
        letter.save(update_fields=["current_version"])
        with connection.cursor() as cursor:
            cursor.execute(
                SIGNATURES_SQL, {"letter": letter.pk, "version": version.pk, "count": count}
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE signatories_signature")
    print(f"Seeded /letters/{slug}/ with {count} confirmed signatures")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    seed(slug=sys.argv[1], count=int(sys.argv[2]))
