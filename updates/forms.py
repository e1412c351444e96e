from django import forms
from django.utils.translation import gettext_lazy as _

from letters.validators import multi_line, single_line
from updates.models import Update


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
        self.fields["title"].validators.append(single_line)
        self.fields["body"].validators.append(multi_line)
