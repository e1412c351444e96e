"""The letter's text as a dossier prints it, in one language or all of them.

Every part of the dossier takes the letter's words through ``dossier_texts``: the
original first, then each translation (``letters.translations.letter_texts``).
"""

from dataclasses import dataclass

from letters.models import Letter
from letters.services import letter_body_html
from letters.translations import language_is_rtl, language_name_translated, letter_texts


@dataclass(frozen=True)
class Text:
    language: str
    title: str
    body_html: str

    @property
    def direction(self) -> str:
        return "rtl" if language_is_rtl(self.language) else "ltr"

    @property
    def language_name(self) -> str:
        return language_name_translated(self.language)


def dossier_texts(*, letter: Letter, language: str | None = None) -> list[Text]:
    """The letter's texts, the original first; only ``language`` when given.

    An unknown ``language`` gives an empty list.
    """
    texts = [
        Text(
            language=text.language,
            title=text.title,
            body_html=letter_body_html(letter=letter, body=text.body),
        )
        for text in letter_texts(letter=letter)
    ]
    if language:
        return [text for text in texts if text.language == language]
    return texts


def dossier_languages(*, letter: Letter) -> list[Text]:
    """Every text a dossier of ``letter`` may be made in."""
    return dossier_texts(letter=letter)
