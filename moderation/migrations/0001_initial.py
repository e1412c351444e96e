"""ModerationAction moved here from signatories: the table keeps its name and rows.

State only: no table is created, renamed or dropped.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('letters', '0003_first_versions'),
        ('signatories', '0007_moderation_state'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='ModerationAction',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('action', models.CharField(choices=[('hold', 'Put on hold'), ('release', 'Released from hold'), ('remove', 'Removed'), ('bulk_remove', 'Removed in bulk'), ('restore', 'Restored'), ('verify', 'Verified'), ('unverify', 'Verification withdrawn')], max_length=12)),
                    ('reason', models.TextField(blank=True)),
                    ('affected', models.PositiveIntegerField(default=1)),
                    ('counted', models.PositiveIntegerField(default=0)),
                    ('criteria', models.JSONField(blank=True, default=dict)),
                    ('state', models.CharField(choices=[('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='done', max_length=8)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('letter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='moderation', to='letters.letter')),
                    ('signature', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='actions', to='signatories.signature')),
                ],
                options={
                    'db_table': 'signatories_moderationaction',
                    'ordering': ['-created_at', '-pk'],
                    'indexes': [models.Index(condition=models.Q(('counted__gt', 0)), fields=['letter', '-created_at'], name='moderation_public_log')],
                    'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('action__in', ['remove', 'bulk_remove']), _negated=True), models.Q(('reason', ''), _negated=True), _connector='OR'), name='moderation_removal_has_reason'), models.CheckConstraint(condition=models.Q(('action', 'bulk_remove'), ('signature__isnull', False), _connector='OR'), name='moderation_single_has_signature'), models.CheckConstraint(condition=models.Q(('state', 'done'), models.Q(('action', 'bulk_remove'), ('counted', 0)), _connector='OR'), name='moderation_unfinished_is_bulk_and_uncounted')],
                },
            ),
            ],
            database_operations=[],
        ),
    ]
