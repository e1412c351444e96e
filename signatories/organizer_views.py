"""The organizer's dashboard, the page that exports a letter's signers, and the one that
counts them by source.

The letter is read only through letter_get_for_editor. Exports need the editor role
because the file holds email addresses.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from letters.errors import ServiceError
from letters.models import Membership
from letters.requests import AuthenticatedHttpRequest
from letters.selectors import letter_get_for_editor
from letters.services import user_has_verified_email
from signatories import events, exports, selectors
from signatories.forms import ExportForm
from signatories.models import ExportLog

EDITOR = Membership.Role.EDITOR
VIEWER = Membership.Role.VIEWER
_CONTENT_TYPES = {
    ExportLog.Format.CSV: "text/csv; charset=utf-8",
    ExportLog.Format.JSON: "application/json",
}


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = selectors.dashboard_rows(user=request.user)
    mismatches = events.count_mismatches(letter_ids=[row.letter.pk for row in rows])
    context = {
        "rows": rows,
        "count_mismatches": [
            (row.letter, mismatches[row.letter.pk]) for row in rows if row.letter.pk in mismatches
        ],
        "newest": selectors.signature_list_newest_for_user(user=request.user),
        "email_verified": user_has_verified_email(user=request.user),
    }
    return render(request, "letters/organize/dashboard.html", context)


@login_required
@require_GET
def sources(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Confirmed signatures by the ``ref`` they came with: counts only, so any member."""
    access = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    letter = access.letter
    context = {
        "letter": letter,
        "rows": selectors.signature_source_counts(letter=letter),
        "can_edit": access.can_edit,
    }
    return render(request, "signatories/organize/sources.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def export(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    access = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
    letter = access.letter
    form = ExportForm(request.POST) if request.method == "POST" else ExportForm()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                log = exports.export_start(
                    letter=letter,
                    user=request.user,
                    fmt=form.cleaned_data["format"],
                    fields=form.cleaned_data["columns"],
                )
            except ServiceError as error:
                form.add_error(None, error.message)
                status = 409
            else:
                return _export_response(log=log, bom=form.cleaned_data["excel_bom"])
        else:
            status = 400
    logs = ExportLog.objects.filter(letter=letter).select_related("user").order_by("-created_at")
    context = {"letter": letter, "form": form, "logs": logs[:20], "can_edit": access.can_edit}
    return render(request, "exports/export.html", context, status=status)


def _export_response(*, log: ExportLog, bom: bool) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        exports.export_stream(log=log, bom=bom),
        content_type=_CONTENT_TYPES[ExportLog.Format(log.format)],
    )
    filename = exports.export_filename(log=log)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
