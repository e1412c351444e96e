from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.models import Letter, Membership
from letters.validators import multi_line, reject_control_characters, single_line


class LetterForm(forms.ModelForm):
    """Create or edit a letter. The slug is fixed once the letter is public."""

    class Meta:
        model = Letter
        fields = [
            "title", "slug", "summary", "organizer_name", "addressee", "contact_email", "body",
            "language", "invited_signers", "goal",
            "closes_at", "thank_you_message", "ask_role", "ask_organization", "ask_country",
            "ask_city", "ask_comment", "require_challenge",
        ]  # fmt: skip
        labels = {"slug": _("Web address")}
        help_texts = {
            "slug": _("The last part of the letter's address: lower-case letters, digits and "
                      "hyphens. It cannot change once the letter is published."),
            "closes_at": _("Date and time in UTC. Leave empty to keep signing open."),
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

    def clean_closes_at(self) -> Any:
        closes_at = self.cleaned_data["closes_at"]
        original = self.instance.closes_at
        # The widget shows minutes: a date sent back untouched keeps its stored value, even
        # once it has passed, so that a closed letter can still be edited.
        if closes_at and original and closes_at == original.replace(second=0, microsecond=0):
            return original
        if closes_at and closes_at <= timezone.now():
            raise forms.ValidationError(
                _("Choose a closing date in the future, or leave it empty."), code="past"
            )
        return closes_at


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
