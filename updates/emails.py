"""The email of an organizers' update, from templates/emails/update*."""

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from mailing.messages import OneLineHeader, absolute_url, message_build
from signatories.emails import letter_sender
from signatories.models import Signature
from updates.models import Update


def update(
    *, update: Update, signature: Signature, body_html: str, token: str
) -> EmailMultiAlternatives:
    """An organizers' update, with a one-click unsubscribe link in headers and body (RFC 8058).

    ``body_html`` is the sanitised Markdown of the update, rendered once per batch.
    """
    letter = update.letter
    unsubscribe_url = absolute_url(reverse("updates:unsubscribe", kwargs={"token": token}))
    message = message_build(
        name="update",
        to=signature.email,
        language=signature.language,
        recipient_name=signature.name,
        **letter_sender(letter),
        context={
            "letter": letter,
            "update": update,
            "body_html": body_html,
            "update_url": absolute_url(update.get_absolute_url()),
            "letter_url": absolute_url(letter.get_absolute_url()),
            "unsubscribe_url": unsubscribe_url,
        },
    )
    message.extra_headers["List-Unsubscribe"] = OneLineHeader(
        "List-Unsubscribe", f"<{unsubscribe_url}>"
    )
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message
