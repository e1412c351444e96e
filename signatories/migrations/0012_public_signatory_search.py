"""The public search of named signatories, on PostgreSQL only: accent- and case-folded
text of name, role and organization, with a trigram index over the public rows alone.

unaccent() is only STABLE (its dictionary could change), so it cannot be indexed; the
IMMUTABLE wrapper names its dictionary, as PostgreSQL's documentation suggests. The index
is partial: it holds confirmed signatures shown by name and nothing else, so neither the
search nor its index can ever reach a hidden signer. It is built CONCURRENTLY, so adding
it to a large table does not block signing.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

_SCHEMA = (
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'unaccent'"
)
# signatories.selectors.FoldedText writes the same expression, which the index must match.
_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS signature_public_search ON signatories_signature "
    "USING gin ((undersigned_unaccent(LOWER(name || ' ' || role || ' ' || organization))) "
    "gin_trgm_ops) WHERE status = 'confirmed' AND show_name"
)


def _create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_SCHEMA)
        schema = schema_editor.quote_name(cursor.fetchone()[0])
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION undersigned_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        f"AS $$ SELECT {schema}.unaccent('{schema}.unaccent'::regdictionary, $1) $$"
    )
    schema_editor.execute(_INDEX)


def _drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS signature_public_search")
    schema_editor.execute("DROP FUNCTION IF EXISTS undersigned_unaccent(text)")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("signatories", "0011_signature_language")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(_create, _drop, elidable=True),
    ]
