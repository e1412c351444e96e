import contextlib
import difflib
import hashlib
import itertools
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import cmarkgfm
import nh3
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import linebreaks
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from letters import tasks, translations
from letters.errors import ServiceError
from letters.models import BODY_MAX_LENGTH, Invitation, Letter, LetterVersion, Membership
from letters.signals import letter_published
from mailing.addresses import email_normalize

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "li",
    "ol", "p", "pre", "strong", "ul",
}  # fmt: skip


# The longest text the renderer reads; every Markdown field is at most this long.
MARKDOWN_MAX_CHARS = BODY_MAX_LENGTH
# Quotes and lists inside each other deeper than this are shown as plain text: no letter
# needs them, and the sanitiser's HTML parser is quadratic in the depth of nesting.
MARKDOWN_MAX_NESTING = 32
_CONTAINER_TAG = re.compile(r"<(/?)(?:blockquote|ol|ul|li)\b")


def letter_render_markdown(*, text: str) -> str:
    """Render Markdown to HTML that keeps formatting and drops scripts and handlers.

    cmark (CommonMark, in C) is linear in the length of the text; raw HTML is dropped, and
    the text is cut to MARKDOWN_MAX_CHARS, so no input can hold a worker for long.
    """
    text = text[:MARKDOWN_MAX_CHARS]
    html = cmarkgfm.markdown_to_html(text)
    if _too_deep(html):
        html = linebreaks(text, autoescape=True)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def _too_deep(html: str) -> bool:
    depth = 0
    for match in _CONTAINER_TAG.finditer(html):
        depth += -1 if match.group(1) else 1
        if depth > MARKDOWN_MAX_NESTING:
            return True
    return False


# Drawn bodies kept in the process, by the hash of their text; the oldest leaves first.
_bodies: dict[str, str] = {}
_BODIES_MAX = 256


def letter_body_html(*, letter: Letter, body: str | None = None) -> str:
    """The sanitised body (``body``: a translation's text instead of the letter's), kept in
    the process and in the cache by the hash of its text, so edits show at once."""
    text = letter.body if body is None else body
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    html = _bodies.get(digest)
    if html is not None:
        return html
    key = f"letter-body:{digest}"
    try:
        html = cache.get(key)
    except RedisError:  # the page still renders while Redis is down
        return letter_render_markdown(text=text)
    if html is None:
        html = letter_render_markdown(text=text)
        with contextlib.suppress(RedisError):
            cache.set(key, html, timeout=24 * 3600)
    while len(_bodies) >= _BODIES_MAX:
        _bodies.pop(next(iter(_bodies)), None)
    _bodies[digest] = html
    return html


def letter_version_diff(*, old: LetterVersion, new: LetterVersion) -> list[tuple[str, str]]:
    """What changed between two texts, line by line: ("added" | "removed" | "same" | "gap",
    line). Unchanged stretches are cut to two lines of context."""
    rows: list[tuple[str, str]] = []
    if old.title != new.title:
        rows += [("removed", f"# {old.title}"), ("added", f"# {new.title}")]
    diff = difflib.unified_diff(old.body.splitlines(), new.body.splitlines(), lineterm="", n=2)
    kinds = {"+": "added", "-": "removed", " ": "same"}
    for line in itertools.islice(diff, 2, None):  # skip the ---/+++ file header
        if line.startswith("@@"):
            rows.append(("gap", "…"))
        else:
            rows.append((kinds[line[:1]], line[1:]))
    return rows


class LetterActionError(ServiceError):
    """A change to a letter or its team that the rules refuse."""


# Fields an editor may change through letter_create / letter_update.
EDITABLE_FIELDS = (
    "title", "slug", "summary", "organizer_name", "addressee", "contact_email", "body",
    "language", "invited_signers", "goal", "closes_at", "time_zone", "thank_you_message",
    "ask_role", "ask_organization", "ask_country", "ask_city", "ask_comment",
    "require_challenge", "widget_sign",
)  # fmt: skip


