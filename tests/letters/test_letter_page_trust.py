"""A letter people trust: who is behind it, where its count stands, the names under its
text, and mail that speaks for its organizers."""

from datetime import timedelta
from email.utils import parseaddr

import pytest
from django.urls import reverse
from django.utils import timezone

from letters import services
from letters.models import Letter, LetterVersion
from signatories import emails as signer_emails
from tests.factories import (
    make_letter,
    make_member,
    make_pending_signature,
    make_signature,
    make_signatures,
    make_user,
)
from updates import emails as update_emails
from updates.models import Update

pytestmark = pytest.mark.django_db


def page_of(client, letter: Letter) -> str:
    response = client.get(letter.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def snapshot() -> tuple:
    return (
        sorted(
            Letter.objects.values_list(
                "pk", "status", "published_at", "organizer_name", "current_version"
            )
        ),
        LetterVersion.objects.count(),
    )


@pytest.fixture
def owner(client):
    user = make_user()
    client.force_login(user)
    return user


# Who is behind the letter ----------------------------------------------------------------


def test_the_letter_page_says_from_whom_and_to_whom_near_the_title(client):
    letter = make_letter(
        organizer_name="Translators of the Northern Quarter",
        addressee="The city council",
        contact_email="hello@translators.example",
    )
    page = page_of(client, letter)
    head = page.split('<header class="letter-head">', 1)[1].split("</header>", 1)[0]
    assert "From Translators of the Northern Quarter" in head
    assert "To The city council" in head
    assert '<a href="mailto:hello@translators.example">' in page


def test_a_letter_without_an_addressee_or_contact_shows_neither(client):
    letter = make_letter(organizer_name="A small collective", addressee="", contact_email="")
    page = page_of(client, letter)
    assert "From A small collective" in page
    assert 'class="to"' not in page
    assert "mailto:" not in page.split("<footer", 1)[0]


def test_the_drafting_form_saves_organizer_addressee_and_contact(client, owner):
    data = {
        "title": "Open the archives",
        "slug": "open-archives",
        "language": "en",
        "body": "We ask.",
        "organizer_name": "Friends of the archives",
        "addressee": "The mayor",
        "contact_email": "friends@archives.example",
    }
    response = client.post(reverse("organize:letter-create"), data)
    assert response.status_code == 302
    letter = Letter.objects.get(slug="open-archives")
    assert (letter.organizer_name, letter.addressee, letter.contact_email) == (
        "Friends of the archives",
        "The mayor",
        "friends@archives.example",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "not an address", "Enter a valid email address."),
        ("contact_email", "a@b.example\nBcc: x@y.example", "Enter a valid email address."),
        ("organizer_name", "Evil\u202eCorp", "Remove the invisible control characters"),
        ("organizer_name", "x" * 121, "Ensure this value has at most 120 characters"),
    ],
)
def test_a_bad_organizer_or_contact_gets_a_clear_message_and_stores_nothing(
    client, owner, field, value, message
):
    letter = make_letter(status=Letter.Status.DRAFT, slug="draft-one")
    make_member(letter=letter, user=owner)
    before = snapshot(), Letter.objects.values_list("contact_email", flat=True).get()
    data = {"title": letter.title, "slug": letter.slug, "body": letter.body, "language": "en",
            "organizer_name": letter.organizer_name, field: value}  # fmt: skip
    response = client.post(reverse("organize:letter-edit", kwargs={"slug": letter.slug}), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (snapshot(), Letter.objects.values_list("contact_email", flat=True).get()) == before


def test_publishing_without_an_organizer_name_is_refused_and_changes_nothing(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="anonymous", organizer_name="  ")
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-publish", kwargs={"slug": "anonymous"}), follow=True
    )
    assert "Say who is behind the letter: fill in “Organized by” before publishing." in (
        response.content.decode()
    )
    assert snapshot() == before
    assert client.get("/letters/anonymous/").status_code == 404


def test_a_public_letter_cannot_lose_its_organizer_name(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="named")
    make_member(letter=letter, user=owner)
    services.letter_publish(letter=letter, user=owner)
    before = snapshot()
    data = {"title": letter.title, "slug": letter.slug, "body": letter.body, "language": "en",
            "organizer_name": ""}  # fmt: skip
    response = client.post(reverse("organize:letter-edit", kwargs={"slug": "named"}), data)
    assert "Say who is behind the letter" in response.content.decode()
    assert snapshot() == before


# The count and the state of the letter -----------------------------------------------------


