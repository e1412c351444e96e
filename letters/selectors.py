from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from letters.models import ROLE_RANK, Invitation, Letter, LetterVersion, Membership

if TYPE_CHECKING:
    from signatories.models import Signature


def letter_list_public() -> QuerySet[Letter]:
    return Letter.objects.exclude(status=Letter.Status.DRAFT).order_by("-published_at")


def letter_list_index() -> QuerySet[Letter]:
    """Letters on the public index: published and closed ones; archived letters keep only
    their own page."""
    return letter_list_public().exclude(status=Letter.Status.ARCHIVED)


def letter_get_public(*, slug: str) -> Letter:
    """A published or closed letter; drafts do not exist for the public."""
    try:
        return letter_list_public().select_related("current_version").get(slug=slug)
    except Letter.DoesNotExist:
        raise Http404("No such letter.") from None


def letter_get_for_editor(
    *, user: User | AnonymousUser, slug: str, role: str = Membership.Role.VIEWER
) -> Letter:
    """The one access check for every organizer view.

    Outsiders get a 404, as if the letter did not exist; members whose role is below
    ``role`` get a 403. The returned letter carries the caller's ``membership``.
    """
    if not user.is_authenticated:
        raise Http404("No such letter.")
    membership = (
        Membership.objects.select_related("letter").filter(letter__slug=slug, user=user).first()
    )
    if membership is None:
        raise Http404("No such letter.")
    if membership.rank < ROLE_RANK[Membership.Role(role)]:
        raise PermissionDenied("Your role on this letter does not allow this.")
    letter = membership.letter
    letter.membership = membership  # type: ignore[attr-defined]
    return letter


def letter_list_for_user(*, user: User) -> QuerySet[Letter]:
    return Letter.objects.filter(memberships__user=user).order_by("-created_at")


@dataclass(frozen=True)
class DashboardRow:
    letter: Letter
    role: str
    today: int
    total: int


def _start_of_today() -> datetime:
    return datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())


def dashboard_rows(*, user: User) -> list[DashboardRow]:
    """The caller's letters with their role, confirmed signatures today and in total."""
    from signatories import counters
    from signatories.models import Signature

    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("letter")
        .order_by("-letter__created_at")
    )
    letter_ids = [m.letter_id for m in memberships]
    today = dict(
        Signature.objects.filter(
            letter_id__in=letter_ids,
            status=Signature.Status.CONFIRMED,
            confirmed_at__gte=_start_of_today(),
        )
        .values_list("letter_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        DashboardRow(
            letter=m.letter,
            role=m.role,
            today=today.get(m.letter_id, 0),
            total=counters.counts_get(letter_id=m.letter_id).all if m.letter.is_public else 0,
        )
        for m in memberships
    ]


def signature_list_newest_for_user(*, user: User, limit: int = 10) -> "list[Signature]":
    """The newest confirmed signatures on any of the caller's letters. Never with emails."""
    from signatories.models import Signature

    return list(
        Signature.objects.filter(
            letter__memberships__user=user, status=Signature.Status.CONFIRMED
        )
        .select_related("letter")
        .only("name", "show_name", "role", "organization", "confirmed_at", "letter__title",
              "letter__slug")
        .order_by("-confirmed_at", "-pk")[:limit]
    )  # fmt: skip


def letter_versions(*, letter: Letter) -> QuerySet[LetterVersion]:
    return LetterVersion.objects.filter(letter=letter).order_by("-number")


def letter_members(*, letter: Letter) -> QuerySet[Membership]:
    return Membership.objects.filter(letter=letter).select_related("user").order_by("created_at")


def letter_pending_invitations(*, letter: Letter) -> QuerySet[Invitation]:
    return Invitation.objects.filter(letter=letter, accepted_at__isnull=True).order_by("created_at")
