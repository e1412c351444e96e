"""What other sites paste: widget options, iframe / script / badge snippets and oEmbed."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.html import format_html
from django.utils.translation import gettext, override

from embeds import services
from letters.facts import LetterFacts
from letters.models import Letter
from letters.translations import (
    LANG_PARAM,
    LetterText,
    TextLanguage,
    language_code_clean,
    text_path,
)
from signatories.services import source_clean

# "auto" follows the reader's light or dark setting (prefers-color-scheme).
THEMES = ("light", "dark", "auto")
SIZES = ("full", "compact")
WIDTH = 400
HEIGHTS = {"full": 220, "compact": 140}
# What the sign form adds to the widget's height (name, email, two boxes, a button).
FORM_HEIGHT = 330
_YES = {"1", "true", "yes", "on"}
_NO = {"0", "false", "no", "off"}


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


@dataclass(frozen=True)
class WidgetOptions:
    """How a widget looks; any unknown value falls back to its default."""

    theme: str = "light"
    size: str = "full"
    lang: str = ""
    goal: bool = True
    # The source the widget's links carry to the letter page (docs/embeds.md); not part of
    # how it looks, so not part of ``key``.
    ref: str = ""
    # The language of the letter's text it shows, when not the original: a translation's
    # code (``?lang=`` names both this and, when the site speaks it, ``lang``). Whether the
    # letter has that text is the view's to check (``without_text``).
    text: str = ""
    # The compact sign form (``?form=1``), offered only when the letter's organizers
    # switched signing inside the widget on (``Letter.widget_sign``).
    form: bool = False

    @classmethod
    def defaults(cls, *, letter: Letter | LetterFacts) -> "WidgetOptions":
        lang = letter.language if letter.language in language_codes() else settings.LANGUAGE_CODE
        return cls(lang=lang)

    @classmethod
    def from_query(
        cls, query: QueryDict | dict[str, str], *, letter: Letter | LetterFacts
    ) -> "WidgetOptions":
        default = cls.defaults(letter=letter)
        theme = query.get("theme", "")
        size = query.get("size", "")
        lang = query.get(LANG_PARAM, "")
        goal = str(query.get("goal", "")).lower()
        text = language_code_clean(lang) or ""
        return cls(
            theme=theme if theme in THEMES else default.theme,
            size=size if size in SIZES else default.size,
            lang=lang if lang in language_codes() else default.lang,
            goal=False if goal in _NO else True if goal in _YES else default.goal,
            ref=source_clean(query.get("ref", "")),
            text="" if text == letter.language else text,
            form=letter.widget_sign and str(query.get("form", "")).lower() in _YES,
        )

    def query(self, *, letter: Letter | LetterFacts) -> str:
        """The query string that gives these options; empty for the defaults."""
        default = self.defaults(letter=letter)
        params: dict[str, str] = {}
        if self.theme != default.theme:
            params["theme"] = self.theme
        if self.size != default.size:
            params["size"] = self.size
        if self.text or self.lang != default.lang:
            params[LANG_PARAM] = self.text or self.lang
        if self.goal != default.goal:
            params["goal"] = "1" if self.goal else "0"
        if self.form:
            params["form"] = "1"
        if self.ref:
            params["ref"] = self.ref
        return f"?{urlencode(params)}" if params else ""

    @property
    def key(self) -> str:
        key = f"{self.theme}:{self.size}:{self.lang}:{int(self.goal)}:{self.text}"
        return f"{key}:form" if self.form else key

    def without_text(self) -> "WidgetOptions":
        """These options showing the original text (the letter has no ``text``)."""
        return replace(self, text="")

    @classmethod
    def for_text(cls, *, letter: Letter | LetterFacts, language: str) -> "WidgetOptions":
        """The defaults, showing the text in ``language`` (the original's code: the
        defaults); the site's words follow it when the site speaks it."""
        if language == letter.language:
            return cls.defaults(letter=letter)
        return cls.from_query({LANG_PARAM: language}, letter=letter)

    @property
    def height(self) -> int:
        return HEIGHTS[self.size] - (0 if self.goal else 30) + (FORM_HEIGHT if self.form else 0)


def widget_url(*, letter: Letter, options: WidgetOptions | None = None) -> str:
    options = options or WidgetOptions.defaults(letter=letter)
    path = reverse("embeds:widget", kwargs={"slug": letter.slug})
    return absolute(path) + options.query(letter=letter)


