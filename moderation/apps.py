from typing import Any

from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from letters.pages import letter_part_register
        from moderation import pages
        from moderation.models import ModerationAction

        letter_part_register(pages.letter_part)

        # Not business logic but cache coherence: the letter page shows its correction log link,
        # so every write of one replaces the letter's version (letters/facts.py).
        post_save.connect(
            _written, sender=ModerationAction, dispatch_uid="moderation-letter-version-save"
        )
        post_delete.connect(
            _written, sender=ModerationAction, dispatch_uid="moderation-letter-version-delete"
        )


def _written(*, instance: Any, **kwargs: Any) -> None:
    from letters.facts import facts_changed

    facts_changed(letter_id=instance.letter_id)
