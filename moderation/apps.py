from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"

    def ready(self) -> None:
        from letters.pages import letter_part_register
        from moderation import pages

        letter_part_register(pages.letter_part)
