"""Every email about a signature is built here, from templates/emails/<name>*."""

from typing import TypedDict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from letters.models import Letter
from mailing.messages import absolute_url, message_build
from signatories.models import Signature
from signatories.tokens import not_me_token


def confirmation(*, signature: Signature, token: str) -> EmailMultiAlternatives:
    letter = signature.letter
    not_me = reverse("signatories:not-me", kwargs={"token": not_me_token(signature=signature)})
    return message_build(
        name="confirm",
        to=signature.email,
        language=signature.language,
        recipient_name=signature.name,
        **letter_sender(letter),
        context={
            "letter": letter,
            "confirm_url": absolute_url(reverse("signatories:confirm", kwargs={"token": token})),
            "not_me_url": absolute_url(not_me),
            "letter_url": absolute_url(letter.get_absolute_url()),
            "max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        },
    )


def already_signed(*, signature: Signature, withdraw_token: str) -> EmailMultiAlternatives:
    return message_build(
        name="already_signed",
        to=signature.email,
        language=signature.language,
        recipient_name=signature.name,
        **letter_sender(signature.letter),
        context=_withdraw_context(signature, withdraw_token),
    )


def withdraw(*, signature: Signature, token: str) -> EmailMultiAlternatives:
    return message_build(
        name="withdraw",
        to=signature.email,
        language=signature.language,
        recipient_name=signature.name,
        **letter_sender(signature.letter),
        context=_withdraw_context(signature, token),
    )


class Sender(TypedDict):
    from_name: str
    reply_to: str


def letter_sender(letter: Letter) -> Sender:
    """Mail about a letter speaks for its organizers, and answers go to their contact."""
    return {"from_name": letter.organizer_name, "reply_to": letter.contact_email}


def _withdraw_context(signature: Signature, token: str) -> dict[str, object]:
    return {
        "letter": signature.letter,
        "letter_url": absolute_url(signature.letter.get_absolute_url()),
        "withdraw_url": absolute_url(reverse("signatories:withdraw", kwargs={"token": token})),
        "max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
    }
