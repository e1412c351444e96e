from typing import Any

from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "letters"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from letters.models import Letter, LetterTranslation

        # Not business logic but cache coherence: every write of a letter, the admin's and
        # the shell's included, must reach the cached public facts (letters/facts.py).
        post_save.connect(_letter_written, sender=Letter, dispatch_uid="letters-facts-save")
        post_delete.connect(_letter_written, sender=Letter, dispatch_uid="letters-facts-delete")
        # A translation is part of the letter's page (its text, the "also in" list).
        for signal, uid in ((post_save, "save"), (post_delete, "delete")):
            signal.connect(
                _translation_written,
                sender=LetterTranslation,
                dispatch_uid=f"letters-translation-facts-{uid}",
            )


def _letter_written(*, instance: Any, **kwargs: Any) -> None:
    from letters.facts import facts_changed

    facts_changed(letter_id=instance.pk)


def _translation_written(*, instance: Any, **kwargs: Any) -> None:
    from letters.facts import facts_changed

    facts_changed(letter_id=instance.letter_id)
