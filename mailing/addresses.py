"""Email addresses as every app compares them."""

import unicodedata


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
