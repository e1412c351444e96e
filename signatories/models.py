from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from letters.models import Letter, LetterVersion


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for email confirmation")
        CONFIRMED = "confirmed", _("Confirmed")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="signatures")
    # The text the signer agreed to; empty for signatures older than text versions.
    letter_version = models.ForeignKey(
        LetterVersion, on_delete=models.RESTRICT, null=True, blank=True, related_name="signatures"
    )
    name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    email_normalized = models.CharField(max_length=254, editable=False)
    role = models.CharField(_("profession or role"), max_length=120, blank=True)
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    show_name = models.BooleanField(_("show my name publicly"), default=True)
    consent_version = models.CharField(max_length=20)
    opt_in_updates = models.BooleanField(_("send me updates from the organizers"), default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Only a SHA-256 of the emailed token is kept: a database leak confirms nothing.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "email_normalized"], name="signature_one_per_email"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_date",
            ),
        ]
        indexes = [
            models.Index(
                fields=["letter", "status", "show_name", "-confirmed_at"],
                name="signature_public_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.letter_id}"


class OutboxMessage(models.Model):
    """An email to send, written in the same transaction as the change that causes it.

    Workers drain the outbox in batches, so a signature is never lost when the broker is
    down: the periodic sweep sends whatever the kick after commit could not announce.
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirm your signature")
        ALREADY_SIGNED = "already_signed", _("You have already signed")
        WITHDRAW = "withdraw", _("Withdraw your signature")

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(sent_at__isnull=True), name="outbox_unsent_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.signature_id}"


class ExportLog(models.Model):
    """Who downloaded which signer data, and when: exports contain email addresses."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="export_logs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    format = models.CharField(max_length=4, choices=Format.choices)
    fields = models.JSONField(default=list)
    row_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["letter", "-created_at"], name="exportlog_letter_recent")]

    def __str__(self) -> str:
        return f"{self.format} export of {self.letter_id} by {self.user_id}"


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
        _("text"), max_length=20000, help_text=_("Markdown. Scripts and raw HTML are removed.")
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
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="update_sending_has_date",
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
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
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
