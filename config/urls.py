from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.generic import TemplateView

from letters.accounts import admin_login


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("letters.urls")),
    path("organize/", include("letters.organizer_urls")),
    path("", include("signatories.urls")),
    path("", include("moderation.urls")),
    path("", include("updates.urls")),
    path("", include("embeds.urls")),
    path("", include("mailing.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("privacy/", TemplateView.as_view(template_name="privacy.html"), name="privacy"),
    path("healthz", healthz),
    # Before the admin's own login view, which would skip two-factor authentication.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from config import devmail

    urlpatterns += [
        path("dev/outbox/", devmail.outbox_list, name="dev-outbox"),
        path("dev/outbox/<str:name>", devmail.outbox_message, name="dev-outbox-message"),
    ]
