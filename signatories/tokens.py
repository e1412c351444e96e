"""The secrets in the links we email to signers.

No link carries a readable address: they name a row by id and, where the row may be gone
when the link is used, the address by its keyed hash (mailing.addresses.address_hash).
"""

import base64
import hashlib

from django.core import signing
from django.utils.crypto import salted_hmac

from mailing.addresses import address_hash
from signatories.models import OutboxMessage, Signature

CONFIRM_SALT = "signatories.confirm"
WITHDRAW_SALT = "signatories.withdraw"
NOT_ME_SALT = "signatories.not-me"


def token_hash(*, token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirmation_token(*, message: OutboxMessage) -> str:
    """The confirmation token of one outbox message, the same each time it is built.

    A message sent twice (a worker that died after sending, a claim that ran out) carries
    the same link, so the second email never kills the first. A new message, when the
    signer asks for a new link, gives a new token and replaces the old one.
    """
    value = f"confirm:{message.pk}:{message.signature_id}"
    digest = salted_hmac(CONFIRM_SALT, value, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def withdraw_token(*, signature: Signature) -> str:
    """A signed, expiring link token; it dies with the signature it names."""
    return signing.dumps(
        {"s": signature.pk, "h": address_hash(email=signature.email_normalized)},
        salt=WITHDRAW_SALT,
    )


def not_me_token(*, signature: Signature) -> str:
    """The signed, expiring "I didn't sign this" token: the letter, the signature and the
    keyed hash of the address, so it still works once the signature is gone."""
    return signing.dumps(
        {
            "l": signature.letter_id,
            "s": signature.pk,
            "h": address_hash(email=signature.email_normalized),
        },
        salt=NOT_ME_SALT,
    )
