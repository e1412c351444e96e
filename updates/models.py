from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from signatories.models import Signature

# The longest update text, in characters (the renderer reads at most a letter's length).
UPDATE_BODY_MAX_LENGTH = 20_000


class Update(models.Model):
    """News from the organizers, mailed to signers who opted in and shown on the letter."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        max_length=UPDATE_BODY_MAX_LENGTH,
        help_text=_("Markdown. Scripts and raw HTML are removed."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    prepared_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recipients_total = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "signatories_update"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="update_sending_has_date",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), UPDATE_BODY_MAX_LENGTH),
                name="update_body_max_length",
            ),
        ]
        indexes = [models.Index(fields=["letter", "status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("updates:detail", kwargs={"slug": self.letter.slug, "pk": self.pk})

    @property
    def done_count(self) -> int:
        return self.sent_count + self.failed_count + self.skipped_count


class UpdateDelivery(models.Model):
    """One recipient of one update: the row that makes sending twice impossible."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (unsubscribed)")

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="deliveries")
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A claimed row is being sent by one worker; after a failure it is the retry time.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the delivery was given up (refused for good, or failing for too long).
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "signatories_updatedelivery"
        constraints = [
            models.UniqueConstraint(
                fields=["update", "signature"], name="update_delivery_once_per_signer"
            ),
        ]
        indexes = [
            models.Index(
                fields=["update", "id"],
                condition=Q(status="pending"),
                name="update_delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.update_id} to {self.signature_id}: {self.status}"