def test_an_empty_open_letter_invites_the_first_signature_instead_of_a_large_zero(client):
    page = page_of(client, make_letter(goal=100))
    status = page.split('<div class="letter-status">', 1)[1].split("</div>", 1)[0]
    assert "Be the first to sign" in status
    assert "data-count>0<" not in page  # the zero is only there hidden, for the live count
    assert "No names yet. Yours can be the first." in page
    assert "among the first" not in page


def test_a_closed_letter_never_invites_anyone_to_be_first(client):
    closed_at = timezone.now() - timedelta(days=2)
    for letter in (
        make_letter(status=Letter.Status.CLOSED, closed_at=closed_at),
        make_letter(closes_at=timezone.now() - timedelta(hours=1)),
    ):
        page = page_of(client, letter)
        assert "first to sign" not in page.lower()
        assert "No signature was confirmed before signing closed." in page
        assert 'href="#sign"' not in page
        assert "Signing closed on" in page or "Signing is closed" in page


def test_a_closed_letter_with_signatures_shows_when_it_closed_and_its_count(client):
    letter = make_letter(status=Letter.Status.CLOSED, closed_at=timezone.now() - timedelta(days=1))
    make_signature(letter=letter, name="Early Signer")
    page = page_of(client, letter)
    status = page.split('<div class="letter-status">', 1)[1].split("</div>", 1)[0]
    assert "Signing closed on" in status
    assert "<strong data-count>1</strong> confirmed signature" in status
    assert "first to sign" not in page.lower()


def test_the_count_and_the_jump_link_come_before_the_letter_text(client):
    letter = make_letter(goal=50)
    make_signature(letter=letter)
    page = page_of(client, letter)
    text = page.index('class="letter-body"')
    assert page.index("<strong data-count>1</strong>") < text
    assert page.index('max="50" value="1"') < text
    assert page.index('href="#sign"') < text
    # The jump lands on the count above the form.
    target = page.split('id="sign"', 1)[1]
    assert target.index('class="count-number"') < target.index('action="/letters/')


# The names under the text --------------------------------------------------------------


def test_verified_signatories_come_first_as_their_own_group_then_the_latest(client):
    letter = make_letter()
    make_signature(letter=letter, name="Plain Early")
    make_signature(
        letter=letter,
        name="Verified Person",
        verified_at=timezone.now(),
        verification_method="contact",
    )
    make_signature(letter=letter, name="Plain Late")
    page = page_of(client, letter)
    names = page.split('class="undersigned"', 1)[1]
    featured = names.split('class="signatory-list featured">', 1)[1].split("</ul>", 1)[0]
    assert "Verified Person" in featured and "Plain" not in featured
    latest = names.split("Latest signatories", 1)[1]
    assert latest.index("Plain Late") < latest.index("Plain Early")
    assert names.index("Verified Person") < names.index("Plain Late")
    assert page.count("Verified Person") == 1


def test_the_names_follow_the_letter_text(client):
    letter = make_letter(body="The text of the letter.")
    make_signature(letter=letter, name="After The Text")
    page = page_of(client, letter)
    assert page.index("The text of the letter.") < page.index("After The Text")


def test_the_count_signs_off_the_list_with_the_others(client):
    letter = make_letter()
    for n in range(12):
        make_signature(letter=letter, name=f"Named {n}")
    make_signature(letter=letter, show_name=False)
    page = page_of(client, letter)
    # Ten names are shown; two named and one unnamed signer make three others.
    assert "… and 3 others." in page


def test_the_sign_off_counts_people_when_every_name_is_shown_or_none_is(client):
    letter = make_letter()
    make_signature(letter=letter, name="Only Named")
    make_signature(letter=letter, name="Second Named")
    assert "2 people have signed." in page_of(client, letter)
    quiet = make_letter()
    make_signature(letter=quiet, show_name=False)
    assert "1 person has signed." in page_of(client, quiet)


def test_a_large_sign_off_groups_its_thousands(client):
    letter = make_letter()
    make_signatures(letter=letter, count=1244)
    assert "… and 1,234 others." in page_of(client, letter)


# Share or embed ------------------------------------------------------------------------


def test_the_embed_panel_sits_inside_a_closed_share_disclosure(client):
    page = page_of(client, make_letter())
    details = page.split('<details class="share-embed" id="share">', 1)[1].split("</details>", 1)[0]
    assert "<summary>Share or embed this letter</summary>" in details
    assert 'class="embed-panel"' in details
    assert 'id="embed-script"' in details


def test_the_preview_of_a_draft_has_no_share_panel(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="preview-me")
    make_member(letter=letter, user=owner)
    page = client.get(reverse("organize:letter-preview", kwargs={"slug": "preview-me"}))
    html = page.content.decode()
    assert "Be the first to sign" in html
    assert "share-embed" not in html


