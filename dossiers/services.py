"""Making a letter's dossier: requested by an organizer, built by a worker, kept in parts.

The worker reads the count and the named signatories at one moment into a temporary file
(dossiers.selectors.letter_snapshot), then draws the PDF a few thousand names at a time,
saving its progress on the Dossier row after each piece, joins the pieces with pypdf and
keeps the file in the database in parts of PART_BYTES.
"""

import json
import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import IO

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from dossiers import render
from dossiers.models import Dossier, DossierPart
from dossiers.selectors import letter_snapshot
from dossiers.texts import Text, dossier_texts
from letters.errors import ServiceError
from letters.models import Letter
from mailing.tasks import enqueue, enqueue_after_commit

log = logging.getLogger(__name__)

# Named signatories drawn in one WeasyPrint run: its memory grows with the run's pages.
NAMES_PER_PIECE = 1000
# Bytes of the finished file per stored part.
PART_BYTES = 1024 * 1024
# A dossier in the making whose worker said nothing for this long is made again.
STALE = timedelta(minutes=20)
# Finished dossiers kept per letter; older ones are deleted when a new one is ready.
KEEP = 3


class DossierInTheMaking(ServiceError):
    default_message = _(
        "A dossier of this letter is being made already. Wait until it is ready, then ask "
        "for another one."
    )


class DossierLanguageUnknown(ServiceError):
    default_message = _("The letter has no text in that language. No dossier was made.")


def dossier_request(*, letter: Letter, user: AbstractBaseUser, language: str) -> Dossier:
    """Record a request for a dossier and queue its making after commit.

    ``language`` is one the letter has, or "" for all. Raises DossierLanguageUnknown or
    DossierInTheMaking, and records nothing, when it cannot be made.
    """
    if language and not dossier_texts(letter=letter, language=language):
        raise DossierLanguageUnknown
    from dossiers.tasks import dossier_build as task  # the tasks module imports this one

    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                letter=letter, requested_by_id=user.pk, language=language
            )
            enqueue_after_commit(task, dossier_id=dossier.pk)
    except IntegrityError:
        raise DossierInTheMaking from None
    return dossier


def dossier_texts_of(*, dossier: Dossier) -> list[Text]:
    return dossier_texts(letter=dossier.letter, language=dossier.language or None)


def dossier_claim(*, dossier_id: int) -> bool:
    """Take a queued dossier, or one whose worker went silent, for this worker."""
    now = timezone.now()
    return bool(
        Dossier.objects.filter(pk=dossier_id)
        .filter(
            Q(status=Dossier.Status.QUEUED)
            | Q(status=Dossier.Status.BUILDING, started_at__lt=now - STALE)
        )
        .update(status=Dossier.Status.BUILDING, started_at=now, done=0)
    )


def dossier_build(*, dossier_id: int) -> None:
    """Make the dossier's PDF and keep it. Safe to run twice: only one run claims it.

    A failure marks the dossier failed with a short reason; the organizer may ask again.
    """
    if not dossier_claim(dossier_id=dossier_id):
        return
    dossier = Dossier.objects.select_related("letter").get(pk=dossier_id)
    try:
        with tempfile.TemporaryDirectory(prefix="dossier-") as folder:
            path = _build(dossier, Path(folder))
            _keep(dossier, path)
    except Exception as error:
        # Anything the drawing raises ends this dossier, not the worker: say so on the row.
        log.exception("Dossier %s failed", dossier_id)
        Dossier.objects.filter(pk=dossier_id).update(
            status=Dossier.Status.FAILED, error=f"{type(error).__name__}: {error}"[:300]
        )
        return
    _forget_old(dossier)


def _build(dossier: Dossier, folder: Path) -> Path:
    rows_path = folder / "rows.jsonl"
    with rows_path.open("w", encoding="utf-8") as rows_file:
        head = _snapshot(dossier, rows_file)
    texts = head.texts
    if not texts:  # the translation asked for was deleted since
        raise DossierLanguageUnknown
    language = texts[0].language
    with translation.override(language):
        pieces = [folder / "head.pdf"]
        render.pdf_write(
            html=render.pdf_document(
                body=render.head_html(head=head), language=language, direction=texts[0].direction
            ),
            path=pieces[0],
        )
        with rows_path.open(encoding="utf-8") as rows_file:
            pieces += _draw_names(dossier, rows_file, folder, language)
    return _join(pieces, folder / "dossier.pdf")


