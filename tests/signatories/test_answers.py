"""The answers to the sign and confirm POSTs are drawn once per process with holes
(signatories/answers.py): what a visitor gets must be exactly the page drawn in full."""

import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from signatories import answers
from signatories.models import Signature
from tests.factories import is_check_inbox, make_letter, make_pending_signature, sign_data

pytestmark = pytest.mark.django_db


def with_session_cookie() -> Client:
    """A visitor with a session cookie: every answer is drawn in full for them."""
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    return client


def sign(client: Client, letter, **overrides):
    return client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**overrides))


def test_the_check_your_inbox_answer_is_the_page_drawn_in_full():
    letter = make_letter(title='A "quoted" <title> & more', ask_country=True)
    awkward = sign_data(email="o'brien+x@example.org", name='Zoë "Z" <b>O\'Brien</b> & co',
                        comment="a\nb < c", country="FR")  # fmt: skip
    path = reverse("signatories:sign", args=[letter.slug])
    sign(Client(), letter, email="warm@example.org")  # the page is drawn here, once
    assert any(key[0] == "signatories/check_inbox.html" for key in answers._drawn)
    from_holes = Client().post(path, awkward)
    in_full = with_session_cookie().post(path, awkward)  # a repeat: the same answer
    assert is_check_inbox(from_holes) and is_check_inbox(in_full)
    assert from_holes.content == in_full.content
    page = from_holes.content.decode()
    assert "o&#x27;brien+x@example.org" in page
    assert 'value="Zoë &quot;Z&quot; &lt;b&gt;O&#x27;Brien&lt;/b&gt; &amp; co"' in page
    assert Signature.objects.filter(letter=letter).count() == 2


def test_a_marker_typed_into_a_field_is_printed_not_filled_in():
    letter = make_letter()
    sign(Client(), letter, email="warm@example.org")
    typed = f"{answers._TAG}:email:"
    page = sign(Client(), letter, email="mark@example.org", name=typed).content.decode()
    assert f'name="name" value="{typed}"' in page
    assert page.count("mark@example.org") == 2  # the address shown and the field to fix it


def test_the_thank_you_answer_is_the_page_drawn_in_full():
    letter = make_letter(thank_you_message="Thank you <3\n\nTell a friend.")
    for token in ("warm", "one", "two"):
        make_pending_signature(letter=letter, token=token)
    Client().post(reverse("signatories:confirm", args=["warm"]))

    def answer(client: Client, token: str) -> str:
        response = client.post(reverse("signatories:confirm", args=[token]))
        assert response.status_code == 200
        page = response.content.decode().replace(f"/confirm/{token}/", "/confirm/PATH/")
        assert len(re.findall(r"/withdraw/[^/\"]+/", page)) == 1
        return re.sub(r"/withdraw/[^/\"]+/", "/withdraw/TOKEN/", page)

    from_holes, in_full = answer(Client(), "one"), answer(with_session_cookie(), "two")
    assert from_holes == in_full
    assert "Thank you &lt;3" in from_holes


def test_a_page_that_uses_a_csrf_token_is_never_shared():
    letter = make_letter()
    signature = make_pending_signature(letter=letter, token="ask")
    request = RequestFactory().get("/confirm/ask/")
    context = {"state": "confirmed", "signature": signature, "letter": letter, "done": False}
    drawn = len(answers._drawn)
    response = answers.render_with_holes(
        request, "signatories/confirm.html", context, key=("csrf", letter.pk), holes={}
    )
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert len(answers._drawn) == drawn
