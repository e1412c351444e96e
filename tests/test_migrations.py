"""The app split (moderation and updates out of signatories) on a database that already has rows.

The split moved models with state-only migrations: the tables keep their names, and only
Django's idea of which app owns them (and the content types) changes. These tests run the
real migrations on PostgreSQL, both ways, and compare every row and the schema before and
after. Rows are written with the historical models of the state the database is in, never
with the current ones, exactly as an old deploy would have written them.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.apps import apps as current_apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from letters.models import Letter
from moderation.models import ModerationAction
from signatories.models import Signature
from updates.models import Update, UpdateDelivery

SPLIT_APPS = {"letters", "signatories", "moderation", "updates"}
# Apps made after the split: every migration of theirs needs a later one of the split apps,
# so a database from before the split has none of them applied.
LATER_APPS = {"dossiers", "notifications"}


# Where the database stood before the split: the last deploy without moderation and updates.
BEFORE_SPLIT = [
    ("letters", "0003_first_versions"),
    ("signatories", "0007_moderation_state"),
    ("moderation", None),
    ("updates", None),
]
# Where it stood right after the split. Later migrations (new columns) are not part of what
# these tests prove, so each test compares the schema and rows at this point.
AFTER_SPLIT: list[tuple[str, str | None]] = [
    ("letters", "0003_first_versions"),
    ("signatories", "0008_move_moderation_and_updates"),
    ("moderation", "0001_initial"),
    ("updates", "0001_initial"),
]
MOVED = {"moderationaction": "moderation", "update": "updates", "updatedelivery": "updates"}
# Every table the split touches or that points at a table it touches.
TABLES = [
    "letters_letter",
    "letters_letterversion",
    "signatories_signature",
    "signatories_outboxmessage",
    "signatories_exportlog",
    "signatories_moderationaction",
    "signatories_update",
    "signatories_updatedelivery",
    "django_content_type",
    "auth_permission",
    "auth_user_user_permissions",
    "django_admin_log",
]


# -- Helpers -----------------------------------------------------------------------------------


def _migrate(executor: MigrationExecutor, targets: list[tuple[str, str | None]]) -> None:
    executor.migrate(targets)
    executor.loader.build_graph()  # the executor's view of what is applied is stale otherwise


def _applied(executor: MigrationExecutor) -> set[tuple[str, str]]:
    return {key for key in executor.loader.applied_migrations if key[0] in SPLIT_APPS}


def _state_before_split(executor: MigrationExecutor) -> Any:
    return _state_at(executor, BEFORE_SPLIT)


def _state_at(executor: MigrationExecutor, targets: list[tuple[str, str | None]]) -> Any:
    """The historical apps as the database had them at ``targets``.

    ``project_state`` takes migration nodes, not ``(app, None)`` targets, and it only walks the
    dependencies of the nodes it gets: given just the two targets it would stop at
    contenttypes 0001, whose ContentType still has a ``name`` column. So the other apps come
    in at their (applied) leaf nodes.
    """
    nodes: list[tuple[str, str]] = [(app, name) for app, name in targets if name is not None]
    nodes += [
        leaf
        for leaf in executor.loader.graph.leaf_nodes()
        if leaf[0] not in SPLIT_APPS | LATER_APPS
    ]
    assert set(nodes) <= set(executor.loader.applied_migrations)
    return executor.loader.project_state(nodes).apps


def _rows(table: str) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT * FROM {quoted} ORDER BY id")  # noqa: S608 - names from TABLES
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _snapshot() -> dict[str, list[dict[str, Any]]]:
    return {table: _rows(table) for table in TABLES}


def _schema() -> dict[str, list[tuple[Any, ...]]]:
    """Columns, constraints and indexes of the tables, as PostgreSQL reports them."""
    queries = {
        "columns": """
            SELECT table_name, column_name, data_type, is_nullable, column_default
            FROM information_schema.columns WHERE table_name = ANY(%s)
            ORDER BY table_name, ordinal_position""",
        "constraints": """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s)
            ORDER BY 1, 2""",
        "indexes": """
            SELECT tablename, indexname, indexdef
            FROM pg_indexes WHERE tablename = ANY(%s)
            ORDER BY 1, 2""",
    }
    with connection.cursor() as cursor:
        schema = {}
        for name, sql in queries.items():
            cursor.execute(sql, [TABLES])
            schema[name] = cursor.fetchall()
    return schema


def _moved_content_types() -> dict[str, tuple[int, str]]:
    """model -> (id, app_label) of the content types of the models that moved."""
    rows = [row for row in _rows("django_content_type") if row["model"] in MOVED]
    return {row["model"]: (row["id"], row["app_label"]) for row in rows}


def _fill(get_model: Callable[[str], Any], home: dict[str, str]) -> dict[str, Any]:
    """One letter with signatures in every state, the moderation that put them there, a sent
    update, mail, an export, a permission on a moved model, and an admin log entry about one.

    ``home`` says which app each moved model belongs to in the state ``get_model`` comes from.
    """
    User = get_model("auth.User")
    ContentTypeModel = get_model("contenttypes.ContentType")
    PermissionModel = get_model("auth.Permission")
    LetterModel = get_model("letters.Letter")
    LetterVersion = get_model("letters.LetterVersion")
    SignatureModel = get_model("signatories.Signature")
    OutboxMessage = get_model("signatories.OutboxMessage")
    ExportLog = get_model("signatories.ExportLog")
    Action = get_model(f"{home['moderationaction']}.ModerationAction")
    UpdateModel = get_model(f"{home['update']}.Update")
    Delivery = get_model(f"{home['updatedelivery']}.UpdateDelivery")
    LogEntry = get_model("admin.LogEntry")

    now = timezone.now()
    user = User.objects.create(username="organizer", email="organizer@example.org", password="!")
    letter = LetterModel.objects.create(
        title="Fair pay for illustrators",
        slug="fair-pay",
        body="We, the undersigned, ask for a fair deal.",
        status="published",
        published_at=now - timedelta(days=3),
    )
    version = LetterVersion.objects.create(
        letter=letter, number=1, title=letter.title, body=letter.body, created_by=user
    )
    LetterModel.objects.filter(pk=letter.pk).update(current_version=version)

    def sign(name: str, **fields: Any) -> Any:
        email = f"{name}@example.org"
        return SignatureModel.objects.create(
            letter=letter,
            letter_version=version,
            name=name.title(),
            email=email,
            email_normalized=email,
            email_domain="example.org",
            consent_version="2025-01",
            **fields,
        )

    confirmed = sign("ada", status="confirmed", confirmed_at=now, opt_in_updates=True)
    pending = sign("grace", status="pending", token_hash="a" * 64, token_issued_at=now)
    held = sign("alan", status="held", status_before_moderation="confirmed", confirmed_at=now)
    removed = sign("spam", status="removed", status_before_moderation="pending")
    bulk_removed = [
        sign(f"bot{n}", status="removed", status_before_moderation="confirmed", confirmed_at=now)
        for n in range(2)
    ]

    hold = Action.objects.create(letter=letter, signature=held, actor=user, action="hold")
    remove = Action.objects.create(
        letter=letter, signature=removed, actor=user, action="remove", reason="Not a person."
    )
    bulk = Action.objects.create(
        letter=letter,
        actor=user,
        action="bulk_remove",
        reason="A wave of bots.",
        affected=2,
        counted=2,
        criteria={"email_domain": "example.org", "name__startswith": "Bot"},
    )
    running = Action.objects.create(
        letter=letter, actor=user, action="bulk_remove", reason="Still going.", state="running"
    )
    SignatureModel.objects.filter(pk=held.pk).update(moderation=hold)
    SignatureModel.objects.filter(pk=removed.pk).update(moderation=remove)
    SignatureModel.objects.filter(pk__in=[s.pk for s in bulk_removed]).update(moderation=bulk)

    update = UpdateModel.objects.create(
        letter=letter,
        author=user,
        title="We delivered the letter",
        body="Thank you **all**.",
        status="sent",
        published_at=now,
        prepared_at=now,
        finished_at=now,
        recipients_total=3,
        sent_count=1,
        failed_count=1,
        skipped_count=1,
    )
    deliveries = [
        Delivery.objects.create(update=update, signature=confirmed, status="sent", sent_at=now),
        Delivery.objects.create(
            update=update, signature=held, status="failed", attempts=3, last_error="550 no such"
        ),
        Delivery.objects.create(update=update, signature=pending, status="skipped"),
    ]
    OutboxMessage.objects.create(signature=pending, kind="confirm", due_at=now)
    OutboxMessage.objects.create(signature=confirmed, kind="withdraw", due_at=now, sent_at=now)
    ExportLog.objects.create(letter=letter, user=user, format="csv", fields=["name"], row_count=2)

    content_types = {
        model: ContentTypeModel.objects.get_or_create(app_label=app_label, model=model)[0]
        for model, app_label in home.items()
    }
    permission, _ = PermissionModel.objects.get_or_create(
        content_type=content_types["update"],
        codename="publish_update",
        defaults={"name": "Can publish update"},
    )
    user.user_permissions.add(permission)
    LogEntry.objects.create(
        user=user,
        content_type=content_types["moderationaction"],
        object_id=str(remove.pk),
        object_repr="Removed",
        action_flag=2,
        change_message="[]",
    )
    return {
        "user": user,
        "signatures": {
            "confirmed": confirmed,
            "pending": pending,
            "held": held,
            "removed": removed,
            "bulk_removed": bulk_removed,
        },
        "actions": {"hold": hold, "remove": remove, "bulk": bulk, "running": running},
        "update": update,
        "deliveries": deliveries,
        "content_types": content_types,
        "permission": permission,
    }


def _with_app_labels(snapshot: dict[str, list[dict[str, Any]]], labels: dict[str, str]) -> Any:
    """The snapshot as it should read once the moved content types carry ``labels``."""
    expected = dict(snapshot)
    expected["django_content_type"] = [
        {**row, "app_label": labels[row["model"]]}
        if row["model"] in MOVED and row["app_label"] in {"signatories", MOVED[row["model"]]}
        else row
        for row in snapshot["django_content_type"]
    ]
    return expected


@pytest.fixture
def executor(transactional_db: None) -> Iterator[MigrationExecutor]:
    """A migration executor; the database is fully migrated again afterwards, whatever happens,
    before pytest-django flushes the tables (this fixture is torn down first)."""
    executor = MigrationExecutor(connection)
    try:
        yield executor
    finally:
        executor.loader.build_graph()
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            _migrate(executor, executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()


# -- Tests -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_split_migrates_forward_with_every_row_kept(
    executor: MigrationExecutor,
):
    _migrate(executor, AFTER_SPLIT)
    schema_after_split = _schema()
    _migrate(executor, BEFORE_SPLIT)
    assert _applied(executor) >= {BEFORE_SPLIT[0], BEFORE_SPLIT[1]}
    assert not {key for key in _applied(executor) if key[0] in {"moderation", "updates"}}, (
        "moderation and updates are unmigrated"
    )
    assert ("signatories", "0008_move_moderation_and_updates") not in _applied(executor)
    # Unmigrating moderation and updates dropped nothing: their migrations are state only.
    assert _schema() == schema_after_split

    old = _state_before_split(executor)
    assert not any(app_config.label == "moderation" for app_config in old.get_app_configs())
    made = _fill(old.get_model, home=dict.fromkeys(MOVED, "signatories"))
    before = _snapshot()
    assert all(before[table] for table in TABLES), "every table has rows to lose"
    content_types = _moved_content_types()
    assert {label for _, label in content_types.values()} == {"signatories"}

    _migrate(executor, AFTER_SPLIT)
    ContentType.objects.clear_cache()

    # Every row is as it was; only the moved content types changed app.
    assert _snapshot() == _with_app_labels(before, MOVED)
    assert _schema() == schema_after_split

    _migrate(executor, executor.loader.graph.leaf_nodes())
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()

    # The current models read the rows the old code wrote.
    signatures, actions = made["signatures"], made["actions"]
    remove = ModerationAction.objects.get(pk=actions["remove"].pk)
    assert Signature.objects.get(pk=signatures["removed"].pk).moderation == remove
    assert (remove.action, remove.reason, remove.signature_id) == (
        "remove",
        "Not a person.",
        signatures["removed"].pk,
    )
    held_by = Signature.objects.get(pk=signatures["held"].pk).moderation
    assert held_by is not None
    assert held_by.action == "hold"
    bulk = ModerationAction.objects.get(pk=actions["bulk"].pk)
    assert set(bulk.signatures.values_list("pk", flat=True)) == {
        s.pk for s in signatures["bulk_removed"]
    }
    assert bulk.criteria == {"email_domain": "example.org", "name__startswith": "Bot"}
    assert ModerationAction.objects.get(pk=actions["running"].pk).state == "running"
    assert set(Signature.objects.get(pk=signatures["held"].pk).actions.all()) == {
        ModerationAction.objects.get(pk=actions["hold"].pk)
    }
    held = Signature.objects.get(pk=signatures["held"].pk)
    assert (held.status, held.status_before_moderation) == ("held", "confirmed")

    update = Update.objects.get(pk=made["update"].pk)
    assert update.letter == Letter.objects.get(slug="fair-pay")
    assert update.author_id == made["user"].pk
    assert (update.status, update.sent_count, update.failed_count) == ("sent", 1, 1)
    assert {(d.signature_id, d.status) for d in update.deliveries.all()} == {
        (signatures["confirmed"].pk, "sent"),
        (signatures["held"].pk, "failed"),
        (signatures["pending"].pk, "skipped"),
    }
    assert UpdateDelivery.objects.get(pk=made["deliveries"][1].pk).last_error == "550 no such"

    # The content types kept their ids and now name the new apps: permissions, and the
    # admin history, follow the models.
    assert _moved_content_types() == {
        model: (content_type_id, MOVED[model])
        for model, (content_type_id, _) in content_types.items()
    }
    assert (
        ContentType.objects.get_for_model(ModerationAction).pk
        == content_types["moderationaction"][0]
    )
    assert ContentType.objects.get_for_model(Update).pk == content_types["update"][0]
    assert (
        ContentType.objects.get_for_model(UpdateDelivery).pk == content_types["updatedelivery"][0]
    )
    permission = Permission.objects.get(pk=made["permission"].pk)
    assert permission.content_type_id == content_types["update"][0]
    assert permission.content_type.model_class() is Update
    user = current_apps.get_model("auth", "User").objects.get(pk=made["user"].pk)
    assert user.has_perm("updates.publish_update")
    assert not ContentType.objects.filter(app_label="signatories", model__in=MOVED).exists()


@pytest.mark.django_db(transaction=True)
def test_rolling_the_split_back_keeps_every_row_and_the_old_models_read_them(
    executor: MigrationExecutor,
):
    """What a rollback of the deploy does: rows written by the new code survive the way back
    (and the way forward again), and the content types return to signatories."""
    _migrate(executor, AFTER_SPLIT)
    schema_after_split = _schema()
    made = _fill(_state_at(executor, AFTER_SPLIT).get_model, home=MOVED)
    after = _snapshot()
    assert all(after[table] for table in TABLES)
    content_types = _moved_content_types()
    assert {model: label for model, (_, label) in content_types.items()} == MOVED

    _migrate(executor, BEFORE_SPLIT)
    assert ("signatories", "0008_move_moderation_and_updates") not in _applied(executor)
    assert _schema() == schema_after_split
    assert _snapshot() == _with_app_labels(after, dict.fromkeys(MOVED, "signatories"))
    assert _moved_content_types() == {
        model: (content_type_id, "signatories")
        for model, (content_type_id, _) in content_types.items()
    }

    # The code of the previous deploy (its models live in signatories) reads them.
    old = _state_before_split(executor)
    OldSignature = old.get_model("signatories", "Signature")
    OldAction = old.get_model("signatories", "ModerationAction")
    OldUpdate = old.get_model("signatories", "Update")
    removed = OldSignature.objects.get(pk=made["signatures"]["removed"].pk)
    assert removed.moderation == OldAction.objects.get(pk=made["actions"]["remove"].pk)
    assert removed.moderation.reason == "Not a person."
    assert OldUpdate.objects.get(pk=made["update"].pk).deliveries.count() == 3
    OldPermission = old.get_model("auth", "Permission")
    permission = OldPermission.objects.get(pk=made["permission"].pk)
    assert (permission.content_type.app_label, permission.content_type.model) == (
        "signatories",
        "update",
    )

    # And forward again, as the next deploy would: back to exactly the rows of the new code.
    _migrate(executor, AFTER_SPLIT)
    assert _snapshot() == after
    assert _schema() == schema_after_split


BEFORE_COUNT_EVENTS = [("signatories", "0013_signature_source")]


@pytest.mark.django_db(transaction=True)
def test_the_count_events_start_from_the_confirmed_signatures_per_day(executor):
    """0015_count_events turns the confirmed signatures into one confirmation event per
    letter and day of the letter's time zone; signatures out of the count get none."""
    from signatories import tasks
    from signatories.models import CountEvent

    _migrate(executor, BEFORE_COUNT_EVENTS)
    old = executor.loader.project_state(
        [("signatories", "0013_signature_source")]
        + [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] != "signatories"]
    ).apps
    OldLetter = old.get_model("letters", "Letter")
    OldSignature = old.get_model("signatories", "Signature")
    letter = OldLetter.objects.create(
        slug="migrated", title="Migrated", body="Body", status="published",
        published_at=timezone.now(), time_zone="America/New_York",
    )  # fmt: skip
    # 03:00 UTC on 2 December is still 1 December in New York.
    night = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    for n, (status, at) in enumerate([
        ("confirmed", night), ("confirmed", night - timedelta(hours=1)),
        ("confirmed", night + timedelta(hours=6)), ("pending", None),
    ]):  # fmt: skip
        OldSignature.objects.create(
            letter=letter, name=f"S{n}", email=f"s{n}@example.org",
            email_normalized=f"s{n}@example.org", consent_version="1", status=status,
            confirmed_at=at,
        )  # fmt: skip
    OldSignature.objects.create(
        letter=letter, name="Gone", email="gone@example.org", email_normalized="gone@example.org",
        consent_version="1", status="removed", status_before_moderation="confirmed",
        confirmed_at=night,
    )  # fmt: skip

    _migrate(executor, executor.loader.graph.leaf_nodes())
    events = CountEvent.objects.filter(letter_id=letter.pk).order_by("occurred_at")
    assert [(event.kind, event.delta) for event in events] == [("confirm", 2), ("confirm", 1)]
    assert tasks.counts_check() == 0
