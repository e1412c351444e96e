"""The form renderer: every form field of the site is drawn by one template."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's widgets, with ``templates/forms/field.html`` around each field.

    TemplatesSetting reads templates through TEMPLATES, so the field template sits with the
    others in templates/; Django's own widget templates come from "django.forms" in
    INSTALLED_APPS. Templates draw a field with ``{{ field.as_field_group }}``.
    """

    field_template_name = "forms/field.html"
