"""Proof of work (ALTCHA) on the sign form, only when it is needed.

Signing needs no JavaScript while nothing is wrong. The check switches itself on for a
while when one client network or one letter receives a burst of sign requests (counters
in the cache, that is Redis), and the organizers of a letter can require it for good
(``Letter.require_challenge``). While it is on, the sign form carries the ALTCHA widget:
the browser fetches a signed challenge from ``challenge_create``, spends a second or two
of work on it, and posts the answer, which ``solution_accept`` checks and spends once.

A cache that fails never stops a sign request: without it the check does not switch
itself on and answers cannot be marked as spent (logged as warnings).

With Redis, counting a sign request is one script (``_ATTEMPT``): both counters, the
switch and the check that it is on, in one round trip.
"""

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

import redis
from altcha import Payload, create_challenge, verify_solution
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.utils.module_loading import import_string

from letters.clients import client_ip, ip_network, ip_parse
from letters.models import Letter
from mailing.breaker import breaker_call

log = logging.getLogger(__name__)

ALGORITHM = "PBKDF2/SHA-256"


def request_network(request: HttpRequest) -> str:
    """A keyed hash of the client's /24 (IPv4) or /64 (IPv6) network; "" when unknown."""
    address = ip_parse(client_ip(request))
    if address is None:
        return ""
    network = ip_network(address, v4=24, v6=64)
    digest = hmac.new(settings.SECRET_KEY.encode(), f"burst:{network}".encode(), hashlib.sha256)
    return digest.hexdigest()[:16]


def _active_keys(*, letter_id: int, network: str) -> list[str]:
    keys = [f"challenge:on:letter:{letter_id}"]
    if network:
        keys.append(f"challenge:on:net:{network}")
    return keys


def switch_keys(*, letter_id: int, network: str) -> list[str]:
    """The Redis keys of the switches for the letter, then the network (when known), for
    a reader that checks them in its own round trip (``signatories.live``)."""
    return [cache.make_key(key) for key in _active_keys(letter_id=letter_id, network=network)]


def reason_of(*, require: bool, switches: Sequence[bool]) -> str:
    """``challenge_reason`` from whether the switches of ``switch_keys`` are on."""
    if require or (switches and switches[0]):
        return "letter"
    return "network" if any(switches) else ""


def _count(key: str, *, window: int) -> int:
    """Add one to the counter of the current ``window`` seconds and return it."""
    bucket = _bucket(key, window=window)
    cache.add(bucket, 0, timeout=window)
    try:
        return cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window)
        return 1


# KEYS: pairs of (counter of the current window, switch) for the letter, then the network.
# ARGV: per pair, the window in seconds and the burst; then CHALLENGE_ACTIVE_SECONDS.
# Returns {which pairs burst now (1 and/or 2, as a bit mask), whether any switch is on}.
_ATTEMPT = """
local burst = 0
for i = 1, #KEYS, 2 do
  local pair = (i + 1) / 2
  redis.call('SET', KEYS[i], 0, 'EX', ARGV[2 * pair - 1], 'NX')
  if redis.call('INCR', KEYS[i]) > tonumber(ARGV[2 * pair]) then
    redis.call('SET', KEYS[i + 1], 1, 'EX', ARGV[#ARGV])
    burst = burst + pair
  end
end
local on = 0
for i = 2, #KEYS, 2 do
  on = on + redis.call('EXISTS', KEYS[i])
end
return {burst, on}
"""


def _bucket(key: str, *, window: int) -> str:
    return f"{key}:{int(time.time() // window)}"


def _cache_redis_url() -> str:
    """The Redis server of the cache (the first, where writes go); "" for another cache."""
    config: Mapping[str, object] = settings.CACHES["default"]
    if not issubclass(import_string(str(config["BACKEND"])), RedisCache):
        return ""
    location = config["LOCATION"]
    servers = location if isinstance(location, list | tuple) else re.split("[;,]", str(location))
    return str(servers[0])


