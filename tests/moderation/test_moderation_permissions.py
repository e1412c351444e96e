"""Every moderation URL for anonymous visitors, outsiders, viewers, editors and owners."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from moderation.models import ModerationAction
from signatories.models import Signature
from tests.factories import make_letter, make_member_user, make_plain_user, make_signature

pytestmark = pytest.mark.django_db

# (url name, method, takes a signature, lowest role allowed, POST data)
URLS = [
    ("list", "get", False, "viewer", {}),
    ("detail", "get", True, "viewer", {}),
    ("bulk-remove", "get", False, "editor", {"domain": "example.org"}),
    ("bulk-remove", "post", False, "editor", {"domain": "example.org", "reason": "Spam run"}),
    ("hold", "post", True, "editor", {}),
    ("remove", "post", True, "editor", {"reason": "Fake"}),
    ("verify", "post", True, "editor", {"method": "contact"}),
    ("release", "post", True, "editor", {}),
    ("restore", "post", True, "editor", {}),
    ("unverify", "post", True, "editor", {}),
]
RANK = {"viewer": 0, "editor": 1, "owner": 2}


def _url(name: str, letter, signature) -> str:
    kwargs = {"slug": letter.slug}
    if signature is not None:
        kwargs["pk"] = signature.pk
    return reverse(f"moderation:{name}", kwargs=kwargs)


def _snapshot(signature) -> tuple:
    signature.refresh_from_db()
    return (signature.status, signature.verified_at, ModerationAction.objects.count())


@pytest.mark.parametrize(("name", "method", "takes_signature", "lowest", "data"), URLS)
@pytest.mark.parametrize("who", ["anonymous", "outsider", "viewer", "editor", "owner"])
def test_each_moderation_url_answers_each_kind_of_visitor(
    client, who, name, method, takes_signature, lowest, data
):
    letter = make_letter()
    signature = make_signature(letter=letter, email="someone@example.org")
    if who == "outsider":
        client.force_login(make_plain_user())
    elif who != "anonymous":
        client.force_login(make_member_user(letter=letter, role=who))
    url = _url(name, letter, signature if takes_signature else None)
    before = _snapshot(signature)

    response = getattr(client, method)(url, data)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    elif who == "outsider":
        assert response.status_code == 404
    elif RANK[who] < RANK[lowest]:
        assert response.status_code == 403
    else:
        # Allowed: a page, a redirect after a change, or a refusal that the action does
        # not apply to the signature's status (release of a confirmed signature).
        assert response.status_code in {200, 302, 409}
        return
    assert _snapshot(signature) == before


@pytest.mark.parametrize("name", ["hold", "remove", "verify", "restore", "release", "unverify"])
def test_actions_refuse_get(client, name):
    letter = make_letter()
    signature = make_signature(letter=letter)
    client.force_login(make_member_user(letter=letter, role="owner"))
    assert client.get(_url(name, letter, signature)).status_code == 405
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("detail", None),
        ("hold", {}),
        ("remove", {"reason": "x"}),
        ("verify", {"method": "contact"}),
    ],
)
def test_a_signature_of_another_letter_is_not_found(client, name, data):
    letter = make_letter()
    other = make_signature(letter=make_letter())
    client.force_login(make_member_user(letter=letter, role="owner"))
    url = _url(name, letter, other)
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == Signature.Status.CONFIRMED
    assert other.verified_at is None
    assert not ModerationAction.objects.exists()


def test_actions_need_the_csrf_token(client):
    from django.test import Client

    letter = make_letter()
    signature = make_signature(letter=letter)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_member_user(letter=letter, role="owner"))
    response = csrf_client.post(_url("remove", letter, signature), {"reason": "Fake"})
    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
