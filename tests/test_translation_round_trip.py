"""The whole trip of a translated letter: an organizer translates it and publishes, a French
visitor reads and signs the French text, confirms, and the organizers' export and the
public API both say which text was signed; the count stays one for every language."""

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse

from letters.models import Letter
from signatories import counters
from signatories import outbox as signer_outbox
from signatories.models import Signature
from tests.factories import is_check_inbox, make_letter, make_member, make_user, sign_data

pytestmark = pytest.mark.django_db

FRENCH = {
    "language": "fr",
    "title": "Pour une rémunération juste",
    "summary": "Une lettre ouverte.",
    "body": "Nous, soussignés, demandons une *rémunération juste*.",
    "thank_you_message": "Merci d’avoir signé !",
}


def test_an_organizer_translates_a_french_visitor_signs_the_french_text_and_it_shows(
    client, django_capture_on_commit_callbacks
):
    organizer = make_user()
    letter = make_letter(
        status=Letter.Status.DRAFT, title="For fair pay", thank_you_message="Thank you!"
    )
    make_member(letter=letter, user=organizer)
    client.force_login(organizer)
    added = client.post(
        reverse("organize:translation-create", kwargs={"slug": letter.slug}), FRENCH
    )
    assert added.status_code == 302
    published = client.post(reverse("organize:letter-publish", kwargs={"slug": letter.slug}))
    assert published.status_code == 302
    assert Letter.objects.get(pk=letter.pk).status == Letter.Status.PUBLISHED
    client.logout()

    # A French browser on the plain address reads the French text and signs it.
    html = client.get(letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<h1 lang="fr" dir="ltr">Pour une rémunération juste</h1>' in html
    assert "<em>rémunération juste</em>" in html
    sign_url = reverse("signatories:sign", kwargs={"slug": letter.slug})
    assert f'action="{sign_url}?lang=fr#sign"' in html
    response = client.post(
        f"{sign_url}?lang=fr",
        sign_data(name="Camille Martin", email="camille@example.org", text_version="1"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert is_check_inbox(response)
    # The answer names the subject to look for: with the title of the text signed.
    assert "Confirmez votre signature : Pour une rémunération juste" in response.content.decode()
    signer_outbox.outbox_drain()
    # The confirmation names the text signed, and links to the page in its language.
    assert mail.outbox[-1].subject == "Confirmez votre signature : Pour une rémunération juste"
    assert f"http://testserver{letter.get_absolute_url()}?lang=fr" in mail.outbox[-1].body
    link = next(word for word in mail.outbox[-1].body.split() if "/confirm/" in word)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(link.removeprefix("http://testserver"), HTTP_ACCEPT_LANGUAGE="fr")
    assert confirmed.status_code == 200
    assert "Merci d’avoir signé !" in confirmed.content.decode()
    signature = Signature.objects.select_related("letter_version").get()
    assert signature.status == Signature.Status.CONFIRMED
    assert (signature.letter_version.language, signature.letter_version.number) == ("fr", 1)

    # One count for every language.
    assert counters.counts_get(letter_id=letter.pk).all == 1
    english = client.get(letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h1 lang="en" dir="ltr">For fair pay</h1>' in english
    assert "Camille Martin" in english

    # The organizers' export says which text was signed.
    client.force_login(organizer)
    export = client.post(
        reverse("signatories:export", kwargs={"slug": letter.slug}),
        {"format": "csv", "columns": ["name", "text_language", "text_version"]},
    )
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows == [
        ["Name", "Language of the text signed", "Version of the text signed"],
        ["Camille Martin", "fr", "1"],
    ]
    client.logout()

    # The API gives the French text, the languages, and the shared count.
    api = client.get(f"/api/letters/{letter.slug}/?lang=fr").json()
    assert api["title"] == "Pour une rémunération juste"
    assert api["text"]["language"] == "fr" and api["text"]["version"] == 1
    assert api["signature_count"] == 1
    assert [(item["code"], item["original"]) for item in api["languages"]] == [
        ("en", True),
        ("fr", False),
    ]
    assert api["languages"][1]["url"].endswith(f"{letter.get_absolute_url()}?lang=fr")
    assert client.get(f"/api/letters/{letter.slug}/").json()["title"] == "For fair pay"


@pytest.mark.parametrize(
    ("lang", "status", "message"),
    [
        ("klingon", 400, "lang must be a language code such as fr or pt-br, not 'klingon'."),
        ("de", 404, "This letter has no text in 'de'. It has: en, fr."),
    ],
)
def test_the_api_answers_a_language_the_letter_lacks_with_a_clear_json_error(
    client, lang, status, message
):
    organizer = make_user()
    letter = make_letter()
    make_member(letter=letter, user=organizer)
    from letters import translations

    translations.translation_create(
        letter=letter, user=organizer, language="fr", fields={k: v for k, v in FRENCH.items()}
    )
    response = client.get(f"/api/letters/{letter.slug}/?lang={lang}")
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["message"] == message
