from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from letters.models import ROLE_RANK, Invitation, Letter, LetterVersion, Membership
from letters.prepared import PreparedLookup


def letter_list_public() -> QuerySet[Letter]:
    return Letter.objects.exclude(status=Letter.Status.DRAFT).order_by("-published_at")


# Letters shown on the index.
INDEX_SIZE = 50


def letter_list_index() -> QuerySet[Letter]:
    """Letters on the public index: published and closed ones; archived letters keep only
    their own page."""
    return letter_list_public().exclude(status=Letter.Status.ARCHIVED)


# Read by every sign POST and letter page: compiled once (letters/prepared.py).
_PUBLIC_BY_SLUG = PreparedLookup(
    lambda slug: letter_list_public().select_related("current_version").filter(slug=slug)
)


def letter_get_public(*, slug: str) -> Letter:
    """A published or closed letter; drafts do not exist for the public."""
    letter = _PUBLIC_BY_SLUG.first(slug)
    if letter is None:
        raise Http404("No such letter.")
    return letter


@dataclass(frozen=True)
class EditorAccess:
    """A letter as one of its organizers reaches it, with that organizer's membership."""

    letter: Letter
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def can_edit(self) -> bool:
        return self.membership.rank >= ROLE_RANK[Membership.Role.EDITOR]


def letter_get_for_editor(
    *, user: User | AnonymousUser, slug: str, role: str = Membership.Role.VIEWER
) -> EditorAccess:
    """The one access check for every organizer view.

    Outsiders get a 404, as if the letter did not exist; members whose role is below
    ``role`` get a 403.
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
    return EditorAccess(letter=membership.letter, membership=membership)


def letter_list_for_user(*, user: User) -> QuerySet[Letter]:
    return Letter.objects.filter(memberships__user=user).order_by("-created_at")


def letter_versions(*, letter: Letter, language: str | None = None) -> QuerySet[LetterVersion]:
    """The published texts in ``language`` (the original's by default), newest first."""
    language = language or letter.language
    return LetterVersion.objects.filter(letter=letter, language=language).order_by("-number")


def letter_members(*, letter: Letter) -> QuerySet[Membership]:
    return Membership.objects.filter(letter=letter).select_related("user").order_by("created_at")


def letter_pending_invitations(*, letter: Letter) -> QuerySet[Invitation]:
    return Invitation.objects.filter(letter=letter, accepted_at__isnull=True).order_by("created_at")
