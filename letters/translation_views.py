"""Organizer pages for a letter's translations: add one, edit one, delete one.

Every view asks ``letter_get_for_editor`` for the editor role; the rules (a known
language code, not the letter's own, complete while the letter is public, a version for
each new text) are ``letters.translations``'.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from letters import selectors, translations
from letters.forms import TranslationForm
from letters.models import Letter, LetterTranslation, Membership
from letters.requests import AuthenticatedHttpRequest

EDITOR = Membership.Role.EDITOR


def _form_page(
    request: AuthenticatedHttpRequest,
    letter: Letter,
    form: TranslationForm,
    translation: LetterTranslation | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "letter": letter,
        "form": form,
        "translation": translation,
        "language_name": translations.language_name(translation.language) if translation else "",
        "can_edit": True,
    }
    return render(request, "letters/organize/translation_form.html", context, status=status)


def _refused(form: TranslationForm, error: translations.TranslationError) -> None:
    field = error.field if error.field in form.fields else None
    if error.field == "language" and "other_language" in form.fields:
        field = "other_language" if form.cleaned_data.get("other_language") else "language"
    form.add_error(field, error.message)


@login_required
@require_http_methods(["GET", "POST"])
def translation_create(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    letter = selectors.letter_get_for_editor(user=request.user, slug=slug, role=EDITOR).letter
    if request.method == "GET":
        return _form_page(request, letter, TranslationForm(letter=letter))
    form = TranslationForm(request.POST, letter=letter)
    if not form.is_valid():
        return _form_page(request, letter, form, status=400)
    try:
        translation = translations.translation_create(
            letter=letter, user=request.user, language=form.cleaned_data["code"],
            fields=form.cleaned_data,
        )  # fmt: skip
    except translations.TranslationError as error:
        _refused(form, error)
        return _form_page(request, letter, form, status=400)
    name = translations.language_name(translation.language)
    messages.success(request, _("Translation saved: %(language)s.") % {"language": name})
    return redirect("organize:letter", slug=letter.slug)


@login_required
@require_http_methods(["GET", "POST"])
def translation_edit(request: AuthenticatedHttpRequest, slug: str, language: str) -> HttpResponse:
    letter = selectors.letter_get_for_editor(user=request.user, slug=slug, role=EDITOR).letter
    try:
        translation = translations.translation_get(letter=letter, language=language)
    except translations.TranslationError as error:
        messages.error(request, error.message)
        return redirect("organize:letter", slug=letter.slug)
    if request.method == "GET":
        form = TranslationForm(instance=translation, letter=letter)
        return _form_page(request, letter, form, translation)
    form = TranslationForm(request.POST, instance=translation, letter=letter)
    if not form.is_valid():
        return _form_page(request, letter, form, translation, status=400)
    try:
        translations.translation_update(
            letter=letter, user=request.user, language=translation.language,
            fields=form.cleaned_data,
        )  # fmt: skip
    except translations.TranslationError as error:
        _refused(form, error)
        return _form_page(request, letter, form, translation, status=400)
    messages.success(request, _("Changes saved."))
    return redirect("organize:letter", slug=letter.slug)


@login_required
@require_POST
def translation_delete(request: AuthenticatedHttpRequest, slug: str, language: str) -> HttpResponse:
    letter = selectors.letter_get_for_editor(user=request.user, slug=slug, role=EDITOR).letter
    try:
        translations.translation_delete(letter=letter, language=language)
    except translations.TranslationError as error:
        messages.error(request, error.message)
    else:
        name = translations.language_name(language)
        messages.success(request, _("Translation deleted: %(language)s.") % {"language": name})
    return redirect("organize:letter", slug=letter.slug)
