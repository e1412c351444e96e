"""The 400, 403, CSRF, 404 and 500 pages: ours, in the visitor's language, with a way back."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from signatories.models import Signature
from tests.factories import make_letter, make_member_user

pytestmark = pytest.mark.django_db

# The French catalog's translations of the headings and of the way home.
FRENCH = {
    "We cannot find this page": "Nous ne trouvons pas cette page",
    "You may not do this here": "Vous ne pouvez pas faire cela ici",
    "We could not understand this request": "Nous n’avons pas compris cette demande",
    "Something went wrong on our side": "Une erreur s’est produite de notre côté",
    "The form could not be sent": "Le formulaire n’a pas pu être envoyé",
    "Go to the home page": "Aller à la page d’accueil",
}
PAGES = {
    400: ("/test-errors/400/", "We could not understand this request"),
    403: ("/test-errors/403/", "You may not do this here"),
    404: ("/no-such-page/", "We cannot find this page"),
    500: ("/test-errors/500/", "Something went wrong on our side"),
}


@pytest.fixture(autouse=True)
def _failing_views(settings) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


def browser() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("status", sorted(PAGES))
def test_each_error_page_is_branded_with_a_viewport_and_a_way_home(status):
    path, heading = PAGES[status]
    response = browser().get(path)
    html = response.content.decode()
    assert response.status_code == status
    assert heading in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert 'href="/"' in html and "Go to the home page" in html
    assert "css/site.css" in html and "img/favicon.svg" in html
    if status != 500:  # the others carry the site's header and footer
        assert 'class="site-header"' in html and 'class="site-footer"' in html


@pytest.mark.parametrize("status", sorted(PAGES))
def test_each_error_page_speaks_french_to_a_french_browser(status):
    path, heading = PAGES[status]
    response = browser().get(path, headers={"Accept-Language": "fr"})
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert FRENCH[heading] in html and heading not in html
    assert FRENCH["Go to the home page"] in html


def test_the_500_page_renders_without_the_request_or_the_database(settings):
    settings.LANGUAGE_CODE = "fr"
    template_dirs = settings.TEMPLATES[0]["DIRS"]
    text = (template_dirs[0] / "500.html").read_text()
    assert "{% extends" not in text and "SITE_NAME" not in text and "{% url" not in text
    response = browser().get("/test-errors/500/")
    assert response.status_code == 500
    assert '<html lang="fr">' in response.content.decode()


def test_a_viewer_sent_to_an_editors_page_gets_the_branded_403():
    letter = make_letter()
    client = browser()
    client.force_login(make_member_user(letter=letter, role="viewer"))
    response = client.get(reverse("organize:letter-edit", kwargs={"slug": letter.slug}))
    assert response.status_code == 403
    assert "You may not do this here" in response.content.decode()
    assert reverse("signatories:dashboard") in response.content.decode()


def test_a_missing_letter_gets_the_branded_404():
    response = browser().get(reverse("letters:detail", kwargs={"slug": "nothing-here"}))
    assert response.status_code == 404
    assert "We cannot find this page" in response.content.decode()


def csrf_browser() -> Client:
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


# The sign form is checked by origin instead (tests/security/test_cross_site.py); the
# other public forms keep Django's CSRF check.
def test_a_form_without_its_cookie_explains_it_and_offers_to_try_again():
    letter = make_letter()
    page = f"http://testserver{letter.get_absolute_url()}"
    response = csrf_browser().post(
        reverse("signatories:resend", kwargs={"slug": letter.slug}),
        {"email": "someone@example.org"},
        headers={"Referer": page},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your browser did not send the form's security cookie" in html
    assert "Cookies seem to be blocked for this site" in html
    assert re.search(rf'<a class="button primary" href="{re.escape(page)}">Try again</a>', html)
    assert not Signature.objects.exists()


def test_the_retry_link_never_leads_to_another_site():
    letter = make_letter()
    response = csrf_browser().post(
        reverse("signatories:resend", kwargs={"slug": letter.slug}),
        {"email": "someone@example.org"},
        headers={"Referer": "https://evil.example/phish"},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "evil.example" not in html
    assert '<a class="button primary" href="/">Try again</a>' in html


def test_trying_again_from_the_form_page_works(settings):
    # The failure page itself carries no form (the language switcher needs no token), so
    # the fresh cookie comes with the form page that "Try again" leads back to.
    settings.MIN_FILL_SECONDS = 0
    letter = make_letter()
    url = reverse("signatories:resend", kwargs={"slug": letter.slug})
    browser = csrf_browser()
    assert browser.post(url, {"email": "ada@example.org"}).status_code == 403
    page = browser.get(url)
    assert "csrftoken" in page.cookies
    html = page.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    stamp = re.search(r'name="stamp" value="([^"]+)"', html)
    assert token and stamp
    data = {"csrfmiddlewaretoken": token.group(1), "stamp": stamp.group(1)}
    again = browser.post(url, data | {"email": "ada@example.org"})
    assert again.status_code == 200


def test_a_csrf_failure_under_the_api_stays_json():
    response = csrf_browser().post(reverse("embeds:api-list"))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["status"] == 403
