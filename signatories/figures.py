"""Public signatures per day, from the count's event log (signatories/events.py).

Days are those of the letter's time zone. A past day's figures never change (events are
only ever added, at the moment they happen), so each process adds up the days before
today once per letter and day (``_past``) and only today's events on each read. The chart
on the letter page does not even read today's events: today's net is the live count
minus the total at the end of yesterday, since the count is the sum of the events.
"""

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from letters.models import Letter
from mailing.kept import Kept
from signatories.counters import Counts
from signatories.models import CountEvent

Kind = CountEvent.Kind


@dataclass(frozen=True)
class Day:
    """One day of a letter's count: what moved it, how much, and where it ended."""

    day: date
    confirmed: int = 0
    withdrawn: int = 0
    held: int = 0
    released: int = 0
    removed: int = 0
    restored: int = 0
    net: int = 0
    total: int = 0

    @property
    def anchor(self) -> str:
        return day_anchor(self.day)

    def as_dict(self) -> dict[str, object]:
        return {field.name: getattr(self, field.name) for field in fields(self)} | {
            "day": self.day.isoformat()
        }


# The columns of the JSON and CSV, in order.
COLUMNS = tuple(field.name for field in fields(Day))
# Which column each kind of event adds to, and with which sign.
_COLUMN = {
    Kind.CONFIRM: ("confirmed", 1),
    Kind.WITHDRAW: ("withdrawn", -1),
    Kind.HOLD: ("held", -1),
    Kind.RELEASE: ("released", 1),
    Kind.REMOVE: ("removed", -1),
    Kind.RESTORE: ("restored", 1),
}


def day_anchor(day: date) -> str:
    """The id of a day's row on the figures page (the correction log links to it)."""
    return f"day-{day.isoformat()}"


@cache
def zone_of(name: str) -> ZoneInfo:
    """The time zone of that name (a letter's ``time_zone``), UTC for one not known."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(moment: datetime, time_zone: str) -> date:
    """The day ``moment`` falls on in ``time_zone``."""
    return moment.astimezone(zone_of(time_zone)).date()


def _start_of(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone_of(time_zone))


def _sums(*, letter_id: int, time_zone: str, since: date | None, before: date | None) -> list[Day]:
    """The days with events between ``since`` and ``before`` (excluded), with no total."""
    rows = CountEvent.objects.filter(letter_id=letter_id)
    if since is not None:
        rows = rows.filter(occurred_at__gte=_start_of(since, time_zone))
    if before is not None:
        rows = rows.filter(occurred_at__lt=_start_of(before, time_zone))
    moved: dict[date, dict[str, int]] = {}
    sums = (
        rows.annotate(day=TruncDate("occurred_at", tzinfo=zone_of(time_zone)))
        .values_list("day", "kind")
        .annotate(moved=Sum("delta"))
        .order_by()
    )
    for day, kind, delta in sums:
        column, sign = _COLUMN[Kind(kind)]
        values = moved.setdefault(day, {})
        values[column] = values.get(column, 0) + sign * delta
        values["net"] = values.get("net", 0) + delta
    return [Day(day=day, **moved[day]) for day in sorted(moved)]


# (letter id, time zone, today) -> the days before today, with their totals.
_past_kept: Kept[tuple[int, str, date], tuple[Day, ...]] = Kept(500)


def _past(*, letter_id: int, time_zone: str, today: date) -> tuple[Day, ...]:
    key = (letter_id, time_zone, today)
    kept = _past_kept.get(key)
    if kept is None:
        days = _sums(letter_id=letter_id, time_zone=time_zone, since=None, before=today)
        kept = _past_kept.keep(key, tuple(_totalled(days, start=0)))
    return kept


def figures_forget_all() -> None:
    _past_kept.forget_all()


def _totalled(days: Sequence[Day], *, start: int) -> list[Day]:
    """``days`` with their running total, and the days without events in between."""
    result: list[Day] = []
    total = start
    for day in days:
        if result:
            gap = result[-1].day + timedelta(days=1)
            while gap < day.day:
                result.append(Day(day=gap, total=total))
                gap += timedelta(days=1)
        total += day.net
        result.append(replace(day, total=total))
    return result


def _today(time_zone: str) -> date:
    return local_day(timezone.now(), time_zone)


def daily_figures(*, letter_id: int, time_zone: str) -> list[Day]:
    """Every day from the first event to today, in the letter's time zone."""
    today = _today(time_zone)
    past = _past(letter_id=letter_id, time_zone=time_zone, today=today)
    moved = _sums(letter_id=letter_id, time_zone=time_zone, since=today, before=None)
    today_row = moved[0] if moved else Day(day=today)
    return _joined(past, today_row)


