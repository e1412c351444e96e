"""Numbers and dates in the visitor's language; numbers meant for machines stay plain."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from signatories.models import ExportLog
from tests.factories import make_letter, make_member_user, make_signatures

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_letter():
    letter = make_letter(goal=5000)
    make_signatures(letter=letter, count=1234)
    return letter


def test_a_french_visitor_reads_counts_with_french_digit_groups(client, big_letter):
    html = client.get(big_letter.get_absolute_url(), headers={"Accept-Language": "fr"}).content
    page = html.decode()
    assert "<span data-count>1\xa0234</span>" in page
    assert "5\xa0000" in page
    assert "1,234" not in page


def test_an_english_visitor_reads_counts_with_commas(client, big_letter):
    page = client.get(big_letter.get_absolute_url()).content.decode()
    assert "<span data-count>1,234</span>" in page
    assert "5,000" in page


def test_numbers_in_attributes_stay_plain_for_scripts(client, big_letter):
    page = client.get(big_letter.get_absolute_url(), headers={"Accept-Language": "fr"})
    assert 'max="5000" value="1234"' in page.content.decode()
    widget = client.get(reverse("embeds:widget", kwargs={"slug": big_letter.slug}) + "?lang=fr")
    assert 'data-count="1234"' in widget.content.decode()
    assert 'max="5000" value="1234"' in widget.content.decode()


def test_the_export_log_shows_dates_in_the_visitors_format(client, big_letter):
    user = make_member_user(letter=big_letter, role="editor")
    ExportLog.objects.create(letter=big_letter, user=user, format="csv", fields=["name"],
                             row_count=1234)  # fmt: skip
    ExportLog.objects.update(created_at=datetime(2026, 3, 7, 9, 5, tzinfo=UTC))
    client.force_login(user)
    url = reverse("signatories:export", kwargs={"slug": big_letter.slug})
    french = client.get(url, headers={"Accept-Language": "fr"}).content.decode()
    assert "07/03/2026 09:05" in french
    assert "2026-03-07" not in french
    english = client.get(url).content.decode()
    assert re.search(r"03/07/2026 9:05 a\.m\.", english)