# The home page -------------------------------------------------------------------------


def test_the_home_page_says_what_the_site_is_and_lists_the_most_active_first(client):
    quiet = make_letter(title="Quiet letter", published_at=timezone.now())
    busy = make_letter(
        title="Busy letter",
        goal=100,
        closes_at=timezone.now() + timedelta(days=30),
        published_at=timezone.now() - timedelta(days=9),
    )
    middling = make_letter(title="Middling letter", published_at=timezone.now())
    make_letter(title="Closed but huge", status=Letter.Status.CLOSED)
    for _ in range(3):
        make_signature(letter=busy)
    make_signature(letter=middling)
    page = client.get("/").content.decode()
    assert "publishes open letters and counts the people who sign them" in page
    order = [page.index(title) for title in ("Busy", "Middling", "Quiet", "Closed but huge")]
    assert order == sorted(order)
    busy_row = page.split("Busy letter", 1)[1].split("</li>", 1)[0]
    assert "3 signatures" in busy_row
    assert 'max="100" value="3"' in busy_row and "Goal: 100" in busy_row
    assert "Signing closes on" in busy_row
    assert "From The Example Collective" in busy_row
    quiet_row = page.split("Quiet letter", 1)[1].split("</li>", 1)[0]
    assert "Be the first to sign" in quiet_row
    assert quiet.title in page


def test_the_index_orders_closed_letters_after_open_ones_whatever_their_count(client):
    closed = make_letter(title="Closed letter", status=Letter.Status.CLOSED)
    for _ in range(5):
        make_signature(letter=closed)
    make_letter(title="Open letter")
    page = client.get("/").content.decode()
    assert page.index("Open letter") < page.index("Closed letter")
    assert "signing closed" in page.split("Closed letter", 1)[1]


# Mail in the organizers' name ----------------------------------------------------------


def test_signer_mail_comes_from_the_organizer_via_the_site_with_replies_to_the_contact(
    settings,
):
    settings.DEFAULT_FROM_EMAIL = "Undersigned <letters@undersigned.example>"
    settings.SITE_NAME = "Undersigned"
    letter = make_letter(
        organizer_name="Translators, Northern Quarter", contact_email="team@translators.example"
    )
    signature = make_pending_signature(letter=letter, token="t" * 20)
    for message in (
        signer_emails.confirmation(signature=signature, token="t" * 20),
        signer_emails.already_signed(signature=signature, withdraw_token="w"),
        signer_emails.withdraw(signature=signature, token="w"),
    ):
        sent = message.message()
        assert parseaddr(sent["From"]) == (
            "Translators, Northern Quarter via Undersigned",
            "letters@undersigned.example",
        )
        assert sent["Reply-To"] == "team@translators.example"


def test_update_mail_speaks_for_the_organizer_too(settings):
    settings.DEFAULT_FROM_EMAIL = "letters@undersigned.example"
    letter = make_letter(organizer_name="Friends of the archives", contact_email="f@a.example")
    signature = make_signature(letter=letter)
    update = Update.objects.create(letter=letter, title="News", body="We met the mayor.")
    sent = update_emails.update(
        update=update, signature=signature, body_html="<p>We met the mayor.</p>", token="u"
    ).message()
    assert parseaddr(sent["From"])[1] == "letters@undersigned.example"
    assert parseaddr(sent["From"])[0].startswith("Friends of the archives via ")
    assert sent["Reply-To"] == "f@a.example"


def test_without_organizer_or_contact_mail_keeps_the_site_sender_and_no_reply_to(settings):
    settings.DEFAULT_FROM_EMAIL = "Undersigned <letters@undersigned.example>"
    letter = make_letter(organizer_name="", contact_email="")
    signature = make_pending_signature(letter=letter, token="n" * 20)
    sent = signer_emails.confirmation(signature=signature, token="n" * 20).message()
    assert sent["From"] == "Undersigned <letters@undersigned.example>"
    assert sent["Reply-To"] is None


def test_an_organizer_name_cannot_smuggle_a_link_or_a_header_into_the_sender(settings):
    settings.DEFAULT_FROM_EMAIL = "letters@undersigned.example"
    letter = make_letter(organizer_name="Visit www.prize.example now")
    signature = make_pending_signature(letter=letter, token="s" * 20)
    sent = signer_emails.confirmation(signature=signature, token="s" * 20).message()
    name, address = parseaddr(sent["From"])
    assert address == "letters@undersigned.example"
    assert "www." not in name and "prize.example" not in name
