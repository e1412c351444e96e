"""sitemap.xml: the index, the privacy notice and every published letter."""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from letters.models import Letter
from letters.selectors import letter_list_public

PROTOCOL = urlsplit(settings.SITE_URL).scheme


class LetterSitemap(Sitemap):
    protocol = PROTOCOL
    changefreq = "hourly"

    def items(self) -> QuerySet[Letter]:
        return letter_list_public()

    def lastmod(self, item: Letter) -> datetime:
        return item.updated_at


class PageSitemap(Sitemap):
    protocol = PROTOCOL
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["letters:index", "privacy"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"letters": LetterSitemap, "pages": PageSitemap}
