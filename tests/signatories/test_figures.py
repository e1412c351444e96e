"""Public signatures per day: the figures page, its JSON and CSV, the chart on the letter
page and the links from the correction log (signatories/figures.py)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from moderation import services as moderation
from signatories import services
from signatories.figures import figures_forget_all
from signatories.models import CountEvent
from tests.factories import make_letter, make_member_user, make_pending_signature, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter():
    return make_letter(time_zone="Europe/Paris")


def _json(letter, client=None):
    response = (client or Client()).get(reverse("embeds:figures-json", args=[letter.slug]))
    assert response.status_code == 200
    return response


def test_days_are_counted_in_the_letter_time_zone_with_gaps_and_totals(letter):
    # 23:30 UTC on 1 December is 00:30 on 2 December in Paris.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    make_signature(letter=letter, confirmed_at=late)
    make_signature(letter=letter, confirmed_at=late - timedelta(hours=2))  # 1 Dec, 22:30 local
    gone = make_signature(letter=letter, confirmed_at=late)
    services.signature_withdraw(signature=gone)  # today
    body = _json(letter).json()
    assert body["time_zone"] == "Europe/Paris"
    days = body["days"]
    assert days[0] == {
        "day": "2026-12-01", "confirmed": 1, "withdrawn": 0, "held": 0, "released": 0,
        "removed": 0, "restored": 0, "net": 1, "total": 1,
    }  # fmt: skip
    assert (days[1]["day"], days[1]["confirmed"], days[1]["total"]) == ("2026-12-02", 2, 3)
    last = days[-1]
    assert last["day"] == timezone.localtime(timezone.now(), letter_zone(letter)).date().isoformat()
    assert (last["withdrawn"], last["net"], last["total"]) == (1, -1, 2)
    assert body["signature_count"] == last["total"] == 2
    # Every day between the first and today is listed, quiet ones too.
    assert len({day["day"] for day in days}) == len(days)


def test_the_csv_has_the_same_rows(letter):
    make_signature(letter=letter)
    response = Client().get(reverse("embeds:figures-csv", args=[letter.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Access-Control-Allow-Origin"] == "*"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["total"] for row in rows] == [str(d["total"]) for d in _json(letter).json()["days"]]
    assert rows[-1]["confirmed"] == "1"


def test_the_figures_answer_is_public_and_revalidated_by_etag(letter):
    make_signature(letter=letter)
    first = _json(letter)
    assert "public" in first["Cache-Control"]
    again = Client().get(
        reverse("embeds:figures-json", args=[letter.slug]), HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304


def test_a_draft_or_unknown_letter_has_no_figures():
    draft = make_letter(status="draft")
    for slug in (draft.slug, "no-such-letter"):
        assert Client().get(reverse("embeds:figures-json", args=[slug])).status_code == 404
        assert Client().get(reverse("signatories:figures", args=[slug])).status_code == 404


def test_the_figures_page_has_an_anchor_per_day_and_a_removal_is_counted(letter):
    make_signature(letter=letter)
    removed = make_signature(letter=letter)
    actor = make_member_user(letter=letter)
    moderation.signature_remove(signature=removed, actor=actor, reason="<b>Fake</b>")
    html = Client().get(reverse("signatories:figures", args=[letter.slug])).content.decode()
    today = timezone.localtime(timezone.now(), letter_zone(letter)).date().isoformat()
    assert f'id="day-{today}"' in html
    days = _json(letter).json()["days"]
    assert (days[-1]["removed"], days[-1]["total"]) == (1, 1)


def letter_zone(letter):
    from zoneinfo import ZoneInfo

    return ZoneInfo(letter.time_zone)


def test_the_correction_log_links_each_entry_to_its_day(letter):
    signature = make_signature(letter=letter)
    actor = make_member_user(letter=letter)
    moderation.signature_remove(signature=signature, actor=actor, reason="Duplicate")
    html = Client().get(reverse("moderation:corrections", args=[letter.slug])).content.decode()
    today = timezone.localtime(timezone.now(), letter_zone(letter)).date().isoformat()
    assert f'href="/letters/{letter.slug}/figures/#day-{today}"' in html


def test_the_letter_page_shows_an_accessible_chart_drawn_on_the_server(letter):
    make_signature(letter=letter, confirmed_at=timezone.now() - timedelta(days=3))
    make_signature(letter=letter)
    html = Client().get(letter.get_absolute_url()).content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'role="img"' in html and '<title id="figures-title">' in html
    assert "2 signatures counted so far. The chart shows the last 4 days." in html
    assert f'<a href="/letters/{letter.slug}/figures/">' in html
    assert "<script" not in html.split('class="figures-chart"')[1].split("</figure>")[0]


def test_the_chart_follows_the_count_on_the_kept_page(letter, django_capture_on_commit_callbacks):
    """The letter page is kept whole per process; a confirmation redraws it, chart too."""
    make_signature(letter=letter)
    client = Client()
    assert "1 signature counted so far" in client.get(letter.get_absolute_url()).content.decode()
    make_pending_signature(letter=letter, token="more", email="more@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.signature_confirm(token="more")[0] == services.ConfirmResult.CONFIRMED
    assert "2 signatures counted so far" in client.get(letter.get_absolute_url()).content.decode()


def test_no_chart_before_the_first_signature(letter):
    html = Client().get(letter.get_absolute_url()).content.decode()
    assert "figures-chart" not in html


def test_a_past_day_is_added_up_once_per_process_and_day(letter, django_assert_num_queries):
    make_signature(letter=letter, confirmed_at=timezone.now() - timedelta(days=2))
    figures_forget_all()
    _json(letter)
    # The next read (a new count, so no 304) reads only today's events.
    make_signature(letter=letter)
    with django_assert_num_queries(1):
        body = _json(letter).json()
    assert body["days"][-1]["total"] == 2
    assert CountEvent.objects.filter(letter=letter).count() == 2


def test_a_day_that_lost_signatures_is_drawn_below_the_line(letter):
    earlier = timezone.now() - timedelta(days=2)
    make_signature(letter=letter, confirmed_at=earlier)
    gone = [make_signature(letter=letter, confirmed_at=earlier) for _ in range(2)]
    actor = make_member_user(letter=letter)
    for signature in gone:
        moderation.signature_remove(signature=signature, actor=actor, reason="Fake")
    html = Client().get(letter.get_absolute_url()).content.decode()
    chart = html.split('class="figures-chart"')[1].split("</figure>")[0]
    assert chart.count('class="down"') == 1
    assert "1 signature counted so far." in chart
