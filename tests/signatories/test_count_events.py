"""The append-only log of each letter's public count, and the periodic check that the
count equals the sum of its events (signatories/events.py)."""

import io
import logging

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from moderation import services as moderation
from moderation.models import ModerationAction
from moderation.selectors import ModerationFilter
from signatories import counters, events, services, tasks
from signatories.models import CountCheck, CountEvent, Signature
from tests.factories import (
    make_letter,
    make_member_user,
    make_pending_signature,
    make_signature,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter():
    return make_letter()


def _kinds(letter) -> list[tuple[str, int, str]]:
    rows = CountEvent.objects.filter(letter=letter).order_by("pk")
    return [(row.kind, row.delta, row.reason) for row in rows]


def _sum_matches(letter) -> int:
    total = events.count_events_total(letter_id=letter.pk)
    assert total == counters.counts_from_rows(letter_id=letter.pk).all
    return total


def test_a_confirmation_writes_one_event_and_a_repeat_writes_none(letter):
    signature = make_pending_signature(letter=letter, token="tok")
    assert services.signature_confirm(token="tok")[0] == services.ConfirmResult.CONFIRMED
    assert services.signature_confirm(token="tok")[0] == services.ConfirmResult.ALREADY
    (event,) = CountEvent.objects.filter(letter=letter)
    assert (event.kind, event.delta, event.signature_id) == ("confirm", 1, signature.pk)
    assert _sum_matches(letter) == 1


def test_a_withdrawal_writes_minus_one_only_for_a_confirmed_signature(letter):
    confirmed = make_signature(letter=letter)
    pending = make_signature(letter=letter, status="pending")
    assert services.signature_withdraw(signature=pending)
    assert services.signature_withdraw(signature=confirmed)
    assert _kinds(letter) == [("confirm", 1, ""), ("withdraw", -1, "")]
    assert _sum_matches(letter) == 0


def test_moderation_writes_an_event_for_each_move_of_the_count_with_the_public_reason(letter):
    actor = make_member_user(letter=letter)
    held, removed = make_signature(letter=letter), make_signature(letter=letter)
    pending = make_signature(letter=letter, status="pending")
    moderation.signature_hold(signature=held, actor=actor, reason="private doubt")
    moderation.signature_hold(signature=pending, actor=actor)  # not counted: no event
    moderation.signature_release(signature=held, actor=actor)
    action = moderation.signature_remove(signature=removed, actor=actor, reason="Duplicate")
    moderation.signature_restore(signature=removed, actor=actor)
    assert _kinds(letter) == [
        ("confirm", 1, ""),
        ("confirm", 1, ""),
        ("hold", -1, ""),
        ("release", 1, ""),
        ("remove", -1, "Duplicate"),
        ("restore", 1, ""),
    ]
    removal = CountEvent.objects.get(kind="remove")
    assert (removal.action_id, removal.signature_id) == (action.pk, removed.pk)
    assert _sum_matches(letter) == 2


def test_a_bulk_removal_is_one_event_for_all_it_took_out_of_the_count(letter):
    actor = make_member_user(letter=letter)
    for n in range(3):
        make_signature(letter=letter, email=f"bot{n}@spam.example")
    make_signature(letter=letter, email="bot9@spam.example", status="pending")
    make_signature(letter=letter, email="kept@example.org")
    entry = moderation.signatures_bulk_remove(
        letter=letter,
        filters=ModerationFilter(domain="spam.example"),
        actor=actor,
        reason="Signed by a script",
    )
    event = CountEvent.objects.get(kind="remove")
    assert (event.delta, event.reason, event.action_id) == (-3, "Signed by a script", entry.pk)
    assert event.signature_id is None
    assert _sum_matches(letter) == 1


def test_a_refused_moderation_writes_no_event(letter):
    actor = make_member_user(letter=letter)
    signature = make_signature(letter=letter)
    before = list(CountEvent.objects.values_list("pk", flat=True))
    with pytest.raises(moderation.ModerationError):
        moderation.signature_release(signature=signature, actor=actor)  # not held
    assert list(CountEvent.objects.values_list("pk", flat=True)) == before
    assert not ModerationAction.objects.exists()


def test_events_cannot_be_changed_or_deleted(letter):
    make_signature(letter=letter)
    event = CountEvent.objects.get(letter=letter)
    with pytest.raises(IntegrityError), transaction.atomic():
        CountEvent.objects.filter(pk=event.pk).update(delta=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        CountEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.delta == 1


def test_deleting_a_letter_deletes_its_events_and_no_other(letter):
    other = make_letter()
    make_signature(letter=letter)
    make_signature(letter=other)
    letter.delete()
    assert list(CountEvent.objects.values_list("letter_id", flat=True)) == [other.pk]


def test_the_periodic_check_stores_a_match(letter):
    make_signature(letter=letter)
    assert tasks.counts_check() == 0
    check = CountCheck.objects.get(letter=letter)
    assert (check.public_count, check.events_total, check.mismatch_since) == (1, 1, None)


def test_a_mismatch_is_logged_and_shown_to_the_organizers(client, letter, caplog):
    make_signature(letter=letter)
    ghost = make_signature(letter=letter, status="pending")
    # A change behind the services' back: the row is confirmed, no event says so.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE signatories_signature SET status = 'confirmed', confirmed_at = now() "
            "WHERE id = %s",
            [ghost.pk],
        )
    with caplog.at_level(logging.WARNING, logger="signatories.events"):
        assert tasks.counts_check() == 1
    (record,) = [r for r in caplog.records if r.name == "signatories.events"]
    assert letter.slug in record.getMessage()
    assert "count 2, events 1" in record.getMessage()
    check = CountCheck.objects.get(letter=letter)
    assert (check.public_count, check.events_total) == (2, 1)
    assert check.mismatch_since is not None

    client.force_login(make_member_user(letter=letter, role="viewer"))
    html = client.get(reverse("signatories:dashboard")).content.decode()
    assert f'data-count-mismatch="{letter.slug}"' in html

    # Once the count agrees again (here: the row goes back), the notice goes.
    Signature.objects.filter(pk=ghost.pk).update(status="pending", confirmed_at=None)
    assert tasks.counts_check() == 0
    html = client.get(reverse("signatories:dashboard")).content.decode()
    assert "data-count-mismatch" not in html


def test_a_draft_is_not_checked():
    draft = make_letter(status="draft")
    tasks.counts_check()
    assert not CountCheck.objects.filter(letter=draft).exists()


def test_deleting_a_signature_in_the_admin_is_a_withdrawal_with_its_event(client, letter):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(admin)
    signature = make_signature(letter=letter)
    url = reverse("admin:signatories_signature_delete", args=[signature.pk])
    client.post(url, {"post": "yes"})
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert _kinds(letter) == [("confirm", 1, ""), ("withdraw", -1, "")]


def test_the_demo_letter_has_the_events_of_its_signatures():
    from django.core.management import call_command

    call_command("seed_demo", signatures=40, stdout=io.StringIO())
    assert CountEvent.objects.exists()
    assert tasks.counts_check() == 0
