"""One letter, several languages, one count: organizers translate a letter's text, visitors
read it in their language, and each signature records the text it agreed to."""

import re
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from letters import pagecache, services, translations
from letters.models import Letter, LetterTranslation, LetterVersion
from signatories import counters
from signatories.models import Signature
from tests.factories import is_check_inbox, make_letter, make_member, make_user, sign_data

pytestmark = pytest.mark.django_db

FRENCH = {
    "title": "Lettre en français",
    "summary": "Un court résumé.",
    "body": "Nous, *soussignés*, demandons un accord équitable.",
    "thank_you_message": "Merci !",
}
ARABIC = {
    "title": "رسالة مفتوحة",
    "summary": "ملخص قصير.",
    "body": "نحن الموقعين أدناه نطالب باتفاق عادل.",
    "thank_you_message": "شكرا",
}


def draft(**overrides: object) -> tuple[Letter, Any]:
    user = make_user()
    fields = {"status": Letter.Status.DRAFT, "thank_you_message": "Thanks!"}
    letter = make_letter(**{**fields, **overrides})
    make_member(letter=letter, user=user)
    return letter, user


def published_with(language: str = "fr", text: dict[str, str] = FRENCH) -> tuple[Letter, Any]:
    letter, user = draft()
    translations.translation_create(letter=letter, user=user, language=language, fields=text)
    letter = services.letter_publish(letter=letter, user=user)
    counters.counts_get(letter_id=letter.pk)
    return letter, user


def snapshot() -> tuple:
    return (
        sorted(Letter.objects.values_list("pk", "status", "language", "current_version")),
        sorted(LetterTranslation.objects.values_list("pk", "language", "title", "body")),
        sorted(LetterVersion.objects.values_list("pk", "language", "number")),
    )


def page(client, url: str, **headers: str) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


# Organizers ---------------------------------------------------------------------------


def test_an_organizer_adds_a_translation_from_the_letter_page(client):
    letter, user = draft()
    client.force_login(user)
    overview = page(client, reverse("organize:letter", kwargs={"slug": letter.slug}))
    assert reverse("organize:translation-create", kwargs={"slug": letter.slug}) in overview
    response = client.post(
        reverse("organize:translation-create", kwargs={"slug": letter.slug}),
        {"language": "fr", **FRENCH},
    )
    assert response.status_code == 302
    translation = LetterTranslation.objects.get(letter=letter)
    assert (translation.language, translation.title) == ("fr", "Lettre en français")
    # A draft's texts get their versions when it is published.
    assert not LetterVersion.objects.exists()
    overview = page(client, reverse("organize:letter", kwargs={"slug": letter.slug}))
    assert "Français" in overview
    assert reverse("organize:translation-edit", kwargs={"slug": letter.slug, "language": "fr"})


