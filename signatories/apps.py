from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"
