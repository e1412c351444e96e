"""Removing many signatures at once, after seeing how many a filter matches."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from moderation.models import ModerationAction
from signatories import counters
from signatories.models import Signature
from tests.factories import make_letter, make_member_user, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter():
    return make_letter()


@pytest.fixture
def editor(client, letter):
    user = make_member_user(letter=letter, role="editor")
    client.force_login(user)
    return user


def _url(letter) -> str:
    return reverse("moderation:bulk-remove", kwargs={"slug": letter.slug})


def _at(signature, when) -> None:
    Signature.objects.filter(pk=signature.pk).update(created_at=when)


@pytest.fixture
def spam_run(letter):
    """Four signatures from spam.example yesterday at 14:xx, plus others that must stay."""
    day = (timezone.now() - timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    run = [
        make_signature(letter=letter, email="a@spam.example"),
        make_signature(letter=letter, email="b@spam.example", show_name=False),
        make_signature(letter=letter, email="c@spam.example", status=Signature.Status.PENDING),
        make_signature(letter=letter, email="d@spam.example"),
    ]
    for n, signature in enumerate(run):
        _at(signature, day + timedelta(minutes=n))
    later = make_signature(letter=letter, email="e@spam.example")
    _at(later, day + timedelta(hours=3))
    make_signature(letter=letter, email="f@other.example")
    make_signature(letter=make_letter(), email="g@spam.example")
    window = {
        "domain": "spam.example",
        "signed_from": day.strftime("%Y-%m-%dT%H:%M"),
        "signed_before": (day + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    return run, window


def _statuses(letter) -> dict[int, str]:
    return dict(Signature.objects.filter(letter=letter).values_list("pk", "status"))


def test_the_preview_says_how_many_will_go_and_the_confirmation_removes_exactly_those(
    client, letter, editor, spam_run, django_capture_on_commit_callbacks, monkeypatch
):
    run, window = spam_run
    counters.counts_get(letter_id=letter.pk)
    preview = client.get(_url(letter), window)
    assert preview.status_code == 200
    assert "4 signatures will be removed." in preview.content.decode()
    assert not Signature.objects.filter(status=Signature.Status.REMOVED).exists()

    calls = []
    real_add = counters.counts_add
    monkeypatch.setattr(counters, "counts_add", lambda **kw: (calls.append(kw), real_add(**kw))[1])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(letter), {**window, "reason": "A script signed from one domain", "expected": 4}
        )
    assert response.status_code == 302
    assert "4 signatures were removed." in [str(m) for m in get_messages(response.wsgi_request)]
    removed = set(
        Signature.objects.filter(status=Signature.Status.REMOVED).values_list("pk", flat=True)
    )
    assert removed == {s.pk for s in run}
    assert calls == [{"letter_id": letter.pk, "all": -3, "hidden": -1}]
    live = counters.counts_get(letter_id=letter.pk)
    rows = counters.counts_from_rows(letter_id=letter.pk)
    assert (live.all, live.hidden) == (rows.all, rows.hidden) == (2, 0)
    entry = ModerationAction.objects.get()
    assert (entry.affected, entry.counted) == (4, 3)
    assert entry.criteria["domain"] == "spam.example"
    log = client.get(reverse("moderation:corrections", args=[letter.slug])).content.decode()
    assert "3 signatures removed" in log and "A script signed from one domain" in log


def test_a_bulk_removal_matching_nothing_says_so_and_changes_nothing(
    client, letter, editor, spam_run
):
    before = _statuses(letter)
    filters = {"domain": "nobody.example"}
    preview = client.get(_url(letter), filters)
    assert "No signature matches this filter: nothing would be removed." in preview.content.decode()
    response = client.post(_url(letter), {**filters, "reason": "Spam"})
    assert response.status_code == 400
    assert "No signature matches this filter: nothing was removed." in [
        str(m) for m in get_messages(response.wsgi_request)
    ]
    assert _statuses(letter) == before
    assert not ModerationAction.objects.exists()


def test_a_bulk_removal_needs_a_reason(client, letter, editor, spam_run):
    _run, window = spam_run
    before = _statuses(letter)
    response = client.post(_url(letter), {**window, "reason": ""})
    assert response.status_code == 400
    assert "Give a reason for the removal." in response.content.decode()
    assert _statuses(letter) == before
    assert not ModerationAction.objects.exists()


def test_a_bulk_removal_with_a_bad_date_changes_nothing(client, letter, editor, spam_run):
    before = _statuses(letter)
    response = client.post(
        _url(letter), {"domain": "spam.example", "signed_from": "yesterday", "reason": "Spam"}
    )
    assert response.status_code == 400
    assert "Enter a date like 2026-11-25" in response.content.decode()
    assert _statuses(letter) == before
    assert not ModerationAction.objects.exists()


def test_a_bulk_removal_of_everything_is_refused(client, letter, editor, spam_run):
    before = _statuses(letter)
    response = client.post(_url(letter), {"status": "confirmed", "reason": "Start over"})
    assert response.status_code == 400
    assert "Choose at least one filter besides the status" in response.content.decode()
    assert _statuses(letter) == before


def test_a_count_that_changed_since_the_preview_is_shown_again(client, letter, editor, spam_run):
    _run, window = spam_run
    before = _statuses(letter)
    response = client.post(_url(letter), {**window, "reason": "Spam", "expected": 2})
    assert response.status_code == 409
    assert "4 signatures will be removed." in response.content.decode()
    assert _statuses(letter) == before
