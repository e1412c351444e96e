"""Emails to organizers, built from templates/emails/<name>* like the signature emails."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from letters.models import Invitation
from mailing.messages import absolute_url, message_build


def invitation(*, invitation: Invitation) -> EmailMultiAlternatives:
    from letters.services import invitation_token

    token = invitation_token(invitation=invitation)
    path = reverse("organize:invitation-accept", kwargs={"token": token})
    inviter = invitation.invited_by
    letter = invitation.letter
    # A draft has no public page yet: the invitation's own page is the link then.
    letter_url = absolute_url(letter.get_absolute_url()) if letter.is_public else ""
    return message_build(
        name="invitation",
        to=invitation.email,
        language=letter.language,
        context={
            "invitation": invitation,
            "letter": letter,
            "letter_url": letter_url,
            "inviter_email": inviter.email if inviter else "",
            "role": invitation.get_role_display(),
            "accept_url": absolute_url(path),
            "max_age_days": settings.INVITATION_MAX_AGE_DAYS,
        },
    )
