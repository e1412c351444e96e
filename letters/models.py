from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Letter(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"), help_text=_("Markdown. Scripts and raw HTML are removed."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(
        _("signing closes at"), null=True, blank=True, help_text=_("Leave empty to keep open.")
    )
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
        if self.status == self.Status.PUBLISHED and not self.is_open:
            return self.Status.CLOSED
        return self.status

    @property
    def is_open(self) -> bool:
        """Whether new signatures are accepted right now."""
        if self.status != self.Status.PUBLISHED:
            return False
        return self.closes_at is None or self.closes_at > timezone.now()


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
