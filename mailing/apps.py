from django.apps import AppConfig


class MailingConfig(AppConfig):
    """Outgoing mail mechanics shared by every app, and the one list every mail honours:
    the addresses that asked never to be emailed again (SuppressedAddress)."""

    name = "mailing"
