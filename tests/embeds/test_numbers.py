"""Numbers are written the way the letter's language writes them, in every embed: the
badge, the Shields JSON, the widget and the share card. And the Shields endpoint answers
any name that is not a published letter with its JSON 404."""

import pytest
from defusedxml import ElementTree
from django.urls import reverse

from embeds import services
from letters import services as letter_services
from letters import translations
from letters.models import Letter
from signatories import counters
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"
# Django's French and Spanish formats group digits with a no-break space.
NBSP = "\xa0"


def counted(letter: Letter, count: int) -> Letter:
    counters.counts_get(letter_id=letter.pk)
    counters.counts_add(letter_id=letter.pk, all=count, hidden=0)
    return letter


def badge_texts(client, letter: Letter) -> list[str]:
    response = client.get(reverse("embeds:badge", args=[letter.slug]))
    return [node.text for node in ElementTree.fromstring(response.content).iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("language", "written"),
    [("en", "100,000"), ("de", "100.000"), ("fr", f"100{NBSP}000"), ("es", f"100{NBSP}000")],
)
def test_the_badge_writes_the_count_in_the_letters_language(client, language, written):
    letter = counted(make_letter(language=language), 100_000)
    assert badge_texts(client, letter)[-1] == written


@pytest.mark.parametrize(
    ("language", "written"), [("en", "100,000"), ("de", "100.000"), ("fr", f"100{NBSP}000")]
)
def test_the_shields_message_is_in_the_letters_language(client, language, written):
    letter = counted(make_letter(language=language), 100_000)
    response = client.get(reverse("embeds:shields", args=[letter.slug]))
    assert response.json()["message"] == written


def test_the_visitors_language_does_not_change_the_badges_numbers(client):
    letter = counted(make_letter(language="de"), 1_234_567)
    response = client.get(
        reverse("embeds:badge", args=[letter.slug]), headers={"Accept-Language": "fr"}
    )
    texts = [node.text for node in ElementTree.fromstring(response.content).iter(f"{SVG}text")]
    assert texts[-1] == "1.234.567"
    assert "Accept-Language" not in response.get("Vary", "")


def test_a_language_the_site_does_not_speak_still_writes_its_numbers(client):
    letter = counted(make_letter(language="it"), 100_000)
    assert badge_texts(client, letter)[-1] == "100.000"
    widget = client.get(reverse("embeds:widget", args=[letter.slug])).content.decode()
    assert ">100.000</strong>" in widget
    assert 'data-numbers="it"' in widget


def widget_html(client, letter: Letter, query: str = "") -> str:
    return client.get(reverse("embeds:widget", args=[letter.slug]) + query).content.decode()


def test_the_widget_writes_the_count_and_the_goal_in_the_letters_language(client):
    letter = counted(make_letter(language="de", goal=250_000), 100_000)
    html = widget_html(client, letter)
    assert ">100.000</strong>" in html
    assert "250.000" in html
    assert 'data-numbers="de"' in html


def test_the_widget_in_a_translation_writes_numbers_the_translations_way(client):
    user = make_user()
    letter = make_letter(status=Letter.Status.DRAFT, language="de")
    make_member(letter=letter, user=user)
    translations.translation_create(
        letter=letter,
        user=user,
        language="fr",
        fields={"title": "Lettre", "summary": "Résumé.", "body": "Nous demandons."},
    )
    letter = counted(letter_services.letter_publish(letter=letter, user=user), 100_000)
    assert f">100{NBSP}000</strong>" in widget_html(client, letter, "?lang=fr")
    assert ">100.000</strong>" in widget_html(client, letter)


def test_words_asked_in_english_get_english_numbers(client):
    letter = counted(make_letter(language="de"), 100_000)
    assert ">100,000</strong>" in widget_html(client, letter, "?lang=en")


@pytest.mark.parametrize(
    ("language", "written"), [("en", "100,000"), ("de", "100.000"), ("fr", f"100{NBSP}000")]
)
def test_the_share_cards_count_line_is_in_the_cards_language(language, written):
    assert written in services._count_line(100_000, language=language)


def test_the_share_card_of_a_german_letter_draws_german_numbers(monkeypatch):
    letter = make_letter(language="de")
    lines: list[str] = []
    real = services._count_line

    def spy(milestone: int, *, language: str) -> str:
        lines.append(real(milestone, language=language))
        return lines[-1]

    monkeypatch.setattr(services, "_count_line", spy)
    services.share_card_render(letter=letter, count=123_456)
    assert "120.000" in lines[0]


@pytest.mark.parametrize(
    "name",
    [
        "no-such-letter",
        "a" * 300,
        "ünïcode",
        "dots.in.it",
        "with%20space",
        "%3Cscript%3E",
        "UPPER",
    ],
)
def test_shields_answers_any_unknown_name_with_a_json_404(client, name):
    make_letter()
    response = client.get(f"/api/letters/{name}/shields.json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["status"] == 404
    assert "<" not in response.content.decode()


def test_shields_answers_a_draft_with_a_json_404_that_tells_nothing_of_it(client):
    draft = make_letter(status=Letter.Status.DRAFT, title="Secret draft")
    response = client.get(reverse("embeds:shields", args=[draft.slug]))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()
    assert "Secret draft" not in response.content.decode()
    assert response["Access-Control-Allow-Origin"] == "*"


def test_shields_answers_a_head_for_an_unknown_name_with_a_404(client):
    response = client.head("/api/letters/no-such-letter/shields.json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
