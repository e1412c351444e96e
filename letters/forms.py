from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import LANGUAGE_CODE_MAX_LENGTH, Letter, LetterTranslation, Membership
from letters.validators import multi_line, reject_control_characters, single_line


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def wall_time(moment: datetime, zone: str) -> datetime:
    """What a clock in ``zone`` shows at ``moment``, to the minute, as a naive datetime."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, second=0, microsecond=0)


class LetterForm(forms.ModelForm):
    """Create or edit a letter. The slug is fixed once the letter is public.

    A new letter's slug may be left empty: letters.services derives it from the title.
    The closing date is typed in the letter's time zone and stored in UTC.
    """

    time_zone = forms.TypedChoiceField(
        label=_("Time zone of the closing date"),
        choices=time_zone_choices,
        required=False,
        empty_value="UTC",
        help_text=_("Your browser suggests its own zone; signers see the date with its zone."),
    )

    class Meta:
        model = Letter
        fields = [
            "title", "slug", "summary", "organizer_name", "addressee", "contact_email", "body",
            "language", "invited_signers", "goal", "closes_at", "time_zone",
            "thank_you_message", "ask_role", "ask_organization", "ask_country",
            "ask_city", "ask_comment", "require_challenge", "widget_sign",
        ]  # fmt: skip
        labels = {"slug": _("Web address")}
        help_texts = {
            "slug": _("The last part of the letter's address: lower-case letters, digits and "
                      "hyphens. It cannot change once the letter is published."),
            "closes_at": _("Date and time in the time zone below. Leave empty to keep signing "
                           "open."),
        }  # fmt: skip
        error_messages = {
            "slug": {"unique": _("This address is already taken. Choose another.")},
        }
        widgets = {
            "body": forms.Textarea(attrs={"rows": 18, "data-preview-source": ""}),
            "summary": forms.TextInput(),
            "thank_you_message": forms.Textarea(attrs={"rows": 3}),
            "closes_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Publishing checks for a text; a draft may be saved half-written.
        self.fields["body"].required = False
        single_lines = (
            "summary",
            "organizer_name",
            "addressee",
            "contact_email",
            "invited_signers",
        )
        for name in single_lines:
            self.fields[name].validators.append(single_line)
        for name in ("body", "thank_you_message"):
            self.fields[name].validators.append(multi_line)
        if not self.instance.pk:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = _(
                "The last part of the letter's address: lower-case letters, digits and hyphens. "
                "Left empty, it is made from the title. It cannot change once the letter is "
                "published."
            )
            # static/js/letter-form.js fills these in the browser.
            self.fields["slug"].widget.attrs["data-from-title"] = ""
            if not self.is_bound:
                self.fields["time_zone"].widget.attrs["data-suggest"] = ""
        if self.instance.closes_at:
            self.initial["closes_at"] = wall_time(self.instance.closes_at, self.instance.time_zone)
        if self.instance.pk and self.instance.status != Letter.Status.DRAFT:
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = _("Fixed: the letter is public and links to it exist.")

    def validate_unique(self) -> None:
        """Skip the model's unique check: the slug is its only unique field, and
        letters.services settles a taken one without telling that someone else drafts
        under it, which this check would. The database constraint still holds."""

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        reject_control_characters(title)
        return title

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if cleaned.get("closes_at"):
            closes_at = self._closes_at_in_zone(cleaned["closes_at"], cleaned)
            if closes_at is not None:
                cleaned["closes_at"] = closes_at
        return cleaned

    def _closes_at_in_zone(self, typed: datetime, cleaned: dict[str, Any]) -> datetime | None:
        # The field read the typed wall time as UTC; it was meant in the chosen zone.
        zone = cleaned.get("time_zone") or "UTC"
        wall = timezone.localtime(typed).replace(tzinfo=None)
        original = self.instance.closes_at
        # The widget shows minutes: a date sent back untouched keeps its stored value, even
        # once it has passed, so that a closed letter can still be edited.
        if original and zone == self.instance.time_zone and wall == wall_time(original, zone):
            return original
        closes_at = wall.replace(tzinfo=ZoneInfo(zone))
        if closes_at <= timezone.now():
            self.add_error(
                "closes_at",
                forms.ValidationError(
                    _("Choose a closing date in the future, or leave it empty."), code="past"
                ),
            )
            return None
        return closes_at.astimezone(ZoneInfo("UTC"))


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254, validators=[single_line])
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Membership.Role.EDITOR, _("Editor")), (Membership.Role.VIEWER, _("Viewer"))],
        initial=Membership.Role.EDITOR,
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(Membership.Role.EDITOR, _("Editor")), (Membership.Role.VIEWER, _("Viewer"))]
    )


class TranslationForm(forms.ModelForm):
    """Add or edit the letter's text in another language.

    A new translation names its language: one of the site's languages, or any other by
    its code (``ar``, ``pt-br``). Publishing checks that it is complete; a draft's may be
    saved half-written.
    """

    language = forms.ChoiceField(label=_("Language"), required=False)
    other_language = forms.CharField(
        label=_("Or another language, by its code"),
        required=False,
        max_length=LANGUAGE_CODE_MAX_LENGTH,
        validators=[single_line],
        help_text=_("For example ar for Arabic, pt-br for Brazilian Portuguese."),
    )

    class Meta:
        model = LetterTranslation
        fields = ["title", "summary", "body", "thank_you_message"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 18, "data-preview-source": ""}),
            "summary": forms.TextInput(),
            "thank_you_message": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, letter: Letter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.letter = letter
        self.fields["summary"].validators.append(single_line)
        for name in ("body", "thank_you_message"):
            self.fields[name].validators.append(multi_line)
        if self.instance.pk:  # the language of a translation stays
            del self.fields["language"], self.fields["other_language"]
            return
        site = [(code, name) for code, name in settings.LANGUAGES if code != letter.language]
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", _("Choose a language")), *site]

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        reject_control_characters(title)
        return title

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        if self.instance.pk:
            return cleaned
        chosen, other = cleaned.get("language"), (cleaned.get("other_language") or "").strip()
        if chosen and other:
            self.add_error("other_language", _("Choose a language or type a code, not both."))
        elif not chosen and not other and "other_language" not in self.errors:
            self.add_error("language", _("Choose the language of this translation."))
        cleaned["code"] = chosen or other
        return cleaned
