"""Public pages for organizers' updates, and the unsubscribe link every update carries."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from letters.selectors import letter_get_public
from updates import services as updates


@require_GET
def update_list(request: HttpRequest, slug: str) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    items = updates.update_list_public(letter=letter)
    return render(request, "updates/list.html", {"letter": letter, "updates": items})


@require_GET
def update_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = letter_get_public(slug=slug)
    update = get_object_or_404(updates.update_list_public(letter=letter), pk=pk)
    context = {
        "letter": letter,
        "update": update,
        "body_html": updates.update_body_html(update=update),
    }
    return render(request, "updates/detail.html", context)


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie and no CSRF
# token. The signed token in the URL is the authorisation, and unsubscribing is harmless
# and idempotent, so this one view is exempt.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: a mail scanner that opens the link changes nothing."""
    signature = updates.signature_for_unsubscribe(token=token)
    if signature is None:
        return render(request, "updates/unsubscribe.html", {"signature": None}, status=404)
    done = request.method == "POST"
    if done:
        updates.signature_unsubscribe(signature=signature)
    context = {"signature": signature, "letter": signature.letter, "done": done}
    return render(request, "updates/unsubscribe.html", context)
