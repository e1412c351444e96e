import logging

from letters import emails
from letters.models import Invitation
from mailing.suppression import address_is_suppressed
from mailing.tasks import durable_task, enqueue_after_commit, message_send_once

log = logging.getLogger(__name__)


def invitation_send_after_commit(*, invitation_id: int) -> None:
    enqueue_after_commit(invitation_send, invitation_id=invitation_id)


@durable_task(max_retries=8)
def invitation_send(*, invitation_id: int) -> bool:
    """Email an invitation link; does nothing for an invitation revoked or used meanwhile,
    nor to an address that asked never to be emailed."""
    invitation = (
        Invitation.objects.select_related("letter", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    if address_is_suppressed(email=invitation.email):
        log.info("Invitation %s not sent: the address asked never to be emailed", invitation.pk)
        return False
    return message_send_once(emails.invitation(invitation=invitation))
