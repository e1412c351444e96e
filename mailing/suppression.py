"""The global "never email me again" list, checked where every mail is sent."""

from django.core import signing
from django.db import IntegrityError, transaction

from mailing.addresses import address_hash
from mailing.models import SuppressedAddress

NEVER_SALT = "mailing.suppression.never"
# A "never email me again" link works this long after the mail that carried it was built.
NEVER_LINK_MAX_AGE_DAYS = 90


def address_is_suppressed(*, email: str) -> bool:
    """True when this address asked never to be emailed again."""
    return hash_is_suppressed(digest=address_hash(email=email))


def hash_is_suppressed(*, digest: str) -> bool:
    return SuppressedAddress.objects.filter(address_hash=digest).exists()


def address_suppress(*, email: str) -> bool:
    """Never email this address again; True if it was not on the list yet. Idempotent."""
    return hash_suppress(digest=address_hash(email=email))


def hash_suppress(*, digest: str) -> bool:
    try:
        with transaction.atomic():
            SuppressedAddress.objects.create(address_hash=digest)
    except IntegrityError:
        return False
    return True


def never_token(*, email: str) -> str:
    """A signed, expiring link token naming the address by its keyed hash only."""
    return signing.dumps({"h": address_hash(email=email)}, salt=NEVER_SALT)


def never_token_load(*, token: str) -> tuple[str, str | None]:
    """("valid", hash), ("expired", None) or ("unknown", None) for a link token."""
    if not token or len(token) > 300:
        return "unknown", None
    try:
        data = signing.loads(token, salt=NEVER_SALT, max_age=NEVER_LINK_MAX_AGE_DAYS * 86400)
    except signing.SignatureExpired:
        return "expired", None
    except signing.BadSignature:
        return "unknown", None
    digest = data.get("h") if isinstance(data, dict) else None
    if not isinstance(digest, str) or len(digest) != 64:
        return "unknown", None
    return "valid", digest
