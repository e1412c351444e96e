"""Signing inside the widget (embeds/widget_sign.py, embeds/sign_views.py)."""

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from letters.models import Letter
from signatories import outbox as signer_outbox
from signatories.forms import form_stamp
from signatories.models import OutboxMessage, Signature
from tests.embeds.test_widget import Tags, scripts_of
from tests.factories import make_letter, make_signature, sign_data
from tests.security.test_bot_forms import solved

pytestmark = pytest.mark.django_db

INBOX = "Check your inbox"


def widget(letter: Letter, query: str = "?form=1") -> str:
    return reverse("embeds:widget", args=[letter.slug]) + query


def sign_url(letter: Letter, query: str = "?form=1") -> str:
    return reverse("embeds:widget-sign", args=[letter.slug]) + query


def framed_post(client: Client, url: str, data: dict, **headers: str):
    """A POST as the framed form sends it: from our own origin, with no cookie."""
    return client.post(url, data, headers={"Sec-Fetch-Site": "same-origin", **headers})


def assert_nothing_stored() -> None:
    assert Signature.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def form_of(html: str) -> dict[str, dict[str, str | None]]:
    """The form's fields by name, with their attributes."""
    return {attrs["name"] or "": attrs for tag, attrs in Tags.of(html) if tag == "input"}


def test_the_form_shows_only_when_the_letter_switch_is_on_and_the_snippet_asks(client):
    off = make_letter()
    assert "<form" not in client.get(widget(off)).content.decode()
    on = make_letter(widget_sign=True)
    assert "<form" not in client.get(widget(on, "")).content.decode()
    html = client.get(widget(on)).content.decode()
    fields = form_of(html)
    assert set(fields) == {"name", "email", "show_name", "consent", "website", "stamp", "ref"}
    assert f'action="{sign_url(on)}"' in html
    closed = make_letter(widget_sign=True, status=Letter.Status.CLOSED)
    assert "<form" not in client.get(widget(closed)).content.decode()


def test_the_form_is_labelled_and_its_honeypot_is_out_of_reach(client):
    html = client.get(widget(make_letter(widget_sign=True))).content.decode()
    tags = Tags.of(html)
    labels = {attrs["for"] for tag, attrs in tags if tag == "label"}
    assert {"w-name", "w-email", "w-show_name", "w-consent", "w-website"} <= labels
    fields = form_of(html)
    assert fields["website"]["tabindex"] == "-1"
    assert fields["email"]["aria-describedby"] == "w-email-h"
    assert 'class="x" aria-hidden="true"' in html


def test_each_widget_gets_a_fresh_stamp_and_carries_its_source(client):
    letter = make_letter(widget_sign=True)
    first = form_of(client.get(widget(letter)).content.decode())["stamp"]["value"]
    time.sleep(0.01)
    again = client.get(widget(letter, "?form=1&ref=daily-news")).content.decode()
    assert form_of(again)["stamp"]["value"] != first
    assert form_of(again)["ref"]["value"] == "daily-news"


def test_the_same_widget_asked_twice_gets_two_fresh_stamps(client, settings):
    settings.PUBLIC_READ_MEMO_SECONDS = 60  # as in production: the read's parts are kept
    letter = make_letter(widget_sign=True)
    first = form_of(client.get(widget(letter)).content.decode())["stamp"]["value"]
    time.sleep(0.01)
    again = form_of(client.get(widget(letter)).content.decode())["stamp"]["value"]
    assert again != first


def test_the_widget_with_the_form_has_a_weak_tag_that_changes_each_hour(client):
    letter = make_letter(widget_sign=True)
    with_form = client.get(widget(letter))
    assert with_form["ETag"].startswith('W/"')
    held = {"If-None-Match": with_form["ETag"]}
    assert client.get(widget(letter), headers=held).status_code == 304
    assert not client.get(widget(letter, ""))["ETag"].startswith("W/")


def test_the_widget_csp_lets_forms_post_only_to_the_widgets_own_origin(client):
    csp = client.get(widget(make_letter(widget_sign=True)))["Content-Security-Policy"]
    assert "form-action 'self'" in csp


def test_the_widget_stays_small_with_and_without_the_form(client):
    letter = make_letter(goal=1000, title="T" * 200, widget_sign=True)
    plain = client.get(widget(letter, "")).content
    assert len(plain) + sum(len(p.read_bytes()) for p in scripts_of(plain.decode())) < 15_000
    with_form = client.get(widget(letter)).content
    scripts = scripts_of(with_form.decode())
    assert [path.name for path in scripts] == ["live-count.js", "widget.js", "widget-form.js"]
    assert len(with_form) + sum(len(path.read_bytes()) for path in scripts) < 30_000


def test_a_reader_signs_inside_the_frame_and_is_told_to_check_the_inbox(client):
    letter = make_letter(widget_sign=True, ask_country=True)
    response = framed_post(client, sign_url(letter, "?form=1"), sign_data(ref="daily-news"))
    assert response.status_code == 200
    html = response.content.decode()
    assert INBOX in html and "ada@example.org" in html
    assert "<form" not in html
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    signature = Signature.objects.get()
    assert (signature.name, signature.status, signature.source) == (
        "Ada Example", Signature.Status.PENDING, "daily-news",
    )  # fmt: skip
    assert signature.consent_version and signature.show_name and not signature.opt_in_updates
    signer_outbox.outbox_drain()
    (message,) = mail.outbox
    assert "http://testserver/confirm/" in message.body


def test_a_hidden_name_is_kept_hidden(client):
    letter = make_letter(widget_sign=True)
    framed_post(client, sign_url(letter), sign_data(show_name=None))
    assert Signature.objects.get().show_name is False


