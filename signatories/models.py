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
        HELD = "held", _("On hold for review")
        REMOVED = "removed", _("Removed by the organizers")

    class Verification(models.TextChoices):
        ORGANIZATIONAL_EMAIL = "org_email", _("Organizational email address")
        PERSONAL_CONTACT = "contact", _("Personal contact")
        PUBLIC_STATEMENT = "statement", _("Public statement")
        OTHER = "other", _("Other")

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
    # Kept at signing for the organizers' signals: the domain of the address and a keyed
    # hash of the signer's network (a /24 or /48), never the IP address itself.
    email_domain = models.CharField(max_length=254, blank=True, editable=False)
    network_key = models.CharField(max_length=16, blank=True, editable=False)
    # What a held or removed signature was before, so that releasing or restoring puts it
    # back exactly; and the action that moved it there.
    status_before_moderation = models.CharField(
        max_length=10, choices=Status.choices, blank=True, editable=False
    )
    moderation = models.ForeignKey(
        "ModerationAction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="signatures",
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_method = models.CharField(
        _("how it was verified"), max_length=10, choices=Verification.choices, blank=True
    )
    verification_note = models.CharField(_("verification note"), max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "email_normalized"], name="signature_one_per_email"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_date",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=["held", "removed"])
                    & Q(status_before_moderation__in=["pending", "confirmed"])
                )
                | (Q(status__in=["pending", "confirmed"]) & Q(status_before_moderation="")),
                name="signature_moderation_restorable",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verification_method="")
                | (Q(verified_at__isnull=False) & ~Q(verification_method="")),
                name="signature_verified_has_method",
            ),
        ]
        indexes = [
            models.Index(
                fields=["letter", "status", "show_name", "-confirmed_at"],
                name="signature_public_list",
            ),
            # Moderation: keyset pages by id, per status, and the signals per network and
            # email domain in a time window.
            models.Index(fields=["letter", "-id"], name="signature_moderation_list"),
            models.Index(fields=["letter", "status", "-id"], name="signature_moderation_status"),
            models.Index(fields=["letter", "created_at"], name="signature_moderation_date"),
            models.Index(
                fields=["letter", "email_domain", "created_at"], name="signature_domain_time"
            ),
            models.Index(
                fields=["letter", "network_key", "created_at"], name="signature_network_time"
            ),
            models.Index(
                fields=["verified_at"],
                condition=Q(verified_at__isnull=False),
                name="signature_verified",
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


class ModerationAction(models.Model):
    """The audit log of what organizers did to the signatures of a letter, and why.

    A bulk removal is one row without ``signature``; the signatures it removed point back
    to it through ``Signature.moderation``. ``counted`` is how many signatures left or
    re-entered the public count, which the public correction log adds up.
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
        Signature, on_delete=models.CASCADE, null=True, blank=True, related_name="actions"
    )
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
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action__in=["remove", "bulk_remove"]) | ~Q(reason=""),
                name="moderation_removal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(action="bulk_remove") | Q(signature__isnull=False),
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
