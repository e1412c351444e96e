import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from letters.models import Letter
from letters.validators import multi_line, single_line
from mailing.addresses import email_normalize
from signatories.exports import DEFAULT_FIELDS, EXPORT_FIELDS
from signatories.models import ExportLog
from signatories.services import SignatureData

_OPTIONAL_FIELDS = {
    "role": "ask_role",
    "organization": "ask_organization",
    "country": "ask_country",
    "city": "ask_city",
    "comment": "ask_comment",
}


class NormalizedEmailField(forms.EmailField):
    """Applies Unicode NFKC first, so that full-width or composed look-alikes validate and
    match their plain form."""

    def to_python(self, value: object) -> str:
        return unicodedata.normalize("NFKC", super().to_python(value) or "")


def _country_choices() -> list[tuple[str, str]]:
    """Country names in the language of the request, sorted for it."""
    return [("", "—"), *countries]


# Rendered blank country selects, by language and attributes: the same for every visitor.
_BLANK_SELECTS: dict[tuple[object, ...], SafeString] = {}


class CountrySelect(forms.Select):
    """The country list, drawn once per language while nothing is chosen.

    Drawing some 250 options through the widget templates was most of the letter page's
    rendering time (docs/benchmarks.md).
    """

    def render(self, name: str, value: object, attrs: dict[str, object] | None = None,
               renderer: object = None) -> SafeString:  # fmt: skip
        if value not in (None, ""):
            return super().render(name, value, attrs, renderer)  # type: ignore[arg-type]
        built = self.build_attrs(self.attrs, attrs)  # type: ignore[arg-type]
        key = (get_language(), name, tuple(sorted(built.items())))
        html = _BLANK_SELECTS.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)  # type: ignore[arg-type]
            if len(_BLANK_SELECTS) < 256:
                _BLANK_SELECTS[key] = html
        return html


class SignForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"), max_length=200, validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )  # fmt: skip
    email = NormalizedEmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send you a link to confirm. It is never shown publicly."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    role = forms.CharField(
        label=_("Profession or role"), max_length=120, required=False, validators=[single_line]
    )
    organization = forms.CharField(
        label=_("Organization"), max_length=200, required=False, validators=[single_line]
    )
    country = forms.ChoiceField(
        label=_("Country"), choices=_country_choices, required=False, widget=CountrySelect
    )
    city = forms.CharField(
        label=_("City"), max_length=120, required=False, validators=[single_line]
    )
    comment = forms.CharField(
        label=_("Short public comment"),
        max_length=500,
        required=False,
        validators=[multi_line],
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )
    show_name = forms.BooleanField(
        label=_("Show my name publicly"),
        required=False,
        initial=True,
        help_text=_("If unticked you are counted, and listed only as one of the unnamed."),
    )
    consent = forms.BooleanField(
        label=_("I agree to the privacy notice"),
        error_messages={"required": _("Please agree to the privacy notice to sign.")},
        template_name="signatories/_consent_field.html",
    )
    updates = forms.BooleanField(
        label=_("Send me updates from the organizers of this letter"), required=False
    )

    def __init__(self, *args: object, letter: Letter, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.letter = letter
        for field, flag in _OPTIONAL_FIELDS.items():
            if not getattr(letter, flag):
                del self.fields[field]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Please enter your name."), code="blank")
        return name

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        try:
            email_normalize(email=email)
        except ValueError:
            raise ValidationError(_("Enter a valid email address."), code="invalid") from None
        return email

    def signature_data(self) -> SignatureData:
        data = self.cleaned_data
        return SignatureData(
            name=data["name"],
            email=data["email"],
            role=data.get("role", ""),
            organization=data.get("organization", ""),
            country=data.get("country", "") or "",
            city=data.get("city", ""),
            comment=data.get("comment", ""),
            show_name=data["show_name"],
            opt_in_updates=data["updates"],
        )


class ResendForm(forms.Form):
    email = NormalizedEmailField(label=_("Email"), max_length=254)


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("File format"),
        choices=ExportLog.Format.choices,
        initial=ExportLog.Format.CSV,
        widget=forms.RadioSelect,
    )
    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        choices=list(EXPORT_FIELDS.items()),
        initial=list(DEFAULT_FIELDS),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one column to export.")},
    )
