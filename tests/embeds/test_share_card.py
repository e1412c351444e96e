import io
import json

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw

from embeds import services, tasks
from letters import services as letter_services
from letters.models import Letter
from signatories import counters
from signatories import services as signature_services
from tests.factories import (
    make_letter,
    make_pending_signature,
    make_signature,
    make_signatures,
)

pytestmark = pytest.mark.django_db
FALLBACK = (settings.BASE_DIR / "static" / "embed" / "share-fallback.png").read_bytes()


def queued(broker) -> list[str]:
    """Names of the tasks waiting in the real Redis broker's default queue."""
    return [json.loads(raw)["headers"]["task"] for raw in broker.lrange("default", 0, -1)]


@pytest.mark.parametrize(
    ("count", "milestone"),
    [(0, 0), (9, 0), (10, 10), (11, 11), (19, 19), (21, 20), (49, 48), (50, 50), (54, 50),
     (99, 95), (100, 100), (109, 100), (4999, 4800), (5000, 5000), (1_234_567, 1_200_000)],
)  # fmt: skip
def test_milestones_step_by_one_two_or_five_in_the_second_digit(count, milestone):
    assert services.share_card_milestone(count) == milestone


def test_a_card_never_shows_less_than_ninety_percent_of_a_count_of_ten_or_more():
    counts = [*range(10, 20_000), *range(20_000, 5_000_000, 997), 10**9 - 1]
    for count in counts:
        milestone = services.share_card_milestone(count)
        assert 0.9 * count <= milestone <= count, count
    assert [services.share_card_milestone(n) for n in range(10)] == [0] * 10


def test_milestones_only_go_up_and_a_power_of_ten_has_a_few_dozen_of_them():
    """The card task runs once per milestone: few enough redraws on a fast-growing letter."""
    milestones = [services.share_card_milestone(n) for n in range(10, 100_000)]
    assert milestones == sorted(milestones)
    assert len({m for m in milestones if 10_000 <= m < 100_000}) == 35


def test_the_card_is_a_1200_by_630_png(settings):
    letter = make_letter(title="A very long title " * 8)
    image = Image.open(io.BytesIO(services.share_card_render(letter=letter, count=1234)))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_the_card_is_drawn_with_pillows_own_font_when_dejavu_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(services, "FONT_DIR", tmp_path / "no-fonts-here")
    letter = make_letter()
    image = Image.open(io.BytesIO(services.share_card_render(letter=letter, count=10)))
    assert image.size == (1200, 630)


