from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from letters import selectors, services
from letters.models import Letter, LetterVersion, Membership
from tests.factories import make_letter, make_member, make_signature, make_user

pytestmark = pytest.mark.django_db


def letter_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Fair pay for translators",
        "slug": "fair-pay",
        "summary": "Translators ask for a fair deal.",
        "organizer_name": "The Example Collective",
        "body": "We, the undersigned, **ask** for fair pay.",
        "language": "en",
        "invited_signers": "Translators",
        "goal": "500",
        "closes_at": "",
        "thank_you_message": "Thank you! Share the letter with colleagues.",
        "ask_role": "on",
        "ask_country": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def snapshot() -> tuple:
    return (
        sorted(Letter.objects.values_list("pk", "slug", "title", "body", "status", "closes_at")),
        sorted(Membership.objects.values_list("letter_id", "user_id", "role")),
        LetterVersion.objects.count(),
    )


@pytest.fixture
def owner(client):
    user = make_user()
    client.force_login(user)
    return user


def test_creating_a_letter_saves_a_draft_owned_by_its_creator(client, owner):
    response = client.post(reverse("organize:letter-create"), letter_data())
    letter = Letter.objects.get(slug="fair-pay")
    assert response.status_code == 302
    assert response["Location"] == reverse("organize:letter", kwargs={"slug": "fair-pay"})
    assert letter.status == Letter.Status.DRAFT
    assert letter.goal == 500
    assert letter.ask_role and letter.ask_country and not letter.ask_city
    assert letter.thank_you_message.startswith("Thank you!")
    assert Membership.objects.get(letter=letter).user == owner
    assert Membership.objects.get(letter=letter).role == Membership.Role.OWNER


def test_preview_button_renders_sanitised_html_and_saves_nothing(client, owner):
    body = "Hello **world** <script>alert(1)</script>"
    response = client.post(reverse("organize:letter-create"), letter_data(body=body, preview="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>world</strong>" in html
    assert "<script>alert(1)</script>" not in html
    assert not Letter.objects.exists()


def test_the_edit_page_loads_the_live_preview_script_from_our_origin(client, owner):
    response = client.get(reverse("organize:letter-create"))
    assert 'src="/static/js/letter-preview.js"' in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_live_preview_endpoint_returns_sanitised_html(client, owner):
    response = client.post(
        reverse("organize:markdown-preview"), {"body": "*hi* <img src=x onerror=alert(1)>"}
    )
    assert response.status_code == 200
    assert response.content.decode().strip() == "<p><em>hi</em> </p>"


def test_it_rejects_a_slug_already_taken(client, owner):
    make_letter(slug="fair-pay")
    before = snapshot()
    response = client.post(reverse("organize:letter-create"), letter_data())
    assert response.status_code == 400
    assert "This address is already taken. Choose another." in response.content.decode()
    assert snapshot() == before


def test_it_rejects_renaming_a_draft_to_a_slug_already_taken(client, owner):
    make_letter(slug="taken")
    letter = make_letter(status=Letter.Status.DRAFT, slug="mine")
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-edit", kwargs={"slug": "mine"}), letter_data(slug="taken")
    )
    assert response.status_code == 400
    assert "This address is already taken. Choose another." in response.content.decode()
    assert snapshot() == before


def test_it_rejects_a_closing_date_in_the_past(client, owner):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    before = snapshot()
    response = client.post(reverse("organize:letter-create"), letter_data(closes_at=past))
    assert response.status_code == 400
    assert "Choose a closing date in the future, or leave it empty." in response.content.decode()
    assert snapshot() == before


def test_a_letter_whose_closing_date_passed_can_still_be_edited(client, owner):
    passed = timezone.now() - timedelta(days=2, seconds=17)
    letter = make_letter(slug="was-open", status=Letter.Status.CLOSED, closes_at=passed)
    make_member(letter=letter, user=owner)
    form = client.get(reverse("organize:letter-edit", kwargs={"slug": "was-open"})).context["form"]
    shown = form["closes_at"].value()
    response = client.post(
        reverse("organize:letter-edit", kwargs={"slug": "was-open"}),
        letter_data(
            slug="was-open",
            body=letter.body,
            closes_at=form.fields["closes_at"].widget.format_value(shown),
        ),
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.closes_at == passed
    assert letter.title == "Fair pay for translators"


def test_the_slug_of_a_published_letter_cannot_change(client, owner):
    letter = make_letter(slug="public-one")
    make_member(letter=letter, user=owner)
    response = client.post(
        reverse("organize:letter-edit", kwargs={"slug": "public-one"}),
        letter_data(slug="renamed", title="New title", body=letter.body),
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.slug == "public-one"
    assert letter.title == "New title"


def test_publishing_with_an_empty_body_is_refused_with_a_message(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="empty", body="  ")
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-publish", kwargs={"slug": "empty"}), follow=True
    )
    assert "A letter needs a text before it can be published." in response.content.decode()
    assert snapshot() == before


def test_publishing_with_an_empty_title_is_refused_with_a_message(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="untitled", title=" ")
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-publish", kwargs={"slug": "untitled"}), follow=True
    )
    assert "A letter needs a title before it can be published." in response.content.decode()
    assert snapshot() == before


def test_publishing_with_a_closing_date_in_the_past_is_refused(client, owner):
    letter = make_letter(
        status=Letter.Status.DRAFT, slug="late", closes_at=timezone.now() - timedelta(hours=1)
    )
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(reverse("organize:letter-publish", kwargs={"slug": "late"}), follow=True)
    assert "The closing date is in the past." in response.content.decode()
    assert snapshot() == before


def test_publishing_needs_a_verified_email_address(client):
    user = make_user(verified=False)
    client.force_login(user)
    letter = make_letter(status=Letter.Status.DRAFT, slug="unverified")
    make_member(letter=letter, user=user)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-publish", kwargs={"slug": "unverified"}), follow=True
    )
    assert "Verify your email address before publishing" in response.content.decode()
    assert snapshot() == before


