"""Trigram search for the moderation list, on PostgreSQL only, and the email domain of
signatures stored before it was kept at signing."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models import Value
from django.db.models.functions import StrIndex, Substr

# Django's icontains on PostgreSQL compares UPPER(column::text); these expression indexes
# match it, so a search by part of a name, address or organization uses an index.
_COLUMNS = ("name", "email_normalized", "organization")


# The public list shows verified signatories first; SQLite cannot index NULLS LAST, and
# its letters are small enough not to need it.
_PUBLIC_VERIFIED = (
    "CREATE INDEX IF NOT EXISTS signature_public_verified ON signatories_signature "
    "(letter_id, status, show_name, verified_at DESC NULLS LAST, confirmed_at DESC, id DESC)"
)


def _create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in _COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS signature_trgm_{column} ON signatories_signature "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    schema_editor.execute(_PUBLIC_VERIFIED)


def _drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in _COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS signature_trgm_{column}")
    schema_editor.execute("DROP INDEX IF EXISTS signature_public_verified")


def _fill_email_domain(apps, schema_editor):
    Signature = apps.get_model("signatories", "Signature")
    Signature.objects.filter(email_domain="").update(
        email_domain=Substr("email_normalized", StrIndex("email_normalized", Value("@")) + 1)
    )


class Migration(migrations.Migration):
    dependencies = [("signatories", "0005_moderation")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(_create_indexes, _drop_indexes, elidable=True),
        migrations.RunPython(_fill_email_domain, migrations.RunPython.noop, elidable=True),
    ]
