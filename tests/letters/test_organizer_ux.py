"""Organizer pages on a phone: links by role, where you are, the slug, the closing time
zone and the spreadsheet-friendly CSV."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from letters.models import Letter, Membership
from tests.factories import make_letter, make_member_user, make_signature, make_user
from tests.letters.test_organizer_letters import letter_data, snapshot

pytestmark = pytest.mark.django_db


def organizer_client(client, letter: Letter, role: str):
    client.force_login(make_member_user(letter=letter, role=role))
    return client


def page(client, name: str, **kwargs: object) -> str:
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, name
    return response.content.decode()


def nav(html: str) -> str:
    found = re.search(r'<nav class="subnav".*?</nav>', html, re.S)
    assert found, "the page has the organizer sub-navigation"
    return found.group(0)


# Links and buttons by role -------------------------------------------------------------


def test_a_viewer_sees_no_link_or_button_they_cannot_use(client):
    letter = make_letter(status=Letter.Status.DRAFT)
    signature = make_signature(letter=letter)
    viewer = organizer_client(client, letter, "viewer")
    slug = letter.slug
    overview = page(viewer, "organize:letter", slug=slug)
    for forbidden in ("letter-edit", "letter-publish", "letter-close", "letter-archive"):
        assert reverse(f"organize:{forbidden}", kwargs={"slug": slug}) not in overview
    assert reverse("signatories:export", kwargs={"slug": slug}) not in overview
    assert "<button" not in overview.split("</nav>", 2)[-1].split('class="site-footer"')[0]

    signatures = (
        page(viewer, "moderation:list", slug=slug)
        + viewer.get(reverse("moderation:list", kwargs={"slug": slug}) + "?q=Ada").content.decode()
    )
    assert reverse("moderation:bulk-remove", kwargs={"slug": slug}) not in signatures
    detail = page(viewer, "moderation:detail", slug=slug, pk=signature.pk)
    for action in ("hold", "remove", "verify"):
        url = reverse(f"moderation:{action}", kwargs={"slug": slug, "pk": signature.pk})
        assert url not in detail
    updates = page(viewer, "updates:organizer-list", slug=slug)
    assert 'method="post" novalidate' not in updates
    team = page(viewer, "organize:team", slug=slug)
    assert reverse("organize:invite", kwargs={"slug": slug}) not in team


def test_an_editor_sees_the_links_a_viewer_does_not(client):
    letter = make_letter(status=Letter.Status.DRAFT)
    editor = organizer_client(client, letter, "editor")
    overview = page(editor, "organize:letter", slug=letter.slug)
    assert reverse("organize:letter-edit", kwargs={"slug": letter.slug}) in nav(overview)
    assert reverse("signatories:export", kwargs={"slug": letter.slug}) in nav(overview)
    assert reverse("organize:letter-publish", kwargs={"slug": letter.slug}) in overview


def test_every_viewer_link_in_the_subnav_opens(client):
    letter = make_letter()
    viewer = organizer_client(client, letter, "viewer")
    html = page(viewer, "organize:letter", slug=letter.slug)
    for href in re.findall(r'href="(/organize/[^"]+)"', nav(html)):
        assert viewer.get(href).status_code == 200, href


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("organize:letter", "Overview"),
        ("organize:letter-edit", "Edit"),
        ("moderation:list", "Signatures"),
        ("updates:organizer-list", "Updates to signers"),
        ("signatories:export", "Export"),
        ("organize:team", "Co-organizers"),
    ],
)
def test_the_subnav_marks_the_current_page(client, name, label):
    letter = make_letter()
    html = page(organizer_client(client, letter, "owner"), name, slug=letter.slug)
    current = re.findall(r'<a href="[^"]+" aria-current="page">([^<]+)</a>', nav(html))
    assert current == [label]


def test_a_signature_page_marks_its_section_in_the_subnav(client):
    letter = make_letter()
    signature = make_signature(letter=letter)
    html = page(
        organizer_client(client, letter, "editor"),
        "moderation:detail",
        slug=letter.slug,
        pk=signature.pk,
    )
    assert re.findall(r'aria-current="(\w+)">([^<]+)</a>', nav(html)) == [("true", "Signatures")]


# The slug ------------------------------------------------------------------------------


@pytest.fixture
def owner(client):
    user = make_user()
    client.force_login(user)
    return user


def create(client, follow: bool = False, **overrides: object):
    return client.post(reverse("organize:letter-create"), letter_data(**overrides), follow=follow)


def test_a_new_letter_without_a_slug_gets_one_from_its_title(client, owner):
    response = create(client, title="Fair pay for translators, now!", slug="")
    letter = Letter.objects.get()
    assert letter.slug == "fair-pay-for-translators-now"
    assert response["Location"] == reverse("organize:letter", kwargs={"slug": letter.slug})


def test_a_derived_slug_that_is_taken_gets_a_random_ending(client, owner):
    make_letter(slug="open-letter")
    create(client, title="Open letter", slug="")
    slug = Letter.objects.exclude(slug="open-letter").get().slug
    assert re.fullmatch(r"open-letter-[0-9a-f]{6}", slug)


def test_a_title_without_latin_letters_still_gets_an_address(client, owner):
    create(client, title="Открытое письмо", slug="")
    assert re.fullmatch(r"letter-[0-9a-f]{6}", Letter.objects.get().slug)


def test_a_typed_slug_wins_over_the_title(client, owner):
    create(client, title="Open letter", slug="my-own")
    assert Letter.objects.get().slug == "my-own"


def test_the_form_offers_to_fill_the_slug_only_for_a_new_letter(client, owner):
    new = page(client, "organize:letter-create")
    assert "data-from-title" in new and "js/letter-form.js" in new
    letter = make_letter(status=Letter.Status.DRAFT)
    Membership.objects.create(letter=letter, user=owner, role="owner")
    assert "data-from-title" not in page(client, "organize:letter-edit", slug=letter.slug)


def test_an_invalid_typed_slug_is_refused_and_nothing_is_stored(client, owner):
    before = snapshot()
    response = create(client, slug="Not a slug!")
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert snapshot() == before


# The closing date in the organizer's time zone --------------------------------------------


def test_the_closing_date_is_typed_and_shown_in_the_chosen_zone_and_stored_in_utc(client, owner):
    create(client, slug="zoned", closes_at="2031-06-01T18:30", time_zone="Europe/Paris")
    letter = Letter.objects.get(slug="zoned")
    assert letter.closes_at == datetime(2031, 6, 1, 16, 30, tzinfo=UTC)
    assert letter.time_zone == "Europe/Paris"

    form = client.get(reverse("organize:letter-edit", kwargs={"slug": "zoned"})).context["form"]
    assert form.fields["closes_at"].widget.format_value(form["closes_at"].value()) == (
        "2031-06-01T18:30"
    )
    assert form["time_zone"].value() == "Europe/Paris"
    overview = page(client, "organize:letter", slug="zoned")
    assert "closes on June 1, 2031, 6:30 p.m. (Europe/Paris)" in overview


def test_saving_the_form_untouched_keeps_the_closing_moment(client, owner):
    create(client, slug="zoned", closes_at="2031-01-15T09:00", time_zone="America/New_York")
    stored = Letter.objects.get(slug="zoned").closes_at
    assert stored == datetime(2031, 1, 15, 14, 0, tzinfo=UTC)
    form = client.get(reverse("organize:letter-edit", kwargs={"slug": "zoned"})).context["form"]
    shown = form.fields["closes_at"].widget.format_value(form["closes_at"].value())
    client.post(
        reverse("organize:letter-edit", kwargs={"slug": "zoned"}),
        letter_data(slug="zoned", closes_at=shown, time_zone="America/New_York"),
    )
    assert Letter.objects.get(slug="zoned").closes_at == stored


def test_the_public_page_shows_the_closing_date_with_its_zone(client):
    letter = make_letter(
        closes_at=datetime(2031, 6, 1, 16, 30, tzinfo=UTC), time_zone="Europe/Paris"
    )
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "Signing closes on June 1, 2031, 6:30 p.m. (Europe/Paris)" in html


def test_an_unknown_time_zone_is_refused_and_nothing_is_stored(client, owner):
    before = snapshot()
    response = create(client, closes_at="2031-06-01T18:30", time_zone="Mars/Olympus_Mons")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert snapshot() == before


def test_a_closing_time_already_past_in_the_chosen_zone_is_refused(client, owner):
    # An hour ahead in UTC is already yesterday evening's past on Kiritimati (UTC+14).
    soon = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    before = snapshot()
    response = create(client, closes_at=soon, time_zone="Pacific/Kiritimati")
    assert response.status_code == 400
    assert "Choose a closing date in the future, or leave it empty." in response.content.decode()
    assert snapshot() == before


# CSV for Excel ------------------------------------------------------------------------------


def export(client, letter: Letter, **extra: str) -> bytes:
    data = {"format": "csv", "columns": ["name", "city"], **extra}
    response = client.post(reverse("signatories:export", kwargs={"slug": letter.slug}), data)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_csv_starts_with_a_bom_only_when_asked_for_excel(client):
    letter = make_letter()
    make_signature(letter=letter, name="Zoë Ünal", city="Besançon")
    editor = organizer_client(client, letter, "editor")
    for_excel = export(editor, letter, excel_bom="on")
    plain = export(editor, letter)
    assert for_excel.startswith(b"\xef\xbb\xbf")
    assert for_excel[3:] == plain
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ünal,Besançon" in plain.decode("utf-8")


def test_the_bom_option_never_touches_a_json_export(client):
    letter = make_letter()
    make_signature(letter=letter)
    editor = organizer_client(client, letter, "editor")
    assert export(editor, letter, format="json", excel_bom="on").startswith(b"[")


def test_a_flash_message_is_announced_with_a_written_label(client, owner):
    response = create(client, follow=True)
    html = response.content.decode()
    assert re.search(
        r'<p class="message message-success" role="status"><strong class="message-label">'
        r"Done:</strong> Draft saved\.",
        html,
    )
