"""What the organizers are shown about a signature: signals computed from data we keep.

None of these proves anything; they point the organizers at signatures worth a look.
The network key is a keyed hash of the signer's /24 (IPv4) or /48 (IPv6) network, so the
IP address itself is never stored and keys cannot be reversed without the SECRET_KEY.
"""

import hashlib
import hmac
import ipaddress
from functools import cache
from pathlib import Path

from disposable_email_domains import blocklist
from django.conf import settings
from django.http import HttpRequest

_DATA = Path(__file__).resolve().parent / "data"


def client_ip(request: HttpRequest) -> str:
    """The address of the client, trusting exactly TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so the client is the entry that many places from the right.
    Entries further left were written by the client and can say anything.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    return forwarded[-min(proxies, len(forwarded))]


def network_key(*, ip: str) -> str:
    """A short keyed hash of the network an address belongs to; empty when not an IP."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    digest = hmac.new(settings.SECRET_KEY.encode(), f"network:{network}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def request_network_key(request: HttpRequest) -> str:
    return network_key(ip=client_ip(request))


def email_domain(*, email_normalized: str) -> str:
    return email_normalized.rpartition("@")[2]


def is_disposable(*, domain: str) -> bool:
    return domain in blocklist or domain in _local_disposable()


@cache
def _local_disposable() -> frozenset[str]:
    return _read_list("disposable_domains.txt")


@cache
def webmail_domains() -> frozenset[str]:
    """Large public providers, ignored by the "many from one email domain" signal."""
    return _read_list("webmail_domains.txt")


def _read_list(name: str) -> frozenset[str]:
    path = _DATA / name
    if not path.exists():
        return frozenset()
    lines = (line.strip().lower() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def name_key(name: str) -> str:
    """A name compared without regard to case or spacing."""
    return " ".join(name.split()).casefold()
