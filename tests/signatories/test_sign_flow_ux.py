"""The sign form and the steps after it, as a signer on a phone meets them: a failed
submit that says what to fix, a "check your inbox" page that names the address, the
confirmation page, and the share step after confirming."""

import io
import re
from html import unescape
from urllib.parse import quote

import pytest
import segno
from django.core import mail
from django.urls import reverse

from embeds import sharing
from signatories import outbox as signer_outbox
from signatories.models import OutboxMessage, Signature
from signatories.selectors import signatory_top_countries
from tests.factories import form_data, make_letter, make_signature, make_user, sign_data

pytestmark = pytest.mark.django_db


def sign(client, letter, **overrides):
    return client.post(reverse("signatories:sign", args=[letter.slug]), sign_data(**overrides))


def assert_nothing_stored() -> None:
    assert Signature.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def confirmed_page(client, letter):
    """Sign, follow the emailed link and press the button: the confirmed page."""
    sign(client, letter)
    signer_outbox.outbox_drain()
    link = next(word for word in mail.outbox[-1].body.split() if "/confirm/" in word)
    path = link.removeprefix("http://testserver")
    return client.post(path)


# A failed submit --------------------------------------------------------------------


def test_a_failed_sign_lists_each_error_as_a_link_to_its_field_and_stores_nothing(client):
    letter = make_letter()
    response = sign(client, letter, name="", email="", consent=None)
    html = response.content.decode()
    assert response.status_code == 400
    summary = re.search(r'<div class="error-summary" id="error-summary"(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    assert 'tabindex="-1"' in summary.group(1)
    assert "There is a problem" in summary.group(1)
    links = re.findall(r'<a href="#(id_\w+)">([^<]+)</a>', summary.group(1))
    assert links == [
        ("id_name", "Enter your name."),
        ("id_email", "Enter your email address."),
        ("id_consent", "Tick the box to agree to the privacy notice."),
    ]
    # Each message also sits next to its input, which points at it.
    assert '<p class="error" id="id_email_error">Enter your email address.</p>' in html
    assert re.search(r'<input type="email" name="email"[^>]*aria-invalid="true"', html)
    assert_nothing_stored()


def test_a_failed_sign_is_titled_as_an_error_and_lands_at_the_form(client):
    letter = make_letter(title="Fair Pay")
    html = sign(client, letter, email="not-an-address").content.decode()
    assert "<title>Error: Fair Pay · " in html
    action = reverse("signatories:sign", args=[letter.slug]) + "#sign"
    assert f'action="{action}"' in html
    assert 'id="sign"' in html  # the target that holds the count and the form
    assert "js/sign-form.js" in html
    assert_nothing_stored()


def test_the_page_without_errors_has_neither_summary_nor_error_title(client):
    letter = make_letter(title="Fair Pay")
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "error-summary" not in html
    assert "<title>Fair Pay · " in html


# The fields -----------------------------------------------------------------------------


def test_optional_fields_say_so_and_every_field_helps_the_browser_fill_it(client):
    letter = make_letter(ask_city=True, ask_comment=True)
    html = client.get(letter.get_absolute_url()).content.decode()
    for label in ["Profession or role", "Organization", "Country", "City", "Short public comment"]:
        assert f"{label} (optional)</label>" in html
    assert "Full name (optional)" not in html
    assert "Email (optional)" not in html
    for name, autocomplete in [
        ("name", "name"),
        ("email", "email"),
        ("role", "organization-title"),
        ("organization", "organization"),
        ("country", "country"),
    ]:
        tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html)
        assert tag, name
        assert f'autocomplete="{autocomplete}"' in tag.group(0), name


def test_the_countries_named_signers_chose_most_come_first_then_every_country(client):
    letter = make_letter()
    for code, times in [("DE", 3), ("FR", 2), ("KE", 1)]:
        for _ in range(times):
            make_signature(letter=letter, country=code)
    make_signature(letter=letter, country="BR", show_name=False)  # not named
    make_signature(letter=letter, country="BR", status=Signature.Status.PENDING)
    html = client.get(letter.get_absolute_url()).content.decode()
    select = re.search(r'<select name="country".*?</select>', html, re.S).group(0)
    first = re.search(
        r'<optgroup label="Chosen most on this letter">(.*?)</optgroup>', select, re.S
    )
    assert re.findall(r'value="(\w+)"', first.group(1)) == ["DE", "FR", "KE"]
    assert '<optgroup label="All countries">' in select
    assert select.index("Chosen most") < select.index("All countries")
    assert select.count('value="BR"') == 1


def test_the_top_countries_are_cached_per_letter(client, django_assert_num_queries):
    letter, other = make_letter(), make_letter()
    make_signature(letter=letter, country="DE")
    make_signature(letter=other, country="FR")
    assert signatory_top_countries(letter=letter) == ("DE",)
    make_signature(letter=letter, country="FR")
    make_signature(letter=letter, country="FR")
    with django_assert_num_queries(0):
        assert signatory_top_countries(letter=letter) == ("DE",)
    assert signatory_top_countries(letter=other) == ("FR",)


