"""Mail backends whose server refuses every message, for failure-path tests."""

from smtplib import SMTPRecipientsRefused

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    """A permanent refusal: 550, the mailbox does not exist."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise SMTPRecipientsRefused({"x@example.org": (550, b"refused")})


class TransientBackend(BaseEmailBackend):
    """A temporary refusal: 451, try again later."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise SMTPRecipientsRefused({"x@example.org": (451, b"try again later")})
