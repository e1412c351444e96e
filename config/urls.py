from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.i18n import set_language

from letters.accounts import admin_login
from letters.http import origin_checked


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice, with the retention periods this deployment is configured for."""
    context = {
        "retention_days": settings.PENDING_RETENTION_DAYS,
        "link_days": settings.CONFIRMATION_MAX_AGE_DAYS,
        "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
    }
    return render(request, "privacy.html", context)


urlpatterns = [
    # First: the most requested URLs (the counter JSON, badges and widget) are found
    # after the fewest patterns. No pattern of another app matches one of them.
    path("", include("embeds.urls")),
    path("", include("letters.urls")),
    path("organize/", include("letters.organizer_urls")),
    path("", include("signatories.urls")),
    path("", include("moderation.urls")),
    path("", include("updates.urls")),
    path("", include("notifications.urls")),
    path("", include("dossiers.urls")),
    path("", include("mailing.urls")),
    path("accounts/", include("allauth.urls")),
    # The language switcher is on every page, cached ones too: it carries no CSRF token
    # and is checked by origin instead (letters.http, docs/security.md).
    path("i18n/setlang/", origin_checked(set_language), name="set_language"),
    path("privacy/", privacy, name="privacy"),
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
