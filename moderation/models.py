from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from signatories.models import Signature


def erase_signer(
    collector: Collector, field: models.Field, sub_objs: models.QuerySet, using: str
) -> None:
    """``on_delete`` of ``ModerationAction.signature``: SET_NULL that keeps the audit honest.

    A withdrawal (or the purge of a never-confirmed signature) deletes the person, not what
    the organizers did: the action keeps what, why, when and how many it counted, and loses
    the link to the person and a verification's note about them. ``signature_erased_at``
    is written first (the collector runs one UPDATE per field, in this order), so that
    every statement satisfies ``moderation_single_has_signature``.
    """
    collector.add_field_update(_field("signature_erased_at"), timezone.now(), sub_objs)
    notes = ModerationAction.objects.filter(
        pk__in=[action.pk for action in sub_objs], action__in=PERSONAL_REASONS
    )
    collector.add_field_update(_field("reason"), "", notes)
    collector.add_field_update(field, None, sub_objs)


def _field(name: str) -> models.Field:
    field = ModerationAction._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


# Actions whose reason is a note about the person (how they were verified), not about the
# letter: erased with the person.
PERSONAL_REASONS = ("verify",)


class ModerationAction(models.Model):
    """The audit log of what organizers did to the signatures of a letter, and why.

    A bulk removal is one row without ``signature``; the signatures it removed point back
    to it through ``Signature.moderation``. ``counted`` is how many signatures left or
    re-entered the public count, which the public correction log adds up. When a signer
    withdraws, their actions stay with ``signature`` empty and ``signature_erased_at`` set.
    """

    class Action(models.TextChoices):
        HOLD = "hold", _("Put on hold")
        RELEASE = "release", _("Released from hold")
        REMOVE = "remove", _("Removed")
        BULK_REMOVE = "bulk_remove", _("Removed in bulk")
        RESTORE = "restore", _("Restored")
        VERIFY = "verify", _("Verified")
        UNVERIFY = "unverify", _("Verification withdrawn")

    class State(models.TextChoices):
        # Only a large bulk removal is ever "running": a Celery task finishes it.
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="moderation")
    signature = models.ForeignKey(
        Signature, on_delete=erase_signer, null=True, blank=True, related_name="actions"
    )
    # When the signer withdrew and the link to them was erased (see ``erase_signer``).
    signature_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    reason = models.TextField(blank=True)
    affected = models.PositiveIntegerField(default=1)
    counted = models.PositiveIntegerField(default=0)
    criteria = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.DONE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "signatories_moderationaction"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=["remove", "bulk_remove"]) | ~Q(reason=""),
                name="moderation_removal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(action="bulk_remove")
                | Q(signature__isnull=False)
                | Q(signature_erased_at__isnull=False),
                name="moderation_single_has_signature",
            ),
            models.CheckConstraint(
                condition=Q(state="done") | (Q(action="bulk_remove") & Q(counted=0)),
                name="moderation_unfinished_is_bulk_and_uncounted",
            ),
        ]
        indexes = [
            models.Index(
                fields=["letter", "-created_at"],
                condition=Q(counted__gt=0),
                name="moderation_public_log",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.letter_id} by {self.actor_id}"
