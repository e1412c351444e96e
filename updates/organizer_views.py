"""Organizer pages for a letter's updates to signers.

Every view reads the letter only through letter_get_for_editor. Viewers may read updates
and their progress; editors write and send them.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters.errors import ServiceError
from letters.models import ROLE_RANK, Letter, Membership
from letters.selectors import letter_get_for_editor
from updates import services as updates
from updates.forms import UpdateForm
from updates.models import Update

EDITOR = Membership.Role.EDITOR
VIEWER = Membership.Role.VIEWER


def _can_edit(letter: Letter) -> bool:
    return letter.membership.rank >= ROLE_RANK[EDITOR]  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def update_list(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method == "POST":
        letter = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
        form = UpdateForm(request.POST)
        if form.is_valid():
            update = updates.update_create(
                letter=letter,
                author=request.user,  # type: ignore[arg-type]
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
            messages.success(request, _("Draft saved. Check it below, then send it."))
            return redirect("updates:organizer-detail", slug=letter.slug, pk=update.pk)
        status = 400
    else:
        letter = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
        form = UpdateForm()
        status = 200
    context = {
        "letter": letter,
        "form": form,
        "updates": Update.objects.filter(letter=letter).order_by("-created_at"),
        "recipients": updates.update_recipients(letter=letter).count(),
        "can_edit": _can_edit(letter),
    }
    return render(request, "updates/organizer_list.html", context, status=status)


@login_required
@require_GET
def update_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    update = get_object_or_404(Update, letter=letter, pk=pk)
    return render(request, "updates/organizer_detail.html", _detail_context(letter, update))


def _detail_context(letter: Letter, update: Update) -> dict[str, object]:
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
        "can_edit": _can_edit(letter),
    }


@login_required
@require_POST
def update_send(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
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
    context = _detail_context(letter, update)
    return render(request, "updates/organizer_detail.html", context, status=status)
