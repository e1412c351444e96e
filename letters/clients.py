"""Who is asking: the client's address through the trusted proxies, and its networks.

Rate limits and the organizers' network signals key on these. The rule lives here once,
in the lowest app that needs it (letters limits the Markdown preview).
"""

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


def ip_parse(ip: str) -> IPAddress | None:
    """The address, with an IPv4-mapped IPv6 address read as the IPv4 it is; None if not one."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def ip_network(address: IPAddress, *, v4: int, v6: int) -> str:
    """The network of ``address`` with a /``v4`` (IPv4) or /``v6`` (IPv6) prefix, as text."""
    prefix = v4 if address.version == 4 else v6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


@dataclass(frozen=True)
class ClientKeys:
    """What rate limits count a client by.

    ``host`` is one machine: the IPv4 address, or the IPv6 /64 (a single host is usually
    handed a whole /64 and can pick any address in it). ``network`` is the neighbourhood
    one operator controls: the IPv4 /24 or the IPv6 /48. Requests without a readable
    address share the key "unknown".
    """

    host: str
    network: str


def client_keys(*, ip: str) -> ClientKeys:
    address = ip_parse(ip)
    if address is None:
        return ClientKeys(host="unknown", network="unknown")
    host = str(address) if address.version == 4 else ip_network(address, v4=32, v6=64)
    return ClientKeys(host=host, network=ip_network(address, v4=24, v6=48))


def request_client_keys(request: HttpRequest) -> ClientKeys:
    return client_keys(ip=client_ip(request))
