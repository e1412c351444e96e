from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters.errors import ServiceError
from letters.models import Letter
from letters.pages import letter_page_context
from letters.selectors import letter_get_public
from signatories import counters, flags, services, tokens
from signatories.forms import ResendForm, SignForm
from signatories.selectors import signatory_page


def _closed(request: HttpRequest, letter: Letter) -> HttpResponse:
    context = letter_page_context(letter=letter)
    return render(request, "letters/detail.html", context, status=409)


@require_POST
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    if not letter.is_open:
        return _closed(request, letter)
    form = SignForm(request.POST, letter=letter)
    if not form.is_valid():
        context = letter_page_context(letter=letter, form=form)
        return render(request, "letters/detail.html", context, status=400)
    data = replace(form.signature_data(), network_key=flags.request_network_key(request))
    try:
        services.signature_create(letter=letter, data=data)
    except ServiceError:  # closed between the check and the insert
        return _closed(request, letter)
    return redirect("signatories:check-inbox", slug=letter.slug)


@require_GET
def check_inbox(request: HttpRequest, slug: str) -> HttpResponse:
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
    context = {
        "state": state.value,
        "signature": signature,
        "letter": signature.letter if signature else None,
        "done": request.method == "POST",
        "resend_form": ResendForm(),
        "withdraw_token": tokens.withdraw_token(signature=signature) if signature else None,
    }
    return render(request, "signatories/confirm.html", context, status=status)


@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    if request.method == "GET":
        return render(request, "signatories/resend.html", {"letter": letter, "form": ResendForm()})
    form = ResendForm(request.POST)
    if not form.is_valid():
        return render(
            request, "signatories/resend.html", {"letter": letter, "form": form}, status=400
        )
    services.signature_resend(letter=letter, email=form.cleaned_data["email"])
    return redirect("signatories:check-inbox", slug=letter.slug)


@require_http_methods(["GET", "POST"])
def withdraw_request(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.signature_withdraw_request(letter=letter, email=form.cleaned_data["email"])
        return redirect("signatories:check-inbox", slug=letter.slug)
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


@require_GET
def signatory_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every named, confirmed signatory of a letter, verified ones first."""
    letter = letter_get_public(slug=slug)
    page = signatory_page(letter=letter, number=request.GET.get("page"))
    counts = counters.counts_get(letter_id=letter.pk)
    return render(
        request, "letters/signatories.html", {"letter": letter, "page": page, "counts": counts}
    )
