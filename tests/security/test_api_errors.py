"""Attacks on what other sites fetch: the API, oEmbed and the feeds; and the headers and
production settings that every response depends on. See docs/security-accounts.md."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.factories import make_letter

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_a_summary_with_a_script_tag_reaches_feed_readers_as_text(client):
    make_letter(summary='<script>alert("x")</script> & <b>bold</b>')
    rss = ET.fromstring(client.get(reverse("embeds:feed-rss")).content)
    atom = ET.fromstring(client.get(reverse("embeds:feed-atom")).content)
    described = [
        rss.find("channel/item/description").text,
        atom.find(f"{ATOM}entry/{ATOM}summary").text,
    ]
    # What a reader renders as HTML must show the tags, not run them.
    expected = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert described == [expected, expected]
