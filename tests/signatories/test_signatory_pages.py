"""Pages of the public list found by position (keyset), not by OFFSET."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from signatories.models import Signature
from signatories.selectors import Position
from tests.factories import make_letter, make_signature

pytestmark = pytest.mark.django_db


def names(html: str) -> list[str]:
    return re.findall(r'<span class="name">([^<]*)</span>', html)


def link(html: str, rel: str) -> dict[str, str] | None:
    found = re.search(rf'rel="{rel}" href="\?([^"]*)"', html)
    if found is None:
        return None
    return dict(pair.split("=", 1) for pair in found[1].replace("&amp;", "&").split("&"))


@pytest.fixture
def letter():
    """130 named signatories: two verified, and many sharing one confirmation time, so
    that the pk has to break ties across page boundaries."""
    letter = make_letter()
    now = timezone.now()
    for n in range(130):
        make_signature(
            letter=letter, name=f"Person {n:03d}",
            confirmed_at=now - timedelta(minutes=n // 7),
        )  # fmt: skip
    for n, minutes in ((5, 1), (90, 2)):
        Signature.objects.filter(name=f"Person {n:03d}").update(
            verified_at=now - timedelta(minutes=minutes), verification_method="known"
        )
    make_signature(letter=letter, name="Hidden", show_name=False)
    make_signature(letter=letter, name="Pending", status=Signature.Status.PENDING)
    return letter


def expected(letter) -> list[str]:
    rows = Signature.objects.filter(letter=letter, status="confirmed", show_name=True)
    verified = rows.exclude(verified_at=None).order_by("-verified_at", "-confirmed_at", "-pk")
    others = rows.filter(verified_at=None).order_by("-confirmed_at", "-pk")
    return [row.name for row in [*verified, *others]]


def test_following_older_links_visits_every_named_signatory_once_in_order(client, letter):
    url = reverse("signatories:list", args=[letter.slug])
    html, seen, pages = client.get(url).content.decode(), [], []
    while True:
        pages.append(names(html))
        seen += pages[-1]
        params = link(html, "next")
        if params is None:
            break
        assert set(params) == {"after"}
        html = client.get(url, params).content.decode()
    assert seen == expected(letter)
    assert seen[:2] == ["Person 005", "Person 090"]  # verified first, newest verification first
    assert [len(page) for page in pages] == [50, 50, 30]


def test_following_newer_links_back_gives_the_same_pages(client, letter):
    url = reverse("signatories:list", args=[letter.slug])
    forward = [client.get(url).content.decode()]
    while (params := link(forward[-1], "next")) is not None:
        forward.append(client.get(url, params).content.decode())
    html = forward[-1]
    for page in reversed(forward[:-1]):
        params = link(html, "prev")
        assert set(params) == {"before"}
        html = client.get(url, params).content.decode()
        assert names(html) == names(page)
    assert link(html, "prev") is None


def test_a_position_among_the_verified_leads_on_to_the_others(client, letter):
    url = reverse("signatories:list", args=[letter.slug])
    verified_last = Signature.objects.get(name="Person 090")
    html = client.get(url, {"after": Position.of(verified_last).encode()}).content.decode()
    assert names(html) == expected(letter)[2:52]
    back = client.get(url, link(html, "prev")).content.decode()
    assert names(back) == ["Person 005", "Person 090"]


def test_a_signature_confirmed_meanwhile_neither_repeats_nor_skips_a_row(client, letter):
    url = reverse("signatories:list", args=[letter.slug])
    first = client.get(url).content.decode()
    make_signature(letter=letter, name="Newcomer")
    second = client.get(url, link(first, "next")).content.decode()
    assert "Newcomer" in expected(letter)[:3]
    assert names(first) + names(second) == [n for n in expected(letter) if n != "Newcomer"][:100]


def test_a_made_up_position_gets_a_clear_message_and_changes_nothing(client, letter):
    before = list(Signature.objects.order_by("pk").values_list())
    response = client.get(reverse("signatories:list", args=[letter.slug]), {"after": "bogus"})
    assert response.status_code == 400
    assert "link" in response.content.decode().lower()
    assert list(Signature.objects.order_by("pk").values_list()) == before


@pytest.mark.parametrize("q", ["nurse", "ada", "nobody-at-all"])
def test_a_search_finds_the_same_pages_whether_its_word_is_common_or_rare(monkeypatch, q):
    from signatories import selectors

    letter = make_letter()
    make_signature(letter=letter, name="Ada Oldest", role="Nurse")
    for n in range(12):
        make_signature(letter=letter, name=f"Person {n}", role="Nurse" if n % 3 else "Cook")
    make_signature(letter=letter, name="Hidden Nurse", role="Nurse", show_name=False)
    # A walk of 4 rows: "nurse" fills a page of 3 within it, "ada" only matches beyond.
    monkeypatch.setattr(selectors, "SEARCH_WALK", 4)
    query = selectors.SignatoryQuery(q=q)
    rows = selectors.signatory_list_public(letter=letter)
    matching = [row.name for row in rows if q in f"{row.name} {row.role}".lower()]
    seen, after = [], None
    while True:
        page = selectors.signatory_search_page(letter=letter, query=query, after=after, per_page=3)
        seen += [row.name for row in page.items]
        if page.next is None:
            break
        after = Position.decode(page.next)
    assert seen == matching
    assert "Hidden Nurse" not in seen
