"""The permission matrix: every organizer URL by every kind of visitor.

Anonymous visitors are sent to the login page; people who do not organize the letter get a
404 as if it did not exist; organizers whose role is too low get a 403.
"""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from letters.models import Invitation, Letter, LetterTranslation, Membership
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db

RANK = {"viewer": 0, "editor": 1, "owner": 2}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    role: str
    # "membership", "invitation" or "translation": the URL names one of those rows
    extra: str = ""


ROUTES = [
    Route("organize:letter", "get", "viewer"),
    Route("organize:letter-preview", "get", "viewer"),
    Route("organize:team", "get", "viewer"),
    Route("signatories:sources", "get", "viewer"),
    Route("notifications:preferences", "get", "viewer"),
    Route("notifications:preferences", "post", "viewer"),
    Route("dossiers:page", "get", "viewer"),
    Route("dossiers:print", "get", "viewer"),
    Route("dossiers:page", "post", "editor"),
    Route("organize:letter-edit", "get", "editor"),
    Route("organize:letter-edit", "post", "editor"),
    Route("organize:letter-publish", "post", "editor"),
    Route("organize:letter-close", "post", "editor"),
    Route("organize:letter-reopen", "post", "editor"),
    Route("organize:translation-create", "get", "editor"),
    Route("organize:translation-create", "post", "editor"),
    Route("organize:translation-edit", "get", "editor", extra="translation"),
    Route("organize:translation-edit", "post", "editor", extra="translation"),
    Route("organize:translation-delete", "post", "editor", extra="translation"),
    Route("organize:letter-archive", "post", "owner"),
    Route("organize:letter-unarchive", "post", "owner"),
    Route("organize:invite", "post", "owner"),
    Route("organize:invitation-revoke", "post", "owner", extra="invitation"),
    Route("organize:member-remove", "post", "owner", extra="membership"),
    Route("organize:member-role", "post", "owner", extra="membership"),
    Route("organize:member-transfer", "post", "owner", extra="membership"),
]
VISITORS = ["anonymous", "outsider", "viewer", "editor", "owner"]


@pytest.fixture
def world() -> dict:
    letter = make_letter(status=Letter.Status.DRAFT, slug="matrix")
    people = {role: make_member(letter=letter, role=role).user for role in RANK}
    people["outsider"] = make_user()
    # The outsider organizes a letter of their own: membership elsewhere grants nothing here.
    make_member(letter=make_letter(slug="elsewhere"), user=people["outsider"], role="owner")
    target = make_member(letter=letter, role=Membership.Role.VIEWER)
    invitation = Invitation.objects.create(
        letter=letter, email="new@example.org", email_normalized="new@example.org"
    )
    LetterTranslation.objects.create(letter=letter, language="fr", title="Modifiée")
    return {"letter": letter, "people": people, "target": target, "invitation": invitation}


def _url(route: Route, world: dict) -> str:
    kwargs: dict[str, object] = {"slug": world["letter"].slug}
    if route.extra == "membership":
        kwargs["membership_id"] = world["target"].pk
    if route.extra == "invitation":
        kwargs["invitation_id"] = world["invitation"].pk
    if route.extra == "translation":
        kwargs["language"] = "fr"
    return reverse(route.name, kwargs=kwargs)


POST_DATA = {"title": "Edited", "slug": "matrix", "body": "Text", "language": "en",
             "email": "someone@example.org", "role": "editor"}  # fmt: skip
# A new translation needs a language other than the letter's own.
POST_DATA_OF = {"organize:translation-create": {**POST_DATA, "language": "de"}}


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method}-{r.name}")
def test_every_organizer_url_admits_only_the_roles_it_needs(
    client: Client, world: dict, route: Route, visitor: str
) -> None:
    if visitor != "anonymous":
        client.force_login(world["people"][visitor])
    url = _url(route, world)
    data = POST_DATA_OF.get(route.name, POST_DATA) if route.method == "post" else None
    response = getattr(client, route.method)(url, data)
    if visitor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    elif visitor == "outsider":
        assert response.status_code == 404
    elif RANK[visitor] < RANK[route.role]:
        assert response.status_code == 403
    else:
        assert response.status_code in {200, 302}


POSTS = [r for r in ROUTES if r.method == "post"]
POST_ONLY = [r for r in POSTS if not any(g.name == r.name for g in ROUTES if g.method == "get")]
REFUSED = [
    (route, visitor)
    for route in POSTS
    for visitor in ("outsider", "viewer", "editor")
    if visitor == "outsider" or RANK[visitor] < RANK[route.role]
]


@pytest.mark.parametrize(("route", "visitor"), REFUSED, ids=lambda x: getattr(x, "name", x))
def test_a_refused_request_changes_nothing(
    client: Client, world: dict, route: Route, visitor: str
) -> None:
    letter = world["letter"]
    before = (
        Letter.objects.filter(pk=letter.pk).values().get(),
        sorted(Membership.objects.values_list("pk", "role")),
        sorted(Invitation.objects.values_list("pk", flat=True)),
        sorted(LetterTranslation.objects.values_list("pk", "language", "title")),
    )
    client.force_login(world["people"][visitor])
    response = client.post(_url(route, world), POST_DATA)
    assert response.status_code in {403, 404}
    after = (
        Letter.objects.filter(pk=letter.pk).values().get(),
        sorted(Membership.objects.values_list("pk", "role")),
        sorted(Invitation.objects.values_list("pk", flat=True)),
        sorted(LetterTranslation.objects.values_list("pk", "language", "title")),
    )
    assert after == before


@pytest.mark.parametrize(
    "name", ["signatories:dashboard", "organize:letter-create", "organize:markdown-preview"]
)
def test_pages_outside_a_letter_send_anonymous_visitors_to_log_in(client: Client, name: str):
    for method in ("get", "post"):
        response = getattr(client, method)(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_accepting_an_invitation_sends_anonymous_visitors_to_log_in(client: Client) -> None:
    # The page itself shows its invitation to whoever holds the link (with a way to log in
    # or sign up that comes back, tests/letters/test_invitation_context.py); joining does not.
    response = client.post(reverse("organize:invitation-accept", kwargs={"token": "x"}))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize("route", POST_ONLY, ids=lambda r: r.name)
def test_state_changes_refuse_get(client: Client, world: dict, route: Route) -> None:
    client.force_login(world["people"]["owner"])
    before = Letter.objects.filter(pk=world["letter"].pk).values().get()
    assert client.get(_url(route, world)).status_code == 405
    assert Letter.objects.filter(pk=world["letter"].pk).values().get() == before


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r.name)
def test_state_changes_need_a_csrf_token(world: dict, route: Route) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["people"]["owner"])
    before = sorted(Membership.objects.values_list("pk", "role"))
    assert client.post(_url(route, world), POST_DATA).status_code == 403
    assert sorted(Membership.objects.values_list("pk", "role")) == before
    assert Letter.objects.get(pk=world["letter"].pk).status == Letter.Status.DRAFT


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "get"], ids=lambda r: r.name)
def test_organizer_pages_cannot_be_framed(client: Client, world: dict, route: Route) -> None:
    client.force_login(world["people"]["owner"])
    response = client.get(_url(route, world))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_dashboard_cannot_be_framed(client: Client) -> None:
    client.force_login(make_user())
    response = client.get(reverse("signatories:dashboard"))
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