def test_any_known_language_code_may_be_typed_and_is_normalised(client):
    letter, user = draft()
    client.force_login(user)
    response = client.post(
        reverse("organize:translation-create", kwargs={"slug": letter.slug}),
        {"other_language": "pt_BR", **FRENCH},
    )
    assert response.status_code == 302
    assert LetterTranslation.objects.get(letter=letter).language == "pt-br"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"other_language": "klingon"}, "Enter a language code we know, such as ar, fr or pt-br."),
        ({"other_language": "en"}, "This is the letter&#x27;s own language. Choose another one."),
        ({}, "Choose the language of this translation."),
        ({"language": "fr", "other_language": "ar"}, "Choose a language or type a code, not both."),
        ({"language": "en"}, "Select a valid choice."),
        ({"language": "de", "title": "Bad\u202etitle"}, "Remove the invisible control"),
    ],
)
def test_a_bad_translation_gets_a_clear_message_and_stores_nothing(client, data, message):
    letter, user = draft()
    client.force_login(user)
    before = snapshot()
    response = client.post(
        reverse("organize:translation-create", kwargs={"slug": letter.slug}),
        {**FRENCH, **data},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_a_second_translation_in_one_language_is_refused(client):
    letter, user = draft()
    translations.translation_create(letter=letter, user=user, language="fr", fields=FRENCH)
    client.force_login(user)
    before = snapshot()
    response = client.post(
        reverse("organize:translation-create", kwargs={"slug": letter.slug}),
        {"language": "fr", **FRENCH},
    )
    assert response.status_code == 400
    assert "already has a translation in this language" in response.content.decode()
    assert snapshot() == before


def test_publishing_refuses_an_incomplete_translation_and_names_what_it_lacks(client):
    letter, user = draft()
    translations.translation_create(
        letter=letter, user=user, language="de", fields={"title": "Offener Brief"}
    )
    client.force_login(user)
    before = snapshot()
    response = client.post(
        reverse("organize:letter-publish", kwargs={"slug": letter.slug}), follow=True
    )
    html = response.content.decode()
    assert "The German translation is incomplete: fill in its summary, text, thank-you" in html
    assert snapshot() == before
    assert Letter.objects.get(pk=letter.pk).status == Letter.Status.DRAFT


def test_each_language_gets_its_own_numbered_versions():
    letter, user = published_with()
    assert sorted(LetterVersion.objects.values_list("language", "number")) == [
        ("en", 1),
        ("fr", 1),
    ]
    translations.translation_update(
        letter=letter, user=user, language="fr", fields={"body": "Nouveau texte."}
    )
    translations.translation_update(
        letter=letter, user=user, language="fr", fields={"summary": "Autre résumé."}
    )
    fr = LetterTranslation.objects.get(letter=letter)
    assert (fr.current_version.language, fr.current_version.number) == ("fr", 2)
    assert fr.current_version.body == "Nouveau texte."
    letter = services.letter_update(letter=letter, user=user, fields={"body": "New text."})
    assert (letter.current_version.language, letter.current_version.number) == ("en", 2)


def test_a_public_letters_translation_must_stay_complete(client):
    letter, user = published_with()
    client.force_login(user)
    before = snapshot()
    response = client.post(
        reverse("organize:translation-edit", kwargs={"slug": letter.slug, "language": "fr"}),
        {**FRENCH, "body": "  "},
    )
    assert response.status_code == 400
    assert "The French translation is incomplete: fill in its text." in response.content.decode()
    assert snapshot() == before


def test_a_translation_added_to_a_public_letter_is_its_version_one_at_once():
    letter, user = published_with()
    translations.translation_create(letter=letter, user=user, language="ar", fields=ARABIC)
    version = LetterTranslation.objects.get(letter=letter, language="ar").current_version
    assert (version.language, version.number, version.title) == ("ar", 1, ARABIC["title"])


def test_the_letters_language_cannot_become_one_it_has_a_translation_in():
    letter, user = published_with()
    before = snapshot()
    with pytest.raises(services.LetterActionError, match="translation in that language"):
        services.letter_update(letter=letter, user=user, fields={"language": "fr"})
    assert snapshot() == before


def test_deleting_a_translation_keeps_its_versions_for_the_signatures(client):
    letter, user = published_with()
    client.force_login(user)
    url = reverse("organize:translation-delete", kwargs={"slug": letter.slug, "language": "fr"})
    assert client.post(url).status_code == 302
    assert not LetterTranslation.objects.exists()
    assert LetterVersion.objects.filter(language="fr").count() == 1


def test_a_translations_version_one_does_not_count_as_a_published_letter(settings):
    settings.LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT = 1
    letter, user = draft()
    translations.translation_create(letter=letter, user=user, language="fr", fields=FRENCH)
    services.letter_publish(letter=letter, user=user)
    other = make_letter(status=Letter.Status.DRAFT, slug="second")
    make_member(letter=other, user=user)
    with pytest.raises(services.LetterActionError, match="at most 1 letter a day"):
        services.letter_publish(letter=other, user=user)


# Visitors -----------------------------------------------------------------------------


def test_a_visitor_reads_the_text_named_by_lang_and_sees_the_other_languages(client):
    letter, _user = published_with()
    html = page(client, f"{letter.get_absolute_url()}?lang=fr")
    assert '<h1 lang="fr" dir="ltr">Lettre en français</h1>' in html
    assert "<em>soussignés</em>" in html
    assert "<title>Lettre en français" in html
    # Also in: the original, named in its own language.
    assert f'<a href="{letter.get_absolute_url()}?lang=en" hreflang="en" lang="en"' in html
    assert 'rel="alternate" hreflang="fr"' in html and 'hreflang="x-default"' in html
    # The sign form keeps the language and the version the visitor read.
    assert (
        f'action="{reverse("signatories:sign", kwargs={"slug": letter.slug})}?lang=fr#sign"' in html
    )
    assert '<input type="hidden" name="text_version" value="1">' in html


def test_the_page_follows_the_browsers_language_when_the_letter_has_that_text(client):
    letter, _user = published_with()
    assert "Lettre en français" in page(
        client, letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr"
    )
    german = page(client, letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de")
    assert f'<h1 lang="en" dir="ltr">{letter.title}</h1>' in german


@pytest.mark.parametrize("lang", ["xx", "de", "<script>", "fr-"])
def test_an_unknown_or_missing_language_shows_the_original(client, lang):
    letter, _user = published_with()
    html = page(client, f"{letter.get_absolute_url()}?lang={lang}", HTTP_ACCEPT_LANGUAGE="en")
    assert f'<h1 lang="en" dir="ltr">{letter.title}</h1>' in html


def test_an_arabic_text_is_laid_out_right_to_left(client):
    letter, _user = published_with("ar", ARABIC)
    html = page(client, f"{letter.get_absolute_url()}?lang=ar")
    assert f'<h1 lang="ar" dir="rtl">{ARABIC["title"]}</h1>' in html
    assert '<div lang="ar" dir="rtl" class="letter-body">' in html
    assert '<html lang="en"' in html  # the site's own words stay in the visitor's language
    english = page(client, letter.get_absolute_url())
    assert 'hreflang="ar" lang="ar" dir="auto">العربيّة</a>' in english


def test_a_page_in_a_language_is_kept_and_drawn_again_when_its_translation_changes(client):
    letter, user = published_with()
    url = f"{letter.get_absolute_url()}?lang=fr"
    page(client, url)
    assert "Lettre en français" in page(client, url)
    assert len(pagecache._query_pages) == 1
    translations.translation_update(
        letter=letter, user=user, language="fr", fields={"title": "Titre changé"}
    )
    assert "Titre changé" in page(client, url)


def test_the_changes_page_lists_the_versions_of_the_language_asked_for(client):
    letter, user = published_with()
    translations.translation_update(
        letter=letter, user=user, language="fr", fields={"body": "Deuxième texte."}
    )
    url = reverse("letters:changes", kwargs={"slug": letter.slug})
    french = page(client, f"{url}?lang=fr")
    assert "Version 2" in french and "Deuxième texte." in french
    assert "Version 2" not in page(client, url)


# Signatures ---------------------------------------------------------------------------


def test_a_signature_records_the_language_and_version_of_the_text_it_signed(client):
    letter, user = published_with()
    url = reverse("signatories:sign", kwargs={"slug": letter.slug})
    response = client.post(f"{url}?lang=fr", sign_data(text_version="1"))
    assert is_check_inbox(response)
    translations.translation_update(
        letter=letter, user=user, language="fr", fields={"body": "Deuxième texte."}
    )
    # A page drawn before the change still names version 1: its signer read that one.
    client.post(f"{url}?lang=fr", sign_data(email="late@example.org", text_version="1"))
    client.post(f"{url}?lang=fr", sign_data(email="new@example.org"))
    client.post(url, sign_data(email="plain@example.org", text_version="7"))
    signed = {
        s.email: (s.letter_version.language, s.letter_version.number)
        for s in Signature.objects.select_related("letter_version")
    }
    assert signed == {
        "ada@example.org": ("fr", 1),
        "late@example.org": ("fr", 1),
        "new@example.org": ("fr", 2),
        "plain@example.org": ("en", 1),
    }


def test_correcting_the_address_keeps_the_text_that_was_read(client):
    letter, _user = published_with()
    url = reverse("signatories:sign", kwargs={"slug": letter.slug})
    html = client.post(
        f"{url}?lang=fr", sign_data(email="ada@exmaple.org", text_version="1")
    ).content.decode()
    form = re.search(r'<details class="inbox-fix">.*?<form(.*?)</form>', html, re.S)
    assert form is not None
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0)))
    assert (fields["lang"], fields["text_version"]) == ("fr", "1")
    client.post(url, {**{k: unescape(v) for k, v in fields.items()}, "email": "ada@example.org"})
    fixed = Signature.objects.select_related("letter_version").get(email="ada@example.org")
    assert (fixed.letter_version.language, fixed.letter_version.number) == ("fr", 1)


