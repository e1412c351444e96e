"""sitemap.xml: the index, the privacy notice and every letter of the index (published
or closed; archived letters keep their page but leave the sitemap, as they leave the
index). A public read like the API (embeds/http.py): cacheable, with an ETag and CORS."""

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from embeds.http import body_etag, public_read
from letters.models import Letter
from letters.selectors import letter_list_index

PROTOCOL = urlsplit(settings.SITE_URL).scheme


class LetterSitemap(Sitemap):
    protocol = PROTOCOL
    changefreq = "hourly"

    def items(self) -> QuerySet[Letter]:
        return letter_list_index()

    def lastmod(self, item: Letter) -> datetime:
        return item.updated_at


class PageSitemap(Sitemap):
    protocol = PROTOCOL
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["letters:index", "privacy"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS: "dict[str, type[Sitemap[Any]] | Sitemap[Any]]" = {
    "letters": LetterSitemap,
    "pages": PageSitemap,
}


@public_read(max_age=3600)
@body_etag
def sitemap_xml(request: HttpRequest) -> HttpResponse:
    return sitemap(request, sitemaps=SITEMAPS)
