"""Email addresses as every app compares, hashes and shows them."""

import re
import unicodedata

from django.utils.crypto import salted_hmac

ADDRESS_HASH_SALT = "mailing.addresses.address_hash"


def email_normalize(*, email: str) -> str:
    """The form of an address used to find duplicates: NFKC, lower case, IDNA domain.

    Raises ``ValueError`` when the domain cannot be encoded.
    """
    email = unicodedata.normalize("NFKC", email).strip()
    local, _, domain = email.rpartition("@")
    domain = domain.rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("The domain of this address is not valid.") from None
    return f"{local.lower()}@{domain}"


def address_hash(*, email: str) -> str:
    """A keyed hash (HMAC-SHA256, key derived from SECRET_KEY) of the normalised address.

    Stored in place of an address wherever we must recognise one without keeping it
    (suppression lists), and signed into links instead of the address.
    """
    try:
        normalized = email_normalize(email=email)
    except ValueError:
        normalized = unicodedata.normalize("NFKC", email).strip().lower()
    return salted_hmac(ADDRESS_HASH_SALT, normalized, algorithm="sha256").hexdigest()


_ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")


def address_mask(email: str) -> str:
    """An address as operators may see it in logs and reports: ``a***@e***.org``."""
    local, _, domain = email.rpartition("@")
    if not local:
        return "***"
    name, dot, tld = domain.rpartition(".")
    masked_domain = f"{name[:1]}***{dot}{tld}" if dot else f"{domain[:1]}***"
    return f"{local[:1]}***@{masked_domain}"


def addresses_mask(text: str) -> str:
    """``text`` with every address in it masked (SMTP errors often quote the recipient)."""
    return _ADDRESS.sub(lambda match: address_mask(match.group()), text)
