"""Share cards: a 1200x630 PNG per letter with its title and count milestone.

A card only changes when the count passes a milestone (10, 11 … 20, 22 … 50, 55 … 100,
110 …: never more than about 9 % below the count; see ``share_card_milestone``) or
the title changes, so its URL carries that version and can be cached for a year. Cards
are drawn only by a Celery task (on publish, at milestones, and when a request finds the
current card missing) and kept in default storage; a request never draws one.
"""

import hashlib
import io
import logging
import re
import textwrap
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext, override
from kombu.exceptions import KombuError
from PIL import Image, ImageDraw, ImageFont, features
from redis.exceptions import RedisError

from embeds.badge import count_text
from letters.models import Letter
from letters.translations import LetterText, original_text
from mailing.tasks import enqueue

log = logging.getLogger(__name__)

SIZE = (1200, 630)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_PAPER, _INK, _MUTED, _ACCENT = "#fbfaf7", "#1d1d1b", "#5f5f59", "#8a1c1c"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


# Steps within each power of ten: 10, 11 … 20, 22 … 50, 55 … 95, then 100, 110 … A count
# just below the next step is at most 1/11 (9.1 %) above its milestone, so a card never
# undersells by more than that, and a power of ten has 35 milestones, not one per signature.
_STEPS = ((10, 1), (20, 2), (50, 5))


def share_card_milestone(count: int) -> int:
    """The milestone ``count`` has reached: 0 below 10, else ``count`` rounded down to
    a step of ``_STEPS`` (1, 2 or 5 in its second digit), at least 91 % of it."""
    if count < 10:
        return 0
    scale = 10 ** (len(str(count)) - 2)
    lead = count // scale  # the first two digits, 10 to 99
    step = next(step for start, step in reversed(_STEPS) if lead >= start)
    return lead // step * step * scale


def share_card_version(*, letter: Letter, count: int, text: LetterText | None = None) -> str:
    """The card's milestone and a digest of its title; a translation's card digests its
    language with its title, so each language has its own cards (the original's digest
    is the title's alone, as before letters had translations)."""
    title = letter.title if text is None or text.is_original else f"{text.language}\n{text.title}"
    digest = hashlib.sha256(title.encode()).hexdigest()[:8]
    return f"{share_card_milestone(count)}-{digest}"


def _folder(*, letter: Letter) -> str:
    return f"share-cards/{letter.pk}"


def _name(*, letter: Letter, version: str) -> str:
    return f"{_folder(letter=letter)}/{version}.png"


_STORED = re.compile(r"(?P<milestone>\d+)-(?P<title>[0-9a-f]{8})\.png")


def _font(size: int, *, bold: bool = False, latin: bool = True, basic: bool = False) -> Font:
    """DejaVu Serif for Latin, Greek and Cyrillic titles; DejaVu Sans, which also has
    Arabic and Hebrew letters, for the rest. ``basic``: Pillow's own layout, which draws
    characters one by one from left to right (what it does without libraqm)."""
    if bold:
        name = "DejaVuSerif-Bold.ttf" if latin else "DejaVuSans-Bold.ttf"
    else:
        name = "DejaVuSans.ttf"
    path = FONT_DIR / name
    if path.exists():
        engine = ImageFont.Layout.BASIC if basic else None
        return ImageFont.truetype(str(path), size, layout_engine=engine)
    return ImageFont.load_default(size=size)


def has_layout_engine() -> bool:
    """Whether Pillow lays out text with libraqm (right to left, joined Arabic letters)."""
    return bool(features.check("raqm"))


def _visual(line: str) -> str:
    """A right-to-left line in the order basic layout draws it (left to right): the
    letters reversed, runs of digits and Latin letters kept readable. Arabic letters stay
    unjoined: only libraqm joins them."""
    reversed_line = line[::-1]
    return _LTR_RUN.sub(lambda match: match.group(0)[::-1], reversed_line)


_LTR_RUN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,:%+\-]*")


def _count_line(milestone: int, *, language: str) -> str:
    if milestone == 0:
        return gettext("Add your name: every signature is confirmed by email.")
    count = count_text(milestone, language=language)
    return gettext("At least %(count)s confirmed signatures") % {"count": count}