def test_the_page_links_a_versioned_card_that_is_cached_for_a_year_once_drawn(client):
    letter = make_letter()
    page = client.get(letter.get_absolute_url()).content.decode()
    version = services.share_card_version(letter=letter, count=0)
    url = f"http://testserver/letters/{letter.slug}/share.png?v={version}"
    assert f'<meta property="og:image" content="{url}">' in page
    assert f'<meta name="twitter:image" content="{url}">' in page
    assert tasks.share_card_generate(letter_id=letter.pk) == version
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(response.content)).size == (1200, 630)
    again = client.get(
        url.removeprefix("http://testserver"), headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304


def card_url(letter: Letter) -> str:
    count = counters.counts_get(letter_id=letter.pk).all
    version = services.share_card_version(letter=letter, count=count)
    return reverse("embeds:share-card", args=[letter.slug]) + f"?v={version}"


def stored_card(letter: Letter, version: str) -> bytes:
    with default_storage.open(f"share-cards/{letter.pk}/{version}.png", "rb") as stored:
        return stored.read()


def refuse_to_draw(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a web request drew with Pillow")

    monkeypatch.setattr(services, "share_card_render", refuse)
    monkeypatch.setattr(ImageDraw, "Draw", refuse)


def test_the_fallback_is_a_1200_by_630_png():
    image = Image.open(io.BytesIO(FALLBACK))
    assert image.format == "PNG"
    assert image.size == (1200, 630)


def test_a_letter_with_no_card_gets_the_fallback_briefly_and_the_drawing_is_queued(
    client, broker, monkeypatch
):
    letter = make_letter()
    refuse_to_draw(monkeypatch)
    response = client.get(card_url(letter))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == FALLBACK
    assert response["Cache-Control"].startswith("public, max-age=15,")
    assert "immutable" not in response["Cache-Control"]
    assert queued(broker) == ["embeds.tasks.share_card_generate"]
    assert not default_storage.exists(f"share-cards/{letter.pk}")
    client.get(card_url(letter))
    assert len(queued(broker)) == 1, "the queueing is throttled"


def test_once_the_task_has_run_the_same_url_serves_the_drawn_card_for_a_year(client, broker):
    letter = make_letter()
    url = card_url(letter)
    fallback = client.get(url)
    version = tasks.share_card_generate(letter_id=letter.pk)
    response = client.get(url, headers={"If-None-Match": fallback["ETag"]})
    assert response.status_code == 200
    assert response.content == stored_card(letter, version)
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"] != fallback["ETag"]


def test_a_new_milestone_serves_the_previous_card_until_the_task_draws_the_new_one(
    client, broker, monkeypatch
):
    letter = make_letter()
    first = tasks.share_card_generate(letter_id=letter.pk)
    make_signatures(letter=letter, count=10)
    cache.clear()  # the count is read again from the database
    refuse_to_draw(monkeypatch)
    response = client.get(card_url(letter))
    assert response.content == stored_card(letter, first)
    assert "immutable" not in response["Cache-Control"]
    assert queued(broker) == ["embeds.tasks.share_card_generate"]
    monkeypatch.undo()
    second = tasks.share_card_generate(letter_id=letter.pk)
    assert second.startswith("10-")
    response = client.get(card_url(letter))
    assert response.content == stored_card(letter, second)
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_card_of_an_earlier_title_is_never_served(client, broker):
    letter = make_letter(title="A first title")
    tasks.share_card_generate(letter_id=letter.pk)
    Letter.objects.filter(pk=letter.pk).update(title="A corrected title")
    letter.refresh_from_db()
    response = client.get(card_url(letter))
    assert response.content == FALLBACK
    assert queued(broker) == ["embeds.tasks.share_card_generate"]


def test_an_old_version_redirects_to_the_current_card(client):
    letter = make_letter()
    for _ in range(10):
        make_signature(letter=letter)
    response = client.get(reverse("embeds:share-card", args=[letter.slug]) + "?v=0-old")
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"?v={services.share_card_version(letter=letter, count=10)}"
    )
    assert "immutable" not in response["Cache-Control"]


def test_a_draft_has_no_card(client):
    draft = make_letter(status=Letter.Status.DRAFT)
    version = services.share_card_version(letter=draft, count=0)
    response = client.get(reverse("embeds:share-card", args=[draft.slug]) + f"?v={version}")
    assert response.status_code == 404
    assert tasks.share_card_generate(letter_id=draft.pk) is None


def test_the_task_stores_the_card_for_the_current_count_and_can_run_twice():
    letter = make_letter()
    for _ in range(50):
        make_signature(letter=letter)
    version = tasks.share_card_generate(letter_id=letter.pk)
    assert version == services.share_card_version(letter=letter, count=50)
    assert version.startswith("50-")
    assert tasks.share_card_generate(letter_id=letter.pk) == version
    assert default_storage.listdir(f"share-cards/{letter.pk}")[1] == [f"{version}.png"]


def test_reaching_a_milestone_queues_one_card_on_the_real_broker(broker):
    letter = make_letter()
    services.share_card_maybe_refresh(letter_id=letter.pk, count=50)
    services.share_card_maybe_refresh(letter_id=letter.pk, count=54)  # still the 50 card
    assert queued(broker) == ["embeds.tasks.share_card_generate"]
    services.share_card_maybe_refresh(letter_id=letter.pk, count=55)
    assert len(queued(broker)) == 2


def test_a_confirmation_that_reaches_a_milestone_queues_a_card(
    broker, django_capture_on_commit_callbacks
):
    letter = make_letter()
    for _ in range(9):
        make_signature(letter=letter)
    counters.counts_get(letter_id=letter.pk)
    make_pending_signature(letter=letter, token="m" * 20)
    services.share_card_maybe_refresh(letter_id=letter.pk, count=9)
    broker.flushdb()
    with django_capture_on_commit_callbacks(execute=True):
        signature_services.signature_confirm(token="m" * 20)
    assert counters.counts_get(letter_id=letter.pk).all == 10
    assert queued(broker) == ["embeds.tasks.share_card_generate"]


def test_publishing_queues_the_first_card(broker, django_capture_on_commit_callbacks):
    letter = make_letter(status=Letter.Status.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        letter_services.letter_publish(letter=letter)
    assert queued(broker) == ["embeds.tasks.share_card_generate"]
