from typing import Any

from django.apps import AppConfig


class UpdatesConfig(AppConfig):
    name = "updates"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from letters.pages import letter_part_register
        from mailing.status import reporter_register
        from updates import pages, services
        from updates.models import Update

        letter_part_register(pages.letter_part)
        reporter_register(services.deliveries_status)

        # Not business logic but cache coherence: the letter page shows its updates,
        # so every write of one replaces the letter's version (letters/facts.py).
        post_save.connect(_written, sender=Update, dispatch_uid="updates-letter-version-save")
        post_delete.connect(_written, sender=Update, dispatch_uid="updates-letter-version-delete")


def _written(*, instance: Any, **kwargs: Any) -> None:
    from letters.facts import facts_changed

    facts_changed(letter_id=instance.letter_id)
