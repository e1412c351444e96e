"""Organizer pages for a letter's updates to signers.

Every view reads the letter only through letter_get_for_editor. Viewers may read updates
and their progress; editors write and send them.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters.errors import ServiceError
from letters.models import Membership
from letters.requests import AuthenticatedHttpRequest
from letters.selectors import EditorAccess, letter_get_for_editor
from updates import services as updates
from updates.forms import UpdateForm
from updates.models import Update

EDITOR = Membership.Role.EDITOR
VIEWER = Membership.Role.VIEWER


@login_required
@require_http_methods(["GET", "POST"])
def update_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        access = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
        letter = access.letter
        form = UpdateForm(request.POST)
        if form.is_valid():
            update = updates.update_create(
                letter=letter,
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
            messages.success(request, _("Draft saved. Check it below, then send it."))
            return redirect("updates:organizer-detail", slug=letter.slug, pk=update.pk)
        status = 400
    else:
        access = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
        letter = access.letter
        form = UpdateForm()
        status = 200
    context = {
        "letter": letter,
        "form": form,
        "updates": Update.objects.filter(letter=letter).order_by("-created_at"),
        "recipients": updates.update_recipients(letter=letter).count(),
        "can_edit": access.can_edit,
    }
    return render(request, "updates/organizer_list.html", context, status=status)


@login_required
@require_GET
def update_detail(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    letter = access.letter
    update = get_object_or_404(Update, letter=letter, pk=pk)
    return render(request, "updates/organizer_detail.html", _detail_context(access, update))


def _detail_context(access: EditorAccess, update: Update) -> dict[str, object]:
    letter = access.letter
    recipients = (
        updates.update_recipients(letter=update.letter).count()
        if update.status == Update.Status.DRAFT
        else update.recipients_total
    )
    return {
        "letter": letter,
        "update": update,
        "body_html": updates.update_body_html(update=update),
        "recipients": recipients,
        "progress": round(100 * update.done_count / update.recipients_total)
        if update.recipients_total
        else 0,
        "can_edit": access.can_edit,
    }


@login_required
@require_POST
def update_send(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
    letter = access.letter
    update = get_object_or_404(Update, letter=letter, pk=pk)
    try:
        updates.update_send(update=update)
    except ServiceError as error:
        messages.error(request, error.message)
        status = 409
    else:
        messages.success(request, _("Sending has started. This page shows the progress."))
        return redirect("updates:organizer-detail", slug=letter.slug, pk=update.pk)
    update.refresh_from_db()
    context = _detail_context(access, update)
    return render(request, "updates/organizer_detail.html", context, status=status)
