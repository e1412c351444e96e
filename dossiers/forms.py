from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.texts import Text


class DossierForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the letter's text"), required=False)

    def __init__(self, *args: object, texts: list[Text], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [(text.language, text.language_name) for text in texts]
        if len(choices) > 1:
            choices.insert(0, ("", str(_("All languages"))))
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.initial = choices[0][0] if choices else ""
