"""The emails to organizers, from templates/emails/notification_*."""

from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from mailing.messages import absolute_url, message_build, name_for_greeting
from notifications.models import Notification


def notification(*, notification: Notification, to: str, language: str) -> EmailMultiAlternatives:
    """One notification, in the organizer's language. It names signatories only by the
    public parts of a signature (name, role, organization), never by address."""
    membership = notification.membership
    letter = membership.letter
    context: dict[str, object] = {
        "letter": letter,
        "organizer_url": absolute_url(reverse("organize:letter", kwargs={"slug": letter.slug})),
        "moderation_url": absolute_url(reverse("moderation:list", kwargs={"slug": letter.slug})),
        "preferences_url": absolute_url(
            reverse("notifications:preferences", kwargs={"slug": letter.slug})
        ),
        **_kind_context(notification),
    }
    return message_build(
        name=f"notification_{notification.kind}",
        to=to,
        language=language,
        recipient_name=membership.user.get_full_name(),
        context=context,
    )


def _kind_context(notification: Notification) -> dict[str, object]:
    if notification.kind == Notification.Kind.DIGEST:
        counts = dict(notification.counts)
        return {
            "counts": counts,
            "since": datetime.fromisoformat(str(counts["since"])),
            "until": notification.period_end,
        }
    if notification.kind == Notification.Kind.MILESTONE:
        assert notification.milestone is not None
        return {"milestone": notification.milestone}
    signature = notification.signature
    assert signature is not None
    letter = notification.membership.letter
    return {
        # Typed by anyone: printed as a greeting name is, never as a link.
        "signatory_name": name_for_greeting(signature.name),
        "signatory_role": name_for_greeting(signature.role),
        "signatory_organization": name_for_greeting(signature.organization),
        "verification": signature.get_verification_method_display(),
        "detail_url": absolute_url(
            reverse("moderation:detail", kwargs={"slug": letter.slug, "pk": signature.pk})
        ),
    }
