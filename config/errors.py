"""The answer to a form stopped by the CSRF check, in the site's own page.

Under /api/ and on /oembed, embeds.http.JsonErrorMiddleware turns this page into the
API's JSON error, as it does every error there.
"""

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def retry_url(request: HttpRequest) -> str:
    """The page the form came from when the browser names it and it is ours, else home."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("letters:index")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    context = {"retry_url": retry_url(request), "no_cookie": reason == REASON_NO_CSRF_COOKIE}
    return render(request, "403_csrf.html", context, status=403)
