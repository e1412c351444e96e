"""A change made in another process reaches this process's cached facts at once.

Here the test process is the web process holding warm facts, and a child process (a
fresh interpreter on the same database and Redis, like an organizer's request served by
another worker or the admin) makes the change.
"""

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.factories import make_letter, make_signature
from tests.processes import settings_in_child

pytestmark = pytest.mark.django_db(transaction=True)


def in_other_process(code: str) -> None:
    database = connection.settings_dict
    done = settings_in_child(
        "import django; django.setup()\n"
        "from letters.models import Letter\n"
        "from letters import services\n" + code,
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        SECRET_KEY="x" * 50,
    )
    assert done.returncode == 0, done.stderr


def test_a_letter_closed_by_another_process_is_served_closed_here(client):
    letter = make_letter(slug="held-warm", title="Held warm")
    make_signature(letter=letter)
    path = reverse("embeds:api-detail", args=[letter.slug])
    for _ in range(3):
        assert client.get(path).json()["open"] is True

    in_other_process(
        "letter = Letter.objects.get(slug='held-warm')\nservices.letter_close(letter=letter)\n"
    )

    data = client.get(path).json()
    assert (data["status"], data["open"]) == ("closed", False)


def test_a_letter_deleted_by_another_process_is_gone_here(client):
    letter = make_letter(slug="deleted-elsewhere")
    path = reverse("embeds:badge", args=[letter.slug])
    for _ in range(3):
        assert client.get(path).status_code == 200

    in_other_process("Letter.objects.get(slug='deleted-elsewhere').delete()\n")

    assert client.get(path).status_code == 404
