import time
import unicodedata
from collections.abc import Callable, Sequence
from copy import copy
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import format_lazy
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from letters.models import Letter
from letters.validators import multi_line, single_line
from mailing.addresses import email_normalize
from mailing.kept import Kept
from signatories import challenge
from signatories.exports import DEFAULT_FIELDS, EXPORT_FIELDS
from signatories.models import ExportLog
from signatories.selectors import BadPosition, Breakdown, Position, SignatoryQuery
from signatories.services import SignatureData, source_clean

CHALLENGE_MESSAGE = _(
    "Complete the check that you are a person: it runs in your browser and needs JavaScript. "
    "Nothing was saved."
)
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


def _country_choices_grouped(top: Sequence[str]) -> list[tuple[str, Any]]:
    """The countries chosen most on a letter first, then every country."""
    return [
        ("", "—"),
        (gettext("Chosen most on this letter"), [(code, countries.name(code)) for code in top]),
        (gettext("All countries"), list(countries)),
    ]


# Rendered blank country selects, by language, attributes and the letter's top countries:
# the same for every visitor of a letter. The oldest drawing makes room for a new one.
_BLANK_SELECTS: Kept[tuple[object, ...], SafeString] = Kept(256)


class CountrySelect(forms.Select):
    """The country list, drawn once per language while nothing is chosen.

    Drawing some 250 options through the widget templates was most of the letter page's
    rendering time (docs/benchmarks.md). ``top`` lists the countries to offer first, in a
    group of their own above every country; a function that gives them is called only
    when the select is drawn (a valid sign POST never draws it).
    """

    top: tuple[str, ...] | Callable[[], Sequence[str]] = ()

    def _drawn(self, name: str, value: object, attrs: dict[str, object] | None,
               renderer: object) -> SafeString:  # fmt: skip
        widget = self
        if self.top and not callable(self.top):
            widget = copy(self)
            widget.choices = _country_choices_grouped(self.top)
        return forms.Select.render(widget, name, value, attrs, renderer)  # type: ignore[arg-type]

    def render(self, name: str, value: object, attrs: dict[str, object] | None = None,
               renderer: object = None) -> SafeString:  # fmt: skip
        if callable(self.top):
            self.top = tuple(self.top())
        if value not in (None, ""):
            return self._drawn(name, value, attrs, renderer)
        built = self.build_attrs(self.attrs, attrs)  # type: ignore[arg-type]
        key = (get_language(), name, tuple(sorted(built.items())), self.top)
        html = _BLANK_SELECTS.get(key)
        if html is None:
            html = self._drawn(name, value, attrs, renderer)
            _BLANK_SELECTS.keep(key, html)
        return html


STAMP_SALT = "signatories.forms.stamp"
BOT_FIELDS = ("website", "stamp")


def form_stamp(*, at: float | None = None) -> str:
    """A signed note of when a form was drawn (now, unless ``at`` says otherwise)."""
    return signing.dumps(round(time.time() if at is None else at, 3), salt=STAMP_SALT)


