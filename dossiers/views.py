"""Organizer pages for a letter's dossier: ask for it, watch it being made, download it,
or read and print the same content as a web page.

Every view reads the letter only through letter_get_for_editor. Viewers may read and
download dossiers; editors ask for new ones.
"""

from collections.abc import Iterator
from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dossiers import render as draw
from dossiers import services as dossiers
from dossiers.forms import DossierForm
from dossiers.models import Dossier
from dossiers.selectors import dossier_list, letter_snapshot
from dossiers.texts import Text, dossier_languages, dossier_texts
from letters.errors import ServiceError
from letters.models import Letter, Membership
from letters.requests import AuthenticatedHttpRequest
from letters.selectors import EditorAccess, letter_get_for_editor

EDITOR = Membership.Role.EDITOR
VIEWER = Membership.Role.VIEWER
# Where the streamed list goes in the print page.
_NAMES = "<!--dossier-names-->"


@login_required
@require_http_methods(["GET", "POST"])
def dossier_page(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    role = EDITOR if request.method == "POST" else VIEWER
    access = letter_get_for_editor(user=request.user, slug=slug, role=role)
    letter = access.letter
    data = request.POST if request.method == "POST" else None
    form = DossierForm(data, texts=dossier_languages(letter=letter))
    if request.method == "POST":
        if form.is_valid():
            try:
                dossiers.dossier_request(
                    letter=letter, user=request.user, language=form.cleaned_data["language"]
                )
            except ServiceError as error:
                messages.error(request, error.message)
                return _page(request, access, form, status=409)
            messages.success(request, _("The dossier is being made. This page shows the progress."))
            return redirect("dossiers:page", slug=letter.slug)
        return _page(request, access, form, status=400)
    return _page(request, access, form)


def _page(
    request: AuthenticatedHttpRequest, access: EditorAccess, form: DossierForm, status: int = 200
) -> HttpResponse:
    listed = list(dossier_list(letter=access.letter)[:10])
    context = {
        "letter": access.letter,
        "form": form,
        "dossiers": listed,
        "making": any(dossier.in_the_making for dossier in listed),
        "can_edit": access.can_edit,
    }
    return render(request, "dossiers/page.html", context, status=status)


@login_required
@require_GET
def dossier_download(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponseBase:
    letter = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER).letter
    dossier = get_object_or_404(Dossier, letter=letter, pk=pk, status=Dossier.Status.READY)
    response = StreamingHttpResponse(
        dossiers.dossier_file(dossier=dossier), content_type="application/pdf"
    )
    response["Content-Length"] = str(dossier.size)
    filename = dossiers.dossier_filename(dossier=dossier)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def dossier_print(request: AuthenticatedHttpRequest, slug: str) -> HttpResponseBase:
    """The dossier as one web page, streamed: the whole list in bounded memory."""
    letter = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER).letter
    language = request.GET.get("language", "")
    texts = dossier_texts(letter=letter, language=language or None)
    if not texts:
        raise Http404("The letter has no text in that language.")
    context = {
        "letter": letter,
        # The response's language is chosen while the view runs; a streamed body runs later.
        "response_language": translation.get_language(),
        "dossier_languages": dossier_languages(letter=letter),
    }
    response = StreamingHttpResponse(
        _print_stream(request, letter, texts, context), content_type="text/html; charset=utf-8"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _print_stream(
    request: AuthenticatedHttpRequest, letter: Letter, texts: list[Text], context: dict[str, object]
) -> Iterator[str]:
    with (
        translation.override(str(context["response_language"])),
        letter_snapshot(letter=letter) as snapshot,
    ):
        head = draw.head_make(
            letter=letter,
            texts=texts,
            as_of=snapshot.as_of,
            count_all=snapshot.count_all,
            count_hidden=snapshot.count_hidden,
        )
        page = render_to_string(
            "dossiers/print.html", {**context, "head": head, "names": _NAMES}, request=request
        )
        before, after = page.split(_NAMES, 1)
        yield before
        done = 0
        while chunk := list(islice(snapshot.rows, dossiers.NAMES_PER_PIECE)):
            yield draw.names_html(named=draw.named_rows(chunk, first=done + 1))
            done += len(chunk)
        yield after
