"""Signers read the site, the sign form and their emails in their own language."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from signatories import outbox as signer_outbox
from tests.factories import is_check_inbox, make_letter, sign_data

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.LOCALE_PATHS[0])
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

# Templates and modules whose every string a signer or a journalist may read.
SIGNER_FACING = (
    "templates/base.html",
    "templates/privacy.html",
    "templates/letters/index.html",
    "templates/letters/detail.html",
    "templates/letters/_count.html",
    "templates/letters/_signatory.html",
    "templates/letters/signatories.html",
    "templates/letters/changes.html",
    "templates/signatories/",
    "templates/emails/confirm",
    "templates/emails/already_signed",
    "templates/emails/withdraw",
    "templates/emails/update",
    "templates/embed/",
    "templates/updates/detail.html",
    "templates/updates/list.html",
    "templates/updates/_public_list.html",
    "templates/updates/unsubscribe.html",
    "signatories/forms.py",
)


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def is_signer_facing(entry: polib.POEntry) -> bool:
    return any(path.startswith(SIGNER_FACING) for path, _line in entry.occurrences)


def test_a_french_visitor_sees_the_sign_form_in_french(client):
    letter = make_letter()
    response = client.get(reverse("letters:detail", args=[letter.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Signer cette lettre" in html
    assert "Nom complet" in html
    assert "J’accepte la politique de confidentialité" in html
    assert '<button type="submit" class="primary">Signer</button>' in html
    assert "Sign this letter" not in html


def test_an_english_visitor_still_sees_english(client):
    letter = make_letter()
    html = client.get(reverse("letters:detail", args=[letter.slug])).content.decode()
    assert "Sign this letter" in html
    assert "Signer cette lettre" not in html


def test_a_french_visitor_sees_form_errors_in_french_and_nothing_is_saved(client):
    letter = make_letter()
    response = client.post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(email="not-an-address"),
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    assert not letter.signatures.exists()


def test_a_german_signer_is_told_to_check_the_inbox_in_german(client):
    letter = make_letter(title="Offener Brief")
    response = client.post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    html = response.content.decode()
    assert is_check_inbox(response)
    assert "Sehen Sie in Ihr Postfach" in html
    assert "Wir haben eine E-Mail zu „Offener Brief“" in html
    assert "Check your inbox" not in html


def test_the_confirmation_email_of_a_spanish_letter_is_in_spanish(client):
    letter = make_letter(title="Carta abierta", language="es")
    # A visitor who asked for no language gets mail in the letter's; one who did gets
    # mail in theirs (tests/signatories/test_email_language.py).
    client.post(reverse("signatories:sign", args=[letter.slug]), sign_data())
    signer_outbox.outbox_drain()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Confirme su firma: Carta abierta"
    assert "Hola, Ada Example:" in message.body
    assert "ha firmado la carta abierta «Carta abierta» con esta dirección." in message.body
    assert "Confirm" not in message.body
    html = message.alternatives[0].content
    assert "ha firmado la carta abierta «Carta abierta» con esta dirección." in html


def test_the_language_switcher_sets_the_cookie_and_the_next_page_follows_it(client):
    letter = make_letter()
    page = reverse("letters:detail", args=[letter.slug])
    assert 'action="/i18n/setlang/"' in client.get(page).content.decode()

    response = client.post(reverse("set_language"), {"language": "de", "next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    html = client.get(page).content.decode()
    assert '<html lang="de">' in html
    assert "Diesen Brief unterschreiben" in html
    assert '<option value="de" lang="de" selected>Deutsch</option>' in html


def test_the_language_switcher_names_each_language_in_that_language(client):
    html = client.get(reverse("letters:index")).content.decode()
    for code, name in [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]:
        assert f'<option value="{code}" lang="{code}"' in html
        assert f">{name}</option>" in html


def test_the_language_switcher_refuses_an_unknown_language(client):
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_is_complete_and_compiled(language):
    po = catalog(language)
    assert po.metadata["Language"] == language
    assert not po.metadata_is_fuzzy
    assert po.fuzzy_entries() == []
    assert po.untranslated_entries() == []
    assert any(is_signer_facing(entry) for entry in po)
    mo = LOCALE / language / "LC_MESSAGES" / "django.mo"
    compiled = {(entry.msgctxt, entry.msgid) for entry in polib.mofile(str(mo))}
    missing = [e.msgid for e in po.translated_entries() if (e.msgctxt, e.msgid) not in compiled]
    assert missing == [], "run manage.py compilemessages and commit the .mo files"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_placeholder_survives_translation(language):
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for entry in catalog(language).translated_entries():
        expected = set(placeholder.findall(entry.msgid + (entry.msgid_plural or "")))
        found = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in found:
            assert set(placeholder.findall(text)) <= expected, (entry.msgid, text)
            if not entry.msgid_plural:
                assert set(placeholder.findall(text)) == expected, (entry.msgid, text)


@pytest.mark.parametrize(
    ("language", "singular", "plural"),
    [
        ("fr", "1 signature confirmée", "2 signatures confirmées"),
        ("de", "1 bestätigte Unterschrift", "2 bestätigte Unterschriften"),
        ("es", "1 firma confirmada", "2 firmas confirmadas"),
    ],
)
def test_plural_forms_follow_each_language(language, singular, plural):
    msgid = "%(counter)s confirmed signature"
    with translation.override(language):
        one = translation.ngettext(msgid, msgid + "s", 1) % {"counter": 1}
        two = translation.ngettext(msgid, msgid + "s", 2) % {"counter": 2}
        zero = translation.ngettext(msgid, msgid + "s", 0) % {"counter": 0}
    assert (one, two) == (singular, plural)
    # French counts zero as singular (n > 1); German and Spanish as plural (n != 1).
    assert zero.endswith(singular.split(" ", 1)[1] if language == "fr" else plural.split(" ", 1)[1])


NEW_PAGES = {
    "fr": {
        "We could not understand this request": "Nous n’avons pas compris cette demande",
        "You may not do this here": "Vous ne pouvez pas faire cela ici",
        "We cannot find this page": "Nous ne trouvons pas cette page",
        "Something went wrong on our side": "Une erreur s’est produite de notre côté",
        "The form could not be sent": "Le formulaire n’a pas pu être envoyé",
        "There is a problem": "Il y a un problème",
        "Enter your email address.": "Saisissez votre adresse e-mail.",
        "Ask others to sign": "Inviter d’autres personnes à signer",
        "Link to the letter": "Lien vers la lettre",
        "Copy link": "Copier le lien",
    },
    "de": {
        "We could not understand this request": "Wir konnten diese Anfrage nicht verstehen",
        "You may not do this here": "Das dürfen Sie hier nicht tun",
        "We cannot find this page": "Wir finden diese Seite nicht",
        "Something went wrong on our side": "Bei uns ist etwas schiefgelaufen",
        "The form could not be sent": "Das Formular konnte nicht gesendet werden",
        "There is a problem": "Es gibt ein Problem",
        "Enter your email address.": "Geben Sie Ihre E-Mail-Adresse ein.",
        "Ask others to sign": "Andere zum Unterschreiben einladen",
        "Link to the letter": "Link zum Brief",
        "Copy link": "Link kopieren",
    },
    "es": {
        "We could not understand this request": "No hemos podido entender esta solicitud",
        "You may not do this here": "No puede hacer esto aquí",
        "We cannot find this page": "No encontramos esta página",
        "Something went wrong on our side": "Algo ha salido mal por nuestra parte",
        "The form could not be sent": "No se ha podido enviar el formulario",
        "There is a problem": "Hay un problema",
        "Enter your email address.": "Introduzca su dirección de correo electrónico.",
        "Ask others to sign": "Invitar a otras personas a firmar",
        "Link to the letter": "Enlace a la carta",
        "Copy link": "Copiar el enlace",
    },
}


@pytest.mark.parametrize("language", sorted(NEW_PAGES))
def test_the_error_pages_error_summary_and_share_panel_speak_each_language(language, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    expected = NEW_PAGES[language]

    def visitor(*, enforce_csrf_checks: bool = False) -> Client:
        client = Client(raise_request_exception=False, enforce_csrf_checks=enforce_csrf_checks)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    def assert_translated(html: str, *english: str) -> None:
        assert f'<html lang="{language}">' in html
        for text in english:
            assert expected[text] in html and text not in html, text

    for path, heading in [
        ("/test-errors/400/", "We could not understand this request"),
        ("/test-errors/403/", "You may not do this here"),
        ("/no-such-page/", "We cannot find this page"),
        ("/test-errors/500/", "Something went wrong on our side"),
    ]:
        assert_translated(visitor().get(path).content.decode(), heading)

    letter = make_letter()
    sign_url = reverse("signatories:sign", args=[letter.slug])
    resend_url = reverse("signatories:resend", args=[letter.slug])
    csrf_page = visitor(enforce_csrf_checks=True).post(resend_url, {"email": "a@example.org"})
    assert csrf_page.status_code == 403
    assert_translated(csrf_page.content.decode(), "The form could not be sent")

    client = visitor()
    summary = client.post(sign_url, sign_data(email=""))
    assert_translated(summary.content.decode(), "There is a problem", "Enter your email address.")

    client.post(sign_url, sign_data())
    signer_outbox.outbox_drain()
    link = next(word for word in mail.outbox[-1].body.split() if "/confirm/" in word)
    confirmed = client.post(link.removeprefix("http://testserver"))
    assert confirmed.status_code == 200
    assert_translated(
        confirmed.content.decode(), "Ask others to sign", "Link to the letter", "Copy link"
    )
