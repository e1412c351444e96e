from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from letters.models import Letter, Membership
from signatories.models import Signature

# What an organizer who never chose gets.
PREFERENCE_DEFAULTS = {"digest": True, "milestones": True, "each_verified": False}


class Preference(models.Model):
    """What one organizer of one letter wants to hear about. No row means the defaults:
    the daily digest and the milestones, not each verified signatory."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest = models.BooleanField(_("a daily digest"), default=PREFERENCE_DEFAULTS["digest"])
    milestones = models.BooleanField(
        _("the goal and each milestone"), default=PREFERENCE_DEFAULTS["milestones"]
    )
    each_verified = models.BooleanField(
        _("each new verified signatory"), default=PREFERENCE_DEFAULTS["each_verified"]
    )
    language = models.CharField(
        _("language of these emails"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notifications of membership {self.membership_id}"


class Milestone(models.Model):
    """A count a letter reached (its goal, or one of MILESTONES): the row that makes a
    second announcement of the same count impossible."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField()
    is_goal = models.BooleanField(default=False)
    reached_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["letter", "count"], name="milestone_once_per_letter"),
        ]

    def __str__(self) -> str:
        return f"{self.count} on letter {self.letter_id}"


class Notification(models.Model):
    """One email to one organizer, written before it is sent: the outbox row."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("Daily digest")
        MILESTONE = "milestone", _("Milestone")
        VERIFIED = "verified", _("Verified signatory")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # A digest: the organizer's day it belongs to, the end of the time it counts, and
    # its numbers (new confirmed, newly verified, open signals, held waiting).
    day = models.DateField(null=True, blank=True)
    period_end = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, null=True, blank=True)
    signature = models.ForeignKey(
        Signature, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A claimed row is being sent by one worker; after a failure it is the retry time.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "day"],
                condition=Q(kind="digest"),
                name="notification_digest_once_a_day",
            ),
            models.UniqueConstraint(
                fields=["membership", "milestone"],
                condition=Q(milestone__isnull=False),
                name="notification_milestone_once",
            ),
            models.UniqueConstraint(
                fields=["membership", "signature"],
                condition=Q(signature__isnull=False),
                name="notification_verified_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="digest", day__isnull=False, period_end__isnull=False)
                    | Q(kind="milestone", milestone__isnull=False)
                    | Q(kind="verified", signature__isnull=False)
                ),
                name="notification_kind_has_its_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["id"], condition=Q(status="pending"), name="notification_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to membership {self.membership_id}: {self.status}"