def test_the_post_needs_no_csrf_cookie_but_is_refused_from_another_site():
    letter = make_letter(widget_sign=True)
    client = Client(enforce_csrf_checks=True)
    assert INBOX in framed_post(client, sign_url(letter), sign_data()).content.decode()
    Signature.objects.all().delete()
    OutboxMessage.objects.all().delete()
    refused = client.post(
        sign_url(letter), sign_data(), headers={"Sec-Fetch-Site": "cross-site",
                                                 "Origin": "https://evil.example"}
    )  # fmt: skip
    assert refused.status_code == 403
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "Enter your name."),
        ({"consent": None}, "consent", "Tick the box to agree to the privacy notice."),
    ],
)
def test_bad_input_comes_back_in_the_frame_with_a_message_tied_to_its_field(
    client, data, field, message
):
    letter = make_letter(widget_sign=True)
    response = framed_post(client, sign_url(letter), sign_data(**data))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "data-error-summary data-focus" in html
    assert f'<a href="#w-{field}">{message}</a>' in html
    described = form_of(html)[field]
    assert described["aria-invalid"] == "true"
    assert f"w-{field}-e" in (described["aria-describedby"] or "")
    assert re.search(rf'<span class="er" id="w-{field}-e">{re.escape(message)}</span>', html)
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert_nothing_stored()


def test_the_form_sent_back_keeps_its_stamp_and_what_was_typed(client):
    letter = make_letter(widget_sign=True)
    data = sign_data(email="bad", name="Ada Typed")
    html = framed_post(client, sign_url(letter), data).content.decode()
    fields = form_of(html)
    assert fields["stamp"]["value"] == data["stamp"]
    assert fields["name"]["value"] == "Ada Typed"


@pytest.mark.parametrize(
    "trap", [{"website": "http://spam.example"}, {"stamp": None}, {"stamp": "forged"}, "fast"]
)
def test_bots_get_the_same_answer_and_nothing_is_stored(client, trap):
    letter = make_letter(widget_sign=True)
    data = sign_data(stamp=form_stamp()) if trap == "fast" else sign_data(**trap)
    response = framed_post(client, sign_url(letter), data)
    assert response.status_code == 200
    assert INBOX in response.content.decode()
    assert_nothing_stored()


def test_a_letter_without_the_switch_refuses_widget_signatures(client):
    letter = make_letter()
    response = framed_post(client, sign_url(letter), sign_data())
    assert response.status_code == 404
    assert_nothing_stored()


def test_a_closed_letter_answers_with_the_closed_widget(client):
    letter = make_letter(widget_sign=True, status=Letter.Status.CLOSED)
    response = framed_post(client, sign_url(letter), sign_data())
    assert response.status_code == 409
    assert "Read the letter" in response.content.decode()
    assert_nothing_stored()


def test_the_rate_limits_hold_widget_signatures_like_any_other(client, settings):
    settings.SIGN_LIMIT_PER_LETTER = "1/minute"
    letter = make_letter(widget_sign=True)
    framed_post(client, sign_url(letter), sign_data(email="first@example.org"))
    response = framed_post(client, sign_url(letter), sign_data(email="held@example.org"))
    assert INBOX in response.content.decode()
    held = Signature.objects.get(email_normalized="held@example.org")
    assert (held.status, held.hold_reason) == ("held", "rate_limit_letter")
    assert not OutboxMessage.objects.filter(signature=held).exists()


def test_the_proof_of_work_is_asked_for_and_accepted_in_the_frame(client):
    letter = make_letter(widget_sign=True, require_challenge=True)
    refused = framed_post(client, sign_url(letter), sign_data())
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Complete the check that you are a person" in html
    assert "<altcha-widget" in html and "altcha.min.js" in html
    assert "'self'" in refused["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    assert_nothing_stored()
    response = framed_post(client, sign_url(letter), sign_data(altcha=solved(client)))
    assert INBOX in response.content.decode()
    assert Signature.objects.get().email == "ada@example.org"


def test_the_frame_answers_in_the_widgets_language_and_the_mail_follows_it(client):
    letter = make_letter(widget_sign=True, language="en")
    response = framed_post(client, sign_url(letter, "?lang=de&form=1"), sign_data())
    assert response["Content-Language"] == "de"
    assert Signature.objects.get().language == "de"


def test_switching_the_form_on_changes_the_kept_widget(client):
    letter = make_letter()
    make_signature(letter=letter)
    assert "<form" not in client.get(widget(letter)).content.decode()
    letter.widget_sign = True
    letter.save()
    assert "<form" in client.get(widget(letter)).content.decode()


def test_the_widget_with_the_form_costs_no_query_once_warm(client, django_assert_num_queries):
    letter = make_letter(widget_sign=True)
    make_signature(letter=letter)
    client.get(widget(letter))
    with django_assert_num_queries(0):
        html = client.get(widget(letter)).content.decode()
    assert "<form" in html and 'data-count="1"' in html


def test_the_embed_panel_offers_the_form_snippet_only_when_readers_may_sign_there(client):
    on = make_letter(widget_sign=True)
    page = client.get(on.get_absolute_url()).content.decode()
    snippet = re.search(r'id="embed-iframe-form"[^>]*>([^<]+)<', page)
    assert snippet is not None
    src = re.search(r"src=&quot;([^&]+)&quot;", snippet.group(1))
    assert "form=1" in snippet.group(1) and src is not None
    assert src.group(1) == f"http://testserver/embed/letters/{on.slug}/?form=1"

    off = make_letter()
    assert 'id="embed-iframe-form"' not in client.get(off.get_absolute_url()).content.decode()
    closed = make_letter(widget_sign=True, status=Letter.Status.CLOSED)
    assert 'id="embed-iframe-form"' not in client.get(closed.get_absolute_url()).content.decode()
