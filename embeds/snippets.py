"""What other sites paste: widget options, iframe / script / badge snippets and oEmbed."""

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, override

from embeds import services
from letters.facts import LetterFacts
from letters.models import Letter
from signatories.services import source_clean

# "auto" follows the reader's light or dark setting (prefers-color-scheme).
THEMES = ("light", "dark", "auto")
SIZES = ("full", "compact")
WIDTH = 400
HEIGHTS = {"full": 220, "compact": 140}
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
        lang = query.get("lang", "")
        goal = str(query.get("goal", "")).lower()
        return cls(
            theme=theme if theme in THEMES else default.theme,
            size=size if size in SIZES else default.size,
            lang=lang if lang in language_codes() else default.lang,
            goal=False if goal in _NO else True if goal in _YES else default.goal,
            ref=source_clean(query.get("ref", "")),
        )

    def query(self, *, letter: Letter | LetterFacts) -> str:
        """The query string that gives these options; empty for the defaults."""
        default = self.defaults(letter=letter)
        params: dict[str, str] = {}
        if self.theme != default.theme:
            params["theme"] = self.theme
        if self.size != default.size:
            params["size"] = self.size
        if self.lang != default.lang:
            params["lang"] = self.lang
        if self.goal != default.goal:
            params["goal"] = "1" if self.goal else "0"
        if self.ref:
            params["ref"] = self.ref
        return f"?{urlencode(params)}" if params else ""

    @property
    def key(self) -> str:
        return f"{self.theme}:{self.size}:{self.lang}:{int(self.goal)}"

    @property
    def height(self) -> int:
        return HEIGHTS[self.size] - (0 if self.goal else 30)


def widget_url(*, letter: Letter, options: WidgetOptions | None = None) -> str:
    options = options or WidgetOptions.defaults(letter=letter)
    path = reverse("embeds:widget", kwargs={"slug": letter.slug})
    return absolute(path) + options.query(letter=letter)


def widget_title(*, letter: Letter) -> str:
    return gettext("Live signature count: %(title)s") % {"title": letter.title}


def iframe_html(*, letter: Letter, options: WidgetOptions, width: int, height: int) -> str:
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" frameborder="0" scrolling="no" '
        'loading="lazy" style="border:0;max-width:100%"></iframe>',
        widget_url(letter=letter, options=options),
        widget_title(letter=letter),
        width,
        height,
    )


def script_html(*, letter: Letter) -> str:
    return format_html(
        '<script src="{}" data-letter="{}" async></script>',
        absolute(reverse("embeds:loader")),
        letter.slug,
    )


def badge_url(*, letter: Letter) -> str:
    return absolute(reverse("embeds:badge", kwargs={"slug": letter.slug}))


def badge_html(*, letter: Letter) -> str:
    return format_html(
        '<a href="{}"><img src="{}" alt="{}"></a>',
        absolute(letter.get_absolute_url()),
        badge_url(letter=letter),
        gettext("Signatures of %(title)s") % {"title": letter.title},
    )


def badge_markdown(*, letter: Letter) -> str:
    alt = gettext("Signatures").replace("]", "")
    return f"[![{alt}]({badge_url(letter=letter)})]({absolute(letter.get_absolute_url())})"


def oembed_url(*, letter: Letter) -> str:
    query = urlencode({"url": absolute(letter.get_absolute_url()), "format": "json"})
    return absolute(reverse("embeds:oembed")) + "?" + query


def snippets(*, letter: Letter) -> dict[str, str]:
    """Everything the "Embed this letter" panel offers to copy."""
    options = WidgetOptions.defaults(letter=letter)
    with override(options.lang):
        iframe = iframe_html(letter=letter, options=options, width=WIDTH, height=options.height)
    return {
        "iframe": iframe,
        "script": script_html(letter=letter),
        "badge": badge_html(letter=letter),
        "badge_markdown": badge_markdown(letter=letter),
        "link": absolute(letter.get_absolute_url()),
        "widget_url": widget_url(letter=letter, options=options),
        "widget_title": widget_title(letter=letter),
        "width": str(WIDTH),
        "height": str(options.height),
    }


def oembed_payload(
    *,
    letter: Letter,
    maxwidth: int | None,
    maxheight: int | None,
    thumbnail: str,
    ref: str = "",
) -> dict[str, object]:
    """A rich oEmbed response: one iframe that fits within maxwidth x maxheight, whose
    widget carries ``ref`` (a clean source token) to the letter page."""
    options = replace(WidgetOptions.defaults(letter=letter), ref=ref)
    if maxheight is not None and maxheight < options.height:
        options = replace(options, size="compact")
    width = min(WIDTH, maxwidth or WIDTH)
    height = min(options.height, maxheight or options.height)
    with override(options.lang):
        html = iframe_html(letter=letter, options=options, width=width, height=height)
    payload: dict[str, object] = {
        "version": "1.0",
        "type": "rich",
        "title": letter.title,
        "provider_name": settings.SITE_NAME,
        "provider_url": settings.SITE_URL + "/",
        "html": html,
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    if maxwidth is None or maxwidth >= 1200:
        payload |= {"thumbnail_url": thumbnail, "thumbnail_width": 1200, "thumbnail_height": 630}
    return payload


def share_card_url(*, letter: Letter, count: int) -> str:
    path = reverse("embeds:share-card", kwargs={"slug": letter.slug})
    return absolute(path) + "?v=" + services.share_card_version(letter=letter, count=count)


def page_context(*, letter: Letter, count: int) -> dict[str, object]:
    """What the letter page needs for its share tags, oEmbed discovery and embed panel."""
    return {
        "snippets": snippets(letter=letter),
        "oembed_url": oembed_url(letter=letter),
        "share_card_url": share_card_url(letter=letter, count=count),
        "api_url": reverse("embeds:api-detail", kwargs={"slug": letter.slug}),
    }
