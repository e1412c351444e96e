from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from letters.models import Letter


class Dossier(models.Model):
    """A PDF of a letter and its signatories, made by a worker for the organizers to hand over.

    The counts are those of one moment (``as_of``); the file is kept in the database, in
    parts (DossierPart), so that any web process on any machine can serve it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        BUILDING = "building", _("Being made")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="dossiers")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Empty: every language the letter has.
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(null=True, blank=True)
    count_all = models.PositiveIntegerField(default=0)
    count_hidden = models.PositiveIntegerField(default=0)
    # Progress: named signatories drawn so far, out of those to draw.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            # One dossier in the making per letter: a second request waits for the first.
            models.UniqueConstraint(
                fields=["letter"],
                condition=Q(status__in=["queued", "building"]),
                name="dossier_one_in_the_making",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="dossier_done_lte_total"
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | Q(as_of__isnull=False, finished_at__isnull=False),
                name="dossier_ready_has_dates",
            ),
        ]
        indexes = [models.Index(fields=["letter", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.letter} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.READY:
            return 100
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def in_the_making(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.BUILDING)


class DossierPart(models.Model):
    """One piece of a finished dossier's file, in order; joined again when downloaded."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "number"], name="dossier_part_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}/{self.number}"
