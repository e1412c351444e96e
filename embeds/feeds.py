"""RSS and Atom feeds of published letters."""

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from letters.models import Letter
from letters.selectors import letter_list_index

FEED_SIZE = 30


class LatestLettersFeed(Feed):
    title = _("Open letters")
    link = reverse_lazy("letters:index")
    description = _("Newly published open letters. Every signature is confirmed by email.")

    def items(self) -> QuerySet[Letter]:
        return letter_list_index()[:FEED_SIZE]

    def item_title(self, item: Letter) -> str:
        return item.title

    def item_description(self, item: Letter) -> str:
        # Feed readers read a description as HTML: the summary is plain text, so it goes
        # in escaped, and a "<script>" in it is shown, never run.
        return escape(item.summary)

    def item_pubdate(self, item: Letter) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Letter) -> datetime:
        return item.updated_at

    def item_author_name(self) -> str:
        return settings.SITE_NAME


class LatestLettersAtomFeed(LatestLettersFeed):
    feed_type = Atom1Feed
    subtitle = LatestLettersFeed.description