def letter_link(*, letter: Letter, text: LetterText | None = None) -> str:
    """The letter page's address, showing ``text`` (none: the original, no ``?lang=``)."""
    if text is None or text.is_original:
        return absolute(letter.get_absolute_url())
    return absolute(text_path(letter=letter, language=text.language))


def _title(letter: Letter, text: LetterText | None) -> str:
    return text.title if text is not None else letter.title


def widget_title(*, letter: Letter, text: LetterText | None = None) -> str:
    return gettext("Live signature count: %(title)s") % {"title": _title(letter, text)}


def iframe_html(
    *,
    letter: Letter,
    options: WidgetOptions,
    width: int | str,
    height: int,
    text: LetterText | None = None,
) -> str:
    """The iframe snippet. No inline ``style``: a publisher whose CSP says
    ``style-src 'self'`` would refuse it; ``width="100%"`` fits any column and phone."""
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" frameborder="0" scrolling="no" '
        'loading="lazy"></iframe>',
        widget_url(letter=letter, options=options),
        widget_title(letter=letter, text=text),
        width,
        height,
    )


# Where our HTML sandboxes the widget, popups may leave the sandbox: a letter page opened
# from a sandboxed frame keeps the frame's sandbox (and is refused by browsers when it
# sends a Cross-Origin-Opener-Policy) otherwise. docs/embeds.md, "Works in".
SANDBOX = "allow-scripts allow-popups allow-popups-to-escape-sandbox"


def embed_secret(src: str) -> str:
    """The ``data-secret`` pairing a frame with its messages, as WordPress uses it: fixed
    per widget address, so that an oEmbed answer stays the same for its ETag."""
    return salted_hmac("embeds.embed_secret", src, algorithm="sha256").hexdigest()[:10]


def _with_ref(url: str, ref: str) -> str:
    if not ref:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'ref': ref})}"


def wordpress_html(
    *,
    letter: Letter,
    options: WidgetOptions,
    width: int,
    height: int,
    text: LetterText | None = None,
) -> str:
    """The shape of WordPress's own post embeds: a link to the letter in a
    ``blockquote.wp-embedded-content``, which makes WordPress load its wp-embed.js, then
    the frame, sharing a secret with it (the widget reads it from ``#?secret=``)."""
    src = widget_url(letter=letter, options=options)
    secret = embed_secret(src)
    return format_html(
        '<blockquote class="wp-embedded-content" data-secret="{}"><a href="{}">{}</a>'
        '</blockquote><iframe class="wp-embedded-content" sandbox="{}" security="restricted" '
        'src="{}#?secret={}" data-secret="{}" title="{}" width="{}" height="{}" '
        'frameborder="0" marginwidth="0" marginheight="0" scrolling="no"></iframe>',
        secret,
        _with_ref(letter_link(letter=letter, text=text), options.ref),
        _title(letter, text),
        SANDBOX,
        src,
        secret,
        secret,
        widget_title(letter=letter, text=text),
        width,
        height,
    )


def script_html(*, letter: Letter, text: LetterText | None = None) -> str:
    if text is not None and not text.is_original:
        return format_html(
            '<script src="{}" data-letter="{}" data-lang="{}" async></script>',
            absolute(reverse("embeds:loader")),
            letter.slug,
            text.language,
        )
    return format_html(
        '<script src="{}" data-letter="{}" async></script>',
        absolute(reverse("embeds:loader")),
        letter.slug,
    )


def badge_url(*, letter: Letter) -> str:
    return absolute(reverse("embeds:badge", kwargs={"slug": letter.slug}))


def badge_html(*, letter: Letter, text: LetterText | None = None) -> str:
    return format_html(
        '<a href="{}"><img src="{}" alt="{}"></a>',
        letter_link(letter=letter, text=text),
        badge_url(letter=letter),
        gettext("Signatures of %(title)s") % {"title": _title(letter, text)},
    )


def badge_markdown(*, letter: Letter, text: LetterText | None = None) -> str:
    alt = gettext("Signatures").replace("]", "")
    return f"[![{alt}]({badge_url(letter=letter)})]({letter_link(letter=letter, text=text)})"


def oembed_url(*, letter: Letter, text: LetterText | None = None) -> str:
    query = urlencode({"url": letter_link(letter=letter, text=text), "format": "json"})
    return absolute(reverse("embeds:oembed")) + "?" + query


def _options_for(letter: Letter, text: LetterText | None) -> WidgetOptions:
    if text is None:
        return WidgetOptions.defaults(letter=letter)
    return WidgetOptions.for_text(letter=letter, language=text.language)


