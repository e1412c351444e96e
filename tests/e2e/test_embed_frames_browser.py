"""Where newsrooms paste the widget, in Chromium: WordPress (its oEmbed markup and a late
wp-embed.js), a frame sandboxed without popup escape, and a publisher with a strict CSP on
a phone."""

import re
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from embeds import snippets
from tests.e2e.test_embed_browser import chromium_page
from tests.factories import make_letter

pytestmark = pytest.mark.django_db(transaction=True)

# What WordPress keeps of an untrusted provider's oEmbed HTML (wp_filter_oembed_result).
WORDPRESS_KEEPS = {
    "a": {"href"},
    "blockquote": set(),
    "iframe": {
        "src", "width", "height", "frameborder", "marginwidth", "marginheight", "scrolling",
        "title",
    },
}  # fmt: skip


class _Kses(HTMLParser):
    """Only the tags and attributes WordPress keeps; the text in between."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in WORDPRESS_KEEPS:
            kept = "".join(
                f' {name}="{escape(value or "")}"'
                for name, value in attrs
                if name in WORDPRESS_KEEPS[tag]
            )
            self.out.append(f"<{tag}{kept}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in WORDPRESS_KEEPS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))


def wordpress_markup(html: str, secret: str) -> str:
    """The markup WordPress puts in a post for an oEmbed answer's ``html`` from a provider
    it does not trust, following its wp_filter_oembed_result: filtered, a new secret
    appended to the src and set on both elements, the frame hidden until wp-embed.js
    hears from it, then its class, sandbox and security attributes."""
    kses = _Kses()
    kses.feed(html)
    kept = "".join(kses.out)
    found = re.search(r"(<blockquote>.*?</blockquote>)?.*(<iframe.*?></iframe>)", kept, re.S)
    assert found is not None and found.group(1), kept
    html = found.group(1) + found.group(2)
    src = re.search(r' src="(.*?)"', html)
    assert src is not None
    html = html.replace(
        src.group(0), f' src="{src.group(1)}#?secret={secret}" data-secret="{secret}"'
    )
    html = html.replace("<blockquote", f'<blockquote data-secret="{secret}"')
    html = html.replace("<iframe", '<iframe style="position: absolute; visibility: hidden;"')
    html = html.replace("<blockquote", '<blockquote class="wp-embedded-content"')
    return html.replace(
        "<iframe",
        '<iframe class="wp-embedded-content" sandbox="allow-scripts" security="restricted"',
    )


# Our stand-in for WordPress's wp-embed.js, following its protocol: messages must carry
# the secret of a frame and come from that frame; "height" shows the frame (and hides the
# blockquote) and sets its height within 200..1000; "link" navigates the top page to a
# URL on the frame's host, when the frame has the focus; once loaded it posts "ready"
# with its secret to every such frame.
WP_EMBED_STAND_IN = """
window.wpSeen = [];
window.addEventListener("message", function (e) {
  var data = e.data || {};
  if (!data.secret || !data.message || !/^[a-zA-Z0-9]+$/.test(data.secret)) return;
  var frames = document.querySelectorAll('iframe[data-secret="' + data.secret + '"]');
  var quotes = document.querySelectorAll('blockquote[data-secret="' + data.secret + '"]');
  frames.forEach(function (frame) {
    if (frame.contentWindow !== e.source) return;
    wpSeen.push(data);
    frame.removeAttribute("style");
    quotes.forEach(function (q) { q.style.display = "none"; });
    if (data.message === "height") {
      frame.height = String(Math.min(1000, Math.max(200, parseInt(data.value, 10))));
    }
    if (data.message === "link") {
      var from = document.createElement("a"), to = document.createElement("a");
      from.href = frame.getAttribute("src");
      to.href = data.value;
      if (/^https?:$/.test(to.protocol) && to.host === from.host
          && document.activeElement === frame) {
        window.top.location.href = data.value;
      }
    }
  });
});
document.querySelectorAll("iframe.wp-embedded-content[data-secret]").forEach(function (f) {
  f.contentWindow.postMessage({message: "ready", secret: f.getAttribute("data-secret")}, "*");
});
"""


def article_url(live_server, settings, html: str, csp: str = "") -> str:
    """A page of another origin (127.0.0.1, not localhost) with ``html`` in it, sent
    with ``csp`` as its Content-Security-Policy when one is given."""
    settings.ROOT_URLCONF = "tests.e2e.urls"
    article = live_server.url.replace("localhost", "127.0.0.1") + "/test-article/"
    assert article.startswith("http://127.0.0.1:")
    params = {"html": html} | ({"csp": csp} if csp else {})
    return f"{article}?{urlencode(params)}"


def oembed_html(client, url: str) -> str:
    response = client.get(reverse("embeds:oembed"), {"url": url, "maxwidth": "600"})
    assert response.status_code == 200
    return response.json()["html"]


def test_wordpress_markup_with_a_late_wp_embed_shows_resizes_and_opens_the_letter(
    live_server, settings, client
):
    settings.SITE_URL = live_server.url
    letter = make_letter(goal=100, title="Keep the night trains running")
    letter_url = live_server.url + letter.get_absolute_url()
    html = oembed_html(client, letter_url)
    assert html.startswith('<blockquote class="wp-embedded-content" data-secret="')
    post = wordpress_markup(html, secret="Wp5ecret42")
    assert 'sandbox="allow-scripts" security="restricted"' in post
    assert "#?secret=Wp5ecret42" in post

    with chromium_page() as page:
        page.goto(article_url(live_server, settings, f"<!doctype html><p>Post.</p>{post}"))
        frame_element = page.wait_for_selector("iframe.wp-embedded-content", state="attached")
        frame = frame_element.content_frame()
        expect(frame.locator("[data-count]")).to_have_text("0")
        # No wp-embed.js yet: the frame is hidden by WordPress and the link shows.
        assert not frame_element.is_visible()
        expect(page.locator("blockquote a")).to_have_text("Keep the night trains running")

        # The script arrives after the frame has sent its heights: "ready" brings one more.
        page.add_script_tag(content=WP_EMBED_STAND_IN)
        page.wait_for_function("wpSeen.some(function (m) { return m.message === 'height'; })")
        expect(page.locator("iframe.wp-embedded-content")).to_be_visible()
        expect(page.locator("blockquote.wp-embedded-content")).to_be_hidden()
        height = int(frame_element.get_attribute("height"))
        content = frame.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
        assert height == max(200, content)

        # "Sign the letter": the sandbox has no popups, so wp-embed.js opens the letter.
        popups: list[object] = []
        page.on("popup", lambda popup: popups.append(popup))
        with page.expect_navigation(url=letter_url):
            frame.click("a.b")
        expect(page.locator("article.letter")).to_be_visible()
        assert popups == []


def _sandboxed_article(page: Page, live_server, settings, sandbox: str, src: str) -> None:
    html = (
        f'<!doctype html><iframe sandbox="{sandbox}" src="{src}" width="400" height="220" '
        'title="Live signature count"></iframe>'
    )
    page.goto(article_url(live_server, settings, html))


@pytest.mark.parametrize(
    "sandbox", ["allow-scripts allow-popups", snippets.SANDBOX], ids=["no-escape", "ours"]
)
def test_sign_in_a_sandboxed_frame_opens_the_letter_page(live_server, settings, sandbox):
    settings.SITE_URL = live_server.url
    letter = make_letter()
    widget = live_server.url + reverse("embeds:widget", args=[letter.slug])
    with chromium_page() as page:
        _sandboxed_article(page, live_server, settings, sandbox, widget)
        frame = page.wait_for_selector("iframe").content_frame()
        expect(frame.locator("[data-count]")).to_have_text("0")
        with page.context.expect_page() as opened:
            frame.click("a.b")
        tab = opened.value
        tab.wait_for_load_state()
        assert tab.url == live_server.url + letter.get_absolute_url()
        expect(tab.locator("article.letter h1")).to_have_text(letter.title)


STRICT_CSP = "style-src 'self'; script-src 'self' %(site)s"
RECORD_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def test_a_publisher_with_a_strict_csp_on_a_phone_gets_frames_that_fit(live_server, settings):
    settings.SITE_URL = live_server.url
    letter = make_letter(goal=100, title="A title long enough to wrap on a small phone screen")
    html = (
        "<!doctype html><meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<p>Our article.</p>{snippets.snippets(letter=letter)['iframe']}"
        f"<p>And with the script:</p>{snippets.script_html(letter=letter)}"
    )
    csp = STRICT_CSP % {"site": live_server.url}
    with chromium_page(viewport={"width": 360, "height": 740}) as page:
        page.add_init_script(RECORD_VIOLATIONS)
        page.goto(article_url(live_server, settings, html, csp=csp))
        page.wait_for_selector("iframe[data-secret]")  # embed.js ran: 'self'-ish script-src
        frames = page.locator("iframe")
        expect(frames).to_have_count(2)
        for index in range(2):
            frame_element = frames.nth(index)
            expect(frame_element.content_frame.locator("[data-count]")).to_have_text("0")
            box = frame_element.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
            # No border from the browser's default either (frameborder / CSSOM).
            assert frame_element.evaluate("f => getComputedStyle(f).borderTopWidth") == "0px"
            # The widget fits its frame: nothing cut off at the bottom.
            inner = frame_element.element_handle().content_frame()
            content = inner.evaluate("document.documentElement.scrollHeight")
            assert content <= int(frame_element.get_attribute("height"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.evaluate("violations") == []

        # The listener hears what the CSP refuses: an inline style attribute.
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x')")
        page.wait_for_function("violations.length > 0")
        assert {v.split()[0] for v in page.evaluate("violations")} == {"style-src-attr"}
