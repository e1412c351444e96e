from letters import emails
from letters.models import Invitation
from mailing.messages import connection
from mailing.tasks import durable_task, enqueue_after_commit


def invitation_send_after_commit(*, invitation_id: int) -> None:
    enqueue_after_commit(invitation_send, invitation_id=invitation_id)


@durable_task(max_retries=8)
def invitation_send(*, invitation_id: int) -> bool:
    """Email an invitation link; does nothing for an invitation revoked or used meanwhile."""
    invitation = (
        Invitation.objects.select_related("letter", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        return False
    with connection() as mail:
        mail.send_messages([emails.invitation(invitation=invitation)])
    return True
