"""A bulk removal above BULK_REMOVE_INLINE_LIMIT runs in a Celery task, not the request."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from moderation import services as moderation
from moderation.models import ModerationAction
from moderation.selectors import ModerationFilter
from moderation.tasks import signatures_bulk_remove_run
from signatories import counters
from signatories.models import Signature
from tests.factories import make_letter, make_member_user, make_signature

REASON = "A script signed from one domain"


def _capture(queued: list) -> object:
    """Stands in for the task's apply_async: keeps the keyword arguments it was queued with."""
    return lambda *args, **options: queued.append(options["kwargs"])


RUNNING = "Removal of 4 signatures is running; the correction log shows it when done."


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.BULK_REMOVE_INLINE_LIMIT = 3


def _url(letter) -> str:
    return reverse("moderation:bulk-remove", kwargs={"slug": letter.slug})


def _spam_run(letter):
    """Four signatures from spam.example yesterday at 14:xx, plus others that must stay."""
    day = (timezone.now() - timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    run = [
        make_signature(letter=letter, email="a@spam.example"),
        make_signature(letter=letter, email="b@spam.example", show_name=False),
        make_signature(letter=letter, email="c@spam.example", status=Signature.Status.PENDING),
        make_signature(letter=letter, email="d@spam.example"),
    ]
    for n, signature in enumerate(run):
        Signature.objects.filter(pk=signature.pk).update(created_at=day + timedelta(minutes=n))
    later = make_signature(letter=letter, email="e@spam.example")
    Signature.objects.filter(pk=later.pk).update(created_at=day + timedelta(hours=3))
    make_signature(letter=letter, email="f@other.example")
    window = {
        "domain": "spam.example",
        "signed_from": day.strftime("%Y-%m-%dT%H:%M"),
        "signed_before": (day + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    return run, window


def _removed(letter) -> set[int]:
    return set(
        Signature.objects.filter(letter=letter, status=Signature.Status.REMOVED).values_list(
            "pk", flat=True
        )
    )


def _log(client, letter) -> str:
    return client.get(reverse("moderation:corrections", args=[letter.slug])).content.decode()


@pytest.mark.django_db
def test_a_large_removal_returns_at_once_and_the_task_removes_them_exactly_once(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="editor"))
    run, window = _spam_run(letter)
    assert counters.counts_get(letter_id=letter.pk).all == 5

    queued = []
    monkeypatch.setattr(signatures_bulk_remove_run, "apply_async", _capture(queued))
    calls = []
    real_add = counters.counts_add
    monkeypatch.setattr(counters, "counts_add", lambda **kw: (calls.append(kw), real_add(**kw))[1])

    preview = client.get(_url(letter), window).content.decode()
    assert "4 signatures will be removed." in preview
    assert "That many are removed in the background" in preview
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(letter), {**window, "reason": REASON, "expected": 4})
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:list", kwargs={"slug": letter.slug})
    assert RUNNING in [str(m) for m in get_messages(response.wsgi_request)]

    entry = ModerationAction.objects.get()
    assert entry.state == ModerationAction.State.RUNNING
    assert (entry.affected, entry.counted, entry.reason) == (4, 0, REASON)
    assert queued == [{"action_id": entry.pk, "letter_id": letter.pk, "criteria": entry.criteria}]
    assert _removed(letter) == set() and calls == []
    assert counters.counts_get(letter_id=letter.pk).all == 5
    assert REASON not in _log(client, letter)
    page = client.get(reverse("moderation:list", kwargs={"slug": letter.slug})).content.decode()
    assert "Removing about 4 signatures" in page and REASON in page

    with django_capture_on_commit_callbacks(execute=True):
        signatures_bulk_remove_run(**queued[0])
    assert _removed(letter) == {s.pk for s in run}
    assert calls == [{"letter_id": letter.pk, "all": -3, "hidden": -1}]
    live = counters.counts_get(letter_id=letter.pk)
    rows = counters.counts_from_rows(letter_id=letter.pk)
    assert (live.all, live.hidden) == (rows.all, rows.hidden) == (2, 0)
    entry.refresh_from_db()
    assert (entry.state, entry.affected, entry.counted) == ("done", 4, 3)
    log = _log(client, letter)
    assert "3 signatures removed" in log and REASON in log
    page = client.get(reverse("moderation:list", kwargs={"slug": letter.slug})).content.decode()
    assert "Removing about" not in page

    # A second run (redelivered after a lost worker, say) finds it done and does nothing,
    # even though a new signature from the same run has appeared meanwhile.
    late = make_signature(letter=letter, email="z@spam.example")
    Signature.objects.filter(pk=late.pk).update(created_at=run[0].created_at)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signatures_bulk_remove_run(**queued[0])
    assert callbacks == []
    assert calls == [{"letter_id": letter.pk, "all": -3, "hidden": -1}]
    assert Signature.objects.get(pk=late.pk).status == Signature.Status.CONFIRMED
    entry.refresh_from_db()
    assert (entry.state, entry.affected, entry.counted) == ("done", 4, 3)


@pytest.mark.django_db
def test_a_small_removal_stays_inline(client, django_capture_on_commit_callbacks, settings):
    settings.BULK_REMOVE_INLINE_LIMIT = 4
    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="editor"))
    run, window = _spam_run(letter)
    assert "in the background" not in client.get(_url(letter), window).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(letter), {**window, "reason": REASON, "expected": 4})
    assert "4 signatures were removed." in [str(m) for m in get_messages(response.wsgi_request)]
    assert _removed(letter) == {s.pk for s in run}
    assert ModerationAction.objects.get().state == ModerationAction.State.DONE


