import logging
from dataclasses import replace
from email.utils import parseaddr

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters import clients, translations
from letters.errors import ServiceError
from letters.http import origin_checked, public_page
from letters.models import Letter
from letters.pagecache import page_serve
from letters.pages import letter_page_context
from letters.selectors import letter_get_public
from signatories import answers, challenge, counters, flags, services, tokens
from signatories.figures import daily_figures
from signatories.forms import BotTrapForm, ResendForm, SignatorySearchForm, SignForm
from signatories.live import LetterLive, letter_live_get
from signatories.pages import breakdown_html, signatory_items_html
from signatories.selectors import (
    BadPosition,
    Position,
    signatory_breakdown,
    signatory_page_numbered,
    signatory_search_page,
    signatory_top_countries,
)

log = logging.getLogger(__name__)


def _closed(request: HttpRequest, letter: Letter) -> HttpResponse:
    context = letter_page_context(letter=letter, request=request)
    return render(request, "letters/detail.html", context, status=409)


def _trapped(form: BotTrapForm, letter: Letter, what: str) -> bool:
    """Whether a bot sent ``form``. Its answer is the page a person gets, having stored and
    mailed nothing: a bot learns nothing from it."""
    reason = form.bot_reason()
    if reason:
        log.info("Bot trap (%s) on the %s form of %s: nothing stored", reason, what, letter.slug)
    return bool(reason)


# What the form to correct the address sends again of the first submission, with the
# version of the text that was read (its language travels as ``lang``, see below).
_RESENT_FIELDS = (set(SignForm.base_fields) - {"email", "website"}) | {"text_version"}


def _inbox_page(
    request: HttpRequest,
    letter: Letter,
    *,
    template: str,
    email: str,
    subjects: list[str],
    correctable: bool = False,
) -> HttpResponse:
    """The "check your inbox" answer to a POST, naming the address it was given.

    It is the response to the POST itself, not a redirect: the address is shown to the
    person who typed it (so a typo shows) without a session, a cookie or a URL that would
    keep it in logs and histories. A reload sends the form again, which is harmless.
    The page is drawn once per process for each letter, language and kind
    (``signatories.answers``); only the address and the fields sent again differ.
    """
    sender_name, sender_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # The mail is written in the language the visitor asked for, else the letter's.
    language = _language_asked(request) or letter.language
    title = answers.text_title(letter, _text_language(request))
    shown = [answers.subject(name, language, letter, title) for name in subjects]
    context = {
        "letter": letter,
        "sender_name": sender_name or settings.SITE_NAME,
        "sender_address": sender_address,
        "subjects": shown,
        "correctable": correctable,
    }
    holes = {"email": email, "resent_inputs": _resent_inputs(request) if correctable else ""}
    if not email:  # a bot's empty form: the page tests the address
        return render(request, template, {**context, **holes})
    # Every value the page prints but the holes: what the letter shows, the sender, the
    # subjects (in the language asked for), whether the address can be corrected.
    key = (letter.pk, letter.slug, letter.title, sender_name, sender_address, tuple(shown),
           correctable)  # fmt: skip
    return answers.render_with_holes(request, template, context, key=key, holes=holes)


def _resent_inputs(request: HttpRequest) -> SafeString:
    """The hidden fields of the form to correct the address: the first submission's."""
    resent = [
        (name, value)
        for name, values in request.POST.lists()
        if name in _RESENT_FIELDS
        for value in values
    ]
    language = _text_language(request)
    if language:
        resent.append((translations.LANG_PARAM, language))
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', resent)


def _text_language(request: HttpRequest) -> str | None:
    """The language of the text signed: the sign form's address names it (``?lang=``); the
    form that corrects the address sends it as a field."""
    return translations.lang_param(request) or translations.language_code_clean(
        request.POST.get(translations.LANG_PARAM)
    )


def _sign_inbox(request: HttpRequest, letter: Letter, email: str) -> HttpResponse:
    return _inbox_page(
        request, letter, template="signatories/check_inbox.html", email=email,
        subjects=["confirm", "already_signed"], correctable=True,
    )  # fmt: skip


def sign_form(letter: Letter, data: object = None, *, needs_challenge: bool) -> SignForm:
    # Looked up only if the form is drawn (an error): a valid POST never needs them.
    top = (lambda: signatory_top_countries(letter=letter)) if letter.ask_country else ()
    return SignForm(data, letter=letter, needs_challenge=needs_challenge, top_countries=top)


