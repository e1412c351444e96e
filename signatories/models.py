from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from letters.models import Letter, LetterVersion


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for email confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        HELD = "held", _("On hold for review")
        REMOVED = "removed", _("Removed by the organizers")

    class HoldReason(models.TextChoices):
        # Held at signing by a rate limit (letters.ratelimits), its email not sent.
        RATE_LIMIT_NETWORK = "rate_limit_network", _("Too many signatures from one network")
        RATE_LIMIT_LETTER = "rate_limit_letter", _("Too many signatures of this letter at once")
        RATE_LIMIT_ADDRESS = "rate_limit_address", _("Too many emails to this address today")

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
    # The language of the page the signer signed on: every email to them is written in it.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en", editable=False
    )
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
    # Why the site held the signature by itself; empty for holds by the organizers. A
    # signature held by a rate limit had no email sent: releasing (or, after a removal,
    # restoring) it sends the email.
    hold_reason = models.CharField(
        max_length=20, choices=HoldReason.choices, blank=True, editable=False
    )
    # The moderation action that last moved the signature (a lazy reference by app label:
    # signatories imports nothing from moderation; see docs/architecture.md).
    moderation = models.ForeignKey(
        "moderation.ModerationAction",
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
    # Where the signer came from: the ``ref`` of the link or embed they followed
    # (docs/organizers.md, "Sources"). Organizers only; never shown publicly, and gone with
    # the signature: no cookie or other record of the visitor is kept.
    source = models.CharField(_("source"), max_length=64, blank=True, default="", editable=False)

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
                condition=Q(hold_reason="") | Q(status__in=["held", "removed"]),
                name="signature_hold_reason_when_moderated",
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
    # Given up: refused for good (5xx) or still failing when its link would have expired.
    failed_at = models.DateTimeField(null=True, blank=True)
    # Not sent on purpose: the address asked not to be emailed (suppression lists).
    skipped_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True, failed_at__isnull=True)
                | Q(sent_at__isnull=True, skipped_at__isnull=True)
                | Q(failed_at__isnull=True, skipped_at__isnull=True),
                name="outbox_one_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(sent_at__isnull=True, failed_at__isnull=True, skipped_at__isnull=True),
                name="outbox_open_due",
            ),
            models.Index(
                fields=["failed_at"], condition=Q(failed_at__isnull=False), name="outbox_failed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.signature_id}"


class LetterSuppression(models.Model):
    """An address that said "I didn't sign this" for one letter: signing that letter with
    it stores and mails nothing. Only a keyed hash of the address is kept
    (mailing.addresses.address_hash)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="suppressions")
    address_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "address_hash"], name="letter_suppression_once"
            ),
        ]

    def __str__(self) -> str:
        return f"suppressed {self.address_hash[:12]}… on {self.letter_id}"


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


class CountEvent(models.Model):
    """One move of a letter's public count, and why: the count is the sum of its events.

    Append-only: written in the same transaction as the change it records (confirmation,
    withdrawal, hold, release, removal, restoration), never changed or deleted; on
    PostgreSQL a trigger refuses UPDATE and DELETE, except when the letter itself is being
    deleted (``0015_count_events``; ``signatories.apps`` tells the trigger which letter).
    ``signature_id`` and ``action_id`` are plain numbers, not foreign keys: the signature
    may be withdrawn later, and the event stays.
    """

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirmed")
        WITHDRAW = "withdraw", _("Withdrawn")
        HOLD = "hold", _("Held for review")
        RELEASE = "release", _("Back after review")
        REMOVE = "remove", _("Removed")
        RESTORE = "restore", _("Restored")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="count_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delta = models.IntegerField()
    occurred_at = models.DateTimeField()
    # The public reason of a removal, as the correction log shows it; empty otherwise.
    reason = models.TextField(blank=True)
    action_id = models.BigIntegerField(null=True, blank=True)
    signature_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="count_event_moves"),
            models.CheckConstraint(
                condition=Q(kind__in=["confirm", "release", "restore"], delta__gt=0)
                | Q(kind__in=["withdraw", "hold", "remove"], delta__lt=0),
                name="count_event_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["letter", "occurred_at"], name="count_event_letter_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d} on {self.letter_id}"


class CountCheck(models.Model):
    """The last periodic check of a letter's count against the sum of its events
    (``signatories.tasks.counts_check``). Organizers see a mismatch on their pages."""

    letter = models.OneToOneField(Letter, on_delete=models.CASCADE, related_name="count_check")
    checked_at = models.DateTimeField()
    public_count = models.IntegerField()
    events_total = models.IntegerField()
    # When a mismatch was first seen in the current run of mismatches; null while they agree.
    mismatch_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"count check of {self.letter_id}: {self.public_count} / {self.events_total}"

    @property
    def matches(self) -> bool:
        return self.public_count == self.events_total