def share_card_render(*, letter: Letter, count: int, text: LetterText | None = None) -> bytes:
    """Draw the card for ``text`` (none: the original); it shows the milestone reached, so
    it stays true until the next. A right-to-left title is aligned right and laid out by
    libraqm when Pillow has it (docs/embeds.md)."""
    text = text or original_text(letter)
    rtl = text.direction == "rtl"
    image = Image.new("RGB", SIZE, _PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SIZE[0], 16), fill=_ACCENT)
    draw.text((80, 70), settings.SITE_NAME, font=_font(34), fill=_MUTED)
    size = 68 if len(text.title) < 60 else 54
    lines = textwrap.wrap(text.title, width=int(1900 / size))
    if len(lines) > 4:
        lines = [*lines[:3], lines[3].rstrip(".,;: ") + " …"]
    # Below U+0590 (Hebrew): Latin, Greek, Cyrillic and Armenian, which the serif has.
    latin = all(ord(char) < 0x0590 for char in text.title)
    raqm = has_layout_engine()
    font = _font(size, bold=True, latin=latin, basic=rtl and not raqm)
    if rtl and raqm:
        draw.multiline_text(
            (SIZE[0] - 80, 140), "\n".join(lines), font=font, fill=_INK, spacing=14,
            anchor="ra", align="right", direction="rtl", language=text.language,
        )  # fmt: skip
    elif rtl:
        draw.multiline_text(
            (SIZE[0] - 80, 140), "\n".join(_visual(line) for line in lines), font=font,
            fill=_INK, spacing=14, anchor="ra", align="right",
        )  # fmt: skip
    else:
        draw.multiline_text((80, 140), "\n".join(lines), font=font, fill=_INK, spacing=14)
    with override(text.language):
        line = _count_line(share_card_milestone(count), language=text.language)
    draw.text((80, 500), line, font=_font(40), fill=_ACCENT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def share_card_store(*, letter: Letter, count: int, text: LetterText | None = None) -> str:
    """Draw and store the card for this count (and text) unless it is stored already; its
    version.

    Only the Celery task calls this; a web request never draws.
    """
    version = share_card_version(letter=letter, count=count, text=text)
    name = _name(letter=letter, version=version)
    if default_storage.exists(name):
        return version
    drawn = share_card_render(letter=letter, count=count, text=text)
    saved = default_storage.save(name, ContentFile(drawn))
    if saved != name:
        # Someone stored the same card meanwhile; keep theirs, drop our copy.
        default_storage.delete(saved)
    return version


def share_card_stored_version(
    *, letter: Letter, count: int, text: LetterText | None = None
) -> str | None:
    """The newest stored card that is still true: the one for this count, else the one
    of the highest milestone below it with the same title; None when there is none.

    A card of another title, or of a milestone above the current count, would say
    something untrue and is never offered; nor is a card of another language (its digest
    differs).
    """
    version = share_card_version(letter=letter, count=count, text=text)
    if default_storage.exists(_name(letter=letter, version=version)):
        return version
    milestone, title = version.split("-")
    try:
        _, files = default_storage.listdir(_folder(letter=letter))
    except FileNotFoundError:
        return None
    older = [
        int(match["milestone"])
        for name in files
        if (match := _STORED.fullmatch(name))
        and match["title"] == title
        and int(match["milestone"]) < int(milestone)
    ]
    return f"{max(older)}-{title}" if older else None


def share_card_read(*, letter: Letter, version: str) -> bytes:
    """The PNG of a stored card (a version given by ``share_card_stored_version``)."""
    with default_storage.open(_name(letter=letter, version=version), "rb") as stored:
        return stored.read()


def share_card_refresh(*, letter_id: int) -> None:
    """Queue a card for the letter's current count if it reached a new milestone."""
    from signatories.counters import counts_get

    share_card_maybe_refresh(letter_id=letter_id, count=counts_get(letter_id=letter_id).all)


# How long a queued card keeps others from queueing it again (the key below).
QUEUED_SECONDS = 3600
# How long a process remembers that it asked for a milestone's card: the confirmations in
# between cost no round trip to Redis. Short beside QUEUED_SECONDS, so a card whose
# queueing was lost is still asked for again about an hour later.
ASKED_SECONDS = 60
_ASKED_MAX = 1000
_asked: dict[tuple[int, str], tuple[int, float]] = {}


def share_card_maybe_refresh(*, letter_id: int, count: int, language: str = "") -> None:
    """Queue a new card when ``count`` has reached a milestone not drawn yet.

    Called after a confirmation commits, when a letter is published, and by a request
    that finds the current card missing. Costs one cache operation the first time a
    process sees a milestone of a letter within ``ASKED_SECONDS``, none after; never
    raises: until the card is drawn, requests get an older card or the fallback, and ask
    again an hour later if this queueing was lost. ``language`` names a translation's
    card (empty: the original's); a translation's card is asked for by the first request
    that finds it missing.
    """
    from embeds.tasks import share_card_generate

    milestone = share_card_milestone(count)
    now = time.monotonic()
    asked = _asked.get((letter_id, language))
    if asked is not None and asked[0] == milestone and now - asked[1] < ASKED_SECONDS:
        return  # this process found the key set (by itself or another) a moment ago
    try:
        key = f"share-card-queued:{letter_id}:{milestone}" + (f":{language}" if language else "")
        if cache.add(key, 1, timeout=QUEUED_SECONDS):
            if language:
                enqueue(share_card_generate, letter_id=letter_id, language=language)
            else:
                enqueue(share_card_generate, letter_id=letter_id)
    except (KombuError, RedisError, OSError, RuntimeError):  # the card can wait
        log.warning("Could not queue the share card of letter %s", letter_id)
        return
    if len(_asked) >= _ASKED_MAX:
        _asked.clear()
    _asked[(letter_id, language)] = (milestone, now)
