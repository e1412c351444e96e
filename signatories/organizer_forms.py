from django import forms
from django.utils.translation import gettext_lazy as _

from signatories.exports import DEFAULT_FIELDS, EXPORT_FIELDS
from signatories.forms import reject_control_characters
from signatories.models import ExportLog, Update


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


def _single_line(value: str) -> None:
    reject_control_characters(value)


def _multi_line(value: str) -> None:
    reject_control_characters(value, allow_newlines=True)


class UpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}
        error_messages = {
            "title": {"required": _("Give the update a title.")},
            "body": {"required": _("Write the text of the update.")},
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["title"].validators.append(_single_line)
        self.fields["body"].validators.append(_multi_line)
