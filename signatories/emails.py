"""Every email about a signature is built here, from templates/emails/<name>*."""

from typing import TypedDict

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from letters.models import Letter
from letters.translations import signed_text, text_path
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
            **_letter_context(signature),
            "confirm_url": absolute_url(reverse("signatories:confirm", kwargs={"token": token})),
            "not_me_url": absolute_url(not_me),
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


def _letter_context(signature: Signature) -> dict[str, object]:
    """The letter as the signer read it: the title of the text they signed, and the page
    in that text's language (a translation's, docs/translations.md)."""
    letter = signature.letter
    text = signed_text(letter=letter, version_id=signature.letter_version_id)
    path = letter.get_absolute_url() if text.is_original else text_path(
        letter=letter, language=text.language
    )  # fmt: skip
    return {"letter": letter, "letter_title": text.title, "letter_url": absolute_url(path)}


def _withdraw_context(signature: Signature, token: str) -> dict[str, object]:
    return {
        **_letter_context(signature),
        "withdraw_url": absolute_url(reverse("signatories:withdraw", kwargs={"token": token})),
        "max_age_days": settings.CONFIRMATION_MAX_AGE_DAYS,
    }
