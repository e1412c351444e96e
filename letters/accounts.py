"""How django-allauth fits the site: its mail leaves through a Celery worker, and its rate
limits key on the client address the same way as the rest of the site."""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods

from letters.clients import client_ip
from mailing.messages import absolute_url
from mailing.tasks import mail_send_after_commit

if TYPE_CHECKING:
    from allauth.account.models import EmailConfirmation


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render now, send after commit from a worker: no SMTP call inside a request."""
        request = allauth_context.request
        full_context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            # Our templates (templates/account/email/) sign with the site's name, never
            # the host name that allauth's current_site holds without the sites framework.
            "SITE_NAME": settings.SITE_NAME,
            "password_reset_page_url": absolute_url(reverse("account_reset_password")),
            **{key: _on_site(value, request) for key, value in context.items()},
        }
        message = self.render_mail(template_prefix, email, full_context)
        mail_send_after_commit(message=message)

    def get_email_confirmation_url(
        self, request: HttpRequest | None, emailconfirmation: "EmailConfirmation"
    ) -> str:
        """The confirmation link, carrying the page the person signed up from (an
        invitation, say), so that confirming in another browser still leads back there.

        In the browser that signed up, allauth itself logs in and goes to that page.
        """
        url = _on_site(super().get_email_confirmation_url(request, emailconfirmation), request)
        target = _next_of(request)
        return f"{url}?{urlencode({'next': target})}" if target else url

    def get_client_ip(self, request: HttpRequest) -> str:
        """The address allauth's rate limits count per: the site's trusted-proxy rule."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's address.")
        return ip


def _on_site(value: object, request: HttpRequest | None) -> Any:
    """A link allauth wrote on the host the request came to, moved to SITE_URL: mail
    links point where every other email of the site points. Anything else as it is."""
    if request is None or not isinstance(value, str):
        return value
    link = urlsplit(value)
    if not link.scheme or link.netloc != request.get_host():
        return value
    return absolute_url(urlunsplit(("", "", link.path, link.query, link.fragment)))


def _next_of(request: HttpRequest | None) -> str:
    """The request's ``next`` if it is a path on this site, else ""."""
    if request is None:
        return ""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, allowed_hosts=None
    ):
        return ""
    return target


@require_http_methods(["GET", "HEAD", "POST"])
def admin_login(request: HttpRequest) -> HttpResponse:
    """Django admin's login page, replaced: everyone logs in through allauth.

    Django's own admin login checks the password only, so an account with two-factor
    authentication would reach the admin without its second factor, and past allauth's
    rate limits. A POST here logs nobody in.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    user = request.user
    if user.is_authenticated:
        if user.is_active and user.is_staff:
            return redirect(target)
        # Logged in without admin rights: a redirect to the login would loop.
        raise PermissionDenied("This account has no access to the administration.")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
