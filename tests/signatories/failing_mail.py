"""A mail backend whose server refuses every message, for failure-path tests."""

from smtplib import SMTPRecipientsRefused

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise SMTPRecipientsRefused({"x@example.org": (550, b"refused")})