def stamp_problem(value: object) -> str:
    """Why a form's stamp shows it was not filled by a person, or "" when it does not."""
    if not value or not isinstance(value, str):
        return "missing stamp"
    try:
        issued = float(signing.loads(value, salt=STAMP_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return "bad stamp"
    age = time.time() - issued
    if age < settings.MIN_FILL_SECONDS:
        return "too fast"
    if age > settings.FORM_STAMP_MAX_AGE_HOURS * 3600:
        return "expired stamp"
    return ""


class HoneypotField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.template_name = "forms/honeypot_field.html"


class BotTrapForm(forms.Form):
    """A honeypot and a time stamp for every public form that stores or mails something.

    People never see the honeypot and take a few seconds to fill a form; simple bots fill
    every text field and post at once. Neither check needs JavaScript.
    """

    website = HoneypotField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    stamp = forms.CharField(required=False, widget=forms.HiddenInput, initial=form_stamp)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The traps come after the real fields, whatever the subclass declares.
        self.order_fields([name for name in self.fields if name not in BOT_FIELDS])

    def bot_reason(self) -> str:
        """Why this submission looks automated, or "" when it does not. Reads the raw data,
        so it can run before (and instead of) validation."""
        if self.data.get("website"):
            return "honeypot"
        return stamp_problem(self.data.get("stamp"))


class ChallengeWidget(forms.Widget):
    """The ALTCHA widget: it fetches a challenge, solves it and posts the answer."""

    template_name = "signatories/_challenge_widget.html"


# Drawn blank sign forms, by what they are drawn from (see SignForm.fields_html), the
# stamp left out: the same for every visitor of a letter. The oldest drawing leaves first.
_BLANK_FORMS: Kept[tuple[object, ...], str] = Kept(256)
_STAMP_HOLE = "\x00stamp\x00"


class SignForm(BotTrapForm):
    name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        validators=[single_line],
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words"}),
    )
    email = NormalizedEmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We send you a link to confirm. It is never shown publicly."),
        error_messages={"required": _("Enter your email address.")},
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    role = forms.CharField(
        label=_("Profession or role"),
        max_length=120,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    organization = forms.CharField(
        label=_("Organization"),
        max_length=200,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    country = forms.ChoiceField(
        label=_("Country"),
        choices=_country_choices,
        required=False,
        widget=CountrySelect(attrs={"autocomplete": "country"}),
    )
    city = forms.CharField(
        label=_("City"),
        max_length=120,
        required=False,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
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
        error_messages={"required": _("Tick the box to agree to the privacy notice.")},
        template_name="signatories/_consent_field.html",
    )
    updates = forms.BooleanField(
        label=_("Send me updates from the organizers of this letter"), required=False
    )
    # Where the signer came from (a link's or an embed's ``ref``): carried in the form, never
    # in a cookie. A bad one is dropped, not shown as an error.
    ref = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: object,
        letter: Letter,
        needs_challenge: bool = False,
        top_countries: Sequence[str] | Callable[[], Sequence[str]] = (),
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.letter = letter
        self.needs_challenge = needs_challenge
        for field, flag in _OPTIONAL_FIELDS.items():
            if not getattr(letter, flag):
                del self.fields[field]
            else:
                label = self.fields[field].label
                self.fields[field].label = format_lazy(_("{label} (optional)"), label=label)
        if "country" in self.fields:
            widget = self.fields["country"].widget
            if isinstance(widget, CountrySelect):
                widget.top = top_countries if callable(top_countries) else tuple(top_countries)
        if needs_challenge:
            self.fields["altcha"] = forms.CharField(
                label=_("Check that you are a person"),
                widget=ChallengeWidget,
                error_messages={"required": CHALLENGE_MESSAGE},
            )
            self.order_fields([name for name in self.fields if name not in BOT_FIELDS])

    def fields_html(self) -> SafeString:
        """Every field of the form, drawn. A blank form is drawn once per language, set of
        questions, challenge and top countries; only its stamp is put in each time."""
        if self.is_bound:
            return self._fields_drawn()
        widget = self.fields["country"].widget if "country" in self.fields else None
        top = widget.top if isinstance(widget, CountrySelect) else ()
        if callable(top):
            top = tuple(top())
            assert isinstance(widget, CountrySelect)
            widget.top = top
        key = (get_language(), tuple(self.fields), top)
        stamp = str(self["stamp"].value())
        html = _BLANK_FORMS.get(key)
        if html is None:
            html = self._fields_drawn(keep_ref=False).replace(stamp, _STAMP_HOLE)
            _BLANK_FORMS.keep(key, html)
        # The ref differs from link to link: drawn apart, and only when there is one.
        ref = str(self["ref"]) if self["ref"].value() else ""
        return mark_safe(html.replace(_STAMP_HOLE, stamp) + ref)  # noqa: S308 (drawn by the widgets)

    def _fields_drawn(self, *, keep_ref: bool = True) -> SafeString:
        visible = "".join(field.as_field_group() for field in self.visible_fields())
        hidden = "".join(
            str(field) for field in self.hidden_fields() if keep_ref or field.name != "ref"
        )
        return mark_safe(visible + hidden)  # noqa: S308 (drawn by the widgets)

    def clean_ref(self) -> str:
        return source_clean(self.cleaned_data["ref"])

    def clean_altcha(self) -> str:
        payload = self.cleaned_data["altcha"]
        if not challenge.solution_accept(payload=payload):
            raise ValidationError(CHALLENGE_MESSAGE, code="challenge")
        return payload

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter your name."), code="blank")
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
            source=data.get("ref", ""),
        )


class ResendForm(BotTrapForm):
    email = NormalizedEmailField(
        label=_("Email"),
        max_length=254,
        error_messages={"required": _("Enter your email address.")},
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


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
    excel_bom = forms.BooleanField(
        label=_("UTF-8 with BOM for Excel"),
        required=False,
        help_text=_(
            "For CSV: starts the file with a byte order mark, so that Excel shows accented "
            "names correctly. Other programs do not need it."
        ),
    )


QUERY_MAX_LENGTH = 100
BAD_PAGE_LINK = _("This page link is not one we gave out. The search starts again from the top.")


def _numbered(label: str, count: int) -> str:
    return f"{label} ({number_format(count, force_grouping=True)})"


# Drawn selects of the search form, by language, name, value, attributes and choices.
_SEARCH_SELECTS: Kept[tuple[object, ...], SafeString] = Kept(256)


class DrawnOnceSelect(forms.Select):
    """A select drawn once per language, value, attributes and choices: drawing hundreds
    of options through the widget templates was most of a signatories page's forms time."""

    def render(self, name: str, value: object, attrs: dict[str, object] | None = None,
               renderer: object = None) -> SafeString:  # fmt: skip
        built = self.build_attrs(self.attrs, attrs)  # type: ignore[arg-type]
        choices = tuple((key, str(label)) for key, label in self.choices)
        key = (get_language(), name, str(value), tuple(sorted(built.items())), choices)
        html = _SEARCH_SELECTS.get(key)
        if html is None:
            html = super().render(name, value, attrs, renderer)  # type: ignore[arg-type]
            _SEARCH_SELECTS.keep(key, html)
        return html


class SignatorySearchForm(forms.Form):
    """The search of the public list of signatories. A GET form: every field is optional,
    and the select lists hold only what named, confirmed signatories entered."""

    q = forms.CharField(
        label=_("Name, profession or organization"),
        required=False,
        max_length=QUERY_MAX_LENGTH,
        validators=[single_line],
        widget=forms.TextInput(attrs={"type": "search", "enterkeyhint": "search"}),
        error_messages={
            "max_length": _(
                "Search for at most %(limit_value)d characters (you typed %(show_value)d)."
            )
        },
    )
    role = forms.CharField(
        label=_("Profession or role"), required=False, max_length=120, validators=[single_line]
    )
    country = forms.CharField(label=_("Country"), required=False, max_length=2)
    after = forms.CharField(required=False)
    before = forms.CharField(required=False)

    def __init__(self, *args: Any, breakdown: Breakdown, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = str(self.data.get("role", "")).strip().lower()
        roles = [(b.key, _numbered(b.label, b.count)) for b in breakdown.role_choices()]
        if role and role not in {key for key, _label in roles}:
            roles.append((role, role))  # beyond the list, e.g. a link someone shared
        self.fields["role"].widget = DrawnOnceSelect(choices=[("", _("Any")), *roles])
        places = [(b.key, _numbered(b.label, b.count)) for b in breakdown.country_choices()]
        self.fields["country"].widget = DrawnOnceSelect(choices=[("", _("Any")), *places])
        self.fields["country"].error_messages["max_length"] = _("Choose a country from the list.")

    def clean_role(self) -> str:
        return str(self.cleaned_data["role"]).lower()

    def clean_country(self) -> str:
        code = str(self.cleaned_data["country"]).upper()
        if code and not countries.name(code):
            raise ValidationError(
                _("We know no country with the code “%(code)s”. Choose one from the list."),
                code="unknown_country",
                params={"code": code},
            )
        return code

    def _position(self, name: str) -> Position | None:
        raw = self.cleaned_data.get(name)
        if not raw:
            return None
        try:
            return Position.decode(raw)
        except BadPosition:
            raise ValidationError(BAD_PAGE_LINK, code="bad_position") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["after"] = self._position("after")
        cleaned["before"] = self._position("before")
        return cleaned

    def query(self) -> SignatoryQuery:
        """The valid query; call after ``is_valid()``."""
        data = self.cleaned_data
        return SignatoryQuery(q=data["q"], role=data["role"], country=data["country"])
