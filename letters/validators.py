"""Validators every app's forms use for text that people type."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def reject_control_characters(value: str, *, allow_newlines: bool = False) -> None:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    for char in value:
        if char not in allowed and unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co"}:
            raise ValidationError(
                _("Remove the invisible control characters from this field."), code="control"
            )


def single_line(value: str) -> None:
    """A one-line text: no control characters, no line breaks, no bidi overrides."""
    reject_control_characters(value)


def multi_line(value: str) -> None:
    """A text of several lines: line breaks and tabs, but no other control characters."""
    reject_control_characters(value, allow_newlines=True)
