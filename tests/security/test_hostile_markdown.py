"""Nobody can freeze a web worker with a Markdown text.

The one timed test of the suite: the issue demands that a hostile body renders in under a
second. Before the change, Python-Markdown took minutes on 100,000 ``[``.
"""

import time

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from letters.models import BODY_MAX_LENGTH, Letter
from letters.services import letter_render_markdown
from tests.factories import make_letter, make_user

HOSTILE_BODIES = {
    "brackets": "[" * 100_000,
    "stars": "*" * 100_000,
    "underscores": "_" * 100_000,
    "angle-brackets": "<" * 100_000,
    "nested-quotes": ">" * 100_000,
    "nested-quotes-spaced": "> " * 50_000,
    "nested-lists": "".join("  " * depth + "- x\n" for depth in range(3_000)),
    "nested-numbered-lists": "1. " * 33_000 + "x",
    "nested-emphasis": "*a " * 33_000 + "b" + "*" * 33_000,
    "open-links": "[a](" * 25_000,
    "images-in-links": "[![" * 33_000,
    "backticks": "`" * 100_000,
    "entities": "&" * 100_000,
    "quotes-in-lists": "".join(">" * depth + " - x\n" for depth in range(300)),
    "reference-expansion": "[a]: http://x\n\n" + "[a]" * 33_000,
}


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_a_hostile_letter_body_cannot_hold_a_worker_for_a_second(body: str) -> None:
    started = time.process_time()
    html = letter_render_markdown(text=body)
    assert time.process_time() - started < 1.0
    assert "<script" not in html


def test_deep_nesting_is_shown_as_plain_text_not_refused() -> None:
    html = letter_render_markdown(text=">" * 1_000 + " *quoted*")
    assert "<blockquote>" not in html
    assert "&gt;&gt;&gt;" in html and "*quoted*" in html


def test_ordinary_nesting_still_renders() -> None:
    html = letter_render_markdown(text="> We ask:\n>\n> - fair pay\n>   - and *credit*\n")
    assert html.count("<blockquote>") == 1 and html.count("<ul>") == 2
    assert "<em>credit</em>" in html


def test_the_renderer_reads_no_further_than_the_longest_body() -> None:
    html = letter_render_markdown(text="a" * BODY_MAX_LENGTH + "TAIL")
    assert "TAIL" not in html


@pytest.mark.django_db
def test_a_letter_text_over_the_limit_gets_a_clear_message_and_stores_nothing(client) -> None:
    client.force_login(make_user())
    data = {"title": "Fair pay", "slug": "fair-pay", "language": "en", "goal": ""}
    response = client.post(
        reverse("organize:letter-create"), {**data, "body": "a" * (BODY_MAX_LENGTH + 1)}
    )
    assert response.status_code == 400
    assert f"Ensure this value has at most {BODY_MAX_LENGTH} characters" in (
        response.content.decode()
    )
    assert not Letter.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_letter_text_over_the_limit() -> None:
    letter = make_letter(body="short")
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.filter(pk=letter.pk).update(body="a" * (BODY_MAX_LENGTH + 1))
    letter.refresh_from_db()
    assert letter.body == "short"
