from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from letters import pagecache, pages, selectors, services, translations
from letters.http import public_page


@public_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The index; anonymous visitors mostly get the copy kept in the process."""

    def draw() -> HttpResponse:
        letters = list(selectors.letter_list_index()[: selectors.INDEX_SIZE])
        return render(request, "letters/index.html", {"rows": pages.index_rows(letters=letters)})

    return pagecache.page_serve(request, kind="index", slug="", draw=draw)


@public_page
@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The letter page; anonymous visitors mostly get the copy kept in the process
    (letters/pagecache.py)."""

    def draw() -> HttpResponse:
        letter = selectors.letter_get_public(slug=slug)
        context = pages.letter_page_context(letter=letter, request=request)
        return render(request, "letters/detail.html", context)

    # A page in a language named by ``?lang=`` (and nothing else) is kept like the plain
    # one: the text it shows depends on that code only, and the codes are a known few.
    lang = translations.lang_param(request)
    vouched = lang is not None and request.META.get("QUERY_STRING") == f"lang={lang}"
    response = pagecache.page_serve(request, kind="letter", slug=slug, draw=draw, query=vouched)
    # Opened from a widget in a frame sandboxed without allow-popups-to-escape-sandbox,
    # the page keeps that sandbox, and Chromium refuses such a page any COOP but this.
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"
    return response


@public_page
@require_GET
def changes(request: HttpRequest, slug: str) -> HttpResponse:
    """Every published text of a letter, newest first, each with what changed."""
    letter = selectors.letter_get_public(slug=slug)
    text = translations.text_for(letter=letter, language=translations.lang_param(request))
    versions = list(selectors.letter_versions(letter=letter, language=text.language))
    rows = [
        (version, services.letter_version_diff(old=older, new=version) if older else None)
        for version, older in zip(versions, [*versions[1:], None], strict=True)
    ]
    context = {"letter": letter, "text": text, "rows": rows}
    return render(request, "letters/changes.html", context)
