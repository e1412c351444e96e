"""A real shared cache in front of the app: Debian's Varnish with its stock rules.

The test starts varnishd on a loopback port in front of the live server. Varnish's built-in
VCL is left as it is: it passes every request that carries a cookie or credentials and
stores nothing that sets a cookie or says private, so a hit proves that the page is
cacheable as an ordinary shared cache sees it. ``.ci/varnish`` installs Varnish.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from altcha import Challenge, Payload, solve_challenge
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from letters import services as letters
from letters.models import Letter
from moderation import services as moderation
from signatories.models import Signature
from tests.factories import make_letter, make_member, make_member_user, make_signature, make_user

pytestmark = pytest.mark.django_db(transaction=True)

VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str

    @property
    def hit(self) -> bool:
        """Varnish names two transactions on a hit: this one and the one that stored it."""
        return len(self.headers.get("x-varnish", "").split()) == 2


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"varnishd stopped: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"varnishd did not listen on {port}: {log.read_text()}")


@pytest.fixture
def varnish(live_server, tmp_path: Path) -> Iterator[str]:
    if not Path(VARNISHD).exists():
        pytest.fail("varnishd is missing: run `bash .ci/varnish` (make test does)")
    backend = urllib.parse.urlsplit(live_server.url).netloc
    # VARNISH_TEST_PORT pins the port where only some ports may be used.
    port = int(os.environ.get("VARNISH_TEST_PORT") or _free_port())
    log = tmp_path / "varnishd.log"
    command = [VARNISHD, "-F", "-j", "none", "-a", f"127.0.0.1:{port}", "-b", backend,
               "-n", str(tmp_path / "varnish"), "-s", "malloc,32m"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def fetch(url: str, *, data: dict[str, str] | None = None, **headers: str) -> Answer:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - loopback
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            answer = response
            text = response.read().decode()
    except urllib.error.HTTPError as error:
        answer, text = error, error.read().decode()
    return Answer(answer.status, {k.lower(): v for k, v in answer.headers.items()}, text)


def published_letter(**overrides: object) -> Letter:
    user = make_user()
    letter = make_letter(status=Letter.Status.DRAFT, **overrides)
    make_member(letter=letter, user=user)
    return letters.letter_publish(letter=letter, user=user)


def public_urls(letter: Letter) -> list[str]:
    return [
        reverse("letters:index"),
        letter.get_absolute_url(),
        reverse("letters:changes", args=[letter.slug]),
        reverse("signatories:list", args=[letter.slug]),
        reverse("moderation:corrections", args=[letter.slug]),
    ]


def test_the_second_anonymous_request_to_each_public_page_is_a_hit(varnish):
    letter = published_letter()
    removed = make_signature(letter=letter, name="Wrong Example")
    moderation.signature_remove(signature=removed, actor=None, reason="Duplicate")
    for path in public_urls(letter):
        first = fetch(varnish + path)
        assert first.status == 200, path
        assert not first.hit, path
        assert "set-cookie" not in first.headers, path
        second = fetch(varnish + path)
        assert second.status == 200, path
        assert second.hit, (path, second.headers)
        assert second.body == first.body, path


def test_an_organizer_is_never_served_from_the_cache_nor_stored_in_it(varnish):
    letter = published_letter()
    client = Client()
    client.force_login(make_member_user(letter=letter, role="editor"))
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    dashboard = reverse("signatories:dashboard")
    for path in public_urls(letter):
        anonymous = fetch(varnish + path)
        assert dashboard not in anonymous.body
        for _ in range(2):
            mine = fetch(varnish + path, Cookie=cookie)
            assert not mine.hit, path
            assert "private" in mine.headers["cache-control"]
            assert dashboard in mine.body, path
        # What the cache holds is still the anonymous page.
        again = fetch(varnish + path)
        assert again.hit
        assert dashboard not in again.body


def _form_fields(html: str) -> dict[str, str]:
    form = html[html.index('class="sign-form"') :]
    form = form[: form.index("</form>")]
    assert "csrfmiddlewaretoken" not in form
    stamp = re.search(r'name="stamp" value="([^"]+)"', form)
    assert stamp
    return {"stamp": stamp.group(1), "name": "Ada Example", "email": "ada@example.org",
            "consent": "on", "show_name": "on"}  # fmt: skip


def test_signing_from_a_cached_page_works_without_javascript(varnish, settings):
    settings.MIN_FILL_SECONDS = 0
    letter = published_letter()
    fetch(varnish + letter.get_absolute_url())
    page = fetch(varnish + letter.get_absolute_url())
    assert page.hit
    sign = varnish + reverse("signatories:sign", args=[letter.slug])
    # A browser names the page's origin; the POST passes through the cache.
    answer = fetch(sign, data=_form_fields(page.body), Origin=varnish)
    assert answer.status == 200, answer.body
    assert "ada@example.org" in answer.body
    assert not answer.hit
    assert Signature.objects.get().email == "ada@example.org"


def test_a_cross_site_post_through_the_cache_is_refused_and_stores_nothing(varnish, settings):
    settings.MIN_FILL_SECONDS = 0
    letter = published_letter()
    page = fetch(varnish + letter.get_absolute_url())
    sign = varnish + reverse("signatories:sign", args=[letter.slug])
    data = _form_fields(page.body)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        answer = fetch(sign, data=data, **headers)
        assert answer.status == 403
        assert "sent from another website" in answer.body
    assert not Signature.objects.exists()


def test_signing_with_the_challenge_through_the_cache_works(varnish, settings):
    settings.MIN_FILL_SECONDS = 0
    letter = published_letter(require_challenge=True)
    page = fetch(varnish + letter.get_absolute_url())
    assert "<altcha-widget" in page.body
    # The script fetches a fresh challenge each time: never from the cache.
    challenge_url = varnish + reverse("signatories:challenge")
    first, second = fetch(challenge_url), fetch(challenge_url)
    assert not second.hit and first.body != second.body
    challenge = Challenge.from_dict(json.loads(second.body))
    solution = solve_challenge(challenge, timeout=10)
    assert solution is not None
    data = _form_fields(page.body) | {"altcha": Payload(challenge, solution).to_base64()}
    answer = fetch(
        varnish + reverse("signatories:sign", args=[letter.slug]),
        data=data,
        **{"Origin": varnish, "Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status == 200, answer.body
    assert Signature.objects.get().email == "ada@example.org"


def test_a_language_variant_is_never_served_to_a_visitor_of_another_language(varnish):
    letter = published_letter()
    url = varnish + letter.get_absolute_url()
    french = fetch(url, **{"Accept-Language": "fr"})
    assert '<html lang="fr">' in french.body
    assert "accept-language" in french.headers["vary"].lower()
    assert fetch(url, **{"Accept-Language": "fr"}).hit
    german = fetch(url, **{"Accept-Language": "de"})
    assert not german.hit
    assert '<html lang="de">' in german.body
    english = fetch(url)
    assert not english.hit
    assert '<html lang="en">' in english.body
    assert fetch(url, **{"Accept-Language": "de"}).hit
