from django.apps import AppConfig


class UpdatesConfig(AppConfig):
    name = "updates"

    def ready(self) -> None:
        from letters.pages import letter_part_register
        from mailing.status import reporter_register
        from updates import pages, services

        letter_part_register(pages.letter_part)
        reporter_register(services.deliveries_status)
