"""Update and UpdateDelivery moved here from signatories: tables keep their names and rows.

State only: no table is created, renamed or dropped.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('letters', '0003_first_versions'),
        ('signatories', '0008_move_moderation_and_updates'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
            migrations.CreateModel(
                name='Update',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('title', models.CharField(max_length=200, verbose_name='title')),
                    ('body', models.TextField(help_text='Markdown. Scripts and raw HTML are removed.', max_length=20000, verbose_name='text')),
                    ('status', models.CharField(choices=[('draft', 'Draft'), ('sending', 'Sending'), ('sent', 'Sent')], default='draft', max_length=10)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('published_at', models.DateTimeField(blank=True, null=True)),
                    ('prepared_at', models.DateTimeField(blank=True, null=True)),
                    ('finished_at', models.DateTimeField(blank=True, null=True)),
                    ('recipients_total', models.PositiveIntegerField(default=0)),
                    ('sent_count', models.PositiveIntegerField(default=0)),
                    ('failed_count', models.PositiveIntegerField(default=0)),
                    ('skipped_count', models.PositiveIntegerField(default=0)),
                    ('author', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ('letter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='letters.letter')),
                ],
                options={
                    'db_table': 'signatories_update',
                },
            ),
            migrations.CreateModel(
                name='UpdateDelivery',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('status', models.CharField(choices=[('pending', 'Waiting'), ('sent', 'Sent'), ('failed', 'Failed'), ('skipped', 'Skipped (unsubscribed)')], default='pending', max_length=10)),
                    ('claimed_until', models.DateTimeField(blank=True, null=True)),
                    ('attempts', models.PositiveSmallIntegerField(default=0)),
                    ('sent_at', models.DateTimeField(blank=True, null=True)),
                    ('last_error', models.CharField(blank=True, max_length=300)),
                    ('signature', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='signatories.signature')),
                    ('update', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='updates.update')),
                ],
                options={
                    'db_table': 'signatories_updatedelivery',
                },
            ),
            migrations.AddIndex(
                model_name='update',
                index=models.Index(fields=['letter', 'status', '-published_at'], name='signatories_letter__7e0d21_idx'),
            ),
            migrations.AddConstraint(
                model_name='update',
                constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), ('published_at__isnull', False), _connector='OR'), name='update_sending_has_date'),
            ),
            migrations.AddIndex(
                model_name='updatedelivery',
                index=models.Index(condition=models.Q(('status', 'pending')), fields=['update', 'id'], name='update_delivery_pending'),
            ),
            migrations.AddConstraint(
                model_name='updatedelivery',
                constraint=models.UniqueConstraint(fields=('update', 'signature'), name='update_delivery_once_per_signer'),
            ),
            ],
            database_operations=[],
        ),
    ]
