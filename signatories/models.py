from django.db import models
from django.db.models import Q
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
