import email.policy

import pytest
from django.core import mail
from django.urls import reverse

from signatories.models import Signature
from tests.factories import make_letter, make_organizer, make_signature, make_signatures
from updates import services as updates
from updates import tasks as update_tasks
from updates.models import Update, UpdateDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter():
    return make_letter(title="Fair pay for illustrators")


@pytest.fixture
def editor(letter):
    return make_organizer(letter=letter, role="editor")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def _update(letter, **overrides) -> Update:
    fields = {"title": "We delivered the letter", "body": "It went **well**.\n\n<script>x</script>"}
    fields.update(overrides)
    return Update.objects.create(letter=letter, **fields)


def _send_url(update):
    return reverse("updates:send", kwargs={"slug": update.letter.slug, "pk": update.pk})


def _unsubscribe_path(message) -> str:
    header = message.extra_headers["List-Unsubscribe"]
    return header.strip("<>").removeprefix("http://testserver")


# Writing and sending -------------------------------------------------------------------


def test_an_editor_saves_a_draft_that_is_not_sent_yet(editor_client, letter):
    make_signature(letter=letter, opt_in_updates=True)
    url = reverse("updates:organizer-list", kwargs={"slug": letter.slug})
    response = editor_client.post(url, {"title": "News", "body": "Hello *all*"})
    update = Update.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "updates:organizer-detail", kwargs={"slug": letter.slug, "pk": update.pk}
    )
    assert update.status == Update.Status.DRAFT
    assert update.title == "News"
    page = editor_client.get(response["Location"]).content.decode()
    assert "<em>all</em>" in page
    assert "Send to 1 signer" in page
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "Text"}, "Give the update a title."),
        ({"title": "   ", "body": "Text"}, "Give the update a title."),
        ({"title": "News", "body": ""}, "Write the text of the update."),
        ({"title": "News", "body": " \n "}, "Write the text of the update."),
    ],
)
def test_an_update_without_title_or_text_is_refused_and_nothing_stored(
    editor_client, letter, data, message
):
    url = reverse("updates:organizer-list", kwargs={"slug": letter.slug})
    response = editor_client.post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Update.objects.count() == 0


def test_sending_queues_after_commit_and_marks_the_update_sending(
    editor_client, letter, django_capture_on_commit_callbacks, monkeypatch
):
    make_signatures(letter=letter, count=3, opt_in_updates=True)
    make_signature(letter=letter, opt_in_updates=False)
    update = _update(letter)
    kicked = []
    monkeypatch.setattr(updates, "update_kick", lambda *, update_id: kicked.append(update_id))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = editor_client.post(_send_url(update))
    assert response.status_code == 302
    # The kick, and the letter's new version (its page lists the update: letters/facts.py).
    assert len(callbacks) == 2
    assert kicked == [update.pk]
    update.refresh_from_db()
    assert update.status == Update.Status.SENDING
    assert update.recipients_total == 3
    assert update.published_at is not None


def test_sending_when_nobody_opted_in_is_refused_and_nothing_queued(
    editor_client, letter, django_capture_on_commit_callbacks
):
    make_signature(letter=letter, opt_in_updates=False)
    make_signature(letter=letter, opt_in_updates=True, status=Signature.Status.PENDING)
    update = _update(letter)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(_send_url(update))
    assert response.status_code == 409
    assert "Nobody who confirmed a signature asked for updates" in response.content.decode()
    assert callbacks == []
    update.refresh_from_db()
    assert update.status == Update.Status.DRAFT
    assert update.published_at is None
    assert UpdateDelivery.objects.count() == 0


def test_sending_twice_is_refused_the_second_time(
    editor_client, letter, django_capture_on_commit_callbacks
):
    make_signature(letter=letter, opt_in_updates=True)
    update = _update(letter)
    with django_capture_on_commit_callbacks(execute=False) as first:
        editor_client.post(_send_url(update))
    update.refresh_from_db()
    started = update.published_at
    with django_capture_on_commit_callbacks(execute=False) as second:
        response = editor_client.post(_send_url(update))
    assert len(first) == 2  # the kick and the letter's new version
    assert second == []
    assert response.status_code == 409
    assert "already sent" in response.content.decode()
    update.refresh_from_db()
    assert update.published_at == started


