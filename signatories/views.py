from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from letters.selectors import letter_get_public
from letters.views import letter_page_context
from signatories import flags, services
from signatories.forms import ResendForm, SignForm


@require_POST
def sign(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    if not letter.is_open:
        context = letter_page_context(letter=letter)
        return render(request, "letters/detail.html", context, status=409)
    form = SignForm(request.POST, letter=letter)
    if not form.is_valid():
        context = letter_page_context(letter=letter, form=form)
        return render(request, "letters/detail.html", context, status=400)
    data = replace(form.signature_data(), network_key=flags.request_network_key(request))
    try:
        services.signature_create(letter=letter, data=data)
    except services.LetterNotOpen:
        return render(request, "letters/detail.html", letter_page_context(letter=letter), status=409)
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
    status = 200 if state in {services.ConfirmResult.CONFIRMED, services.ConfirmResult.ALREADY} else 400
    if state == services.ConfirmResult.UNKNOWN:
        status = 404
    context = {
        "state": state.value,
        "signature": signature,
        "letter": signature.letter if signature else None,
        "done": request.method == "POST",
        "resend_form": ResendForm(),
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
