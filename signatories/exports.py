"""Exports of confirmed signatures for the organizers of a letter.

Exports stream: rows come from a server-side cursor in chunks and leave as they are
formatted, so a letter with a million signatures is exported in bounded memory. Every
export is written to ExportLog first, because an export holds email addresses.
"""

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from letters.errors import ServiceError
from letters.models import Letter
from signatories.models import ExportLog, Signature

# The fields an organizer may export, in the order they appear in the file.
EXPORT_FIELDS: dict[str, Any] = {
    "name": _("Name"),
    "email": _("Email"),
    "role": _("Profession or role"),
    "organization": _("Organization"),
    "country": _("Country (ISO code)"),
    "city": _("City"),
    "comment": _("Comment"),
    "show_name": _("Name shown publicly"),
    "opt_in_updates": _("Wants updates"),
    "confirmed_at": _("Confirmed at (UTC)"),
    "created_at": _("Signed at (UTC)"),
    "source": _("Source"),
    "text_language": _("Language of the text signed"),
    "text_version": _("Version of the text signed"),
}
# Columns that are not the signature's own: where the database finds them. The text a
# signer agreed to is its version's (a translation's versions carry their language).
_COLUMN_OF_FIELD = {
    "text_language": "letter_version__language",
    "text_version": "letter_version__number",
}
DEFAULT_FIELDS = ("name", "role", "organization", "country", "city", "confirmed_at")
CHUNK_SIZE = 5000
ROWS_PER_WRITE = 500

# A spreadsheet treats a cell that starts with one of these as a formula (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NothingToExport(ServiceError):
    """The letter has no confirmed signature yet."""

    default_message = _(
        "No signature is confirmed yet, so there is nothing to export. No file was made."
    )


def export_queryset(*, letter: Letter) -> QuerySet[Signature]:
    """Confirmed signatures only, oldest first so that repeated exports line up."""
    return Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED).order_by(
        "confirmed_at", "pk"
    )


def export_start(
    *, letter: Letter, user: AbstractBaseUser, fmt: str, fields: Sequence[str]
) -> ExportLog:
    """Check there is something to export and record who exports what.

    Raises NothingToExport, and records nothing, when no signature is confirmed.
    """
    fields = [name for name in EXPORT_FIELDS if name in fields]
    if not fields:
        raise ValueError("Choose at least one field.")
    row_count = export_queryset(letter=letter).count()
    if row_count == 0:
        raise NothingToExport
    with transaction.atomic():
        return ExportLog.objects.create(
            letter=letter,
            user_id=user.pk,
            format=ExportLog.Format(fmt),
            fields=fields,
            row_count=row_count,
        )


def export_rows(*, letter: Letter, fields: Sequence[str]) -> Iterator[tuple[Any, ...]]:
    """The chosen columns of every confirmed signature, read through a server-side cursor."""
    columns = export_columns(fields)
    return export_queryset(letter=letter).values_list(*columns).iterator(chunk_size=CHUNK_SIZE)


def export_columns(fields: Sequence[str]) -> list[str]:
    """The lookups that read the chosen export fields."""
    return [_COLUMN_OF_FIELD.get(name, name) for name in fields]


def csv_cell(value: object) -> str:
    """One CSV cell as text, neutralised so that no spreadsheet runs it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _text_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _bool_cell(value: object) -> str:
    return "true" if value else "false"


def _time_cell(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else ""


# Each column's cells are of one kind, so each gets the one conversion it needs instead of
# the chain of checks of csv_cell: on a million rows of eleven columns that chain was most
# of an export's time. The result is the same as csv_cell's.
_CELL_OF_FIELD = {
    "show_name": _bool_cell,
    "opt_in_updates": _bool_cell,
    "confirmed_at": _time_cell,
    "created_at": _time_cell,
}


def _cells(fields: Sequence[str]) -> list[Any]:
    return [_CELL_OF_FIELD.get(name, _text_cell) for name in fields]


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_stream(
    *, fields: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = False
) -> Iterator[str]:
    """A header line, then the rows in pieces of a few hundred lines each.

    With ``bom``, the file starts with U+FEFF: Excel then reads it as UTF-8 instead of
    the system's legacy code page.
    """
    writer = csv.writer(_Echo())
    header = writer.writerow([str(EXPORT_FIELDS[name]) for name in fields])
    yield "\ufeff" + header if bom else header
    cells = _cells(fields)
    rows = iter(rows)
    write = writer.writerow
    while chunk := list(islice(rows, ROWS_PER_WRITE)):
        yield "".join(
            [write([cell(value) for cell, value in zip(cells, row, strict=True)]) for row in chunk]
        )


def _json_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def json_stream(*, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """One valid JSON array of objects, written a few hundred objects at a time."""
    yield "["
    rows = iter(rows)
    separator = "\n"
    while chunk := list(islice(rows, ROWS_PER_WRITE)):
        items = (
            json.dumps(
                {name: _json_value(value) for name, value in zip(fields, row, strict=True)},
                ensure_ascii=False,
            )
            for row in chunk
        )
        yield separator + ",\n".join(items)
        separator = ",\n"
    yield "\n]\n"


def export_stream(*, log: ExportLog, bom: bool = False) -> Iterator[str]:
    """The file body for a recorded export; ``bom`` applies to CSV only."""
    rows = export_rows(letter=log.letter, fields=log.fields)
    if log.format == ExportLog.Format.JSON:
        return json_stream(fields=log.fields, rows=rows)
    return csv_stream(fields=log.fields, rows=rows, bom=bom)


def export_filename(*, log: ExportLog) -> str:
    return f"{log.letter.slug}-signatures-{log.created_at:%Y%m%d-%H%M}.{log.format}"
