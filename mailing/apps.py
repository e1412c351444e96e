from django.apps import AppConfig


class MailingConfig(AppConfig):
    """Outgoing mail mechanics shared by every app; it has no models."""

    name = "mailing"
