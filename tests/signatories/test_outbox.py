import pytest
from django.core import mail
from django.urls import reverse

from config.celery import app as celery_app
from signatories import outbox as signer_outbox
from signatories import services
from signatories.models import OutboxMessage, Signature
from tests.factories import is_check_inbox, make_letter, sign_data

pytestmark = pytest.mark.django_db


def use_broker(url):
    """Point the Celery app at another broker, dropping its pooled connections."""
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_draining_twice_sends_each_email_once(client):
    letter = make_letter()
    for n in range(3):
        client.post(
            reverse("signatories:sign", args=[letter.slug]), sign_data(email=f"s{n}@example.org")
        )
    assert signer_outbox.outbox_drain() == (3, 0)
    assert signer_outbox.outbox_drain() == (0, 0)
    assert len(mail.outbox) == 3
    assert OutboxMessage.objects.filter(sent_at=None).count() == 0


def test_a_large_backlog_is_sent_in_batches(client):
    letter = make_letter()
    for n in range(signer_outbox.OUTBOX_BATCH + 5):
        services.signature_create(
            letter=letter, data=services.SignatureData(name=f"N{n}", email=f"n{n}@example.org")
        )
    assert signer_outbox.outbox_drain() == (signer_outbox.OUTBOX_BATCH, 0)
    assert signer_outbox.outbox_drain() == (5, 0)


def test_an_unreachable_mail_server_leaves_the_message_for_a_later_attempt(client, settings):
    letter = make_letter()
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    # A real SMTP connection to a closed port on this machine: refused at once.
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    assert signer_outbox.outbox_drain() == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error
    assert message.claimed_until is None
    assert signer_outbox.outbox_drain() == (0, 0)  # backing off: not due yet

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    OutboxMessage.objects.update(due_at=message.created_at)
    assert signer_outbox.outbox_drain() == (1, 0)
    assert len(mail.outbox) == 1


def test_a_message_claimed_by_another_worker_is_not_sent_twice(client):
    letter = make_letter()
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    claimed = signer_outbox._claim_batch(limit=10)
    assert len(claimed) == 1
    assert signer_outbox.outbox_drain() == (0, 0)
    assert mail.outbox == []


def test_a_confirmation_email_for_an_already_confirmed_signature_is_skipped(client):
    letter = make_letter()
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    Signature.objects.update(status=Signature.Status.CONFIRMED, confirmed_at="2026-01-01T00:00Z")
    assert signer_outbox.outbox_drain() == (1, 0)
    assert mail.outbox == []
    assert OutboxMessage.objects.get().sent_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_down", [True, False], ids=["broker-and-cache-down", "broker-down"])
def test_signing_while_redis_is_down_saves_the_signature_and_sends_later(client, cache_down):
    """The broker (and the cache) point at a port where nothing listens."""
    letter = make_letter()
    dead = "redis://127.0.0.1:1/0"
    good = celery_app.conf.broker_url
    use_broker(dead)
    try:
        from django.test import override_settings

        dead_cache = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": dead,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        with override_settings(**({"CACHES": dead_cache} if cache_down else {})):
            response = client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    finally:
        use_broker(good)
    assert is_check_inbox(response)
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert OutboxMessage.objects.get().sent_at is None
    assert mail.outbox == []
    # Redis is back: the periodic sweep's drain sends what the kick could not announce.
    from signatories.tasks import outbox_drain

    assert outbox_drain.run() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_signature_after_a_drain_announces_itself_at_once(client, monkeypatch):
    """The kick is throttled to one task a second; the draining worker lifts the throttle,
    so a signature saved just after the outbox was emptied does not wait for the sweep."""
    import redis
    from django.conf import settings

    from signatories.tasks import outbox_drain

    monkeypatch.setattr(signer_outbox, "OUTBOX_KICK_SECONDS", 60)  # a slow machine changes nothing
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("mail")
    letter = make_letter()
    url = reverse("signatories:sign", args=[letter.slug])
    client.post(url, sign_data(email="first@example.org"))
    assert broker.llen("mail") == 1
    client.post(url, sign_data(email="second@example.org"))
    assert broker.llen("mail") == 1  # throttled: the first task will find both rows
    assert outbox_drain.run() == 2
    client.post(url, sign_data(email="third@example.org"))
    assert broker.llen("mail") == 2
    broker.delete("mail")


def test_an_address_on_either_list_when_its_email_is_due_is_skipped():
    """Both lists are read just before each email, in one statement: an address put on
    the global list or on the letter's after signing gets nothing."""
    from mailing.addresses import address_hash
    from mailing.suppression import address_suppress
    from signatories.models import LetterSuppression

    letter, other = make_letter(), make_letter()
    for email in ("never@example.org", "notme@example.org", "ok@example.org"):
        services.signature_create(letter=letter, data=services.SignatureData(name="N", email=email))
    address_suppress(email="never@example.org")
    LetterSuppression.objects.create(
        letter=letter, address_hash=address_hash(email="notme@example.org")
    )
    # On another letter's list only: still mailed for this one.
    LetterSuppression.objects.create(
        letter=other, address_hash=address_hash(email="ok@example.org")
    )
    mail.outbox.clear()
    signer_outbox.outbox_drain()
    assert [message.to for message in mail.outbox] == [["ok@example.org"]]
    skipped = OutboxMessage.objects.exclude(skipped_at=None)
    assert set(skipped.values_list("signature__email", flat=True)) == {
        "never@example.org", "notme@example.org"
    }  # fmt: skip
