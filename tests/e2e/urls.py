"""The site's URLs plus a stand-in newspaper article that pastes our snippet."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csp import csp_override

from config.urls import urlpatterns as site_urlpatterns


@csp_override({})
def article(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(request.GET["html"])
    if "csp" in request.GET:  # a publisher with a CSP of its own
        response["Content-Security-Policy"] = request.GET["csp"]
    return response


urlpatterns = [path("test-article/", article), *site_urlpatterns]