def _joined(past: Sequence[Day], today: Day) -> list[Day]:
    """The days before today, the quiet days since the last of them, and today."""
    moved = any(getattr(today, name) for name in COLUMNS[1:-1])
    if not past and not moved:
        return []
    result = list(past)
    total = past[-1].total if past else 0
    gap = past[-1].day + timedelta(days=1) if past else today.day
    while gap < today.day:
        result.append(Day(day=gap, total=total))
        gap += timedelta(days=1)
    result.append(replace(today, total=total + today.net))
    return result


def figures_csv(days: Sequence[Day]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for day in days:
        row = day.as_dict()
        writer.writerow([row[name] for name in COLUMNS])
    return out.getvalue()


# The chart shows the last days only.
CHART_DAYS = 60
_WIDTH, _HEIGHT = 600, 120

# (letter id, language, today, count) -> the drawn chart.
_charts: Kept[tuple[int, str, date, int], SafeString] = Kept(500)


def chart_svg(*, letter_id: int, slug: str, time_zone: str, count: int) -> SafeString:
    """The chart of the last days' net signatures, drawn on the server; empty before the
    first signature. Kept per process for the letter, language, day and count. The bars
    are not links (sixty stops for a keyboard); the caption links the table of days."""
    today = _today(time_zone)
    key = (letter_id, get_language() or "", today, count)
    kept = _charts.get(key)
    if kept is not None:
        return kept
    past = _past(letter_id=letter_id, time_zone=time_zone, today=today)
    before = past[-1].total if past else 0
    days = _joined(past, Day(day=today, net=count - before))[-CHART_DAYS:]
    return _charts.keep(key, _draw(days, slug=slug))


def _draw(days: Sequence[Day], *, slug: str) -> SafeString:
    if not days:
        return SafeString("")
    page = reverse("signatories:figures", kwargs={"slug": slug})
    high = max(1, *(day.net for day in days))
    low = min(0, *(day.net for day in days))
    scale = _HEIGHT / (high - low)
    zero = high * scale
    step = _WIDTH / len(days)
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}" data-day="{}">'
        "<title>{}</title></rect>",
        (
            (
                _number(index * step + step * 0.1),
                _number(zero - max(day.net, 0) * scale),
                _number(step * 0.8),
                _number(max(abs(day.net) * scale, 0.5)),
                "down" if day.net < 0 else "up",
                day.day.isoformat(),
                _bar_label(day),
            )
            for index, day in enumerate(days)
        ),
    )
    best = max(days, key=lambda day: day.net)
    title = gettext("Signatures per day")
    total = days[-1].total
    summary = ngettext(
        "%(total)s signature counted so far.", "%(total)s signatures counted so far.", total
    ) % {"total": total}
    summary += " " + ngettext(
        "The chart shows the last day.", "The chart shows the last %(days)s days.", len(days)
    ) % {"days": len(days)}
    if best.net > 0:
        summary += " " + gettext("The most in one day: %(net)s on %(day)s.") % {
            "net": best.net,
            "day": date_format(best.day, "DATE_FORMAT"),
        }
    return format_html(
        '<figure class="figures-chart">'
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img"'
        ' aria-labelledby="figures-title figures-desc" preserveAspectRatio="none">'
        '<title id="figures-title">{}</title><desc id="figures-desc">{}</desc>'
        '<line x1="0" x2="{}" y1="{}" y2="{}" class="zero"/>{}</svg>'
        '<figcaption>{} <a href="{}">{}</a></figcaption></figure>',
        _WIDTH,
        _HEIGHT,
        title,
        summary,
        _WIDTH,
        _number(zero),
        _number(zero),
        bars,
        summary,
        page,
        gettext("Every day in figures"),
    )


def _number(value: float) -> str:
    return f"{value:.1f}"


def _bar_label(day: Day) -> str:
    return gettext("%(day)s: %(net)+d, %(total)s in all") % {
        "day": date_format(day.day, "DATE_FORMAT"),
        "net": day.net,
        "total": day.total,
    }


def letter_part(*, letter: Letter, context: Mapping[str, object]) -> dict[str, object]:
    """The chart under the names on the letter page (registered in apps.py, after the
    part that reads the count). It is drawn from what the kept page's state already
    names: the count, and the day (``signatories.pages.letter_page_state``)."""
    counts = context.get("counts")
    if not isinstance(counts, Counts) or not letter.is_public:
        return {"figures_chart": SafeString("")}
    chart = chart_svg(
        letter_id=letter.pk, slug=letter.slug, time_zone=letter.time_zone, count=counts.all
    )
    return {"figures_chart": chart}
