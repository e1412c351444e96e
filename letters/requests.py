"""The request type of organizer views."""

from django.contrib.auth.models import User
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a view behind ``login_required``: its user is a signed-in account.

    Only for annotations (django-stubs' recommended pattern); Django still passes an
    ordinary HttpRequest.
    """

    user: User
