import pytest
from django.urls import reverse

from letters import services
from letters.models import Letter, LetterVersion
from signatories.services import SignatureData, signature_create
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db


def published(body: str = "First text.") -> tuple[Letter, object]:
    user = make_user()
    letter = make_letter(status=Letter.Status.DRAFT, slug="versioned", body=body)
    make_member(letter=letter, user=user)
    return services.letter_publish(letter=letter, user=user), user


def edit_form(letter: Letter, **overrides: str) -> dict[str, str]:
    data = {"title": letter.title, "slug": letter.slug, "body": letter.body, "language": "en",
            "organizer_name": letter.organizer_name}  # fmt: skip
    data.update(overrides)
    return data


def test_editing_a_published_text_keeps_the_previous_version(client):
    letter, user = published()
    client.force_login(user)
    response = client.post(
        reverse("organize:letter-edit", kwargs={"slug": letter.slug}),
        edit_form(letter, body="Second text."),
    )
    assert response.status_code == 302
    versions = list(LetterVersion.objects.filter(letter=letter).order_by("number"))
    assert [(v.number, v.body) for v in versions] == [(1, "First text."), (2, "Second text.")]
    letter.refresh_from_db()
    assert letter.body == "Second text."
    assert letter.current_version == versions[1]
    assert versions[1].created_by == user


def test_editing_other_fields_of_a_published_letter_adds_no_version(client):
    letter, user = published()
    client.force_login(user)
    client.post(
        reverse("organize:letter-edit", kwargs={"slug": letter.slug}),
        edit_form(letter, summary="A new summary"),
    )
    assert LetterVersion.objects.filter(letter=letter).count() == 1


def test_editing_a_draft_adds_no_version(client):
    user = make_user()
    letter = make_letter(status=Letter.Status.DRAFT, slug="draft")
    make_member(letter=letter, user=user)
    client.force_login(user)
    client.post(
        reverse("organize:letter-edit", kwargs={"slug": "draft"}), edit_form(letter, body="New")
    )
    assert not LetterVersion.objects.exists()
    assert Letter.objects.get(pk=letter.pk).body == "New"


def test_emptying_the_text_of_a_published_letter_is_refused(client):
    letter, user = published()
    client.force_login(user)
    response = client.post(
        reverse("organize:letter-edit", kwargs={"slug": letter.slug}), edit_form(letter, body=" ")
    )
    assert response.status_code == 400
    assert "A letter needs a text before it can be published." in response.content.decode()
    assert Letter.objects.get(pk=letter.pk).body == "First text."
    assert LetterVersion.objects.count() == 1


def test_each_signature_records_the_version_it_signed():
    letter, user = published()
    first = signature_create(letter=letter, data=SignatureData(name="A", email="a@example.org"))
    letter = services.letter_update(letter=letter, user=user, fields={"body": "Changed."})
    second = signature_create(letter=letter, data=SignatureData(name="B", email="b@example.org"))
    assert first.letter_version.number == 1
    assert second.letter_version.number == 2


def test_the_public_page_says_when_the_text_last_changed_and_links_the_changes(client):
    letter, user = published()
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "last changed on" not in page
    services.letter_update(letter=letter, user=user, fields={"body": "First text.\nAdded line."})
    page = client.get(letter.get_absolute_url()).content.decode()
    assert "last changed on" in page
    assert reverse("letters:changes", kwargs={"slug": letter.slug}) in page


def test_the_changes_page_lists_every_version_with_what_changed(client):
    letter, user = published(body="Line one.\nLine two.")
    services.letter_update(
        letter=letter, user=user, fields={"body": "Line one.\nLine two, amended."}
    )
    response = client.get(reverse("letters:changes", kwargs={"slug": letter.slug}))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Version 2" in html and "Version 1" in html
    assert '<span class="removed">- Line two.</span>' in html
    assert '<span class="added">+ Line two, amended.</span>' in html


def test_the_changes_page_of_a_draft_does_not_exist(client):
    letter = make_letter(status=Letter.Status.DRAFT)
    assert client.get(reverse("letters:changes", kwargs={"slug": letter.slug})).status_code == 404


def test_the_diff_marks_a_new_title():
    old = LetterVersion(title="Old", body="Same")
    new = LetterVersion(title="New", body="Same")
    assert services.letter_version_diff(old=old, new=new) == [
        ("removed", "# Old"),
        ("added", "# New"),
    ]