def _language_asked(request: HttpRequest) -> str:
    """The language the page was shown in, if the visitor asked for it (language cookie or
    browser); "" when the site fell back to its default, so the mail follows the letter."""
    active = translation.get_language()
    header = request.headers.get("Accept-Language", "")
    asked = [request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")]
    asked += [tag for tag, _quality in parse_accept_lang_header(header) if tag != "*"]
    for tag in filter(None, asked):
        try:
            if translation.get_supported_language_variant(tag) == active:
                return active
        except LookupError:
            continue
    return ""


@origin_checked
@require_POST
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    if not letter.is_open:
        return _closed(request, letter)
    network = challenge.request_network(request)
    needs_challenge = challenge.sign_attempt(letter=letter, network=network)
    form = sign_form(letter, request.POST, needs_challenge=needs_challenge)
    if _trapped(form, letter, "sign"):
        return _sign_inbox(request, letter, request.POST.get("email", ""))
    if not form.is_valid():
        context = letter_page_context(letter=letter, request=request, form=form)
        return render(request, "letters/detail.html", context, status=400)
    data = replace(
        form.signature_data(),
        network_key=flags.request_network_key(request),
        language=_language_asked(request),
        # The text the page showed: the form's address names its language, a hidden
        # field its version.
        letter_version_id=translations.signed_version_id(
            letter=letter,
            language=_text_language(request),
            number=request.POST.get("text_version"),
        ),
    )
    client = clients.request_client_keys(request)
    try:
        services.signature_create(letter=letter, data=data, client=client)
    except ServiceError:  # closed between the check and the insert
        return _closed(request, letter)
    return _sign_inbox(request, letter, data.email)


@require_GET
def check_inbox(request: HttpRequest, slug: str) -> HttpResponse:
    """The same advice without the address, for links kept from before it was shown."""
    letter = letter_get_public(slug=slug)
    return render(request, "signatories/check_inbox.html", {"letter": letter})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that open every link confirm nothing."""
    if request.method == "POST":
        state, signature = services.signature_confirm(token=token)
    else:
        signature = services.signature_for_token(token=token)
        state = services.token_state(signature=signature)
    status = {
        "confirmed": 200,
        "already": 200,
        "expired": 400,
        "unknown": 404,
        "unavailable": 409,
        "closed": 409,
    }[state.value]
    done = request.method == "POST"
    context: dict[str, object] = {
        "state": state.value,
        "signature": signature,
        "letter": signature.letter if signature else None,
        "done": done,
    }
    if signature is not None and done and state == services.ConfirmResult.CONFIRMED:
        # The thank-you page: the same for every signer of the letter but for the link
        # to withdraw (and the page's path), so drawn once per process and language.
        letter = signature.letter
        # The thank-you message of the text the signer read, in its language.
        text = translations.signed_text(letter=letter, version_id=signature.letter_version_id)
        context["text"] = text
        key = (letter.pk, letter.slug, letter.title, text.language,
               text.thank_you_message, signature.show_name)  # fmt: skip
        holes = {"withdraw_token": tokens.withdraw_token(signature=signature)}
        template = "signatories/confirm.html"
        return answers.render_with_holes(request, template, context, key=key, holes=holes)
    if state == services.ConfirmResult.EXPIRED:
        context["resend_form"] = ResendForm()
    return render(request, "signatories/confirm.html", context, status=status)


@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    if request.method == "GET":
        return render(request, "signatories/resend.html", {"letter": letter, "form": ResendForm()})
    form = ResendForm(request.POST)
    if _trapped(form, letter, "new link"):
        return _resend_inbox(request, letter, request.POST.get("email", ""))
    if not form.is_valid():
        return render(
            request, "signatories/resend.html", {"letter": letter, "form": form}, status=400
        )
    services.signature_resend(letter=letter, email=form.cleaned_data["email"])
    return _resend_inbox(request, letter, form.cleaned_data["email"])


def _resend_inbox(request: HttpRequest, letter: Letter, email: str) -> HttpResponse:
    return _inbox_page(
        request, letter, template="signatories/check_inbox.html", email=email,
        subjects=["confirm"],
    )  # fmt: skip


def _withdraw_inbox(request: HttpRequest, letter: Letter, email: str) -> HttpResponse:
    return _inbox_page(
        request, letter, template="signatories/withdraw_sent.html", email=email,
        subjects=["withdraw"],
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def withdraw_request(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    form = ResendForm(request.POST or None)
    if request.method == "POST" and _trapped(form, letter, "withdrawal"):
        return _withdraw_inbox(request, letter, request.POST.get("email", ""))
    if request.method == "POST" and form.is_valid():
        services.signature_withdraw_request(letter=letter, email=form.cleaned_data["email"])
        return _withdraw_inbox(request, letter, form.cleaned_data["email"])
    status = 400 if request.method == "POST" else 200
    context = {"letter": letter, "form": form}
    return render(request, "signatories/withdraw_request.html", context, status=status)


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button, like the confirmation link."""
    state, signature = services.signature_for_withdraw_token(token=token)
    done = False
    if request.method == "POST" and signature is not None:
        done = services.signature_withdraw(signature=signature)
        if not done:  # withdrawn by a parallel request meanwhile
            state = services.ConfirmResult.ALREADY
    status = {"confirmed": 200, "already": 410, "expired": 400, "unknown": 404}[state.value]
    context = {"state": state.value, "signature": signature, "done": done}
    return render(request, "signatories/withdraw.html", context, status=status)


@require_http_methods(["GET", "POST"])
def not_me(request: HttpRequest, token: str) -> HttpResponse:
    """ "I didn't sign this": GET explains and shows a button, only POST acts."""
    if request.method == "POST":
        result = services.signature_disown(token=token)
    else:
        result, _data = services.not_me_for_token(token=token)
    status = {"ask": 200, "done": 200, "confirmed": 409, "expired": 400, "unknown": 404}[
        result.state.value
    ]
    signature = result.signature
    context = {
        "state": result.state.value,
        "letter": result.letter,
        "withdraw_token": tokens.withdraw_token(signature=signature) if signature else None,
    }
    return render(request, "signatories/not_me.html", context, status=status)


@require_GET
@never_cache
def challenge_new(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge for the sign form's widget: no cookie, never cached."""
    return JsonResponse(challenge.challenge_create())


@public_page
@require_GET
def signatory_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every named, confirmed signatory of a letter, verified ones first; searchable, with
    a breakdown by country and profession. Its first page, and those reached by a valid
    position link, are kept for anonymous visitors (letters/pagecache.py)."""
    return page_serve(
        request,
        kind="signatories",
        slug=slug,
        draw=lambda: _signatory_list(request, slug),
        query=_is_position_link(request),
    )


def _is_position_link(request: HttpRequest) -> bool:
    """Whether the query string is only a valid position (``?after=`` or ``?before=``, as
    the page's "Older"/"Newer" links give them): such pages are kept too, apart. Any other
    query (a search, a bad position, a tracking tag) is drawn each time."""
    fields = list(request.GET.lists())
    if len(fields) != 1 or fields[0][0] not in ("after", "before") or len(fields[0][1]) != 1:
        return False
    try:
        Position.decode(fields[0][1][0])
    except BadPosition:
        return False
    return True


def _signatory_list(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    live = getattr(request, "letter_live", None)
    if not isinstance(live, LetterLive):
        # A page drawn for this request alone (a search, a personal request): the same
        # one round trip as the count, and the version the breakdown is drawn for.
        live = letter_live_get(slug=slug)
    if live is not None and live.facts.id == letter.pk:
        counts = live.counts
    else:
        live = None
        counts = counters.counts_get(letter_id=letter.pk)
    breakdown = signatory_breakdown(letter_id=letter.pk)
    form = SignatorySearchForm(request.GET, breakdown=breakdown)
    drawn = breakdown_html(
        letter_id=letter.pk,
        breakdown=breakdown,
        counts=counts,
        live=live,
    )
    context = {"letter": letter, "counts": counts, "breakdown_html": drawn, "form": form}
    if not form.is_valid():
        return render(request, "letters/signatories.html", context, status=400)
    query, after, before = form.query(), form.cleaned_data["after"], form.cleaned_data["before"]
    if not query.narrows and after is None and before is None and request.GET.get("page"):
        # A numbered link from before pages were found by position: still answered.
        page = signatory_page_numbered(letter=letter, number=request.GET["page"])
    else:
        page = signatory_search_page(letter=letter, query=query, after=after, before=before)
    context["results" if query.narrows else "page"] = page
    if not query.narrows:
        context["page_items"] = signatory_items_html(page.items)
    return render(request, "letters/signatories.html", context)


@public_page
@require_GET
def figures(request: HttpRequest, slug: str) -> HttpResponse:
    """The public count of a letter day by day, from its event log, one row per day (the
    correction log and the chart link to a day's row)."""
    letter = letter_get_public(slug=slug)
    days = daily_figures(letter_id=letter.pk, time_zone=letter.time_zone)
    context = {"letter": letter, "days": list(reversed(days)), "time_zone": letter.time_zone}
    return render(request, "signatories/figures.html", context)