def _snapshot(dossier: Dossier, rows_file: IO[str]) -> render.Head:
    """Copy the named rows of one moment to ``rows_file``; the head with that moment's count."""
    with letter_snapshot(letter=dossier.letter) as snapshot:
        for name, role, organization, country, verified_at in snapshot.rows:
            rows_file.write(
                json.dumps([name, role, organization, country, verified_at is not None])
            )
            rows_file.write("\n")
    Dossier.objects.filter(pk=dossier.pk).update(
        as_of=snapshot.as_of,
        count_all=snapshot.count_all,
        count_hidden=snapshot.count_hidden,
        total=snapshot.count_named,
        started_at=timezone.now(),
    )
    return render.head_make(
        letter=dossier.letter,
        texts=dossier_texts_of(dossier=dossier),
        as_of=snapshot.as_of,
        count_all=snapshot.count_all,
        count_hidden=snapshot.count_hidden,
    )


def _draw_names(dossier: Dossier, rows_file: IO[str], folder: Path, language: str) -> list[Path]:
    pieces: list[Path] = []
    done = 0
    rows = map(json.loads, rows_file)
    while chunk := list(islice(rows, NAMES_PER_PIECE)):
        named = render.named_rows(chunk, first=done + 1)
        path = folder / f"names-{len(pieces):05d}.pdf"
        render.pdf_write(
            html=render.pdf_document(body=render.names_html(named=named), language=language),
            path=path,
        )
        pieces.append(path)
        done += len(chunk)
        # The heartbeat as well as the progress: a silent dossier is taken again (STALE).
        Dossier.objects.filter(pk=dossier.pk).update(done=done, started_at=timezone.now())
    return pieces


def _join(pieces: list[Path], path: Path) -> Path:
    from pypdf import PdfWriter  # heavy; only workers need it

    writer = PdfWriter()
    for piece in pieces:
        writer.append(str(piece))
    with path.open("wb") as out:
        writer.write(out)
    writer.close()
    return path


def _keep(dossier: Dossier, path: Path) -> None:
    size = path.stat().st_size
    with transaction.atomic(), path.open("rb") as source:
        DossierPart.objects.filter(dossier=dossier).delete()
        number = 0
        while data := source.read(PART_BYTES):
            DossierPart.objects.create(dossier=dossier, number=number, data=data)
            number += 1
        Dossier.objects.filter(pk=dossier.pk).update(
            status=Dossier.Status.READY, size=size, finished_at=timezone.now(), error=""
        )


def _forget_old(dossier: Dossier) -> None:
    finished = Dossier.objects.filter(
        letter_id=dossier.letter_id, status__in=[Dossier.Status.READY, Dossier.Status.FAILED]
    ).order_by("-created_at", "-pk")
    old = list(finished.values_list("pk", flat=True)[KEEP:])
    if old:
        Dossier.objects.filter(pk__in=old).delete()


def dossier_file(*, dossier: Dossier) -> Iterator[bytes]:
    """The finished file, part by part, read from a server-side cursor."""
    parts = (
        DossierPart.objects.filter(dossier=dossier)
        .order_by("number")
        .values_list("data", flat=True)
        .iterator(chunk_size=1)
    )
    for data in parts:
        yield bytes(data)


def dossier_filename(*, dossier: Dossier) -> str:
    stamp = f"{dossier.as_of:%Y%m%d-%H%M}" if dossier.as_of else "draft"
    return f"{dossier.letter.slug}-dossier-{stamp}.pdf"


def dossiers_resume() -> int:
    """Queue again the dossiers no worker is making: queued but never taken (the broker was
    down), or silent for longer than STALE. The number queued."""
    from dossiers.tasks import dossier_build as task

    now = timezone.now()
    lost = Dossier.objects.filter(
        Q(status=Dossier.Status.QUEUED, created_at__lt=now - timedelta(minutes=2))
        | Q(status=Dossier.Status.BUILDING, started_at__lt=now - STALE)
    ).values_list("pk", flat=True)
    queued = 0
    for dossier_id in lost:
        queued += enqueue(task, dossier_id=dossier_id)
    return queued
