"""The pure parts of "where the time goes": sorting a sampled stack into a category, the
cost table of every scenario, the reason a target is not met, and the comparison of the
big letter's signatories pages with the small letter's.

bench/costs.py measures in-process; this module only reads its numbers.
tests/bench/test_breakdown.py covers it with made-up ones.
"""

import re
import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.report import Scenario, Summary, WrkResult

CATEGORIES = {
    "templates": "templates",
    "forms": "forms",
    "sql": "ORM + SQL",
    "redis": "Redis",
    "middleware": "middleware + HTTP",
    "celery": "Celery / outbox",
    "json": "JSON",
    "other": "other",
}
# A frame's location (bench/costs.py `location`) to its category, first match wins.
# Anything not named here (the standard library, django.utils, django.http...) is
# counted in the category of the nearest caller that has one.
RULES = [
    ("celery", r"^(celery|kombu|billiard|vine|amqp)/|^project:\w+/(outbox|tasks)\.py$"),
    ("templates", r"^django/template(tags)?/|^project:\w+/templatetags/|^jinja2/"),
    ("forms", r"^django/forms/|^project:(\w+/)*forms\.py$|^django_countries/"),
    ("sql", r"^django/db/|^psycopg(_pool|_c|_binary)?/"),
    ("redis", r"^redis/|^hiredis|^django/core/cache/backends/redis\.py$|^project:mailing/breaker"),
    ("json", r"^stdlib:json/|^django/core/serializers/|^orjson"),
    (
        "middleware",
        r"^django/(core/handlers|middleware|urls)/|^django/contrib/\w+/middleware\.py$"
        r"|^django/utils/deprecation\.py$|^whitenoise/|^allauth/.*middleware"
        r"|^project:config/headers\.py$|^project:\w+/http\.py$",
    ),
    ("outside", r"^project:bench/costs\.py$"),  # the probe itself, between requests
    ("other", r"^project:"),
]
_RULES = [(name, re.compile(pattern)) for name, pattern in RULES]
# Waiting on a server is what it is wherever it happens; the rest of a form's work,
# templates included, is the form's, and everything under an enqueue is the enqueue's.
SERVERS = frozenset({"sql", "redis"})
# "No slower at 1M than at 10k": the big letter's pages at least this fraction of the
# small one's req/s, the rounds' own noise on these machines being about as large.
NO_SLOWER = 0.9


def category(location: str) -> str | None:
    return next((name for name, rule in _RULES if rule.search(location)), None)


def categorize(stack: list[str]) -> str:
    """The category of one sampled stack, innermost frame first."""
    found = [category(location) for location in stack]
    if "celery" in found:
        return "celery"
    innermost = next((name for name in found if name is not None), "other")
    if innermost not in SERVERS and "forms" in found:
        return "forms"
    return innermost


def shares(samples: dict[str, float]) -> dict[str, float]:
    """The fraction of the request's CPU in each category (the probe's own excluded)."""
    inside = {name: n for name, n in samples.items() if name in CATEGORIES}
    total = sum(inside.values())
    return {name: inside.get(name, 0) / total if total else 0.0 for name in CATEGORIES}


def _percent(value: float) -> str:
    return f"{value:.0%}" if value >= 0.005 else ""


def costs_table(
    table: "list[tuple[Scenario, Summary]]", costs: dict[str, dict[str, Any]]
) -> list[str]:
    """One row per scenario measured in-process: CPU, queries, Redis, time by category."""
    heads = " | ".join(CATEGORIES.values())
    lines = [
        f"| scenario | CPU µs | wall µs | queries | Redis trips | {heads} | requests |",
        "|---|--:|--:|--:|--:|" + "--:|" * len(CATEGORIES) + "--:|",
    ]
    for scenario, _ in table:
        cost = costs.get(scenario.name)
        if cost is None:
            continue
        parts = shares(cost["samples"])
        cells = " | ".join(_percent(parts[name]) for name in CATEGORIES)
        lines.append(
            f"| {scenario.label} | {cost['cpu_us']:,.0f} | {cost['wall_us']:,.0f} "
            f"| {cost['queries']} | {cost['redis']} | {cells} | {cost['requests']} |"
        )
    return lines