def test_an_established_account_is_not_held_to_the_new_account_quota(client, settings):
    settings.LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT = 1
    user = make_user()
    user.date_joined = timezone.now() - timedelta(days=settings.NEW_ACCOUNT_DAYS + 1)
    user.save(update_fields=["date_joined"])
    client.force_login(user)
    drafts = [make_letter(status=Letter.Status.DRAFT) for _ in range(3)]
    for letter in drafts:
        make_member(letter=letter, user=user)
        client.post(reverse("organize:letter-publish", kwargs={"slug": letter.slug}))
    assert Letter.objects.filter(status=Letter.Status.PUBLISHED).count() == 3


def test_publishing_makes_the_letter_public_with_its_text_as_version_one(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="ready")
    make_member(letter=letter, user=owner)
    response = client.post(reverse("organize:letter-publish", kwargs={"slug": "ready"}))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.status == Letter.Status.PUBLISHED
    assert letter.published_at is not None
    version = LetterVersion.objects.get(letter=letter)
    assert (version.number, version.body, version.created_by) == (1, letter.body, owner)
    assert letter.current_version == version
    assert client.get(letter.get_absolute_url()).status_code == 200


def test_the_signer_preview_shows_a_banner_and_a_disabled_form(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="draft-preview", body="Draft *text*")
    make_member(letter=letter, user=owner)
    response = client.get(reverse("organize:letter-preview", kwargs={"slug": "draft-preview"}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview — not published" in html
    assert "<fieldset disabled>" in html
    assert "<em>text</em>" in html
    assert client.get(letter.get_absolute_url()).status_code == 404


def test_close_reopen_archive_and_unarchive(client, owner):
    letter = make_letter(slug="cycle")
    make_member(letter=letter, user=owner)

    def post(action: str) -> None:
        client.post(reverse(f"organize:letter-{action}", kwargs={"slug": "cycle"}))
        letter.refresh_from_db()

    post("close")
    assert letter.status == Letter.Status.CLOSED and not letter.is_open
    post("reopen")
    assert letter.status == Letter.Status.PUBLISHED and letter.is_open
    post("archive")
    assert letter.status == Letter.Status.ARCHIVED and not letter.is_open
    assert letter not in selectors.letter_list_index()
    assert "cycle" not in client.get(reverse("letters:index")).content.decode()
    assert client.get(letter.get_absolute_url()).status_code == 200
    post("unarchive")
    assert letter.status == Letter.Status.CLOSED
    assert letter in selectors.letter_list_index()


def test_reopening_after_the_closing_date_is_refused_until_the_date_changes(client, owner):
    letter = make_letter(
        slug="expired", status=Letter.Status.CLOSED, closes_at=timezone.now() - timedelta(days=1)
    )
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-reopen", kwargs={"slug": "expired"}), follow=True
    )
    assert "The closing date is in the past." in response.content.decode()
    assert snapshot() == before


def test_an_action_in_the_wrong_state_is_refused_with_a_message(client, owner):
    letter = make_letter(status=Letter.Status.DRAFT, slug="draft-close")
    make_member(letter=letter, user=owner)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-close", kwargs={"slug": "draft-close"}), follow=True
    )
    assert "Only a letter that is open for signing can be closed." in response.content.decode()
    assert snapshot() == before


