"""The dossier made by a real Celery worker on the bulk queue, asked for through the page."""

import io
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from pypdf import PdfReader

from config.celery import app
from dossiers import services
from dossiers.models import Dossier
from tests.factories import make_letter, make_member_user, make_signatures

WAIT_SECONDS = 60


def test_dossier_tasks_are_routed_to_the_bulk_queue():
    assert app.amqp.router.route({}, "dossiers.tasks.dossier_build")["queue"].name == "bulk"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_dossier_an_editor_asked_for(client):
    letter = make_letter(title="Asked through the page")
    make_signatures(letter=letter, count=40)
    make_signatures(letter=letter, count=2, show_name=False)
    client.force_login(make_member_user(letter=letter, role="editor"))

    with start_worker(app, queues=["bulk"], pool="solo", perform_ping_check=False):
        response = client.post(reverse("dossiers:page", args=[letter.slug]), {"language": ""})
        assert response.status_code == 302
        dossier = Dossier.objects.get(letter=letter)
        deadline = time.monotonic() + WAIT_SECONDS
        while dossier.in_the_making and time.monotonic() < deadline:
            time.sleep(0.2)
            dossier.refresh_from_db()

    assert dossier.status == Dossier.Status.READY
    assert (dossier.count_all, dossier.count_hidden, dossier.done) == (42, 2, 40)
    text = PdfReader(io.BytesIO(b"".join(services.dossier_file(dossier=dossier)))).pages[0]
    assert "Asked through the page" in text.extract_text()
    page = client.get(reverse("dossiers:page", args=[letter.slug])).content.decode()
    assert reverse("dossiers:download", args=[letter.slug, dossier.pk]) in page
    assert 'http-equiv="refresh"' not in page
