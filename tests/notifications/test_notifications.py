"""Notifications to organizers: what is queued, once, and what the emails say."""

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from letters.models import Letter, Membership
from mailing.suppression import address_suppress
from moderation import services as moderation
from notifications import outbox, services, tasks
from notifications.models import Milestone, Notification, Preference
from signatories import counters
from signatories.models import Signature
from tests.factories import make_letter, make_member, make_signature, make_signatures, make_user

pytestmark = pytest.mark.django_db

Kind = Notification.Kind


@pytest.fixture
def letter() -> Letter:
    return make_letter(title="Fair pay for illustrators", goal=150)


MORNING = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def owner(letter) -> Membership:
    membership = make_member(letter=letter, user=make_user(email="owner@example.org"))
    # An organizer since before the mornings these tests look at.
    Membership.objects.filter(pk=membership.pk).update(created_at=MORNING - timedelta(days=30))
    membership.refresh_from_db()
    return membership


def _held(letter: Letter) -> Signature:
    return make_signature(
        letter=letter,
        status=Signature.Status.HELD,
        status_before_moderation=Signature.Status.CONFIRMED,
    )


def _prefer(membership: Membership, **choices: object) -> Preference:
    fields = {"digest": True, "milestones": True, "each_verified": False, "language": "en"}
    return services.preference_save(membership=membership, **{**fields, **choices})  # type: ignore[arg-type]


def _count(letter: Letter) -> int:
    return counters.counts_rebuild(letter_id=letter.pk, expected="*").all


def _send() -> None:
    tasks.notifications_send()


# Milestones ----------------------------------------------------------------------------


def test_the_milestones_are_100_500_1000_and_so_on():
    assert services.MILESTONES[:6] == (100, 500, 1_000, 5_000, 10_000, 50_000)
    assert services.milestone_reached(99) == 0
    assert services.milestone_reached(100) == 100
    assert services.milestone_reached(4_999) == 1_000


def test_reaching_a_milestone_emails_each_organizer_who_wants_it_once(letter, owner):
    editor = make_member(letter=letter, role="editor")
    silent = make_member(letter=letter, role="viewer")
    _prefer(silent, milestones=False)
    make_signatures(letter=letter, count=100)
    _count(letter)
    assert services.milestones_check(letter_id=letter.pk) == 1
    assert services.milestones_check(letter_id=letter.pk) == 0
    _send()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.user.email, editor.user.email])
    message = mail.outbox[0]
    assert message.subject == "“Fair pay for illustrators” reached 100 signatures"
    assert "has reached 100 confirmed signatures" in message.body
    assert Milestone.objects.get().count == 100


def test_the_goal_gets_its_own_email(letter, owner):
    make_signatures(letter=letter, count=150)
    _count(letter)
    assert services.milestones_check(letter_id=letter.pk) == 2
    _send()
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        "“Fair pay for illustrators” reached 100 signatures",
        "“Fair pay for illustrators” reached its goal",
    ]
    goal = next(m for m in mail.outbox if "goal" in m.subject)
    assert "reached its goal of 150 confirmed signatures" in goal.body


def test_only_the_highest_milestone_passed_at_once_is_announced(letter, owner):
    letter.goal = None
    letter.save(update_fields=["goal"])
    make_signatures(letter=letter, count=520)
    _count(letter)
    services.milestones_check(letter_id=letter.pk)
    assert list(Milestone.objects.values_list("count", flat=True)) == [500]


def test_a_second_milestone_row_is_refused_by_the_database(letter):
    Milestone.objects.create(letter=letter, count=100)
    with pytest.raises(IntegrityError), transaction.atomic():
        Milestone.objects.create(letter=letter, count=100)


def test_a_confirmation_reaching_a_milestone_queues_a_check(letter, monkeypatch):
    queued: list[dict] = []
    monkeypatch.setattr(services, "enqueue", lambda task, **kw: queued.append(kw))
    services.milestones_maybe_check(letter_id=letter.pk, total=99)
    services.milestones_maybe_check(letter_id=letter.pk, total=101)
    assert queued == []
    services.milestones_maybe_check(letter_id=letter.pk, total=100)
    services.milestones_maybe_check(letter_id=letter.pk, total=None)
    assert queued == [{"letter_id": letter.pk}, {"letter_id": letter.pk}]