def test_the_dashboard_shows_status_counts_today_and_in_total_and_the_newest_signatures(
    client, owner
):
    mine = make_letter(slug="mine", title="My letter")
    make_member(letter=mine, user=owner, role=Membership.Role.VIEWER)
    make_signature(letter=mine, name="Old Signer", confirmed_at=timezone.now() - timedelta(days=3))
    make_signature(letter=mine, name="New Signer")
    make_signature(letter=mine, name="Hidden Person", show_name=False)
    make_signature(letter=mine, name="Pending Person", status="pending")
    make_signature(letter=make_letter(slug="theirs"), name="Stranger Signer")
    response = client.get(reverse("signatories:dashboard"))
    html = response.content.decode()
    (row,) = response.context["rows"]
    assert (row.letter, row.today, row.total) == (mine, 2, 3)
    assert "Published" in html
    assert "New Signer" in html and "Old Signer" in html
    assert "Hidden Person" not in html
    assert "Pending Person" not in html
    assert "Stranger Signer" not in html
    assert "@example.org" not in html


def test_the_thank_you_message_appears_once_a_signature_is_confirmed(client):
    from signatories import services as signing

    letter = make_letter(thank_you_message="Thanks!\nTell a friend.")
    signature = make_signature(letter=letter, status="pending")
    signature.token_hash = signing.token_hash(token="tok")
    signature.token_issued_at = timezone.now()
    signature.save()
    response = client.post(reverse("signatories:confirm", kwargs={"token": "tok"}))
    assert response.status_code == 200
    assert "Thanks!<br>Tell a friend." in response.content.decode()


def test_letter_publish_service_refuses_a_letter_already_published():
    letter = make_letter()
    with pytest.raises(services.LetterActionError):
        services.letter_publish(letter=letter, user=make_user())


def test_the_dashboard_costs_the_same_few_queries_however_many_letters(
    client, owner, django_assert_max_num_queries
):
    from signatories import counters

    for n in range(6):
        letter = make_letter(slug=f"many-{n}")
        make_member(letter=letter, user=owner)
        make_signature(letter=letter)
        counters.counts_get(letter_id=letter.pk)  # the live counts are warm in Redis
    # One of them reads the mismatches of the count checks, for all the letters at once.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("signatories:dashboard"))
    assert len(response.context["rows"]) == 6


def test_organizers_switch_signing_inside_the_widget_on_and_off(client, owner):
    letter = make_letter(slug="in-widget")
    make_member(letter=letter, user=owner)
    edit = reverse("organize:letter-edit", kwargs={"slug": "in-widget"})
    assert 'name="widget_sign"' in client.get(edit).content.decode()
    assert letter.widget_sign is False
    data = letter_data(slug="in-widget", body=letter.body, widget_sign="on")
    assert client.post(edit, data).status_code == 302
    letter.refresh_from_db()
    assert letter.widget_sign is True
    data.pop("widget_sign")
    client.post(edit, data)
    letter.refresh_from_db()
    assert letter.widget_sign is False