@pytest.mark.django_db
def test_a_removal_matching_nothing_when_the_task_runs_ends_done_with_nothing_public(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="editor"))
    run, window = _spam_run(letter)
    queued = []
    monkeypatch.setattr(signatures_bulk_remove_run, "apply_async", _capture(queued))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(letter), {**window, "reason": REASON, "expected": 4})
    # Meanwhile every one of them is removed one by one.
    for signature in run:
        moderation.signature_remove(signature=signature, actor=None, reason="Duplicate")
    before = counters.counts_from_rows(letter_id=letter.pk)

    with django_capture_on_commit_callbacks(execute=True):
        signatures_bulk_remove_run(**queued[0])
    entry = ModerationAction.objects.get(action=ModerationAction.Action.BULK_REMOVE)
    assert (entry.state, entry.affected, entry.counted) == ("done", 0, 0)
    assert not Signature.objects.filter(moderation=entry).exists()
    assert counters.counts_from_rows(letter_id=letter.pk).all == before.all
    assert REASON not in _log(client, letter)


@pytest.mark.django_db
def test_criteria_that_cannot_be_read_back_fail_the_removal_and_remove_nothing(
    django_capture_on_commit_callbacks,
):
    letter = make_letter()
    _spam_run(letter)
    filters = ModerationFilter(domain="spam.example")
    with django_capture_on_commit_callbacks(execute=False):
        entry = moderation.signatures_bulk_remove_start(
            letter=letter, filters=filters, actor=None, reason=REASON, expected=5
        )
    signatures_bulk_remove_run(
        action_id=entry.pk,
        letter_id=letter.pk,
        criteria={"domain": "spam.example", "signed_from": "x"},
    )
    signatures_bulk_remove_run(
        action_id=entry.pk, letter_id=make_letter().pk, criteria={"domain": "spam.example"}
    )
    entry.refresh_from_db()
    assert (entry.state, entry.affected, entry.counted) == ("failed", 0, 0)
    assert _removed(letter) == set()


def test_the_removal_task_is_routed_to_the_default_queue():
    route = celery_app.amqp.router.route({}, signatures_bulk_remove_run.name)
    assert route["queue"].name == "default"


