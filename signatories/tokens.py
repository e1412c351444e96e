"""The secrets in the links we email to signers."""

import hashlib

from django.core import signing

from signatories.models import Signature


def token_hash(*, token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


WITHDRAW_SALT = "signatories.withdraw"


def withdraw_token(*, signature: Signature) -> str:
    """A signed, expiring link token; it dies with the signature it names."""
    return signing.dumps({"s": signature.pk, "e": signature.email_normalized}, salt=WITHDRAW_SALT)
