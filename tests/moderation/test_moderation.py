"""Moderation through the organizer pages: list, search, verify, hold, remove, restore."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from moderation.models import ModerationAction
from signatories import counters, services, tokens
from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.factories import make_letter, make_member_user, make_signature, sign_data

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _counts_are_exact(letter) -> counters.Counts:
    live = counters.counts_get(letter_id=letter.pk)
    rows = counters.counts_from_rows(letter_id=letter.pk)
    assert (live.all, live.hidden) == (rows.all, rows.hidden)
    return live


def _url(name, letter, signature=None) -> str:
    kwargs = {"slug": letter.slug}
    if signature is not None:
        kwargs["pk"] = signature.pk
    return reverse(f"moderation:{name}", kwargs=kwargs)


@pytest.fixture
def letter():
    return make_letter()


@pytest.fixture
def editor(client, letter):
    user = make_member_user(letter=letter, role="editor")
    client.force_login(user)
    return user


def _sign_and_confirm(client, letter, django_capture_on_commit_callbacks, **data) -> Signature:
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("signatories:sign", args=[letter.slug]),
            sign_data(**data),
            REMOTE_ADDR="203.0.113.7",
        )
    signer_outbox.outbox_drain()
    link = next(w for w in mail.outbox[-1].body.split() if "/confirm/" in w)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link.removeprefix("http://testserver"))
    return Signature.objects.get(email_normalized=data.get("email", "ada@example.org"))


def test_a_signature_goes_from_signing_to_verified_first_and_back_after_removal(
    client, letter, editor, django_capture_on_commit_callbacks
):
    make_signature(letter=letter, name="Earlier Signer")
    counters.counts_get(letter_id=letter.pk)  # the live count exists before anything moves
    signature = _sign_and_confirm(
        client, letter, django_capture_on_commit_callbacks,
        name="Grace Hopper", email="grace@navy.example", organization="US Navy",
    )  # fmt: skip
    assert counters.counts_get(letter_id=letter.pk).all == 2

    listing = client.get(_url("list", letter))
    assert "Grace Hopper" in listing.content.decode()
    found = client.get(_url("list", letter), {"q": "navy"}).content.decode()
    assert "Grace Hopper" in found and "Earlier Signer" not in found
    assert "Grace Hopper" not in client.get(_url("list", letter), {"q": "nobody"}).content.decode()

    response = client.post(
        _url("verify", letter, signature), {"method": "org_email", "note": "Wrote from navy.mil"}
    )
    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.verified_at is not None
    assert signature.verification_method == Signature.Verification.ORGANIZATIONAL_EMAIL

    for path in (letter.get_absolute_url(), reverse("signatories:list", args=[letter.slug])):
        page = client.get(path).content.decode()
        assert page.index("Grace Hopper") < page.index("Earlier Signer")
        assert page.count("Verified by the organizers") >= 1
        assert page.count('class="verified-badge"') == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("remove", letter, signature), {"reason": "Not a real person"})
    assert response.status_code == 302
    assert _counts_are_exact(letter).all == 1
    corrections = client.get(reverse("moderation:corrections", args=[letter.slug]))
    text = corrections.content.decode()
    assert "1 signature removed" in text and "Not a real person" in text
    assert (
        reverse("moderation:corrections", args=[letter.slug])
        in client.get(letter.get_absolute_url()).content.decode()
    )
    assert "Grace Hopper" not in client.get(letter.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("restore", letter, signature))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert _counts_are_exact(letter).all == 2
    assert (
        "removed signature restored"
        in client.get(reverse("moderation:corrections", args=[letter.slug])).content.decode()
    )


def test_a_name_that_claims_to_be_verified_gets_no_mark(client, letter):
    make_signature(letter=letter, name="Mallory ✓ (verified) Verified by the organizers")
    for path in (letter.get_absolute_url(), reverse("signatories:list", args=[letter.slug])):
        page = client.get(path).content.decode()
        assert "Mallory" in page
        assert 'class="verified-badge"' not in page
        assert 'class="verified"' not in page


def test_removal_without_a_reason_is_refused_and_changes_nothing(
    client, letter, editor, django_capture_on_commit_callbacks
):
    signature = make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("remove", letter, signature), {"reason": "   "})
    assert response.status_code == 400
    assert "Give a reason for the removal." in response.content.decode()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert not ModerationAction.objects.exists()
    assert _counts_are_exact(letter).all == 1


def test_an_action_that_does_not_apply_says_so_and_changes_nothing(client, letter, editor):
    signature = make_signature(letter=letter)
    response = client.post(_url("release", letter, signature))
    assert response.status_code == 409
    assert "that action does not apply" in " ".join(_messages(response))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert not ModerationAction.objects.exists()


def test_verification_needs_a_known_method(client, letter, editor):
    signature = make_signature(letter=letter)
    response = client.post(_url("verify", letter, signature), {"method": "rumour"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    signature.refresh_from_db()
    assert signature.verified_at is None
    assert not ModerationAction.objects.exists()


def test_verification_can_be_withdrawn(client, letter, editor):
    signature = make_signature(letter=letter)
    client.post(_url("verify", letter, signature), {"method": "statement"})
    client.post(_url("unverify", letter, signature))
    signature.refresh_from_db()
    assert signature.verified_at is None and signature.verification_method == ""
    assert 'class="verified-badge"' not in client.get(letter.get_absolute_url()).content.decode()


def test_hold_takes_a_signature_out_of_list_and_count_until_released(
    client, letter, editor, django_capture_on_commit_callbacks
):
    signature = make_signature(letter=letter, name="Held Person", show_name=False)
    make_signature(letter=letter)
    counts = counters.counts_get(letter_id=letter.pk)
    assert (counts.all, counts.hidden) == (2, 1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("hold", letter, signature), {"reason": "Checking with her"})
    signature.refresh_from_db()
    assert signature.status == Signature.Status.HELD
    assert signature.status_before_moderation == Signature.Status.CONFIRMED
    counts = _counts_are_exact(letter)
    assert (counts.all, counts.hidden) == (1, 0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("release", letter, signature))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    counts = _counts_are_exact(letter)
    assert (counts.all, counts.hidden) == (2, 1)


def test_removing_a_held_signature_and_restoring_it_keeps_the_count_exact(
    client, letter, editor, django_capture_on_commit_callbacks
):
    signature = make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("hold", letter, signature))
        client.post(_url("remove", letter, signature), {"reason": "Duplicate of a colleague"})
    assert _counts_are_exact(letter).all == 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("restore", letter, signature))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert _counts_are_exact(letter).all == 1


def test_a_removed_pending_signature_comes_back_pending_and_never_counted(
    client, letter, editor, django_capture_on_commit_callbacks
):
    signature = make_signature(letter=letter, status=Signature.Status.PENDING)
    counters.counts_get(letter_id=letter.pk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("remove", letter, signature), {"reason": "Looks automated"})
        client.post(_url("restore", letter, signature))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING
    assert _counts_are_exact(letter).all == 0
    # Only changes of the public count are in the public log.
    assert (
        "No correction so far"
        in client.get(reverse("moderation:corrections", args=[letter.slug])).content.decode()
    )


def test_a_held_pending_signature_cannot_be_confirmed_meanwhile(letter):
    signature = make_signature(letter=letter, status=Signature.Status.PENDING)
    from django.utils import timezone

    Signature.objects.filter(pk=signature.pk).update(
        token_hash=tokens.token_hash(token="tok"), token_issued_at=timezone.now()
    )
    from moderation import services as moderation

    moderation.signature_hold(signature=signature, actor=None)
    services.signature_confirm(token="tok")
    signature.refresh_from_db()
    assert signature.status == Signature.Status.HELD


def test_the_list_filters_by_status_country_and_date(client, letter, editor):
    from datetime import timedelta

    from django.utils import timezone

    old = make_signature(letter=letter, name="Old Timer", country="FR")
    Signature.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    make_signature(letter=letter, name="New Comer", country="DE")
    make_signature(letter=letter, name="Still Pending", status=Signature.Status.PENDING)

    def names(**params) -> str:
        return client.get(_url("list", letter), params).content.decode()

    assert "Still Pending" in names(status="pending")
    assert "New Comer" not in names(status="pending")
    assert "Old Timer" in names(country="FR") and "New Comer" not in names(country="FR")
    since = (timezone.now() - timedelta(days=2)).strftime("%Y-%m-%d")
    assert "New Comer" in names(signed_from=since) and "Old Timer" not in names(signed_from=since)


def test_a_bad_date_in_the_filters_is_explained(client, letter, editor):
    make_signature(letter=letter, name="Someone Listed")
    response = client.get(_url("list", letter), {"signed_from": "2026-13-45"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a date like 2026-11-25" in body
    assert "Someone Listed" not in body


def test_pages_follow_cursors_and_never_count_the_table(
    client, letter, editor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(120):
        make_signature(letter=letter, name=f"Person {n:03d}")
    counters.counts_get(letter_id=letter.pk)  # a live count exists, as in production
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as queries:
        first = client.get(_url("list", letter))
    page = first.context["page"]
    assert [s.name for s in page.items][:2] == ["Person 119", "Person 118"]
    assert page.newer is None and page.older is not None
    assert not [q for q in queries if "COUNT(" in q["sql"] and "GROUP BY" not in q["sql"]]
    second = client.get(_url("list", letter), {"after": page.older}).context["page"]
    assert second.items[0].name == "Person 069"
    third = client.get(_url("list", letter), {"after": second.older}).context["page"]
    assert len(third.items) == 20 and third.older is None
    back = client.get(_url("list", letter), {"before": second.items[0].pk}).context["page"]
    assert [s.pk for s in back.items] == [s.pk for s in page.items]
    assert back.newer is None


def test_a_viewer_sees_the_signature_but_no_action(client, letter):
    signature = make_signature(letter=letter, name="Looked At")
    client.force_login(make_member_user(letter=letter, role="viewer"))
    page = client.get(_url("detail", letter, signature)).content.decode()
    assert "Looked At" in page
    assert "Remove this signature" not in page and "Mark as verified" not in page
    listing = client.get(_url("list", letter), {"domain": "example.org"}).content.decode()
    assert "Looked At" in listing and "bulk-remove" not in listing