def test_an_organizer_previews_a_drafts_translation(client):
    letter, user = draft()
    translations.translation_create(letter=letter, user=user, language="ar", fields=ARABIC)
    client.force_login(user)
    preview = reverse("organize:letter-preview", kwargs={"slug": letter.slug})
    overview = page(client, reverse("organize:letter", kwargs={"slug": letter.slug}))
    assert f'href="{preview}?lang=ar"' in overview
    html = page(client, f"{preview}?lang=ar")
    assert f'<h1 lang="ar" dir="rtl">{ARABIC["title"]}</h1>' in html


def test_the_demo_letter_can_be_read_in_french_with_one_count(client):
    import io

    from django.core.management import call_command

    call_command("seed_demo", signatures=5, stdout=io.StringIO())
    call_command("seed_demo", signatures=5, stdout=io.StringIO())  # a second run adds nothing
    letter = Letter.objects.get(slug="credit-consent-compensation")
    assert list(letter.translations.values_list("language", flat=True)) == ["fr"]
    assert LetterVersion.objects.filter(letter=letter, language="fr").count() == 1
    english = client.get(letter.get_absolute_url()).content.decode()
    assert 'hreflang="fr"' in english
    french = client.get(letter.get_absolute_url(), {"lang": "fr"}).content.decode()
    assert "Crédit, consentement et rémunération pour le travail créatif" in french
    assert "abord le consentement.</strong>" in french
