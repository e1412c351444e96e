"""letters/0009_translations on a database that already has published letters: every
version written before it is of the original text, and takes its letter's language."""

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("letters", "0008_letter_time_zone")]
AFTER = [("letters", "0009_translations")]


@pytest.fixture
def executor(transactional_db: None) -> Iterator[MigrationExecutor]:
    """A migration executor; the database is fully migrated again afterwards."""
    executor = MigrationExecutor(connection)
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        leaves = executor.loader.graph.leaf_nodes()
        if executor.migration_plan(leaves):
            executor.migrate(leaves)


@pytest.mark.django_db(transaction=True)
def test_existing_versions_take_their_letters_language(executor):
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    old = executor.loader.project_state(BEFORE).apps
    Letter, Version = old.get_model("letters", "Letter"), old.get_model("letters", "LetterVersion")
    rows = {}
    for language in ("fr", "de"):
        letter = Letter.objects.create(
            title="T", slug=f"old-{language}", body="B", status="published",
            published_at=timezone.now(), language=language,
        )  # fmt: skip
        rows[language] = [
            Version.objects.create(letter=letter, number=n, title="T", body=f"B{n}").pk
            for n in (1, 2)
        ]
    executor.migrate(AFTER)
    executor.loader.build_graph()
    new = executor.loader.project_state(AFTER).apps
    Version = new.get_model("letters", "LetterVersion")
    for language, pks in rows.items():
        versions = Version.objects.filter(pk__in=pks).order_by("number")
        assert [(v.language, v.number) for v in versions] == [(language, 1), (language, 2)]