def _attempt_in_redis(*, url: str, letter: Letter, network: str) -> bool:
    counters = [
        (f"challenge:l:{letter.pk}", f"challenge:on:letter:{letter.pk}", 60,
         settings.CHALLENGE_LETTER_PER_MINUTE),
    ]  # fmt: skip
    if network:
        window = settings.CHALLENGE_NETWORK_WINDOW_SECONDS
        counters.append(
            (f"challenge:n:{network}", f"challenge:on:net:{network}", window,
             settings.CHALLENGE_NETWORK_BURST)
        )  # fmt: skip
    keys: list[str] = []
    args: list[int] = []
    for counter, switch, window, burst in counters:
        keys += [cache.make_key(_bucket(counter, window=window)), cache.make_key(switch)]
        args += [window, burst]
    args.append(settings.CHALLENGE_ACTIVE_SECONDS)
    burst, on = breaker_call(url, lambda client: client.eval(_ATTEMPT, len(keys), *keys, *args))
    if burst:
        bursts = [switch for i, (_c, switch, _w, _b) in enumerate(counters) if burst & (i + 1)]
        log.warning("Sign burst: the challenge is on for %s", ", ".join(bursts))
    return bool(burst or on)


def sign_attempt(*, letter: Letter, network: str) -> bool:
    """Count a sign request and say whether it must carry a solved challenge."""
    if letter.require_challenge:
        return True
    url = _cache_redis_url()
    if url:
        try:
            return _attempt_in_redis(url=url, letter=letter, network=network)
        except redis.RedisError:
            log.warning("Cache unavailable: the challenge cannot switch itself on", exc_info=True)
            return False
    try:
        window = settings.CHALLENGE_NETWORK_WINDOW_SECONDS
        per_network = _count(f"challenge:n:{network}", window=window) if network else 0
        per_letter = _count(f"challenge:l:{letter.pk}", window=60)
        bursts = []
        if per_network > settings.CHALLENGE_NETWORK_BURST:
            bursts.append(f"challenge:on:net:{network}")
        if per_letter > settings.CHALLENGE_LETTER_PER_MINUTE:
            bursts.append(f"challenge:on:letter:{letter.pk}")
        if bursts:
            log.warning("Sign burst: the challenge is on for %s", ", ".join(bursts))
            cache.set_many(dict.fromkeys(bursts, 1), timeout=settings.CHALLENGE_ACTIVE_SECONDS)
            return True
        return bool(cache.get_many(_active_keys(letter_id=letter.pk, network=network)))
    except redis.RedisError:
        log.warning("Cache unavailable: the challenge cannot switch itself on", exc_info=True)
        return False


def challenge_reason(*, letter: Letter, network: str) -> str:
    """Why the sign form of ``letter`` shown to ``network`` carries the challenge: "letter"
    (everybody sees it), "network" (only this network does) or "" (it does not)."""
    if letter.require_challenge:
        return "letter"
    keys = _active_keys(letter_id=letter.pk, network=network)
    try:
        found = cache.get_many(keys)
    except redis.RedisError:
        log.warning("Cache unavailable: cannot tell whether the challenge is on", exc_info=True)
        return ""
    if keys[0] in found:
        return "letter"
    return "network" if found else ""


def _key_secret() -> str:
    return hmac.new(settings.ALTCHA_HMAC_KEY.encode(), b"key", hashlib.sha256).hexdigest()


def challenge_create() -> dict[str, Any]:
    """A new signed challenge, as the widget reads it.

    The answer is drawn here (deterministic mode), so the work is the same for everybody
    and checking an answer costs one HMAC, never a key derivation.
    """
    top = settings.ALTCHA_MAX_NUMBER
    challenge = create_challenge(
        algorithm=ALGORITHM,
        cost=settings.ALTCHA_COST,
        counter=top // 2 + secrets.randbelow(top - top // 2 + 1),
        expires_at=int(time.time()) + settings.ALTCHA_EXPIRES_SECONDS,
        hmac_secret=settings.ALTCHA_HMAC_KEY,
        hmac_key_secret=_key_secret(),
    )
    return challenge.to_dict()


def solution_accept(*, payload: str) -> bool:
    """Whether ``payload`` answers one of our challenges, unexpired, for the first time."""
    try:
        parsed = Payload.from_base64(payload)
        result = verify_solution(parsed, settings.ALTCHA_HMAC_KEY, hmac_key_secret=_key_secret())
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    if not result.verified:
        return False
    expires_at = parsed.challenge.parameters.expires_at or time.time()
    try:
        first = cache.add(
            f"challenge:spent:{parsed.challenge.signature}",
            1,
            timeout=max(1, int(expires_at - time.time()) + 1),
        )
    except redis.RedisError:
        log.warning("Cache unavailable: a challenge answer is accepted unspent", exc_info=True)
        return True
    if not first:
        log.info("A challenge answer was sent again and refused")
    return bool(first)
