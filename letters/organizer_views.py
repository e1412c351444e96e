"""Pages where organizers draft, publish and share their letters.

Every view that touches a letter gets it from ``letter_get_for_editor`` with the role it
needs: outsiders see a 404, members with a lower role a 403. Anonymous visitors are sent
to the login page by ``login_required`` before any letter is looked up; the one exception
is an invitation link, whose signed token shows its invitation to whoever holds it.
"""

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters import ratelimits, selectors, services, translations
from letters.errors import ServiceError
from letters.forms import InvitationForm, LetterForm, RoleForm
from letters.models import Letter, Membership
from letters.pages import letter_page_context
from letters.requests import AuthenticatedHttpRequest

VIEWER, EDITOR, OWNER = Membership.Role.VIEWER, Membership.Role.EDITOR, Membership.Role.OWNER


PREVIEW_LIMITED = _lazy("Too many previews at once. Wait a minute, then try again.")


def _preview_limited(request: HttpRequest) -> bool:
    return ratelimits.limit_hit(name="PREVIEW_LIMIT_PER_USER", key=f"user:{request.user.pk}")


def _form_page(
    request: HttpRequest, form: LetterForm, letter: Letter | None, status: int = 200
) -> HttpResponse:
    preview_html = None
    if "preview" in request.POST and form.is_valid():
        if _preview_limited(request):
            messages.error(request, PREVIEW_LIMITED)
            status = 429
        else:
            preview_html = services.letter_render_markdown(text=form.cleaned_data["body"])
    # Only editors reach this page: letter_edit asks for the editor role.
    context = {"form": form, "letter": letter, "preview_html": preview_html, "can_edit": True}
    return render(request, "letters/organize/letter_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def letter_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, LetterForm(), None)
    form = LetterForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    if "preview" in request.POST:
        return _form_page(request, form, None)
    try:
        letter = services.letter_create(user=request.user, fields=form.cleaned_data)
    except ServiceError as error:
        form.add_error("slug", error.message)
        return _form_page(request, form, None, status=400)
    messages.success(request, _("Draft saved. Preview it, then publish when you are ready."))
    return redirect("organize:letter", slug=letter.slug)


@login_required
@require_http_methods(["GET", "POST"])
def letter_edit(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
    letter = access.letter
    if request.method == "GET":
        return _form_page(request, LetterForm(instance=letter), letter)
    form = LetterForm(request.POST, instance=Letter.objects.get(pk=letter.pk))
    if not form.is_valid():
        return _form_page(request, form, letter, status=400)
    if "preview" in request.POST:
        return _form_page(request, form, letter)
    try:
        letter = services.letter_update(letter=letter, user=request.user, fields=form.cleaned_data)
    except ServiceError as error:
        form.add_error(None, error.message)
        return _form_page(request, form, letter, status=400)
    messages.success(request, _("Changes saved."))
    return redirect("organize:letter", slug=letter.slug)


@login_required
@require_POST
def markdown_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The sanitised HTML of a text, for the live preview script.

    Only for organizers with a verified address, and rate limited per account: rendering
    is work done for whoever asks.
    """
    if not services.user_has_verified_email(user=request.user):
        message = _("Verify your email address to see the live preview.")
        return HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
    if _preview_limited(request):
        return HttpResponse(PREVIEW_LIMITED, status=429, content_type="text/plain; charset=utf-8")
    text = request.POST.get("body", "")[:100_000]
    return HttpResponse(services.letter_render_markdown(text=text), content_type="text/html")


@login_required
@require_GET
def letter_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    letter = access.letter
    context = {
        "letter": letter,
        "role": access.role,
        "can_edit": access.can_edit,
        "versions": selectors.letter_versions(letter=letter)[:20],
        "email_verified": services.user_has_verified_email(user=request.user),
        "translations": [
            (
                translation,
                translations.language_name(translation.language),
                translations.incomplete_message(letter=letter, translation=translation),
            )
            for translation in translations.translation_list(letter=letter)
        ],
        "language_name": translations.language_name(letter.language),
    }
    return render(request, "letters/organize/letter.html", context)


@login_required
@require_GET
def letter_preview(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The public page as a signer will see it, sign form disabled."""
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    letter = access.letter
    context = {**letter_page_context(letter=letter, request=request), "preview": True}
    response = render(request, "letters/detail.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def _lifecycle(
    request: AuthenticatedHttpRequest,
    slug: str,
    *,
    role: str,
    action: Callable[[Letter], object],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """Run ``action`` and go back to the letter's page; on success, at ``anchor``."""
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=role)
    letter = access.letter
    target = reverse("organize:letter", kwargs={"slug": letter.slug})
    try:
        action(letter)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
        target += f"#{anchor}" if anchor else ""
    return redirect(target)


@login_required
@require_POST
def letter_publish(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _lifecycle(
        request, slug, role=EDITOR,
        action=lambda letter: services.letter_publish(letter=letter, user=request.user),
        done=_("The letter is published and accepts signatures. Now share it."),
        anchor="share",
    )  # fmt: skip


@login_required
@require_POST
def letter_close(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _lifecycle(
        request, slug, role=EDITOR,
        action=lambda letter: services.letter_close(letter=letter),
        done=_("Signing is closed. The letter and its signatories stay public."),
    )  # fmt: skip


@login_required
@require_POST
def letter_reopen(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _lifecycle(
        request, slug, role=EDITOR,
        action=lambda letter: services.letter_reopen(letter=letter),
        done=_("Signing is open again."),
    )  # fmt: skip


@login_required
@require_POST
def letter_archive(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _lifecycle(
        request, slug, role=OWNER,
        action=lambda letter: services.letter_archive(letter=letter),
        done=_("The letter is archived: off the index, its page still readable."),
    )  # fmt: skip


@login_required
@require_POST
def letter_unarchive(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    return _lifecycle(
        request, slug, role=OWNER,
        action=lambda letter: services.letter_unarchive(letter=letter),
        done=_("The letter is back on the index, closed to signing."),
    )  # fmt: skip


def _team_page(
    request: HttpRequest,
    access: selectors.EditorAccess,
    form: InvitationForm | None = None,
    status: int = 200,
) -> HttpResponse:
    letter = access.letter
    context = {
        "letter": letter,
        "role": access.role,
        "can_edit": access.can_edit,
        "members": selectors.letter_members(letter=letter),
        "invitations": selectors.letter_pending_invitations(letter=letter),
        "form": form or InvitationForm(),
        "role_choices": RoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
    }
    return render(request, "letters/organize/team.html", context, status=status)


@login_required
@require_GET
def team(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    return _team_page(request, access)


@login_required
@require_POST
def invitation_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=OWNER)
    letter = access.letter
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _team_page(request, access, form, status=400)
    try:
        services.invitation_create(
            letter=letter,
            invited_by=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
    except ServiceError as error:
        form.add_error("email", error.message)
        return _team_page(request, access, form, status=400)
    messages.success(
        request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
    )
    return redirect("organize:team", slug=letter.slug)


def _team_action(
    request: AuthenticatedHttpRequest, slug: str, action: Callable[[Letter], object], done: str
) -> HttpResponse:
    access = selectors.letter_get_for_editor(user=request.user, slug=slug, role=OWNER)
    letter = access.letter
    try:
        action(letter)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("organize:team", slug=letter.slug)


@login_required
@require_POST
def invitation_revoke(
    request: AuthenticatedHttpRequest, slug: str, invitation_id: int
) -> HttpResponse:
    return _team_action(
        request, slug,
        lambda letter: services.invitation_revoke(letter=letter, invitation_id=invitation_id),
        _("Invitation withdrawn; its link no longer works."),
    )  # fmt: skip


@login_required
@require_POST
def member_remove(request: AuthenticatedHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    return _team_action(
        request, slug,
        lambda letter: services.membership_remove(letter=letter, membership_id=membership_id),
        _("Co-organizer removed."),
    )  # fmt: skip


@login_required
@require_POST
def member_role(request: AuthenticatedHttpRequest, slug: str, membership_id: int) -> HttpResponse:
    role = request.POST.get("role", "")
    return _team_action(
        request, slug,
        lambda letter: services.membership_set_role(
            letter=letter, membership_id=membership_id, role=role
        ),
        _("Role changed."),
    )  # fmt: skip


@login_required
@require_POST
def member_transfer(
    request: AuthenticatedHttpRequest, slug: str, membership_id: int
) -> HttpResponse:
    return _team_action(
        request, slug,
        lambda letter: services.membership_transfer_ownership(
            letter=letter, membership_id=membership_id
        ),
        _("Ownership transferred. You are now an editor of this letter."),
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows who invites you to which letter, as what, and a button; only POST joins.

    The link arrives by email, often before its reader has an account, so a visitor who is
    not logged in sees the invitation too, with ways to log in or sign up that come back
    here (``next``) and keep that context through the email confirmation.
    """
    if not request.user.is_authenticated:
        if request.method == "POST":
            return redirect_to_login(request.get_full_path())
        return _invitation_page(request, token)
    if request.method == "GET":
        return _invitation_page(request, token)
    return _invitation_join(cast(AuthenticatedHttpRequest, request), token)


def _invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_token(token=token)
    except ServiceError as error:
        return _invitation_refused(request, error)
    back = {"next": request.path}
    signup = {**back, "email": invitation.email}
    context = {
        "invitation": invitation,
        "inviter": invitation.invited_by,
        "login_url": f"{reverse('account_login')}?{urlencode(back)}",
        "signup_url": f"{reverse('account_signup')}?{urlencode(signup)}",
    }
    return render(request, "letters/organize/invitation.html", context)


def _invitation_refused(request: HttpRequest, error: ServiceError) -> HttpResponse:
    context = {"error": error.message}
    return render(request, "letters/organize/invitation.html", context, status=400)


def _invitation_join(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    try:
        membership = services.invitation_accept(token=token, user=request.user)
    except ServiceError as error:
        return _invitation_refused(request, error)
    messages.success(
        request,
        _("You now organize “%(title)s” as %(role)s.")
        % {"title": membership.letter.title, "role": membership.get_role_display()},
    )
    return redirect("organize:letter", slug=membership.letter.slug)
