"""The organizer page where each organizer chooses the emails they get about a letter.

Every organizer, viewers included, chooses for themselves; the page reads the letter only
through letter_get_for_editor.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from letters.requests import AuthenticatedHttpRequest
from letters.selectors import letter_get_for_editor
from notifications import services
from notifications.forms import PreferenceForm


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    access = letter_get_for_editor(user=request.user, slug=slug)
    preference = services.preference_get(membership=access.membership)
    status = 200
    if request.method == "POST":
        form = PreferenceForm(request.POST, instance=preference)
        if form.is_valid():
            services.preference_save(
                membership=access.membership,
                digest=form.cleaned_data["digest"],
                milestones=form.cleaned_data["milestones"],
                each_verified=form.cleaned_data["each_verified"],
                language=form.cleaned_data["language"],
            )
            messages.success(request, _("Your choices are saved."))
            return redirect("notifications:preferences", slug=access.letter.slug)
        status = 400
    else:
        initial = {} if preference.pk else {"language": _language_offered()}
        form = PreferenceForm(instance=preference, initial=initial)
    context = {"letter": access.letter, "form": form, "can_edit": access.can_edit}
    return render(request, "notifications/preferences.html", context, status=status)


def _language_offered() -> str:
    """The language this page is read in, as the first choice for the emails."""
    from django.conf import settings

    language = get_language() or settings.LANGUAGE_CODE
    codes = dict(settings.LANGUAGES)
    return language if language in codes else language.split("-")[0]
