"""The models that moved to moderation and updates leave signatories' state only.

State only: no table is created, renamed or dropped.
"""

import django.db.models.deletion
from django.db import migrations, models


MOVED = {"moderationaction": "moderation", "update": "updates", "updatedelivery": "updates"}


def move_content_types(apps, schema_editor):
    """Keep permissions and admin history attached to the models that moved."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        ContentType.objects.filter(app_label="signatories", model=model).update(app_label=app_label)


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model, app_label in MOVED.items():
        ContentType.objects.filter(app_label=app_label, model=model).update(app_label="signatories")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('moderation', '0001_initial'),
        ('signatories', '0007_moderation_state'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.RemoveIndex(
                model_name='moderationaction',
                name='moderation_public_log',
            ),
            migrations.RemoveConstraint(
                model_name='moderationaction',
                name='moderation_removal_has_reason',
            ),
            migrations.RemoveConstraint(
                model_name='moderationaction',
                name='moderation_single_has_signature',
            ),
            migrations.RemoveConstraint(
                model_name='moderationaction',
                name='moderation_unfinished_is_bulk_and_uncounted',
            ),
            migrations.AlterField(
                model_name='signature',
                name='moderation',
                field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='signatures', to='moderation.moderationaction'),
            ),
            migrations.RemoveIndex(
                model_name='update',
                name='signatories_letter__7e0d21_idx',
            ),
            migrations.RemoveConstraint(
                model_name='update',
                name='update_sending_has_date',
            ),
            migrations.RemoveIndex(
                model_name='updatedelivery',
                name='update_delivery_pending',
            ),
            migrations.RemoveConstraint(
                model_name='updatedelivery',
                name='update_delivery_once_per_signer',
            ),
            migrations.RemoveField(
                model_name='update',
                name='author',
            ),
            migrations.RemoveField(
                model_name='update',
                name='letter',
            ),
            migrations.RemoveField(
                model_name='updatedelivery',
                name='signature',
            ),
            migrations.RemoveField(
                model_name='updatedelivery',
                name='update',
            ),
            migrations.DeleteModel(
                name='ModerationAction',
            ),
            migrations.DeleteModel(
                name='Update',
            ),
            migrations.DeleteModel(
                name='UpdateDelivery',
            ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
