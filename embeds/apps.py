from typing import Any

from django.apps import AppConfig


class EmbedsConfig(AppConfig):
    name = "embeds"
    verbose_name = "Embeds"

    def ready(self) -> None:
        from embeds import pages
        from letters.pages import letter_part_register
        from letters.signals import letter_published
        from signatories.signals import count_increased

        letter_part_register(pages.letter_part)
        letter_published.connect(_on_letter_published, dispatch_uid="embeds-share-card-publish")
        count_increased.connect(_on_count_increased, dispatch_uid="embeds-share-card-count")


def _on_letter_published(*, letter_id: int, **kwargs: Any) -> None:
    from embeds.services import share_card_refresh

    share_card_refresh(letter_id=letter_id)


def _on_count_increased(*, letter_id: int, total: int | None, **kwargs: Any) -> None:
    """Queue a share card when the count reaches a milestone; with no total at hand (no
    count in Redis yet) the refresh reads, and so rebuilds, it."""
    from embeds.services import share_card_maybe_refresh, share_card_refresh

    if total is None:
        share_card_refresh(letter_id=letter_id)
    else:
        share_card_maybe_refresh(letter_id=letter_id, count=total)