def _detail(name: str, cost: dict[str, Any]) -> str:
    if name == "sql":
        return f", {_plural(cost['queries'], 'query', 'queries')}"
    if name == "redis":
        return f", {_plural(cost['redis'], 'round trip', 'round trips')}"
    return ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def reason(scenario: "Scenario", cost: dict[str, Any], bare: dict[str, Any]) -> str:
    """Why a scenario misses its ratio, from its profile against its bare baseline's: its
    CPU per request, what the target would allow, the categories that cost most beyond
    what the bare view spends on them, and the time it waits on the servers."""
    target = scenario.target or 1.0
    mine, theirs = shares(cost["samples"]), shares(bare["samples"])
    extra = {
        name: mine[name] * cost["cpu_us"] - theirs[name] * bare["cpu_us"] for name in CATEGORIES
    }
    top = sorted((name for name in extra if extra[name] > 0), key=extra.__getitem__)[::-1][:3]
    spent = "; ".join(
        f"{mine[name]:.0%} in {CATEGORIES[name]} ({mine[name] * cost['cpu_us']:,.0f} µs"
        f"{_detail(name, cost)}; the bare view {theirs[name] * bare['cpu_us']:,.0f} µs)"
        for name in top
    )
    waits = max(0.0, cost["wall_us"] - cost["cpu_us"])
    return (
        f"{cost['cpu_us']:,.0f} µs of CPU a request against the bare view's "
        f"{bare['cpu_us']:,.0f} ({cost['cpu_us'] / bare['cpu_us']:.1f}×; {target}× allows "
        f"about {bare['cpu_us'] / target:,.0f}). Of that CPU: {spent}. Besides, "
        f"{waits:,.0f} µs a request off the CPU (waiting on PostgreSQL, Redis or the "
        f"machine; the bare view {max(0.0, bare['wall_us'] - bare['cpu_us']):,.0f} µs)."
    )


def reasons(
    table: "list[tuple[Scenario, Summary]]",
    costs: dict[str, dict[str, Any]],
    met: "dict[str, bool | None]",
) -> list[str]:
    lines = []
    for scenario, summary in table:
        cost, bare = costs.get(scenario.name), costs.get(scenario.baseline)
        if met.get(scenario.name) is not False or cost is None or bare is None:
            continue
        lines.append(
            f"- **{scenario.label}** ({summary.ratio:.2f}×): {reason(scenario, cost, bare)}"
        )
    return lines


def size_ratios(rounds: "list[dict[str, WrkResult]]", big: str, small: str) -> list[float]:
    """Each round's req/s of the big letter's page over the small letter's."""
    return [r[big].rps / r[small].rps for r in rounds if big in r and small in r and r[small].rps]


def size_lines(
    rounds: "list[dict[str, WrkResult]]",
    costs: dict[str, dict[str, Any]],
    pairs: list[tuple[str, str, str]],
    *,
    signatures: int,
    small: int,
) -> list[str]:
    """The signatories pages at `signatures` against the same pages at `small`."""
    if not any(size_ratios(rounds, big, little) for _, big, little in pairs):
        return []  # neither pair ran (--only)
    lines = [
        "",
        f"### Signatories at {signatures:,} and at {small:,} signatures",
        "",
        f"| page | × at {small:,} (rounds) | CPU µs at {signatures:,} | CPU µs at {small:,} "
        "| no slower |",
        "|---|--:|--:|--:|---|",
    ]
    for label, big, little in pairs:
        found = size_ratios(rounds, big, little)
        if not found:
            continue
        median = statistics.median(found)
        cpu = [f"{costs[name]['cpu_us']:,.0f}" if name in costs else "" for name in (big, little)]
        verdict = "met" if median >= NO_SLOWER else "**not met**"
        rounds_text = " / ".join(f"{value:.2f}" for value in found)
        lines.append(
            f"| {label} | **{median:.2f}×** ({rounds_text}) | {cpu[0]} | {cpu[1]} "
            f"| ≥ {NO_SLOWER}×: {verdict} |"
        )
    return lines
