"""A share card drawn by a real Celery worker when a confirmation reaches a milestone."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.storage import default_storage
from django.urls import reverse

from config.celery import app as celery_app
from embeds import services
from signatories import services as signature_services
from tests.factories import make_letter, make_pending_signature, make_signature


@pytest.fixture
def celery_worker(transactional_db, broker):
    with start_worker(
        celery_app, pool="solo", queues=["default"], perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


def wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_tenth_confirmation_has_the_worker_draw_the_card_the_page_links(client, celery_worker):
    letter = make_letter()
    for _ in range(9):
        make_signature(letter=letter)
    make_pending_signature(letter=letter, token="c" * 20)

    signature_services.signature_confirm(token="c" * 20)  # autocommit: on_commit runs now

    version = services.share_card_version(letter=letter, count=10)
    name = f"share-cards/{letter.pk}/{version}.png"
    assert wait_for(lambda: default_storage.exists(name)), "the worker drew no card"
    page = client.get(letter.get_absolute_url()).content.decode()
    url = reverse("embeds:share-card", args=[letter.slug]) + f"?v={version}"
    assert f'content="http://testserver{url}"' in page
    with default_storage.open(name, "rb") as stored:
        assert client.get(url).content == stored.read()
