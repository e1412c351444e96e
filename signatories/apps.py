from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"

    def ready(self) -> None:
        from letters.pages import index_part_register, letter_part_register
        from mailing.status import reporter_register
        from signatories import outbox, pages

        letter_part_register(pages.letter_part)
        index_part_register(pages.index_part)
        reporter_register(outbox.outbox_status)
