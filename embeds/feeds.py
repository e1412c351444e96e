"""RSS and Atom feeds of published letters.

``?lang=fr`` (``letters.translations.LANG_PARAM``) gives each letter's title and summary
in that language where the letter has it, else its original, with item links to the page
in that language; the feed says it is in that language, and its own words are in it when
the site speaks it. Without it, the originals, and the site's words in its own language.

Feeds are public reads like the API (embeds/http.py): cacheable, with an ETag and CORS,
and the same body whatever the reader's Accept-Language; they differ by ``?lang=`` only.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, SyndicationFeed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from embeds.http import body_etag, public_read
from letters.models import Letter, LetterTranslation
from letters.selectors import letter_list_index
from letters.translations import lang_param, text_path

FEED_SIZE = 30
# New letters are rare: a reader or a CDN may keep a feed a few minutes.
FEED_MAX_AGE = 300


@dataclass(frozen=True)
class FeedItem:
    """One letter of a feed, with the text it shows (a translation, or None: the original)."""

    letter: Letter
    translation: LetterTranslation | None = None

    @property
    def title(self) -> str:
        return self.translation.title if self.translation else self.letter.title

    @property
    def summary(self) -> str:
        return self.translation.summary if self.translation else self.letter.summary

    @property
    def path(self) -> str:
        if self.translation is None:
            return self.letter.get_absolute_url()
        return text_path(letter=self.letter, language=self.translation.language)

    @property
    def updated_at(self) -> datetime:
        if self.translation is None:
            return self.letter.updated_at
        return max(self.letter.updated_at, self.translation.updated_at)


class LatestLettersFeed(Feed):
    title = _("Open letters")
    link = reverse_lazy("letters:index")
    description = _("Newly published open letters. Every signature is confirmed by email.")

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = lang_param(request)
        spoken = {code for code, _ in settings.LANGUAGES}
        with translation.override(language if language in spoken else settings.LANGUAGE_CODE):
            response = super().__call__(request, *args, **kwargs)
        response["Content-Language"] = language or settings.LANGUAGE_CODE
        return response

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
        """The language ``?lang=`` asks for; None: the originals. (The feed instance is
        shared by every request: what one request asks for travels in this object.)"""
        return lang_param(request)

    def items(self, obj: str | None) -> list[FeedItem]:
        letters = list(letter_list_index()[:FEED_SIZE])
        if obj is None or not letters:
            return [FeedItem(letter) for letter in letters]
        # One more query: the letters' texts in that language (the original's language
        # has none: those letters show their own text).
        found = {
            translation.letter_id: translation
            for translation in LetterTranslation.objects.filter(
                letter__in=letters, language=obj
            ).only("letter_id", "language", "title", "summary", "updated_at")
        }
        return [FeedItem(letter, found.get(letter.pk)) for letter in letters]

    def get_feed(self, obj: str | None, request: HttpRequest) -> SyndicationFeed:
        feed = super().get_feed(obj, request)
        if obj is not None:
            feed.feed["language"] = obj
        return feed

    def item_title(self, item: FeedItem) -> str:
        return item.title

    def item_description(self, item: FeedItem) -> str:
        # Feed readers read a description as HTML: the summary is plain text, so it goes
        # in escaped, and a "<script>" in it is shown, never run.
        return escape(item.summary)

    def item_link(self, item: FeedItem) -> str:
        return item.path

    def item_pubdate(self, item: FeedItem) -> datetime | None:
        return item.letter.published_at

    def item_updateddate(self, item: FeedItem) -> datetime:
        return item.updated_at

    def item_author_name(self) -> str:
        return settings.SITE_NAME


class LatestLettersAtomFeed(LatestLettersFeed):
    feed_type = Atom1Feed
    subtitle = LatestLettersFeed.description


rss = public_read(max_age=FEED_MAX_AGE)(body_etag(LatestLettersFeed()))
atom = public_read(max_age=FEED_MAX_AGE)(body_etag(LatestLettersAtomFeed()))
