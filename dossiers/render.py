"""The dossier drawn as HTML, and as PDF pieces by WeasyPrint.

The same templates make the print-friendly page and the PDF: a head (the letter, its
organizer and addressee, the exact count, a QR code and link back to the public page)
and the named signatories in pieces of a few thousand, so no piece needs much memory.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django_countries import countries

from dossiers.texts import Text
from letters.models import Letter
from mailing.messages import absolute_url

STYLESHEET = "css/dossier.css"


@dataclass(frozen=True)
class Named:
    """One named signatory as the dossier prints it."""

    number: int
    name: str
    role: str
    organization: str
    country: str
    verified: bool


@dataclass(frozen=True)
class Head:
    letter: Letter
    texts: Sequence[Text]
    as_of: datetime
    count_all: int
    count_hidden: int
    url: str
    qr_data_uri: str

    @property
    def count_named(self) -> int:
        return self.count_all - self.count_hidden


def head_make(
    *, letter: Letter, texts: Sequence[Text], as_of: datetime, count_all: int, count_hidden: int
) -> Head:
    url = absolute_url(letter.get_absolute_url())
    return Head(
        letter=letter,
        texts=texts,
        as_of=as_of,
        count_all=count_all,
        count_hidden=count_hidden,
        url=url,
        qr_data_uri=segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2),
    )


def named_rows(rows: Iterable[Sequence[Any]], *, first: int) -> list[Named]:
    """Rows (name, role, organization, country code, verified) as printed, numbered from
    ``first``; country names in the active language."""
    return [
        Named(
            number=number,
            name=name,
            role=role,
            organization=organization,
            country=str(countries.name(country)) if country else "",
            verified=bool(verified),
        )
        for number, (name, role, organization, country, verified) in enumerate(rows, first)
    ]


def head_html(*, head: Head) -> str:
    return render_to_string("dossiers/_head.html", {"head": head})


def names_html(*, named: Sequence[Named]) -> str:
    return render_to_string("dossiers/_names.html", {"named": named})


def pdf_document(*, body: str, language: str, direction: str = "ltr") -> str:
    """A whole HTML document around ``body``, for one WeasyPrint run."""
    return render_to_string(
        "dossiers/pdf.html", {"body": body, "language": language, "direction": direction}
    )


@cache
def _stylesheet_path() -> Path:
    found = finders.find(STYLESHEET)
    if isinstance(found, list):
        found = found[0]
    if found is None:
        return Path(settings.STATIC_ROOT or ".") / STYLESHEET
    return Path(found)


def pdf_write(*, html: str, path: Path) -> int:
    """Draw ``html`` to a PDF file at ``path``; the number of pages."""
    from weasyprint import CSS, HTML  # heavy; only workers need it

    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        stylesheets=[CSS(filename=str(_stylesheet_path()))]
    )
    document.write_pdf(path)
    return len(document.pages)