def test_a_choice_made_among_the_top_countries_is_kept_after_an_error(client):
    letter = make_letter()
    make_signature(letter=letter, country="DE")
    html = sign(client, letter, country="DE", email="").content.decode()
    assert html.count('<option value="DE" selected>') == 1
    assert Signature.objects.count() == 1


def test_a_letter_without_signers_offers_the_plain_country_list(client):
    html = client.get(make_letter().get_absolute_url()).content.decode()
    assert "<optgroup" not in html
    assert '<option value="DE">Germany</option>' in html


# Check your inbox -------------------------------------------------------------------


def test_check_your_inbox_names_the_address_the_sender_and_the_subject(client, settings):
    settings.DEFAULT_FROM_EMAIL = "Open Letters <letters@example.net>"
    letter = make_letter(title="Fair & Square")
    response = sign(client, letter, email="ada@exmaple.org")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>ada@exmaple.org</strong>" in html
    assert "Open Letters &lt;letters@example.net&gt;" in html
    assert "Confirm your signature: Fair &amp; Square" in html
    assert "You have already signed: Fair &amp; Square" in html
    # Not a redirect: the address never travels in a URL.
    assert "Location" not in response.headers
    assert Signature.objects.get().email == "ada@exmaple.org"


def test_the_address_can_be_corrected_without_typing_everything_again(client):
    letter = make_letter()
    html = sign(client, letter, email="ada@exmaple.org", role="Nurse").content.decode()
    form = re.search(r'<details class="inbox-fix">.*?<form(.*?)</form>', html, re.S).group(0)
    action = reverse("signatories:sign", args=[letter.slug]) + "#sign"
    assert f'action="{action}"' in form
    assert 'name="email" id="id_fix_email" value="ada@exmaple.org"' in form
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert fields["name"] == "Ada Example"
    assert fields["role"] == "Nurse"
    assert fields["consent"] == "on"
    assert "website" not in fields

    response = client.post(
        reverse("signatories:sign", args=[letter.slug]),
        {**{k: unescape(v) for k, v in fields.items()}, "email": "ada@example.org"},
    )
    assert "<strong>ada@example.org</strong>" in response.content.decode()
    assert sorted(Signature.objects.values_list("email", "role")) == [
        ("ada@example.org", "Nurse"),
        ("ada@exmaple.org", "Nurse"),
    ]


def test_a_new_link_request_names_the_address_and_the_confirmation_subject(client):
    letter = make_letter(title="Fair Pay")
    response = client.post(
        reverse("signatories:resend", args=[letter.slug]), form_data(email="ada@example.org")
    )
    html = response.content.decode()
    assert "<strong>ada@example.org</strong>" in html
    assert "Confirm your signature: Fair Pay" in html
    assert "You have already signed" not in html