def user_has_verified_email(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


@transaction.atomic
def letter_create(*, user: User, fields: Mapping[str, Any]) -> Letter:
    """Start a draft; its creator becomes its owner. Without a slug, the title makes one."""
    letter = Letter(status=Letter.Status.DRAFT)
    _assign(letter=letter, fields=fields)
    if not letter.slug:
        letter.slug = _slug_from_title(title=letter.title)
    _slug_settle(letter=letter, user=user)
    try:
        with transaction.atomic():
            letter.save()
    except IntegrityError:
        raise LetterActionError(_("This address is already taken. Choose another.")) from None
    Membership.objects.create(letter=letter, user=user, role=Membership.Role.OWNER)
    return letter


SLUG_MAX_LENGTH = 80  # Letter.slug


def _slug_from_title(*, title: str) -> str:
    """An address made from the title ("Fair pay for translators!" → "fair-pay-for-translators"),
    with a random ending when that one is taken or the title has no Latin letters or digits."""
    stem = slugify(title)[: SLUG_MAX_LENGTH - 7].strip("-")
    if stem and not Letter.objects.filter(slug=stem).exists():
        return stem
    return f"{stem or 'letter'}-{secrets.token_hex(3)}"


def _slug_settle(*, letter: Letter, user: User) -> None:
    """Give a draft whose chosen address is held by someone else's draft a free one.

    Refusing would tell anyone that a letter is being drafted under that address. An
    address held by a public letter, or by one of the user's own, is refused as usual:
    that tells the user nothing they cannot see.
    """
    holder = Letter.objects.filter(slug=letter.slug).exclude(pk=letter.pk).first()
    if holder is None or holder.is_public or holder.memberships.filter(user=user).exists():
        return
    stem = letter.slug[: SLUG_MAX_LENGTH - 7]
    letter.slug = f"{stem}-{secrets.token_hex(3)}"


def _assign(*, letter: Letter, fields: Mapping[str, Any]) -> list[str]:
    changed = []
    for name in EDITABLE_FIELDS:
        if name == "slug" and letter.status != Letter.Status.DRAFT and letter.pk:
            continue  # links to a public letter must keep working
        if name in fields and getattr(letter, name) != fields[name]:
            setattr(letter, name, fields[name])
            changed.append(name)
    return changed


@transaction.atomic
def letter_update(*, letter: Letter, user: User, fields: Mapping[str, Any]) -> Letter:
    """Save an edit. A new text of a public letter becomes its next version."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    changed = _assign(letter=letter, fields=fields)
    if not changed:
        return letter
    if "slug" in changed:
        _slug_settle(letter=letter, user=user)
    if "language" in changed and letter.translations.filter(language=letter.language).exists():
        raise LetterActionError(
            _("This letter has a translation in that language. Delete the translation "
              "first, or keep the letter's language.")
        )  # fmt: skip
    if letter.status != Letter.Status.DRAFT and {"title", "body", "organizer_name"} & set(changed):
        _check_publishable(letter=letter, check_closing=False)
    if letter.status != Letter.Status.DRAFT and {"title", "body"} & set(changed):
        letter.current_version = _version_add(letter=letter, user=user)
        changed.append("current_version")
    try:
        with transaction.atomic():
            letter.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        raise LetterActionError(_("This address is already taken. Choose another.")) from None
    return letter


def _version_add(*, letter: Letter, user: User | None) -> LetterVersion:
    return translations.version_add(
        letter=letter, language=letter.language, title=letter.title, body=letter.body,
        user=user,
    )  # fmt: skip


def _check_publishable(*, letter: Letter, check_closing: bool = True) -> None:
    if not letter.title.strip():
        raise LetterActionError(_("A letter needs a title before it can be published."))
    if not letter.body.strip():
        raise LetterActionError(_("A letter needs a text before it can be published."))
    if not letter.organizer_name.strip():
        raise LetterActionError(
            _("Say who is behind the letter: fill in “Organized by” before publishing.")
        )
    if check_closing and letter.closes_at is not None and letter.closes_at <= timezone.now():
        raise LetterActionError(
            _("The closing date is in the past. Change it or leave it empty, then try again.")
        )


def _check_publishing_quota(*, user: User) -> None:
    """A new account publishes at most LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT letters a day.

    Counted from the rows (the first version of a letter is written by whoever published
    it), with the account's row locked so that parallel publishes are counted one by one.
    """
    new_since = timezone.now() - timedelta(days=settings.NEW_ACCOUNT_DAYS)
    account = User.objects.select_for_update().only("date_joined").get(pk=user.pk)
    if account.date_joined <= new_since:
        return
    quota = settings.LETTERS_PUBLISHED_PER_DAY_NEW_ACCOUNT
    published = LetterVersion.objects.filter(
        created_by=user,
        number=1,
        language=F("letter__language"),  # a translation's version 1 is no new letter
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()
    if published >= quota:
        raise LetterActionError(
            ngettext(
                "A new account can publish at most %(quota)s letter a day. This one stays "
                "a draft: publish it tomorrow.",
                "A new account can publish at most %(quota)s letters a day. This one stays "
                "a draft: publish it tomorrow.",
                quota,
            )
            % {"quota": quota}
        )


@transaction.atomic
def letter_publish(*, letter: Letter, user: User | None = None) -> Letter:
    """Make a draft public; it then accepts signatures until it closes.

    The organizer who publishes must have verified their email address, the letter needs a
    title and a text, and a closing date must lie ahead. The published text is version 1.
    ``user=None`` is for trusted code only (seed data, the admin shell).
    """
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.status != Letter.Status.DRAFT:
        raise LetterActionError(_("This letter is already published."))
    if user is not None and not user_has_verified_email(user=user):
        raise LetterActionError(
            _("Verify your email address before publishing: use the link we sent you, "
              "or ask for a new one on your account page.")
        )  # fmt: skip
    _check_publishable(letter=letter)
    translations.translations_check_complete(letter=letter)
    if user is not None:
        _check_publishing_quota(user=user)
    letter.status = Letter.Status.PUBLISHED
    letter.published_at = letter.published_at or timezone.now()
    letter.current_version = _version_add(letter=letter, user=user)
    letter.save(update_fields=["status", "published_at", "current_version", "updated_at"])
    translations.translations_version_all(letter=letter, user=user)
    letter_id = letter.pk
    transaction.on_commit(lambda: letter_published.send(sender=Letter, letter_id=letter_id))
    return letter


@transaction.atomic
def letter_close(*, letter: Letter) -> Letter:
    """Stop accepting signatures; the text, count and list stay public."""
    return _transition(
        letter=letter, allowed={Letter.Status.PUBLISHED}, to=Letter.Status.CLOSED,
        refusal=_("Only a letter that is open for signing can be closed."),
    )  # fmt: skip


@transaction.atomic
def letter_reopen(*, letter: Letter) -> Letter:
    """Accept signatures again after closing."""
    if letter.closes_at is not None and letter.closes_at <= timezone.now():
        raise LetterActionError(
            _("The closing date is in the past. Change it or leave it empty, then reopen.")
        )
    return _transition(
        letter=letter, allowed={Letter.Status.CLOSED}, to=Letter.Status.PUBLISHED,
        refusal=_("Only a closed letter can be reopened."),
    )  # fmt: skip


@transaction.atomic
def letter_archive(*, letter: Letter) -> Letter:
    """Take a public letter off the index and close it; its page stays readable."""
    return _transition(
        letter=letter, allowed={Letter.Status.PUBLISHED, Letter.Status.CLOSED},
        to=Letter.Status.ARCHIVED,
        refusal=_("Only a published or closed letter can be archived."),
    )  # fmt: skip


@transaction.atomic
def letter_unarchive(*, letter: Letter) -> Letter:
    """Bring an archived letter back to the index, still closed to signing."""
    return _transition(
        letter=letter, allowed={Letter.Status.ARCHIVED}, to=Letter.Status.CLOSED,
        refusal=_("This letter is not archived."),
    )  # fmt: skip


def _transition(*, letter: Letter, allowed: set[str], to: str, refusal: str | Promise) -> Letter:
    """Move a letter from one of ``allowed`` statuses to ``to``, under a row lock."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    if letter.status not in allowed:
        raise LetterActionError(refusal)
    if to == Letter.Status.PUBLISHED:
        letter.closed_at = None
    elif letter.status == Letter.Status.PUBLISHED:
        letter.closed_at = timezone.now()
    letter.status = to
    letter.save(update_fields=["status", "closed_at", "updated_at"])
    return letter


# Co-organizers -----------------------------------------------------------------------

_INVITATION_SALT = "letters.invitation"


def _normalize(email: str) -> str:
    return email_normalize(email=email)


def _is_member_by_email(*, letter: Letter, normalized: str) -> bool:
    return Membership.objects.filter(
        Q(user__email__iexact=normalized) | Q(user__emailaddress__email__iexact=normalized),
        letter=letter,
    ).exists()


@transaction.atomic
def invitation_create(*, letter: Letter, invited_by: User, email: str, role: str) -> Invitation:
    """Invite someone by email; the mail leaves from a worker after commit.

    Inviting an address again replaces its pending invitation, so the old link stops working.
    Invitations to one letter are made one at a time (a lock on the letter row), so two
    simultaneous requests for one address end like two in a row: the later one replaces the
    earlier one instead of both inserting and one breaking invitation_one_pending_per_email.
    """
    if role not in {Membership.Role.EDITOR, Membership.Role.VIEWER}:
        raise LetterActionError(_("Invite as an editor or a viewer."))
    try:
        normalized = _normalize(email)
    except ValueError:
        raise LetterActionError(_("Enter a valid email address.")) from None
    Letter.objects.select_for_update().filter(pk=letter.pk).values_list("pk").get()
    if _is_member_by_email(letter=letter, normalized=normalized):
        raise LetterActionError(_("%(email)s already organizes this letter.") % {"email": email})
    Invitation.objects.filter(
        letter=letter, email_normalized=normalized, accepted_at__isnull=True
    ).delete()
    invitation = Invitation.objects.create(
        letter=letter, email=email, email_normalized=normalized, role=role, invited_by=invited_by
    )
    tasks.invitation_send_after_commit(invitation_id=invitation.pk)
    return invitation


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps(invitation.pk, salt=_INVITATION_SALT, compress=True)


def _max_age() -> timedelta:
    return timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


def invitation_for_token(*, token: str) -> Invitation:
    """The pending invitation behind a link, or LetterActionError saying what is wrong."""
    try:
        pk = signing.loads(token, salt=_INVITATION_SALT, max_age=_max_age())
    except signing.SignatureExpired:
        raise LetterActionError(
            _("This invitation has expired. Ask the owner of the letter to invite you again.")
        ) from None
    except signing.BadSignature:
        raise LetterActionError(_("This invitation link is not valid.")) from None
    invitation = Invitation.objects.select_related("letter").filter(pk=pk).first()
    if invitation is None:
        raise LetterActionError(
            _("This invitation was withdrawn or replaced by a newer one. Use the latest email.")
        )
    if invitation.accepted_at is not None:
        raise LetterActionError(_("This invitation has already been used."))
    if invitation.created_at + _max_age() <= timezone.now():
        raise LetterActionError(
            _("This invitation has expired. Ask the owner of the letter to invite you again.")
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join a letter through an invitation link.

    The account must have a verified email address equal to the invited one, so that a
    forwarded or intercepted link does not hand the letter to someone else.
    """
    invitation = invitation_for_token(token=token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise LetterActionError(_("This invitation has already been used."))
    verified = EmailAddress.objects.filter(
        user=user, verified=True, email__iexact=invitation.email_normalized
    ).exists()
    if not verified:
        raise LetterActionError(
            _("This invitation was sent to %(email)s. Log in with an account whose verified "
              "email address is %(email)s to accept it.") % {"email": invitation.email}
        )  # fmt: skip
    if Membership.objects.filter(letter_id=invitation.letter_id, user=user).exists():
        raise LetterActionError(_("You already organize this letter."))
    membership = Membership.objects.create(
        letter_id=invitation.letter_id, user=user, role=invitation.role
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user  # type: ignore[assignment]
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def invitation_revoke(*, letter: Letter, invitation_id: int) -> None:
    """Withdraw a pending invitation; its link stops working."""
    deleted, _rows = Invitation.objects.filter(
        pk=invitation_id, letter=letter, accepted_at__isnull=True
    ).delete()
    if not deleted:
        raise LetterActionError(_("This invitation no longer exists."))


def _other_member(*, letter: Letter, membership_id: int) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(pk=membership_id, letter=letter)
        .first()
    )
    if membership is None:
        raise LetterActionError(_("This person no longer organizes this letter."))
    if membership.role == Membership.Role.OWNER:
        raise LetterActionError(
            _("The owner cannot be removed or changed. Transfer ownership first.")
        )
    return membership


@transaction.atomic
def membership_remove(*, letter: Letter, membership_id: int) -> None:
    """Remove a co-organizer. The owner stays until ownership is transferred."""
    _other_member(letter=letter, membership_id=membership_id).delete()


@transaction.atomic
def membership_set_role(*, letter: Letter, membership_id: int, role: str) -> Membership:
    """Make a co-organizer an editor or a viewer."""
    if role not in {Membership.Role.EDITOR, Membership.Role.VIEWER}:
        raise LetterActionError(_("Choose editor or viewer."))
    membership = _other_member(letter=letter, membership_id=membership_id)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_transfer_ownership(*, letter: Letter, membership_id: int) -> Membership:
    """Hand the letter to another co-organizer; the former owner stays on as an editor."""
    target = _other_member(letter=letter, membership_id=membership_id)
    Membership.objects.filter(letter=letter, role=Membership.Role.OWNER).update(
        role=Membership.Role.EDITOR
    )
    target.role = Membership.Role.OWNER
    target.save(update_fields=["role"])
    return target
