"""What the organizers are shown about a signature: signals computed from data we keep.

None of these proves anything; they point the organizers at signatures worth a look.
The network key is a keyed hash of the signer's /24 (IPv4) or /48 (IPv6) network, so the
IP address itself is never stored and keys cannot be reversed without the SECRET_KEY.
"""

import hashlib
import hmac
from functools import cache
from pathlib import Path

from disposable_email_domains import blocklist
from django.conf import settings
from django.http import HttpRequest

from letters import clients

_DATA = Path(__file__).resolve().parent / "data"


def network_key(*, ip: str) -> str:
    """A short keyed hash of the network an address belongs to; empty when not an IP."""
    address = clients.ip_parse(ip)
    if address is None:
        return ""
    network = clients.ip_network(address, v4=24, v6=48)
    digest = hmac.new(settings.SECRET_KEY.encode(), f"network:{network}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def request_network_key(request: HttpRequest) -> str:
    return network_key(ip=clients.client_ip(request))


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
