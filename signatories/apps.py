from django.apps import AppConfig


class SignatoriesConfig(AppConfig):
    name = "signatories"

    def ready(self) -> None:
        from letters.pagecache import page_state_register
        from letters.pages import index_part_register, letter_part_register
        from mailing.status import reporter_register
        from signatories import outbox, pages

        letter_part_register(pages.letter_part)
        index_part_register(pages.index_part)
        page_state_register("letter", pages.letter_page_state)
        page_state_register("signatories", pages.signatories_page_state)
        page_state_register("index", pages.index_page_state)
        reporter_register(outbox.outbox_status)