def test_the_sweep_finds_a_goal_and_a_draft_announces_nothing(owner, letter):
    draft = make_letter(status=Letter.Status.DRAFT, goal=1)
    make_member(letter=draft)
    make_signature(letter=draft)
    make_signatures(letter=letter, count=150)
    _count(letter)
    tasks.notifications_sweep()
    assert set(Milestone.objects.values_list("letter_id", "count")) == {
        (letter.pk, 100),
        (letter.pk, 150),
    }


# Each verified signatory ---------------------------------------------------------------


def test_verifying_a_signatory_emails_the_organizers_who_opted_in(
    letter, owner, django_capture_on_commit_callbacks
):
    _prefer(owner, each_verified=True)
    make_member(letter=letter, role="editor")  # the default: not each verified signatory
    signature = make_signature(
        letter=letter,
        name="Dr. Ada www.example.com",
        role="Illustrator",
        organization="Guild of Drawers",
        email="ada.private@example.org",
    )
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_verify(signature=signature, actor=owner.user, method="org_email")
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signature_verify(signature=signature, actor=owner.user, method="statement")
    assert Notification.objects.filter(kind=Kind.VERIFIED).count() == 1
    _send()
    [message] = mail.outbox
    assert message.to == ["owner@example.org"]
    assert "Illustrator, Guild of Drawers" in message.body
    assert "www.example.com" not in message.body
    assert f"/signatures/{signature.pk}/" in message.body
    html = message.alternatives[0].content
    for part in (message.subject, message.body, html):
        assert "ada.private@example.org" not in part


def test_a_verified_signatory_is_queued_once_per_organizer(letter, owner):
    _prefer(owner, each_verified=True)
    signature = make_signature(
        letter=letter, verified_at=timezone.now(), verification_method="other"
    )
    services.verified_notify(signature_id=signature.pk)
    services.verified_notify(signature_id=signature.pk)
    assert Notification.objects.filter(kind=Kind.VERIFIED).count() == 1


def test_a_signatory_unverified_before_sending_is_not_announced(letter, owner):
    _prefer(owner, each_verified=True)
    signature = make_signature(
        letter=letter, verified_at=timezone.now(), verification_method="other"
    )
    services.verified_notify(signature_id=signature.pk)
    Signature.objects.filter(pk=signature.pk).update(verified_at=None, verification_method="")
    _send()
    assert mail.outbox == []
    assert Notification.objects.get().status == Notification.Status.SKIPPED


# The daily digest ----------------------------------------------------------------------


def test_the_digest_counts_what_is_new_and_what_waits(letter, owner):
    yesterday = MORNING - timedelta(hours=5)
    make_signatures(letter=letter, count=3, confirmed_at=yesterday)
    make_signatures(letter=letter, count=2, confirmed_at=MORNING - timedelta(days=2))
    make_signature(
        letter=letter, verified_at=yesterday, verification_method="other", confirmed_at=yesterday
    )
    _held(letter)
    assert services.digests_queue(now=MORNING) == 1
    assert services.digests_queue(now=MORNING + timedelta(hours=1)) == 0
    row = Notification.objects.get(kind=Kind.DIGEST)
    assert row.day == MORNING.date()
    assert {k: row.counts[k] for k in ("confirmed", "verified", "signals", "held")} == {
        "confirmed": 4,
        "verified": 1,
        "signals": 0,
        "held": 1,
    }
    _send()
    [message] = mail.outbox
    assert message.subject == "Daily digest: “Fair pay for illustrators”"
    assert "4 new confirmed signatures" in message.body
    assert "1 signatory newly verified" in message.body
    assert "1 held signature waiting for review" in message.body
    assert "@example.org" not in message.body.replace(owner.user.email, "")


def test_the_next_digest_counts_from_the_last_one(letter, owner):
    make_signatures(letter=letter, count=2, confirmed_at=MORNING - timedelta(hours=1))
    services.digests_queue(now=MORNING)
    tomorrow = MORNING + timedelta(days=1)
    make_signatures(letter=letter, count=1, confirmed_at=tomorrow - timedelta(hours=1))
    services.digests_queue(now=tomorrow)
    counts = Notification.objects.filter(kind=Kind.DIGEST).order_by("day")
    assert [row.counts["confirmed"] for row in counts] == [2, 1]