@pytest.fixture
def celery_worker(transactional_db):
    with start_worker(
        celery_app, pool="solo", queues=["default"], perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


def test_a_real_worker_completes_a_queued_removal(client, celery_worker):
    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="editor"))
    run, window = _spam_run(letter)
    assert counters.counts_get(letter_id=letter.pk).all == 5

    response = client.post(_url(letter), {**window, "reason": REASON, "expected": 4})
    assert RUNNING in [str(m) for m in get_messages(response.wsgi_request)]

    entry = ModerationAction.objects.get()

    def finished() -> bool:
        # Done, and the count moved after the task's commit.
        entry.refresh_from_db()
        return entry.state != "running" and counters.counts_get(letter_id=letter.pk).all != 5

    deadline = time.monotonic() + 30  # a bound on the wait, not an assertion on speed
    while not finished() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (entry.state, entry.affected, entry.counted) == ("done", 4, 3)
    assert _removed(letter) == {s.pk for s in run}
    live = counters.counts_get(letter_id=letter.pk)
    rows = counters.counts_from_rows(letter_id=letter.pk)
    assert (live.all, live.hidden) == (rows.all, rows.hidden) == (2, 0)
    assert "3 signatures removed" in _log(client, letter)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remove_and_count_once(monkeypatch):
    from tests.signatories.test_concurrency import in_parallel

    letter = make_letter()
    run, _window = _spam_run(letter)
    assert counters.counts_get(letter_id=letter.pk).all == 5
    calls = []
    real_add = counters.counts_add
    monkeypatch.setattr(counters, "counts_add", lambda **kw: (calls.append(kw), real_add(**kw))[1])
    queued = []
    monkeypatch.setattr(signatures_bulk_remove_run, "apply_async", _capture(queued))
    entry = moderation.signatures_bulk_remove_start(
        letter=letter,
        filters=ModerationFilter(domain="spam.example"),
        actor=None,
        reason=REASON,
        expected=5,
    )
    assert queued == [
        {"action_id": entry.pk, "letter_id": letter.pk, "criteria": {"domain": "spam.example"}}
    ]

    in_parallel(lambda: signatures_bulk_remove_run(**queued[0]))

    entry.refresh_from_db()
    assert (entry.state, entry.affected, entry.counted) == ("done", 5, 4)
    assert calls == [{"letter_id": letter.pk, "all": -4, "hidden": -1}]
    assert counters.counts_get(letter_id=letter.pk).all == 1
    assert counters.counts_from_rows(letter_id=letter.pk).all == 1
    assert _removed(letter) > {s.pk for s in run}


def test_criteria_keep_seconds_so_the_task_reads_back_the_previewed_filter():
    from moderation.forms import PreviewForm

    start = timezone.now().replace(second=30, microsecond=250000)
    filters = ModerationFilter(domain="spam.example", signed_from=start)
    form = PreviewForm(data=filters.as_criteria())
    assert form.is_valid(), form.errors
    assert form.filters() == filters
    whole_minute = ModerationFilter(
        domain="x.example", signed_from=start.replace(second=0, microsecond=0)
    )
    assert whole_minute.as_criteria()["signed_from"].count(":") == 1


@pytest.mark.django_db
def test_a_removal_whose_message_was_lost_is_queued_again_later(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    from moderation.tasks import bulk_removals_resume

    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="editor"))
    _run, window = _spam_run(letter)
    monkeypatch.setattr(signatures_bulk_remove_run, "apply_async", _capture([]))  # lost
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(letter), {**window, "reason": REASON, "expected": 4})
    entry = ModerationAction.objects.get()

    queued = []
    monkeypatch.setattr(signatures_bulk_remove_run, "apply_async", _capture(queued))
    assert bulk_removals_resume.run() == 0  # just queued: give its message time
    ModerationAction.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - moderation.BULK_RESUME_AFTER - timedelta(seconds=1)
    )
    assert bulk_removals_resume.run() == 1
    assert queued == [{"action_id": entry.pk, "letter_id": letter.pk, "criteria": entry.criteria}]
    signatures_bulk_remove_run.run(**queued[0])
    assert len(_removed(letter)) == 4
    assert bulk_removals_resume.run() == 0
