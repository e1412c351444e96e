from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Preference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = Preference
        fields = ["digest", "milestones", "each_verified", "language"]
        help_texts = {
            "digest": _(
                "Once a day: new confirmed and verified signatures, open signals and held "
                "signatures. Not sent on a day with nothing to tell."
            ),
            "milestones": _(
                "When the count reaches the letter's goal, 100, 500, 1,000, 5,000 and so on."
            ),
            "each_verified": _("An email each time an organizer verifies a signatory."),
        }
        error_messages = {
            "language": {
                "invalid_choice": _("Choose one of the languages in the list."),
                "required": _("Choose the language of these emails."),
            },
        }
