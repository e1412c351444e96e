from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest letter text, in characters; also the most the Markdown renderer reads.
BODY_MAX_LENGTH = 50_000


def signing_is_open(*, status: str, closes_at: "datetime | None") -> bool:
    """Whether a letter in ``status`` that closes at ``closes_at`` accepts signatures now.

    Shared by the model and by the cached public facts (letters/facts.py).
    """
    if status != Letter.Status.PUBLISHED:
        return False
    return closes_at is None or closes_at > timezone.now()


def public_status_of(*, status: str, is_open: bool) -> str:
    """The status as the public sees it: past its closing date a letter is closed."""
    if status == Letter.Status.PUBLISHED and not is_open:
        return Letter.Status.CLOSED
    return status


class Letter(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")
        # Off the public index and closed to signing; the page and list stay readable.
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # Who stands behind the letter, shown with it and in mail to its signers. Publishing
    # needs the name; a letter published before these fields existed may lack it.
    organizer_name = models.CharField(
        _("organized by"),
        max_length=120,
        blank=True,
        help_text=_(
            "The person, group or collective behind the letter, as signers should see it. "
            "Needed before publishing."
        ),
    )
    addressee = models.CharField(
        _("addressed to"),
        max_length=200,
        blank=True,
        help_text=_("Optional: whom the letter asks, for example a company, a city council."),
    )
    contact_email = models.EmailField(
        _("contact email"),
        max_length=254,
        blank=True,
        help_text=_(
            "Optional and public: shown on the letter, and replies to our emails to "
            "signers go to it."
        ),
    )
    body = models.TextField(
        _("text"),
        max_length=BODY_MAX_LENGTH,
        help_text=_("Markdown. Scripts and raw HTML are removed."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(
        _("signing closes at"), null=True, blank=True, help_text=_("Leave empty to keep open.")
    )
    # The organizers' time zone: closes_at is entered and shown in it, and stored in UTC.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # When an organizer closed or archived the letter; empty while it is open.
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    goal = models.PositiveIntegerField(_("signature goal"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    invited_signers = models.CharField(
        _("who is invited to sign"),
        max_length=300,
        blank=True,
        help_text=_("For example: illustrators, animators and everyone who works with them."),
    )
    ask_role = models.BooleanField(_("ask for profession or role"), default=True)
    ask_organization = models.BooleanField(_("ask for organization"), default=True)
    ask_country = models.BooleanField(_("ask for country"), default=True)
    ask_city = models.BooleanField(_("ask for city"), default=False)
    ask_comment = models.BooleanField(_("ask for a short public comment"), default=False)
    require_challenge = models.BooleanField(
        _("ask signers to pass a check that they are people"),
        default=False,
        help_text=_(
            "Signers' browsers then solve a small puzzle before they can sign; signing then "
            "needs JavaScript. It switches itself on for a while during a burst of signatures."
        ),
    )
    widget_sign = models.BooleanField(
        _("let readers sign inside the embedded widget"),
        default=False,
        help_text=_(
            "The widget on other sites can then show a short sign form (name, email, "
            "consent) when its snippet asks for it; the confirmation link opens this site."
        ),
    )
    thank_you_message = models.TextField(
        _("thank-you message"),
        max_length=2000,
        blank=True,
        help_text=_("Shown to signers once their signature is confirmed. Plain text."),
    )
    current_version = models.ForeignKey(
        "LetterVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text=_("The published text that new signatures agree to."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="letter_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(goal__isnull=True) | Q(goal__gt=0), name="letter_goal_positive"
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="letter_body_max_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("thank_you_message"), 2000),
                name="letter_thank_you_max_length",
            ),
            models.CheckConstraint(condition=~Q(time_zone=""), name="letter_time_zone_set"),
        ]
        indexes = [models.Index(fields=["status", "-published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("letters:detail", kwargs={"slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def public_status(self) -> str:
        """The status as the public sees it: past its closing date a letter is closed."""
        return public_status_of(status=self.status, is_open=self.is_open)

    @property
    def signing_closed_at(self) -> "datetime | None":
        """When signing ended (by an organizer or at the closing date), if it has."""
        if self.status == self.Status.DRAFT or self.is_open:
            return None
        ends = [moment for moment in (self.closed_at, self.closes_at) if moment is not None]
        return min((m for m in ends if m <= timezone.now()), default=None)

    @property
    def is_open(self) -> bool:
        """Whether new signatures are accepted right now."""
        return signing_is_open(status=self.status, closes_at=self.closes_at)


class Membership(models.Model):
    """Who organizes a letter, and with which rights."""

    class Role(models.TextChoices):
        VIEWER = "viewer", _("Viewer")
        EDITOR = "editor", _("Editor")
        OWNER = "owner", _("Owner")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="letter_memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["letter", "user"], name="membership_one_per_user"),
            models.UniqueConstraint(
                fields=["letter"], condition=Q(role="owner"), name="membership_one_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.letter_id}"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.role]


ROLE_RANK: dict[str, int] = {
    Membership.Role.VIEWER: 0,
    Membership.Role.EDITOR: 1,
    Membership.Role.OWNER: 2,
}


# The longest language code of a translation ("pt-br", "zh-hans", "sr-latn").
LANGUAGE_CODE_MAX_LENGTH = 15


class LetterVersion(models.Model):
    """One published text of a letter in one language; each edit after publishing adds the
    next number of that language (the original and each translation count apart)."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    # The original's versions carry the letter's language, a translation's its own.
    language = models.CharField(max_length=LANGUAGE_CODE_MAX_LENGTH)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["letter", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "language", "number"], name="letterversion_unique_number"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="letterversion_number_positive"
            ),
            models.CheckConstraint(condition=~Q(language=""), name="letterversion_language_set"),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.language} v{self.number}"


class LetterTranslation(models.Model):
    """The letter's text in another language than its own (``Letter.language``).

    It has the fields a signer reads; everything else (the count, the list, the dates)
    belongs to the letter and is shared. Like the original, a public letter's translation
    gets a new ``LetterVersion`` each time its title or text changes.
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=LANGUAGE_CODE_MAX_LENGTH)
    title = models.CharField(_("title"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"), max_length=BODY_MAX_LENGTH, blank=True)
    thank_you_message = models.TextField(_("thank-you message"), max_length=2000, blank=True)
    current_version = models.ForeignKey(
        LetterVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["letter", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "language"], name="lettertranslation_one_per_language"
            ),
            models.CheckConstraint(
                condition=Q(language__regex=r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$"),
                name="lettertranslation_language_code",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), BODY_MAX_LENGTH),
                name="lettertranslation_body_max_length",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("thank_you_message"), 2000),
                name="lettertranslation_thank_you_max_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.language}"


class Invitation(models.Model):
    """An emailed invitation to co-organize a letter.

    The link carries a signature of the row id (django.core.signing) and expires; no token is
    stored. Accepting marks the row used, so a link works once.
    """

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    email_normalized = models.CharField(max_length=254, editable=False)
    role = models.CharField(
        max_length=10,
        choices=[(Membership.Role.EDITOR, _("Editor")), (Membership.Role.VIEWER, _("Viewer"))],
        default=Membership.Role.EDITOR,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "email_normalized"],
                condition=Q(accepted_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["editor", "viewer"]), name="invitation_role_not_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.letter_id}"
