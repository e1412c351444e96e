from typing import Any

from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"

    def ready(self) -> None:
        from letters.pagecache import page_state_register
        from letters.pages import index_part_register, letter_part_register
        from mailing.status import reporter_register
        from signatories import figures, outbox, pages

        letter_part_register(pages.letter_part)
        letter_part_register(figures.letter_part)
        index_part_register(pages.index_part)
        page_state_register("letter", pages.letter_page_state)
        page_state_register("signatories", pages.signatories_page_state)
        page_state_register("index", pages.index_page_state)
        reporter_register(outbox.outbox_status)

        # Not business logic but the append-only guard of count events: deleting a letter
        # takes its events with it (signatories/events.py).
        from django.db.models.signals import pre_delete

        from letters.models import Letter

        pre_delete.connect(_letter_deleting, sender=Letter, dispatch_uid="count-events-letter")


def _letter_deleting(*, instance: Any, **kwargs: Any) -> None:
    from signatories.events import letters_deleting

    letters_deleting(letter_ids=[instance.pk])
