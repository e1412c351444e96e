"""One letter, several languages, one count.

A letter is written in its own language (``Letter.language``, the original); organizers
may add its text in other languages (``LetterTranslation``). Everything else — the count,
the signatories, the dates, the sign form's questions — belongs to the letter and is
shared by every language. Each language has its own numbered versions (``LetterVersion``
with its ``language``), so a signature's ``letter_version`` says which text, in which
language, its signer agreed to.

Which text a visitor reads: the ``?lang=`` of the URL (one query parameter, the same on
the letter page, the sign form and every public read) when the letter has that text; else
the language the page is shown in when the letter has it; else the original. This module
is the one place that parses ``?lang=`` (``lang_param``) and picks the text.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf.locale import LANG_INFO
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from letters.errors import ServiceError
from letters.models import LANGUAGE_CODE_MAX_LENGTH, Letter, LetterTranslation, LetterVersion

if TYPE_CHECKING:
    from letters.facts import LetterFacts

# The query parameter that names the language of a letter's text, everywhere.
LANG_PARAM = "lang"

_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")

# The fields of a translation, in the order organizers fill them.
TEXT_FIELDS = ("title", "summary", "body", "thank_you_message")
FIELD_NAMES = {
    "title": _("title"),
    "summary": _("summary"),
    "body": _("text"),
    "thank_you_message": _("thank-you message"),
}


class TranslationError(ServiceError):
    """A change to a letter's translations that the rules refuse; ``field`` names the form
    field it is about, if one."""

    def __init__(self, message: str | Promise | None = None, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def language_code_clean(value: object) -> str | None:
    """A language code we can name and lay out (Django's ``LANG_INFO``), lowercased with a
    hyphen (``pt_BR`` → ``pt-br``); None for anything else."""
    if not isinstance(value, str) or len(value) > LANGUAGE_CODE_MAX_LENGTH:
        return None
    code = value.strip().lower().replace("_", "-")
    if not _CODE.fullmatch(code) or "name_local" not in LANG_INFO.get(code, {}):
        return None
    return code


def lang_param(request: HttpRequest) -> str | None:
    """The language named by the request's ``?lang=``, cleaned; None when there is none or
    it names no language we know. Whether the letter has that text is ``text_for``'s."""
    return language_code_clean(request.GET.get(LANG_PARAM))


def language_name(code: str) -> str:
    """The language's name in itself (``ar`` → العربيّة), or its code."""
    return str(LANG_INFO.get(code, {}).get("name_local", code))


def language_name_translated(code: str) -> str:
    """The language's name in the language of the request (``ar`` → Arabic, Arabe)."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def language_is_rtl(code: str) -> bool:
    return bool(LANG_INFO.get(code, {}).get("bidi", False))


@dataclass(frozen=True)
class LetterText:
    """A letter's text in one language, as a signer reads it."""

    language: str
    title: str
    summary: str
    body: str
    thank_you_message: str
    # The current published version of this text; None while the letter is a draft.
    version: LetterVersion | None
    is_original: bool

    @property
    def name(self) -> str:
        return language_name(self.language)

    @property
    def direction(self) -> str:
        """``rtl`` or ``ltr``, for the ``dir`` attribute of the text."""
        return "rtl" if language_is_rtl(self.language) else "ltr"

    @property
    def version_number(self) -> int | None:
        return self.version.number if self.version is not None else None


@dataclass(frozen=True)
class TextLanguage:
    """One language a letter can be read in, with the path of the page in it."""

    code: str
    name: str
    is_original: bool
    path: str


def _text(
    source: Letter | LetterTranslation,
    *,
    language: str,
    version: LetterVersion | None,
    is_original: bool,
) -> LetterText:
    """The words of a letter or of one of its translations, which name them alike."""
    return LetterText(
        language=language,
        title=source.title,
        summary=source.summary,
        body=source.body,
        thank_you_message=source.thank_you_message,
        version=version,
        is_original=is_original,
    )


def original_text(letter: Letter) -> LetterText:
    return _text(letter, language=letter.language, version=letter.current_version, is_original=True)


def _translated_text(translation: LetterTranslation) -> LetterText:
    return _text(
        translation,
        language=translation.language,
        version=translation.current_version,
        is_original=False,
    )


def translation_list(*, letter: Letter) -> list[LetterTranslation]:
    return list(
        LetterTranslation.objects.filter(letter=letter)
        .select_related("current_version")
        .order_by("language")
    )


def letter_texts(*, letter: Letter) -> list[LetterText]:
    """Every text of the letter, the original first, then by language code. One query."""
    others = [_translated_text(t) for t in translation_list(letter=letter)]
    return [original_text(letter), *(t for t in others if t.language != letter.language)]


def text_choose(
    texts: list[LetterText], *, requested: str | None, shown_in: str | None = None
) -> LetterText:
    """The text named by ``requested`` (a cleaned ``?lang=``), else the one in the page's
    language ``shown_in``, else the original (``texts[0]``)."""
    by_language = {text.language: text for text in texts}
    for code in (requested, shown_in):
        if code and code in by_language:
            return by_language[code]
    return texts[0]


def text_for(*, letter: Letter, language: str | None) -> LetterText:
    """The letter's text in ``language`` if it has one, else the original. At most one
    query (none for the original)."""
    if not language or language == letter.language:
        return original_text(letter)
    translation = (
        LetterTranslation.objects.filter(letter=letter, language=language)
        .select_related("current_version")
        .first()
    )
    return _translated_text(translation) if translation else original_text(letter)


def text_for_request(
    *, letter: Letter, request: HttpRequest | None, texts: list[LetterText] | None = None
) -> LetterText:
    """The text a visitor of the letter's pages reads (see the module docstring)."""
    texts = texts if texts is not None else letter_texts(letter=letter)
    requested = lang_param(request) if request is not None else None
    return text_choose(texts, requested=requested, shown_in=get_language())


def signed_text(*, letter: Letter, version_id: int | None) -> LetterText:
    """The text of the version a signer agreed to (its thank-you message is theirs). No
    query when it is the original's current version."""
    if version_id is None or version_id == letter.current_version_id:
        return _original_without_version(letter)
    language = LetterVersion.objects.filter(pk=version_id).values_list("language", flat=True)
    return text_for(letter=letter, language=language.first())


def _original_without_version(letter: Letter) -> LetterText:
    """The original without reading its version (the caller knows it is the current one)."""
    return _text(letter, language=letter.language, version=None, is_original=True)


def text_path(*, letter: "Letter | LetterFacts", language: str) -> str:
    """The letter page with its text in ``language``."""
    return f"{letter.get_absolute_url()}?{urlencode({LANG_PARAM: language})}"


def languages_for(*, letter: Letter, texts: list[LetterText] | None = None) -> list[TextLanguage]:
    """The languages the letter can be read in, the original first."""
    texts = texts if texts is not None else letter_texts(letter=letter)
    return [
        TextLanguage(
            code=text.language,
            name=text.name,
            is_original=text.is_original,
            path=text_path(letter=letter, language=text.language),
        )
        for text in texts
    ]


def signed_version_id(*, letter: Letter, language: str | None, number: object = None) -> int | None:
    """The version a signer agreed to: of the text in ``language`` (the original when the
    letter has no such text), numbered ``number`` when the page sent one that exists, else
    the current one. No query for the original's current version."""
    text = text_for(letter=letter, language=language)
    current = text.version
    try:
        wanted = int(str(number)) if number not in (None, "") else None
    except ValueError:
        wanted = None
    if wanted is None or (current is not None and current.number == wanted):
        return current.pk if current is not None else None
    found = (
        LetterVersion.objects.filter(letter=letter, language=text.language, number=wanted)
        .values_list("pk", flat=True)
        .first()
    )
    return found if found is not None else (current.pk if current is not None else None)


# Organizers ---------------------------------------------------------------------------


def missing_fields(*, letter: Letter, translation: LetterTranslation) -> list[str]:
    """The fields a translation lacks: its title and text always, its summary and
    thank-you message when the original has them."""
    needed = ["title", "body"]
    needed += [name for name in ("summary", "thank_you_message") if getattr(letter, name).strip()]
    return [
        name for name in TEXT_FIELDS if name in needed and not getattr(translation, name).strip()
    ]


def incomplete_message(*, letter: Letter, translation: LetterTranslation) -> str | None:
    missing = missing_fields(letter=letter, translation=translation)
    if not missing:
        return None
    return str(
        _("The %(language)s translation is incomplete: fill in its %(fields)s.")
        % {
            "language": language_name_translated(translation.language),
            "fields": ", ".join(str(FIELD_NAMES[name]) for name in missing),
        }
    )


def translations_check_complete(*, letter: Letter) -> None:
    """Refuse (naming the translation and what it lacks) while any translation of the
    letter is incomplete. Publishing calls it."""
    for translation in translation_list(letter=letter):
        message = incomplete_message(letter=letter, translation=translation)
        if message:
            raise TranslationError(message)


def version_add(
    *, letter: Letter, language: str, title: str, body: str, user: User | None
) -> LetterVersion:
    """The next version of the letter's text in ``language``. The caller holds the
    letter's row lock, so numbers never collide."""
    last = (
        LetterVersion.objects.filter(letter=letter, language=language)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return LetterVersion.objects.create(
        letter=letter, language=language, number=(last or 0) + 1, title=title, body=body,
        created_by=user,
    )  # fmt: skip


def translations_version_all(*, letter: Letter, user: User | None) -> None:
    """Give each translation whose title or text changed since its last version a new one
    (publishing calls it: each text then has its version 1)."""
    for translation in translation_list(letter=letter):
        _version_if_changed(letter=letter, translation=translation, user=user)


def _version_if_changed(
    *, letter: Letter, translation: LetterTranslation, user: User | None
) -> None:
    current = translation.current_version
    if current is not None and (current.title, current.body) == (
        translation.title,
        translation.body,
    ):
        return
    translation.current_version = version_add(
        letter=letter, language=translation.language, title=translation.title,
        body=translation.body, user=user,
    )  # fmt: skip
    translation.save(update_fields=["current_version", "updated_at"])


def _language_check(*, letter: Letter, language: str) -> str:
    code = language_code_clean(language)
    if code is None:
        raise TranslationError(
            _("Enter a language code we know, such as ar, fr or pt-br."), field="language"
        )
    if code == letter.language:
        raise TranslationError(
            _("This is the letter's own language. Choose another one."), field="language"
        )
    return code


@transaction.atomic
def translation_create(
    *, letter: Letter, user: User | None, language: str, fields: Mapping[str, Any]
) -> LetterTranslation:
    """Add the letter's text in another language. On a public letter it must be complete,
    and becomes that language's version 1 at once."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    code = _language_check(letter=letter, language=language)
    translation = LetterTranslation(letter=letter, language=code)
    _assign(translation=translation, fields=fields)
    _check_public(letter=letter, translation=translation)
    try:
        with transaction.atomic():
            translation.save()
    except IntegrityError:
        raise TranslationError(
            _("This letter already has a translation in this language. Edit that one."),
            field="language",
        ) from None
    if letter.is_public:
        _version_if_changed(letter=letter, translation=translation, user=user)
    return translation


@transaction.atomic
def translation_update(
    *, letter: Letter, user: User, language: str, fields: Mapping[str, Any]
) -> LetterTranslation:
    """Save an edit of a translation; on a public letter a new title or text becomes that
    language's next version."""
    letter = Letter.objects.select_for_update().get(pk=letter.pk)
    translation = translation_get(letter=letter, language=language, for_update=True)
    changed = _assign(translation=translation, fields=fields)
    if not changed:
        return translation
    _check_public(letter=letter, translation=translation)
    translation.save(update_fields=[*changed, "updated_at"])
    if letter.is_public and {"title", "body"} & set(changed):
        _version_if_changed(letter=letter, translation=translation, user=user)
    return translation


@transaction.atomic
def translation_delete(*, letter: Letter, language: str) -> None:
    """Remove a translation. Its versions stay: signatures point at them."""
    Letter.objects.select_for_update().filter(pk=letter.pk).values_list("pk").get()
    translation_get(letter=letter, language=language).delete()


def translation_get(
    *, letter: Letter, language: str, for_update: bool = False
) -> LetterTranslation:
    rows = LetterTranslation.objects.select_related("current_version")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    translation = rows.filter(letter=letter, language=language).first()
    if translation is None:
        raise TranslationError(_("This translation no longer exists."))
    return translation


def _assign(*, translation: LetterTranslation, fields: Mapping[str, Any]) -> list[str]:
    changed = []
    for name in TEXT_FIELDS:
        if name in fields and getattr(translation, name) != fields[name]:
            setattr(translation, name, fields[name])
            changed.append(name)
    return changed


def _check_public(*, letter: Letter, translation: LetterTranslation) -> None:
    """A public letter's translations are read at once: each must stay complete."""
    if not letter.is_public:
        return
    message = incomplete_message(letter=letter, translation=translation)
    if message:
        raise TranslationError(message)
