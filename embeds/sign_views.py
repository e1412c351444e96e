"""The widget's sign form posts here, inside the frame, on any site (docs/embeds.md).

No cookie and no session: the frame is on another site, where browsers withhold our
cookies. Django's CSRF check, which needs its cookie, is off for this view alone
(``origin_checked``); what stands in for it is explained in docs/security.md.
"""

import logging
from dataclasses import replace
from email.utils import parseaddr

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from embeds import snippets
from embeds.views import WIDGET_CSP
from embeds.widget import widget_context, widget_text
from embeds.widget_sign import WidgetSignForm
from letters import clients, translations
from letters.errors import ServiceError
from letters.facts import LetterFacts
from letters.http import origin_checked
from letters.models import Letter
from letters.selectors import letter_get_public
from signatories import challenge, counters, flags, services
from signatories.answers import sign_subjects
from signatories.forms import form_stamp, stamp_problem

log = logging.getLogger(__name__)

# The widget's policy, with the form's styles and, when the challenge is on, its
# stylesheet (a file of ours).
SIGN_CSP: dict[str, list[str]] = {
    **WIDGET_CSP,
    "style-src": [*WIDGET_CSP["style-src"], CSP.SELF],
}


def _page(
    request: HttpRequest,
    *,
    letter: Letter,
    options: snippets.WidgetOptions,
    status: int = 200,
    **extra: object,
) -> HttpResponse:
    """The widget, drawn for this answer alone, with ``extra`` (the form sent back, or
    the "check your inbox" note in place of the form)."""
    facts = LetterFacts.from_letter(letter)
    text = widget_text(letter=facts, language=options.text, version=None) if options.text else None
    count = counters.counts_get(letter_id=letter.pk).all
    with translation.override(options.lang):
        context = {**widget_context(facts, options, count, text), **extra}
        body = render_to_string("embed/widget.html", context)
    response = HttpResponse(body, status=status)
    response["Content-Language"] = options.lang
    response["Cache-Control"] = "no-store"
    return response


def _inbox(
    request: HttpRequest, *, letter: Letter, options: snippets.WidgetOptions, email: str
) -> HttpResponse:
    """The letter page's "check your inbox" answer, in the frame."""
    sender_name, sender_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return _page(
        request,
        letter=letter,
        options=options,
        signed=True,
        email=email,
        sender_name=sender_name or settings.SITE_NAME,
        sender_address=sender_address,
        subjects=sign_subjects(
            letter=letter,
            language=_mail_language(request, options),
            text_language=options.text or None,
        ),
    )


def _mail_language(request: HttpRequest, options: snippets.WidgetOptions) -> str:
    """The widget's language when its snippet chose one; else "" (the letter's)."""
    return options.lang if request.GET.get(translations.LANG_PARAM) else ""


@xframe_options_exempt
@csp_override(SIGN_CSP)
@origin_checked
@require_POST
def widget_sign(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    if not letter.widget_sign:
        message = gettext("This letter is not signed from its widget. Sign it on its page.")
        return HttpResponseNotFound(message, content_type="text/plain")
    options = replace(snippets.WidgetOptions.from_query(request.GET, letter=letter), form=True)
    if not letter.is_open:  # the widget as it is now: closed, without the form
        return _page(request, letter=letter, options=options, status=409)
    needs_challenge = challenge.sign_attempt(
        letter=letter, network=challenge.request_network(request)
    )
    form = WidgetSignForm(request.POST, letter=letter, needs_challenge=needs_challenge)
    email = request.POST.get("email", "")
    reason = form.bot_reason()
    if reason:  # a bot learns nothing: the answer a person gets, nothing stored or sent
        log.info("Bot trap (%s) on the widget sign form of %s: nothing stored", reason, slug)
        return _inbox(request, letter=letter, options=options, email=email)
    if not form.is_valid():
        posted = request.POST.get("stamp", "")
        # The stamp sent keeps counting the fill time; a new one only if it was refused.
        stamp = posted if not stamp_problem(posted) else form_stamp()
        return _page(
            request, letter=letter, options=options, status=400, form=form, stamp=stamp,
            ref=form.cleaned_data.get("ref", ""),
        )  # fmt: skip
    data = replace(
        form.signature_data(),
        network_key=flags.request_network_key(request),
        language=_mail_language(request, options),
        letter_version_id=translations.signed_version_id(
            letter=letter, language=options.text or None
        ),
    )
    try:
        services.signature_create(
            letter=letter, data=data, client=clients.request_client_keys(request)
        )
    except ServiceError:  # closed between the check and the insert
        return _page(request, letter=letter, options=options, status=409)
    return _inbox(request, letter=letter, options=options, email=data.email)
