"""The organizer page where each organizer chooses the emails they get."""

import pytest
from django.urls import reverse

from letters.models import Membership
from notifications.models import Preference
from tests.factories import make_letter, make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership() -> Membership:
    return make_member(letter=make_letter(slug="fair-pay"), role="viewer")


@pytest.fixture
def member_client(client, membership):
    client.force_login(membership.user)
    return client


URL = "/organize/letters/fair-pay/notifications/"


def _choices(**overrides: str | None) -> dict[str, str]:
    data = {"digest": "on", "milestones": "on", "each_verified": None, "language": "en"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_page_has_its_url_and_shows_the_defaults(member_client):
    assert reverse("notifications:preferences", kwargs={"slug": "fair-pay"}) == URL
    response = member_client.get(URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert (form["digest"].value(), form["milestones"].value()) == (True, True)
    assert form["each_verified"].value() is False
    assert not Preference.objects.exists()


def test_the_letters_organizer_page_links_to_it(member_client):
    response = member_client.get(reverse("organize:letter", kwargs={"slug": "fair-pay"}))
    assert f'href="{URL}"' in response.content.decode()


def test_a_viewer_saves_their_own_choices(member_client, membership):
    response = member_client.post(URL, _choices(digest=None, each_verified="on", language="fr"))
    assert response.status_code == 302
    assert response["Location"] == URL
    saved = Preference.objects.get()
    assert saved.membership == membership
    assert (saved.digest, saved.milestones, saved.each_verified) == (False, True, True)
    assert saved.language == "fr"
    form = member_client.get(URL).context["form"]
    assert form["each_verified"].value() is True


def test_the_language_offered_first_is_the_pages(member_client):
    response = member_client.get(URL, headers={"accept-language": "de"})
    assert response.context["form"]["language"].value() == "de"


@pytest.mark.parametrize("language", ["xx", "", "<script>"])
def test_bad_input_gets_a_clear_message_and_stores_nothing(member_client, membership, language):
    Preference.objects.create(membership=membership, each_verified=True, language="de")
    before = list(Preference.objects.values())
    response = member_client.post(URL, _choices(language=language))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved" in html
    assert (
        "Choose one of the languages in the list." in html
        or "Choose the language of these emails." in html
    )
    assert list(Preference.objects.values()) == before


def test_one_organizers_choices_do_not_touch_anothers(member_client, membership):
    other = make_member(letter=membership.letter, role="owner")
    member_client.post(URL, _choices(milestones=None))
    assert not Preference.objects.filter(membership=other).exists()
