"""The signals organizers see: bursts per network and domain, disposable addresses and
names of verified signatories of other letters; and the network key behind them."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from letters import clients
from moderation import selectors
from signatories import flags
from signatories.models import Signature
from tests.factories import make_letter, make_member_user, make_signature, sign_data

pytestmark = pytest.mark.django_db


def _request(remote: str, forwarded: str | None = None):
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return request


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert clients.client_ip(_request("198.51.100.9", "203.0.113.1")) == "198.51.100.9"


def test_with_one_trusted_proxy_the_last_forwarded_entry_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = "1.2.3.4, 203.0.113.50"
    assert clients.client_ip(_request("10.0.0.1", spoofed)) == "203.0.113.50"


def test_with_two_trusted_proxies_the_client_is_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    forwarded = "1.2.3.4, 203.0.113.50, 10.0.0.2"
    assert clients.client_ip(_request("10.0.0.1", forwarded)) == "203.0.113.50"
    assert clients.client_ip(_request("10.0.0.1")) == "10.0.0.1"


def test_the_network_key_groups_a_network_and_hides_the_address():
    key = flags.network_key(ip="203.0.113.7")
    assert key == flags.network_key(ip="203.0.113.250")
    assert key != flags.network_key(ip="203.0.114.7")
    assert key == flags.network_key(ip="::ffff:203.0.113.9")
    assert "203" not in key and len(key) == 16
    v6 = flags.network_key(ip="2001:db8:1:aaaa::1")
    assert v6 == flags.network_key(ip="2001:db8:1:bbbb::2")
    assert v6 != flags.network_key(ip="2001:db8:2::1")
    assert flags.network_key(ip="not-an-ip") == ""


def test_the_network_key_depends_on_the_secret_key(settings):
    key = flags.network_key(ip="203.0.113.7")
    settings.SECRET_KEY = "another-secret"
    assert flags.network_key(ip="203.0.113.7") != key


def test_signing_keeps_the_network_key_and_domain_but_not_the_address(client):
    letter = make_letter()
    client.post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(email="Ada@Example.ORG"),
        REMOTE_ADDR="203.0.113.7",
    )
    signature = Signature.objects.get()
    assert signature.network_key == flags.network_key(ip="203.0.113.7")
    assert signature.email_domain == "example.org"
    values = Signature.objects.filter(pk=signature.pk).values().get()
    assert not any("203.0.113" in str(value) for value in values.values())


def _burst(letter, *, count, **fields) -> list[Signature]:
    hour = (timezone.now() - timedelta(hours=2)).replace(minute=5, second=0, microsecond=0)
    made = [make_signature(letter=letter, **fields) for _ in range(count)]
    Signature.objects.filter(pk__in=[s.pk for s in made]).update(created_at=hour)
    return [Signature.objects.get(pk=s.pk) for s in made]


def test_many_signatures_from_one_network_in_an_hour_are_flagged(settings):
    settings.MODERATION_BURST_THRESHOLD = 3
    letter = make_letter()
    key = flags.network_key(ip="203.0.113.7")
    burst = _burst(letter, count=3, network_key=key)
    alone = _burst(letter, count=2, network_key=flags.network_key(ip="198.51.100.1"))
    found = selectors.signature_flags(letter=letter, signatures=burst + alone)
    assert all(selectors.Flag.NETWORK_BURST in found[s.pk] for s in burst)
    assert all(selectors.Flag.NETWORK_BURST not in found[s.pk] for s in alone)
    signals = selectors.moderation_signals(letter=letter)
    assert [(b.key, b.count) for b in signals.network_bursts] == [(key, 3)]


def test_many_signatures_from_one_domain_are_flagged_except_for_big_providers(settings):
    settings.MODERATION_BURST_THRESHOLD = 3
    letter = make_letter()
    burst = [
        *_burst(letter, count=3, email_domain="campaign.example"),
        *_burst(letter, count=3, email_domain="gmail.com"),
    ]
    found = selectors.signature_flags(letter=letter, signatures=burst)
    assert [found[s.pk] for s in burst[:3]] == [[selectors.Flag.DOMAIN_BURST]] * 3
    assert [found[s.pk] for s in burst[3:]] == [[]] * 3
    signals = selectors.moderation_signals(letter=letter)
    assert [b.key for b in signals.domain_bursts] == ["campaign.example"]


def test_disposable_addresses_are_flagged():
    letter = make_letter()
    throwaway = make_signature(letter=letter, email="x@mailinator.com")
    normal = make_signature(letter=letter, email="x@example.org")
    found = selectors.signature_flags(letter=letter, signatures=[throwaway, normal])
    assert found[throwaway.pk] == [selectors.Flag.DISPOSABLE]
    assert found[normal.pk] == []
    assert selectors.moderation_signals(letter=letter).disposable == [("mailinator.com", 1)]


def test_the_name_of_a_verified_signatory_of_another_letter_is_flagged():
    other = make_letter()
    make_signature(
        letter=other, name="Ada Lovelace", verified_at=timezone.now(), verification_method="contact"
    )
    letter = make_letter()
    copy = make_signature(letter=letter, name="ADA LOVELACE")
    namesake = make_signature(letter=letter, name="Grace Hopper")
    found = selectors.signature_flags(letter=letter, signatures=[copy, namesake])
    assert found[copy.pk] == [selectors.Flag.NAMESAKE]
    assert found[namesake.pk] == []
    assert selectors.moderation_signals(letter=letter).namesakes == [copy]
    # Verified on the letter itself: no flag there.
    assert selectors.signature_flags(letter=other, signatures=list(other.signatures.all())) == {
        other.signatures.get().pk: []
    }


def test_names_are_compared_without_case_or_spacing():
    assert flags.name_key("  Ada   LOVELACE ") == flags.name_key("ada lovelace")


def test_the_moderation_page_shows_flags_and_the_signals_panel(client, settings):
    settings.MODERATION_BURST_THRESHOLD = 3
    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="viewer"))
    _burst(letter, count=3, network_key=flags.network_key(ip="203.0.113.7"))
    make_signature(letter=letter, email="x@mailinator.com")
    page = client.get(reverse("moderation:list", args=[letter.slug])).content.decode()
    assert page.count("Many signatures from the same network within an hour") == 3
    assert "3 signatures from one network" in page
    assert "disposable address provider @mailinator.com" in page
    assert "Disposable email address" in page


def test_behind_one_trusted_proxy_signing_keys_the_forwarded_client(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    letter = make_letter()
    client.post(
        reverse("signatories:sign", args=[letter.slug]),
        sign_data(),
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7",
    )
    assert Signature.objects.get().network_key == flags.network_key(ip="203.0.113.7")


def test_the_signals_panel_forgets_what_a_removal_dealt_with(
    settings, django_capture_on_commit_callbacks
):
    from moderation import services as moderation

    settings.MODERATION_BURST_THRESHOLD = 3
    letter = make_letter()
    key = flags.network_key(ip="203.0.113.7")
    _burst(letter, count=3, network_key=key)
    assert selectors.moderation_signals(letter=letter).network_bursts
    with django_capture_on_commit_callbacks(execute=True):
        moderation.signatures_bulk_remove(
            letter=letter,
            filters=selectors.ModerationFilter(network=key),
            actor=make_member_user(letter=letter),
            reason="One machine signed three times",
        )
    assert selectors.moderation_signals(letter=letter).network_bursts == []


def test_a_signal_leads_to_its_signatures_and_to_removing_them(client, settings):
    import re

    settings.MODERATION_BURST_THRESHOLD = 3
    letter = make_letter()
    client.force_login(make_member_user(letter=letter, role="editor"))
    burst = _burst(letter, count=3, network_key=flags.network_key(ip="203.0.113.7"))
    other = make_signature(letter=letter, name="Unrelated Person")
    list_url = reverse("moderation:list", args=[letter.slug])
    panel = client.get(list_url).content.decode()
    link = re.search(r'href="\?([^"]*network=[^"]*)"', panel).group(1).replace("&amp;", "&")
    filtered = client.get(f"{list_url}?{link}")
    assert [s.pk for s in filtered.context["page"].items] == sorted(
        (s.pk for s in burst), reverse=True
    )
    assert other.name not in filtered.content.decode()
    bulk = re.search(r'href="([^"]*bulk-remove/\?[^"]*)"', filtered.content.decode()).group(1)
    preview = client.get(bulk.replace("&amp;", "&"))
    assert "3 signatures will be removed." in preview.content.decode()
