from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from mailing.suppression import hash_is_suppressed, hash_suppress, never_token_load


@require_http_methods(["GET", "POST"])
def never(request: HttpRequest, token: str) -> HttpResponse:
    """ "Never email me again": GET explains and shows a button, only POST acts, so a mail
    scanner that opens every link changes nothing."""
    state, digest = never_token_load(token=token)
    done = False
    if digest is not None:
        if request.method == "POST":
            hash_suppress(digest=digest)
            done = True
        elif hash_is_suppressed(digest=digest):
            state = "already"
    status = {"valid": 200, "already": 200, "expired": 400, "unknown": 404}[state]
    return render(request, "mailing/never.html", {"state": state, "done": done}, status=status)
