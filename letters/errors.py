"""The one base error of every service."""

from django.utils.functional import Promise


class ServiceError(Exception):
    """A request the rules refuse. ``message`` says why, in words for the person who
    asked; views catch this one class and show it (a message, a form error or a page).
    Subclasses may give a ``default_message``."""

    default_message: str | Promise = ""

    def __init__(self, message: str | Promise | None = None) -> None:
        text = str(self.default_message if message is None else message)
        super().__init__(text)
        self.message = text