def test_send_needs_post_and_the_editor_role(client, letter):
    make_signature(letter=letter, opt_in_updates=True)
    update = _update(letter)
    client.force_login(make_organizer(letter=letter, role="viewer"))
    assert client.get(_send_url(update)).status_code == 405
    assert client.post(_send_url(update)).status_code == 403
    page = client.get(reverse("updates:organizer-list", kwargs={"slug": letter.slug}))
    assert page.status_code == 200
    assert "Write an update" not in page.content.decode()
    client.force_login(make_organizer(letter=make_letter(), role="owner"))
    assert client.post(_send_url(update)).status_code == 404
    update.refresh_from_db()
    assert update.status == Update.Status.DRAFT


def test_an_update_of_another_letter_is_not_found(editor_client, letter):
    other = _update(make_letter(), title="Elsewhere")
    url = reverse("updates:organizer-detail", kwargs={"slug": letter.slug, "pk": other.pk})
    assert editor_client.get(url).status_code == 404
    send = reverse("updates:send", kwargs={"slug": letter.slug, "pk": other.pk})
    assert editor_client.post(send).status_code == 404


# Delivery ------------------------------------------------------------------------------


def test_the_task_mails_each_opted_in_signer_exactly_once_in_batches(letter):
    opted_in = make_signatures(letter=letter, count=120, opt_in_updates=True)
    make_signatures(letter=letter, count=5, opt_in_updates=False)
    make_signatures(
        letter=letter,
        count=5,
        opt_in_updates=True,
        status=Signature.Status.PENDING,
        confirmed_at=None,
    )
    make_signatures(letter=make_letter(), count=5, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))

    update_tasks.update_deliver(update_id=update.pk, batch_size=50)

    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted(signature.email for signature in opted_in)
    for message in mail.outbox:
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["List-Unsubscribe"].startswith(
            "<http://testserver/unsubscribe/"
        )
        assert _unsubscribe_path(message) in message.body
        assert "We delivered the letter" in message.subject
        html = message.alternatives[0].content
        assert "<strong>well</strong>" in html
        assert "<script>" not in html
    update.refresh_from_db()
    assert update.status == Update.Status.SENT
    assert (update.recipients_total, update.sent_count, update.failed_count) == (120, 120, 0)
    assert update.finished_at is not None

    update_tasks.update_deliver(update_id=update.pk, batch_size=50)
    assert len(mail.outbox) == 120
    update.refresh_from_db()
    assert update.sent_count == 120


def test_the_unsubscribe_header_is_one_plain_line_as_smtp_sends_it(letter, settings):
    # Python folds long URLs into =?utf-8?q?...?= words, which no mail client reads there.
    settings.SITE_URL = "https://letters.a-rather-long-domain-name-for-testing.example.org"
    make_signature(letter=letter, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))
    update_tasks.update_deliver(update_id=update.pk)
    raw = mail.outbox[0].message(policy=email.policy.SMTP).as_bytes().decode()
    line = next(line for line in raw.split("\r\n") if line.startswith("List-Unsubscribe:"))
    assert line.startswith(f"List-Unsubscribe: <{settings.SITE_URL}/unsubscribe/")
    assert line.endswith("/>")
    assert "=?" not in line
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_a_batch_claimed_by_another_worker_is_not_sent_again(letter):
    make_signatures(letter=letter, count=10, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))
    updates.update_prepare(update_id=update.pk)
    first = updates._claim_batch(update_id=update.pk, limit=4)
    second = updates._claim_batch(update_id=update.pk, limit=50)
    assert len(first) == 4
    assert len(second) == 6
    assert not set(first) & set(second)
    assert updates._claim_batch(update_id=update.pk, limit=50) == []


def test_a_signer_who_unsubscribes_before_their_turn_is_skipped(letter):
    first, second = make_signatures(letter=letter, count=2, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))
    updates.update_prepare(update_id=update.pk)
    updates.signature_unsubscribe(signature=second)
    update_tasks.update_deliver(update_id=update.pk)
    assert [message.to for message in mail.outbox] == [[first.email]]
    update.refresh_from_db()
    assert (update.sent_count, update.skipped_count, update.status) == (1, 1, "sent")


