from typing import Any

from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from letters.models import Letter

        # Not business logic but cache coherence: every write of a letter, the admin's and
        # the shell's included, must reach the cached public facts (letters/facts.py).
        post_save.connect(_letter_written, sender=Letter, dispatch_uid="letters-facts-save")
        post_delete.connect(_letter_written, sender=Letter, dispatch_uid="letters-facts-delete")


def _letter_written(*, instance: Any, **kwargs: Any) -> None:
    from letters.facts import facts_changed

    facts_changed(letter_id=instance.pk)
