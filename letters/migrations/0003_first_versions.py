from django.db import migrations


def first_versions(apps, schema_editor):
    """Letters published before text versions existed get their current text as version 1."""
    Letter = apps.get_model("letters", "Letter")
    LetterVersion = apps.get_model("letters", "LetterVersion")
    for letter in Letter.objects.exclude(status="draft").filter(current_version__isnull=True):
        version = LetterVersion.objects.create(
            letter=letter, number=1, title=letter.title, body=letter.body
        )
        Letter.objects.filter(pk=letter.pk).update(current_version=version)


class Migration(migrations.Migration):
    dependencies = [("letters", "0002_organizers")]

    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
