import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from letters.validators import multi_line, single_line
from moderation.selectors import HELD_BY_LIMITS, ModerationFilter
from signatories.models import Signature

_DATE_HELP = _("A date like 2026-11-25, or a date and time like 2026-11-25 14:00 (UTC).")
_DATE_ERRORS = {
    "invalid": _("Enter a date like 2026-11-25 or a date and time like 2026-11-25 14:00.")
}
_NETWORK = re.compile(r"^[0-9a-f]{16}$")


class DateTimeInput(forms.DateTimeInput):
    """A text box: a datetime-local box would hide a typed date it cannot show."""

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d %H:%M", attrs={"placeholder": "2026-11-25 14:00"})


class FilterForm(forms.Form):
    """The filters of the moderation list; also the criteria of a bulk removal."""

    q = forms.CharField(
        label=_("Name, email or organization"),
        max_length=100,
        required=False,
        strip=True,
        validators=[single_line],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *Signature.Status.choices],
        required=False,
    )
    country = forms.ChoiceField(
        label=_("Country"), choices=[("", _("Any country")), *countries], required=False
    )
    signed_from = forms.DateTimeField(
        label=_("Signed from"), required=False, widget=DateTimeInput(), help_text=_DATE_HELP,
        error_messages=_DATE_ERRORS,
    )  # fmt: skip
    signed_before = forms.DateTimeField(
        label=_("Signed before"), required=False, widget=DateTimeInput(), help_text=_DATE_HELP,
        error_messages=_DATE_ERRORS,
    )  # fmt: skip
    domain = forms.CharField(
        label=_("Email domain"),
        max_length=254,
        required=False,
        help_text=_("The part after @, for example example.org."),
        validators=[single_line],
    )
    network = forms.CharField(
        label=_("Network"), max_length=16, required=False, widget=forms.HiddenInput
    )
    held_by = forms.ChoiceField(
        label=_("Held by"),
        choices=[
            ("", _("Anyone")),
            (HELD_BY_LIMITS, _("Rate limits")),
            *Signature.HoldReason.choices,
        ],
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This link to held signatures is not valid.")},
    )

    def clean_domain(self) -> str:
        domain = self.cleaned_data["domain"].strip().lower().lstrip("@")
        if domain and (" " in domain or "@" in domain):
            raise ValidationError(_("Enter only the domain, for example example.org."))
        return domain

    def clean_network(self) -> str:
        network = self.cleaned_data["network"].strip()
        if network and not _NETWORK.match(network):
            raise ValidationError(_("This network link is not valid."))
        return network

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("signed_from"), data.get("signed_before")
        if start and end and start >= end:
            self.add_error("signed_before", _("This must be later than “Signed from”."))
        return data

    def filters(self) -> ModerationFilter:
        data = self.cleaned_data
        return ModerationFilter(
            q=data.get("q", ""),
            status=data.get("status", ""),
            country=data.get("country", ""),
            signed_from=data.get("signed_from"),
            signed_before=data.get("signed_before"),
            domain=data.get("domain", ""),
            network=data.get("network", ""),
            held_by=data.get("held_by", ""),
        )


class CursorForm(forms.Form):
    after = forms.IntegerField(min_value=1, required=False)
    before = forms.IntegerField(min_value=1, required=False)


class BulkRemoveForm(FilterForm):
    reason = forms.CharField(
        label=_("Reason for the removal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Published in the letter's correction log. Name no one."),
        error_messages={"required": _("Give a reason for the removal.")},
        validators=[multi_line],
    )
    expected = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        kept = [(value, label) for value, label in Signature.Status.choices if value != "removed"]
        status.choices = [("", _("Any status")), *kept]

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if not self.errors and not self.filters().narrows:
            raise ValidationError(
                _("Choose at least one filter besides the status, such as an email domain."),
                code="too_broad",
            )
        return data


class PreviewForm(BulkRemoveForm):
    """The filter alone, for the preview before the reason is given."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["reason"]


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the removal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Published in the letter's correction log. Name no one."),
        error_messages={"required": _("Give a reason for the removal.")},
        validators=[multi_line],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "remove_%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class HoldForm(forms.Form):
    reason = forms.CharField(
        label=_("Note for the other organizers"),
        max_length=500,
        required=False,
        help_text=_("Not published."),
        validators=[single_line],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("auto_id", "hold_%s")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class VerifyForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How was this signatory verified?"),
        choices=Signature.Verification.choices,
        error_messages={"required": _("Choose how the signatory was verified.")},
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("For the other organizers, for example who checked and where. Not published."),
        validators=[single_line],
    )