def test_a_day_with_nothing_to_tell_has_no_digest(letter, owner):
    make_signatures(letter=letter, count=2, confirmed_at=MORNING - timedelta(days=3))
    assert services.digests_queue(now=MORNING) == 0
    assert not Notification.objects.exists()


def test_the_digest_waits_for_the_morning_in_the_letters_time_zone(owner, letter):
    Letter.objects.filter(pk=letter.pk).update(time_zone="America/New_York")
    make_signatures(letter=letter, count=1, confirmed_at=MORNING - timedelta(hours=1))
    assert services.digests_queue(now=MORNING) == 0  # 05:00 in New York
    assert services.digests_queue(now=MORNING + timedelta(hours=4)) == 1


def test_organizers_who_turned_the_digest_off_or_of_drafts_get_none(letter, owner):
    _prefer(owner, digest=False)
    draft = make_letter(status=Letter.Status.DRAFT)
    make_member(letter=draft)
    _held(draft)
    make_signatures(letter=letter, count=1, confirmed_at=MORNING - timedelta(hours=1))
    assert services.digests_queue(now=MORNING) == 0


def test_a_second_digest_for_the_same_day_is_refused_by_the_database(owner):
    fields = {"membership": owner, "kind": Kind.DIGEST, "day": MORNING.date()}
    fields["period_end"] = MORNING
    Notification.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(**fields)


def test_a_digest_row_without_its_day_is_refused_by_the_database(owner):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(membership=owner, kind=Kind.DIGEST)


# Sending ------------------------------------------------------------------------------


def _digest(membership: Membership) -> Notification:
    return Notification.objects.create(
        membership=membership,
        kind=Kind.DIGEST,
        day=MORNING.date(),
        period_end=MORNING,
        counts={"since": MORNING.isoformat(), "confirmed": 1, "verified": 0, "signals": 0,
                "held": 0},
    )  # fmt: skip


def test_the_email_is_in_the_organizers_language(owner):
    _prefer(owner, language="de")
    _digest(owner)
    _send()
    [message] = mail.outbox
    assert 'lang="de"' in message.alternatives[0].content


def test_a_suppressed_address_is_skipped(owner):
    address_suppress(email=owner.user.email)
    row = _digest(owner)
    _send()
    row.refresh_from_db()
    assert mail.outbox == []
    assert row.status == Notification.Status.SKIPPED


def test_a_row_is_sent_once_even_when_the_run_is_repeated(owner):
    row = _digest(owner)
    _send()
    _send()
    row.refresh_from_db()
    assert len(mail.outbox) == 1
    assert (row.status, row.attempts) == (Notification.Status.SENT, 1)


def test_a_transient_failure_waits_and_a_permanent_one_gives_up(owner, monkeypatch):
    row = _digest(owner)

    class Refusing:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def __enter__(self) -> "Refusing":
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def send_messages(self, messages: list) -> int:
            raise self.error

    monkeypatch.setattr(outbox, "mail_connection_open", lambda: Refusing(OSError("down")))
    _send()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Notification.Status.PENDING, 1)
    assert row.claimed_until > timezone.now()
    assert "down" in row.last_error
    Notification.objects.filter(pk=row.pk).update(claimed_until=None)
    refusal = smtplib.SMTPRecipientsRefused({owner.user.email: (550, b"no such user")})
    monkeypatch.setattr(outbox, "mail_connection_open", lambda: Refusing(refusal))
    _send()
    row.refresh_from_db()
    assert row.status == Notification.Status.FAILED
    assert owner.user.email not in row.last_error


def test_mail_status_lists_the_notifications_queue(owner):
    _digest(owner)
    names = {status.name: status for status in outbox_status()}
    assert names["notifications"].due == 1


def outbox_status():
    from mailing.status import queues_status

    return queues_status()


def test_the_digest_counts_the_open_signals_of_the_signatures_page(letter, settings):
    make_signatures(letter=letter, count=settings.MODERATION_BURST_THRESHOLD, network_key="n1")
    now = timezone.now()
    counts = services.digest_counts(letter=letter, since=now - timedelta(days=1), until=now)
    assert counts.signals == 1
    assert counts.confirmed == settings.MODERATION_BURST_THRESHOLD