def test_a_failing_mail_server_is_retried_later_and_counted_as_failed_at_last(
    letter, settings, monkeypatch
):
    # A temporary refusal (4xx) is retried; a permanent one (5xx) is not, see
    # tests/security/test_outbox_faults.py.
    settings.MAILERS = {"default": {"BACKEND": "tests.signatories.failing_mail.TransientBackend"}}
    make_signature(letter=letter, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))
    kicks = []
    monkeypatch.setattr(updates, "update_kick", lambda **kwargs: kicks.append(kwargs))
    update_tasks.update_deliver(update_id=update.pk)
    delivery = UpdateDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "try again later" in delivery.last_error
    assert kicks == [{"update_id": update.pk, "countdown": update_tasks.RETRY_SECONDS}]
    for _ in range(3):
        UpdateDelivery.objects.update(claimed_until=None)
        update_tasks.update_deliver(update_id=update.pk)
    assert UpdateDelivery.objects.get().status == "pending"
    # Still failing once the update is older than the retry window: given up.
    Update.objects.filter(pk=update.pk).update(
        published_at=update.published_at - updates.UPDATE_RETRY_FOR
    )
    UpdateDelivery.objects.update(claimed_until=None)
    update_tasks.update_deliver(update_id=update.pk)
    update.refresh_from_db()
    assert (update.status, update.failed_count, update.sent_count) == ("sent", 1, 0)
    delivery = UpdateDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 5)
    assert delivery.failed_at is not None


def test_progress_shows_on_the_organizer_page(editor_client, letter):
    make_signatures(letter=letter, count=3, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))
    update_tasks.update_deliver(update_id=update.pk)
    url = reverse("updates:organizer-detail", kwargs={"slug": letter.slug, "pk": update.pk})
    page = editor_client.get(url).content.decode()
    assert "3 of 3 sent" in page
    assert 'value="100"' in page


# Unsubscribing -------------------------------------------------------------------------


def _sent_to_one(letter):
    signature = make_signature(letter=letter, opt_in_updates=True)
    update = updates.update_send(update=_update(letter))
    update_tasks.update_deliver(update_id=update.pk)
    return signature, _unsubscribe_path(mail.outbox[0])


def test_one_click_post_unsubscribes_without_csrf_and_is_idempotent(letter):
    from django.test import Client

    signature, path = _sent_to_one(letter)
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    signature.refresh_from_db()
    assert signature.opt_in_updates is False
    assert signature.status == Signature.Status.CONFIRMED
    again = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    signature.refresh_from_db()
    assert signature.opt_in_updates is False


def test_get_only_shows_a_button_and_changes_nothing(client, letter):
    signature, path = _sent_to_one(letter)
    response = client.get(path)
    assert response.status_code == 200
    assert "Stop sending me updates" in response.content.decode()
    signature.refresh_from_db()
    assert signature.opt_in_updates is True


def test_an_unsubscribed_signer_gets_no_further_update(client, letter):
    _signature, path = _sent_to_one(letter)
    client.post(path)
    mail.outbox.clear()
    make_signature(letter=letter, opt_in_updates=True, email="other@example.org")
    second = updates.update_send(update=_update(letter, title="Second"))
    update_tasks.update_deliver(update_id=second.pk)
    assert [message.to for message in mail.outbox] == [["other@example.org"]]


@pytest.mark.parametrize("token", ["nonsense", "MTI:1tamper:signature", "x" * 300])
def test_a_bad_unsubscribe_token_changes_nothing(client, letter, token):
    signature = make_signature(letter=letter, opt_in_updates=True)
    response = client.post(f"/unsubscribe/{token}/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    signature.refresh_from_db()
    assert signature.opt_in_updates is True


def test_a_token_signed_for_another_purpose_is_refused(client, letter):
    from django.core import signing

    signature = make_signature(letter=letter, opt_in_updates=True)
    token = signing.dumps(signature.pk)
    assert client.post(f"/unsubscribe/{token}/").status_code == 404
    signature.refresh_from_db()
    assert signature.opt_in_updates is True


# Public pages --------------------------------------------------------------------------


def test_sent_updates_appear_under_the_letter_and_drafts_do_not(client, letter):
    make_signature(letter=letter, opt_in_updates=True)
    sent = updates.update_send(update=_update(letter, title="Delivered to the minister"))
    _update(letter, title="Secret draft")
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "Delivered to the minister" in page
    assert "Secret draft" not in page
    detail = client.get(sent.get_absolute_url())
    assert detail.status_code == 200
    assert "<strong>well</strong>" in detail.content.decode()
    assert "<script>" not in detail.content.decode()
    listing = client.get(reverse("updates:list", kwargs={"slug": letter.slug}))
    assert "Delivered to the minister" in listing.content.decode()


def test_a_draft_update_has_no_public_page(client, letter):
    draft = _update(letter)
    url = reverse("updates:detail", kwargs={"slug": letter.slug, "pk": draft.pk})
    assert client.get(url).status_code == 404
