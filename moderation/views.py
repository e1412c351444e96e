"""Organizer pages to moderate and verify the signatures of a letter, and the public
correction log. Every organizer view gets its letter from ``letter_get_for_editor``."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters.errors import ServiceError
from letters.http import public_page
from letters.models import Letter, Membership
from letters.requests import AuthenticatedHttpRequest
from letters.selectors import EditorAccess, letter_get_for_editor, letter_get_public
from moderation import selectors
from moderation import services as moderation
from moderation.forms import (
    BulkRemoveForm,
    CursorForm,
    FilterForm,
    HoldForm,
    PreviewForm,
    RemoveForm,
    VerifyForm,
)
from moderation.models import ModerationAction
from signatories import counters
from signatories.figures import day_anchor, local_day
from signatories.models import Signature

EDITOR = Membership.Role.EDITOR
VIEWER = Membership.Role.VIEWER


def _querystring(criteria: dict[str, str], **extra: str) -> str:
    query = QueryDict(mutable=True)
    query.update({**criteria, **extra})
    return query.urlencode()


@login_required
@require_GET
def signature_list(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    letter = access.letter
    form = FilterForm(request.GET)
    if not access.can_edit:
        # Viewers are not shown signers' addresses, nor can they search by them.
        form.fields["q"].label = _("Name or organization")
    cursor = CursorForm(request.GET)
    context: dict[str, Any] = {
        "letter": letter,
        "form": form,
        "counts": counters.counts_get(letter_id=letter.pk),
        "signals": selectors.moderation_signals(letter=letter),
        "can_edit": access.can_edit,
        "unfinished": selectors.bulk_removals_unfinished(letter=letter),
    }
    if not (form.is_valid() and cursor.is_valid()):
        messages.error(request, _("Some filters are not valid: correct them to see the list."))
        return render(request, "moderation/list.html", context, status=400)
    filters = form.filters()
    page = selectors.signature_page_for_moderation(
        letter=letter,
        filters=filters,
        after=cursor.cleaned_data["after"],
        before=cursor.cleaned_data["before"],
        search_emails=access.can_edit,
    )
    criteria = filters.as_criteria()
    flags = selectors.signature_flags(letter=letter, signatures=page.items)
    context |= {
        "page": page,
        "rows": [(signature, flags[signature.pk]) for signature in page.items],
        "criteria": criteria,
        "query": _querystring(criteria),
        "filtered": bool(criteria),
    }
    return render(request, "moderation/list.html", context)


def _detail_context(*, access: EditorAccess, signature: Signature, **forms: Any) -> dict[str, Any]:
    letter = access.letter
    return {
        "letter": letter,
        "signature": signature,
        "actions": signature.actions.select_related("actor")[:50],
        "flags": selectors.signature_flags(letter=letter, signatures=[signature])[signature.pk],
        "can_edit": access.can_edit,
        "remove_form": forms.get("remove_form") or RemoveForm(),
        "hold_form": forms.get("hold_form") or HoldForm(),
        "verify_form": forms.get("verify_form")
        or VerifyForm(initial={"method": signature.verification_method}),
    }


@login_required
@require_GET
def signature_detail(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    access = letter_get_for_editor(user=request.user, slug=slug, role=VIEWER)
    letter = access.letter
    signature = get_object_or_404(Signature, pk=pk, letter=letter)
    return render(
        request, "moderation/detail.html", _detail_context(access=access, signature=signature)
    )


def _act(
    request: HttpRequest,
    slug: str,
    pk: int,
    *,
    form_class: type[Any] | None,
    form_name: str,
    run: Callable[..., ModerationAction],
    done: str,
) -> HttpResponse:
    """The shared shape of every action on one signature: check, run, report."""
    access = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
    letter = access.letter
    signature = get_object_or_404(Signature, pk=pk, letter=letter)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, _("Nothing was changed: correct the form below."))
        context = _detail_context(access=access, signature=signature, **{form_name: form})
        return render(request, "moderation/detail.html", context, status=400)
    try:
        run(signature=signature, actor=request.user, **(form.cleaned_data if form else {}))
    except moderation.SignatureGone as error:
        messages.error(request, error.message)
        raise Http404(error.message) from error
    except ServiceError as error:
        messages.error(request, error.message)
        context = _detail_context(access=access, signature=signature)
        return render(request, "moderation/detail.html", context, status=409)
    messages.success(request, done)
    return redirect("moderation:detail", slug=letter.slug, pk=signature.pk)


@login_required
@require_POST
def signature_hold(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request, slug, pk, form_class=HoldForm, form_name="hold_form",
        run=moderation.signature_hold,
        done=_("The signature is on hold: it is out of the public list and count."),
    )  # fmt: skip


@login_required
@require_POST
def signature_release(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request, slug, pk, form_class=None, form_name="",
        run=moderation.signature_release,
        done=_("The hold is lifted: the signature is back as it was."),
    )  # fmt: skip


@login_required
@require_POST
def signature_remove(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request, slug, pk, form_class=RemoveForm, form_name="remove_form",
        run=moderation.signature_remove,
        done=_("The signature is removed and the correction log says why."),
    )  # fmt: skip


@login_required
@require_POST
def signature_restore(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request, slug, pk, form_class=None, form_name="",
        run=moderation.signature_restore,
        done=_("The signature is restored to the status it had."),
    )  # fmt: skip


@login_required
@require_POST
def signature_verify(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request, slug, pk, form_class=VerifyForm, form_name="verify_form",
        run=moderation.signature_verify,
        done=_("The signatory is marked as verified and listed first."),
    )  # fmt: skip


@login_required
@require_POST
def signature_unverify(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act(
        request, slug, pk, form_class=None, form_name="",
        run=moderation.signature_unverify,
        done=_("The verified mark is withdrawn."),
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def bulk_remove(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """GET previews how many signatures a filter removes; POST removes them."""
    access = letter_get_for_editor(user=request.user, slug=slug, role=EDITOR)
    letter = access.letter
    if request.method == "GET":
        return _bulk_preview(request, letter)
    form = BulkRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was removed: correct the form below."))
        filter_ok = not (set(form.errors) - {"reason", "expected"})
        count = (
            moderation.signatures_bulk_remove_count(letter=letter, filters=form.filters())
            if filter_ok
            else None
        )
        return _bulk_render(request, letter, form=form, count=count, confirm=form, status=400)
    filters = form.filters()
    count = moderation.signatures_bulk_remove_count(letter=letter, filters=filters)
    expected = form.cleaned_data["expected"]
    if count and expected is not None and expected != count:
        messages.warning(
            request,
            _("The number of matching signatures changed since the preview. Check it again."),
        )
        confirm = BulkRemoveForm(initial={"expected": count, "reason": form.cleaned_data["reason"]})
        return _bulk_render(request, letter, form=form, count=count, confirm=confirm, status=409)
    if count > settings.BULK_REMOVE_INLINE_LIMIT:
        # Too many to remove within the request: a Celery task does it.
        moderation.signatures_bulk_remove_start(
            letter=letter,
            filters=filters,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected=count,
        )
        messages.success(
            request,
            _("Removal of %(count)s signatures is running; the correction log shows it when done.")
            % {"count": count},
        )
        return redirect("moderation:list", slug=letter.slug)
    try:
        entry = moderation.signatures_bulk_remove(
            letter=letter, filters=filters, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ServiceError as error:
        messages.error(request, error.message)
        return _bulk_render(request, letter, form=form, count=0, status=400)
    messages.success(
        request,
        ngettext(
            "%(count)s signature was removed.", "%(count)s signatures were removed.", entry.affected
        )
        % {"count": entry.affected},
    )
    return redirect("moderation:list", slug=letter.slug)


def _bulk_preview(request: HttpRequest, letter: Letter) -> HttpResponse:
    if not request.GET:
        return _bulk_render(request, letter, form=PreviewForm(), count=None)
    form = PreviewForm(request.GET)
    if not form.is_valid():
        return _bulk_render(request, letter, form=form, count=None, status=400)
    count = moderation.signatures_bulk_remove_count(letter=letter, filters=form.filters())
    confirm = BulkRemoveForm(initial={"expected": count})
    return _bulk_render(request, letter, form=form, count=count, confirm=confirm)


def _bulk_render(
    request: HttpRequest,
    letter: Letter,
    *,
    form: PreviewForm | BulkRemoveForm,
    count: int | None,
    confirm: BulkRemoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The filter, and once it is valid, the count it matches and the confirm form."""
    criteria = form.filters().as_criteria() if count else {}
    context = {
        "letter": letter,
        "form": form,
        "count": count,
        "criteria": criteria,
        "list_query": _querystring(criteria),
        "confirm_form": confirm if count else None,
        "in_background": count is not None and count > settings.BULK_REMOVE_INLINE_LIMIT,
        "can_edit": True,  # bulk_remove asks for the editor role
    }
    return render(request, "moderation/bulk_remove.html", context, status=status)


@public_page
@require_GET
def corrections(request: HttpRequest, slug: str) -> HttpResponse:
    """The public log of every moderation that changed the count of a letter."""
    letter = letter_get_public(slug=slug)
    entries = selectors.correction_log(letter=letter)
    figures = reverse("signatories:figures", kwargs={"slug": letter.slug})
    context = {
        "letter": letter,
        # Each entry links to its day in the daily figures, in the letter's time zone.
        "entries": [
            (entry, f"{figures}#{day_anchor(local_day(entry.created_at, letter.time_zone))}")
            for entry in entries
        ],
        "counts": counters.counts_get(letter_id=letter.pk),
    }
    return render(request, "moderation/corrections.html", context)