def test_a_withdrawal_request_gets_its_own_check_your_inbox_message(client):
    letter = make_letter(title="Fair Pay")
    make_signature(letter=letter, email="ada@example.org")
    response = client.post(
        reverse("signatories:withdraw-request", args=[letter.slug]),
        form_data(email="ada@example.org"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Check your inbox to withdraw" in html
    assert "<strong>ada@example.org</strong>" in html
    assert "Withdraw your signature: Fair Pay" in html
    assert "Your signature stays until you open that link" in html
    assert "your signature counts only once you confirm" not in html
    assert "Confirm your signature" not in html


# The email and the confirmation page -----------------------------------------------


def test_the_email_button_opens_the_confirmation_page_which_says_why_one_more_tap(client):
    letter = make_letter()
    sign(client, letter)
    signer_outbox.outbox_drain()
    html_part = mail.outbox[0].alternatives[0].content
    assert "Open the confirmation page</a>" in html_part
    link = next(word for word in mail.outbox[0].body.split() if "/confirm/" in word)
    page = client.get(link.removeprefix("http://testserver")).content.decode()
    assert "Confirm my signature" in page
    assert "Some mail programs open every link in an email to check it" in page
    assert Signature.objects.get().status == Signature.Status.PENDING


# Sharing ----------------------------------------------------------------------------


def test_the_confirmed_page_offers_share_links_with_the_letter_url_escaped(client, settings):
    settings.SITE_URL = "https://letters.example"
    letter = make_letter(title='Pay & "fair" <now>')
    response = confirmed_page(client, letter)
    html = response.content.decode()
    assert response.status_code == 200
    url = "https://letters.example" + letter.get_absolute_url()
    text = quote(f'Pay & "fair" <now> {url}', safe="")
    expected = {
        "email": f"mailto:?subject={quote(letter.title, safe='')}&amp;body={text}",
        "whatsapp": f"https://wa.me/?text={text}",
        "bluesky": f"https://bsky.app/intent/compose?text={text}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?url={quote(url, safe='')}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?u={quote(url, safe='')}",
    }
    for key, href in expected.items():
        assert f'class="share-link share-{key}" href="{href}"' in html, key
    assert "<now>" not in html
    assert f'<input id="share-link" type="url" value="{url}" readonly' in html
    assert "data-share-copy" in html and "data-share-native" in html
    assert 'rel="noopener noreferrer"' in html
    assert f'action="{reverse("embeds:share-mastodon", args=[letter.slug])}"' in html
    qr = reverse("embeds:qr", args=[letter.slug])
    assert f'<img src="{qr}"' in html
    assert f'href="{qr}" download=' in html
    # Nothing from another host is loaded, and the page has no inline script.
    assert not re.search(r'<(?:script|img|link|iframe)[^>]+(?:src|href)="https?://', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_page_before_confirming_has_no_share_step(client):
    letter = make_letter()
    sign(client, letter)
    signer_outbox.outbox_drain()
    link = next(word for word in mail.outbox[0].body.split() if "/confirm/" in word)
    assert "share-panel" not in client.get(link.removeprefix("http://testserver")).content.decode()


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("mastodon.social", "mastodon.social"),
        ("  Mastodon.Social  ", "mastodon.social"),
        ("https://fosstodon.org/", "fosstodon.org"),
        ("@ada@chaos.social", "chaos.social"),
        ("mastodon.social/@ada", "mastodon.social"),
        ("mästodon.example", "xn--mstodon-5wa.example"),
    ],
)
def test_a_mastodon_server_leads_to_its_share_page(client, settings, typed, host):
    settings.SITE_URL = "https://letters.example"
    letter = make_letter(title="Fair Pay")
    url = reverse("embeds:share-mastodon", args=[letter.slug])
    response = client.get(url, {"instance": typed})
    text = quote(f"Fair Pay https://letters.example{letter.get_absolute_url()}", safe="")
    assert response.status_code == 200
    assert f'href="https://{host}/share?text={text}"' in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "localhost",
        "127.0.0.1",
        "mastodon.social:8443",
        "https://user:pw@mastodon.social",
        "javascript:alert(1)",
        "ftp://mastodon.social",
        "two words.example",
        "-bad-.example",
        "x" * 400,
    ],
)
def test_a_bad_mastodon_server_gets_a_clear_message_and_no_link(client, typed):
    letter = make_letter()
    before = (Signature.objects.count(), OutboxMessage.objects.count())
    url = reverse("embeds:share-mastodon", args=[letter.slug])
    response = client.get(url, {"instance": typed})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter the address of your Mastodon server, like mastodon.social." in html
    assert "<title>Error: " in html
    assert "/share?text=" not in html
    assert 'aria-invalid="true"' in html
    assert (Signature.objects.count(), OutboxMessage.objects.count()) == before


def test_the_mastodon_share_of_an_unpublished_letter_is_not_found(client):
    letter = make_letter(status="draft")
    url = reverse("embeds:share-mastodon", args=[letter.slug])
    assert client.get(url, {"instance": "mastodon.social"}).status_code == 404


def test_the_qr_code_is_segnos_svg_of_the_letter_url_and_cacheable(client, settings):
    settings.SITE_URL = "https://letters.example"
    letter = make_letter()
    response = client.get(reverse("embeds:qr", args=[letter.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    expected = io.BytesIO()
    segno.make(f"https://letters.example{letter.get_absolute_url()}", error="m").save(
        expected, kind="svg", scale=10, border=4, dark="#000", light="#fff", xmldecl=True
    )
    assert response.content == expected.getvalue()
    assert response.content.startswith(b"<?xml") and b"<svg" in response.content
    again = client.get(
        reverse("embeds:qr", args=[letter.slug]), HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert again.status_code == 304


def test_the_qr_code_of_a_draft_is_not_found(client):
    letter = make_letter(status="draft")
    assert client.get(reverse("embeds:qr", args=[letter.slug])).status_code == 404


def test_after_publishing_the_organizer_lands_on_a_share_panel(client):
    letter = make_letter(status="draft")
    user = make_user()
    from letters.models import Membership

    Membership.objects.create(letter=letter, user=user, role="owner")
    client.force_login(user)
    response = client.post(reverse("organize:letter-publish", args=[letter.slug]))
    assert response["Location"] == reverse("organize:letter", args=[letter.slug]) + "#share"
    html = client.get(response["Location"]).content.decode()
    assert "Now share it" in html
    assert '<section class="share-panel" id="share"' in html
    assert reverse("embeds:qr", args=[letter.slug]) in html
    assert "https://wa.me/?text=" in html
    assert "js/share.js" in html


def test_a_draft_has_no_share_panel_yet(client):
    letter = make_letter(status="draft")
    user = make_user()
    from letters.models import Membership

    Membership.objects.create(letter=letter, user=user, role="owner")
    client.force_login(user)
    html = client.get(reverse("organize:letter", args=[letter.slug])).content.decode()
    assert "share-panel" not in html


def test_share_links_are_built_from_the_site_url():
    letter = make_letter(title="Fair Pay")
    links = {link.key: link.url for link in sharing.share_links(letter=letter)}
    assert set(links) == {"email", "whatsapp", "bluesky", "linkedin", "facebook"}
    assert all(quote(sharing.letter_url(letter=letter), safe="") in url for url in links.values())