def snippets(*, letter: Letter, text: LetterText | None = None) -> dict[str, str]:
    """Everything the "Embed this letter" panel offers to copy, for the text shown (a
    translation's snippets carry its language)."""
    options = _options_for(letter, text)
    with override(options.lang):
        iframe = iframe_html(
            letter=letter, options=options, width="100%", height=options.height, text=text
        )
    offered = {
        "iframe": iframe,
        "script": script_html(letter=letter, text=text),
        "badge": badge_html(letter=letter, text=text),
        "badge_markdown": badge_markdown(letter=letter, text=text),
        "link": letter_link(letter=letter, text=text),
        "widget_url": widget_url(letter=letter, options=options),
        # The preview's title is read on the page: in the page's language.
        "widget_title": widget_title(letter=letter, text=text),
        "width": str(WIDTH),
        "height": str(options.height),
    }
    if letter.widget_sign and letter.is_open:
        # The organizers let readers sign inside the widget: offer the snippet that asks
        # for the form (docs/embeds.md, "Signing inside the widget").
        with_form = replace(options, form=True)
        with override(options.lang):
            offered["iframe_form"] = iframe_html(
                letter=letter, options=with_form, width="100%", height=with_form.height, text=text
            )
    return offered


def oembed_payload(
    *,
    letter: Letter,
    maxwidth: int | None,
    maxheight: int | None,
    thumbnail: str,
    text: LetterText | None = None,
    ref: str = "",
) -> dict[str, object]:
    """A rich oEmbed response: WordPress's embed shape (``wordpress_html``) that fits
    within maxwidth x maxheight, showing ``text`` (none: the original), whose widget
    carries ``ref`` (a clean source token) to the letter page."""
    options = replace(_options_for(letter, text), ref=ref)
    if maxheight is not None and maxheight < options.height:
        options = replace(options, size="compact")
    width = min(WIDTH, maxwidth or WIDTH)
    height = min(options.height, maxheight or options.height)
    with override(options.lang):
        html = wordpress_html(letter=letter, options=options, width=width, height=height, text=text)
    payload: dict[str, object] = {
        "version": "1.0",
        "type": "rich",
        "title": _title(letter, text),
        "provider_name": settings.SITE_NAME,
        "provider_url": settings.SITE_URL + "/",
        "html": html,
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    if _card_fits(maxwidth, maxheight):
        card_width, card_height = services.SIZE
        payload |= {
            "thumbnail_url": thumbnail,
            "thumbnail_width": card_width,
            "thumbnail_height": card_height,
        }
    return payload


def _card_fits(maxwidth: int | None, maxheight: int | None) -> bool:
    """Whether the share card, drawn at one size only, fits within maxwidth x maxheight:
    the oEmbed spec bounds the thumbnail too, so a card that does not fit is left out
    rather than announced at a size it does not have."""
    width, height = services.SIZE
    return (maxwidth is None or maxwidth >= width) and (maxheight is None or maxheight >= height)


def share_card_url(*, letter: Letter, count: int, text: LetterText | None = None) -> str:
    """The card's address for this count; a translation's card names its language."""
    path = reverse("embeds:share-card", kwargs={"slug": letter.slug})
    version = services.share_card_version(letter=letter, count=count, text=text)
    params = {"v": version}
    if text is not None and not text.is_original:
        params[LANG_PARAM] = text.language
    return f"{absolute(path)}?{urlencode(params)}"


def og_locale(code: str) -> str:
    """A language code as Open Graph writes locales: ``pt-br`` → ``pt_BR``."""
    language, _, region = code.partition("-")
    return f"{language}_{region.upper()}" if region else language


def page_context(
    *,
    letter: Letter,
    count: int,
    text: LetterText | None = None,
    languages: Sequence[TextLanguage] = (),
) -> dict[str, object]:
    """What the letter page needs for its share tags, oEmbed discovery and embed panel,
    for the text it shows (``text``) among the ``languages`` it can be read in."""
    shown = text.language if text is not None else letter.language
    return {
        "snippets": snippets(letter=letter, text=text),
        "oembed_url": oembed_url(letter=letter, text=text),
        "share_card_url": share_card_url(letter=letter, count=count, text=text),
        "api_url": reverse("embeds:api-detail", kwargs={"slug": letter.slug}),
        "title": _title(letter, text),
        "summary": text.summary if text is not None else letter.summary,
        "locale": og_locale(shown),
        "locale_alternates": [og_locale(lang.code) for lang in languages if lang.code != shown],
    }
