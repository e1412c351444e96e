"""The pure parts of the benchmark harness: scenarios and their targets, reading wrk's
report, summaries over rounds, the checks of the writing scenarios and the results text.

Nothing here starts a process or opens a socket; tests/bench/test_run.py covers it.
"""

import json
import re
import statistics
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

from bench.breakdown import costs_table, reasons, size_lines

START_MARK = "<!-- bench:results:start -->"
END_MARK = "<!-- bench:results:end -->"
BARE_JSON = "bare_json"
BARE_FORM = "bare_form"
HEALTHZ = "baseline"
WRITES = frozenset({BARE_FORM, "sign", "confirm"})


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    path: str
    method: str = "GET"
    status: int = 200
    server: str = "app"  # or "bare", the external baseline
    baseline: str = BARE_JSON  # the bare scenario its ratio is taken to
    target: float | None = None  # the least ratio to its bare baseline (issue 10)
    p99_ms: float | None = None  # the most p99 latency, where the issue sets one
    redis_trips: int | None = None  # the most Redis round trips a request, where it sets one


SMALL = "_10k"  # the name suffix of a scenario on the small letter
SIZE_PAIRS = [
    ("Page 1", "signatories", "signatories" + SMALL),
    ("Deep page (position link)", "signatories_deep", "signatories_deep" + SMALL),
]


def scenarios(slug: str, *, deep_after: str = "", small_deep_after: str = "") -> list[Scenario]:
    """The baselines first, then the reads; the writing scenarios last. ``deep_after`` is
    the position in the middle of the big letter's list, as its "Older" links give it;
    ``small_deep_after`` the same in the list of the small letter, ``<slug>-10k``."""
    letter = f"/letters/{slug}"
    small = f"/letters/{slug}-10k"
    api = f"/api/letters/{slug}/"
    return [
        Scenario(HEALTHZ, "Baseline: `/healthz`", "/healthz"),
        Scenario(BARE_JSON, "Bare Django: constant JSON", "/json/", server="bare"),
        Scenario("api", "Counter JSON", api, target=0.8),
        Scenario("api_304", "Counter JSON, `If-None-Match` (304)", api, status=304, target=0.8),
        Scenario("shields", "Shields JSON", f"{api}shields.json", target=0.8),
        Scenario("badge", "SVG badge", f"{letter}/badge.svg", target=0.8),
        Scenario("widget", "Iframe widget", f"/embed/letters/{slug}/", target=0.6),
        Scenario("letter", "Letter page", f"{letter}/", target=0.3, p99_ms=100),
        Scenario("home", "Home page, 50 letters", "/", target=0.3, redis_trips=1),
        Scenario("signatories", "Signatories, page 1", f"{letter}/signatories/", target=0.3),
        Scenario(
            "signatories_deep",
            "Signatories, deep (middle, position link)",
            f"{letter}/signatories/?after={deep_after}",
            target=0.3,
        ),
        Scenario(
            "signatories" + SMALL, "Small letter: signatories, page 1", f"{small}/signatories/"
        ),
        Scenario(
            "signatories_deep" + SMALL,
            "Small letter: signatories, deep (middle)",
            f"{small}/signatories/?after={small_deep_after}",
        ),
        Scenario("search", "Signatories search", f"{letter}/signatories/?q=Signer+4242"),
        Scenario("feed_rss", "RSS feed", "/feeds/letters.rss"),
        Scenario("feed_atom", "Atom feed", "/feeds/letters.atom"),
        Scenario(
            BARE_FORM,
            "Bare Django: 3-field form + INSERT (302)",
            "/form/",
            method="POST",
            status=302,
            server="bare",
            baseline=BARE_FORM,
        ),
        Scenario(
            "sign", "Sign POST", f"{letter}/sign/", method="POST", baseline=BARE_FORM, target=0.8
        ),
        Scenario(
            "confirm",
            "Confirm POST",
            "/confirm/<token>/",
            method="POST",
            baseline=BARE_FORM,
            target=0.8,
        ),
    ]


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    errors: int
    p50_ms: float
    p99_ms: float
    ok: int = 0
    bad: int = 0
    refused: int = 0
    status_errors: int = 0  # answers >= 400, which wrk also counts among its errors

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def failures(self) -> int:
        """Requests that failed: socket errors and timeouts, plus unexpected answers. A POST
        scenario classifies every answer itself (a 400 is counted as refused, apart)."""
        classified = self.ok + self.refused + self.bad > 0
        socket_errors = self.errors - self.status_errors
        return socket_errors + (self.bad if classified else self.status_errors)


def parse_wrk(output: str) -> WrkResult:
    """Read the line that bench/report.lua prints at the end of a wrk run."""
    for line in reversed(output.splitlines()):
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            break
    else:
        raise ValueError(f"wrk printed no BENCH_JSON line:\n{output}")
    return WrkResult(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        errors=sum(data["errors"].values()),
        p50_ms=data["latency_us"]["p50"] / 1000,
        p99_ms=data["latency_us"]["p99"] / 1000,
        ok=data.get("ok", 0),
        bad=data.get("bad", 0),
        refused=data.get("refused", 0),
        status_errors=data["errors"]["status"],
    )


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else 0.0


@dataclass(frozen=True)
class Summary:
    name: str
    rps: float
    ratios: list[float]  # to the bare baseline, one per round
    healthz_ratios: list[float]
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else 0.0

    @property
    def healthz_ratio(self) -> float:
        return statistics.median(self.healthz_ratios) if self.healthz_ratios else 0.0


def summarize(rounds: list[dict[str, WrkResult]], name: str, baseline: str = BARE_JSON) -> Summary:
    """Medians over the rounds that ran `name`; each ratio against its own round's baselines."""
    runs = [r for r in rounds if name in r]
    if not runs:
        raise ValueError(f"no round ran {name!r}")
    return Summary(
        name=name,
        rps=statistics.median(r[name].rps for r in runs),
        ratios=[ratio(r[name].rps, r[baseline].rps) for r in runs if baseline in r],
        healthz_ratios=[ratio(r[name].rps, r[HEALTHZ].rps) for r in runs if HEALTHZ in r],
        p50_ms=statistics.median(r[name].p50_ms for r in runs),
        p99_ms=statistics.median(r[name].p99_ms for r in runs),
        errors=sum(r[name].failures for r in runs),
    )


def target_met(scenario: Scenario, summary: Summary, redis_trips: int | None = None) -> bool | None:
    """Whether the scenario meets its target from issue 10; None when it has none. A
    target on Redis round trips is not met when they were not counted."""
    if scenario.target is None:
        return None
    met = summary.ratio >= scenario.target
    if scenario.p99_ms is not None:
        met = met and summary.p99_ms < scenario.p99_ms
    if scenario.redis_trips is not None:
        met = met and redis_trips is not None and redis_trips <= scenario.redis_trips
    return met


def target_cell(scenario: Scenario, summary: Summary, redis_trips: int | None = None) -> str:
    met = target_met(scenario, summary, redis_trips)
    if met is None:
        return "—"
    goal = f"≥ {scenario.target}×"
    if scenario.p99_ms is not None:
        goal += f", p99 < {scenario.p99_ms:.0f} ms"
    if scenario.redis_trips is not None:
        goal += f", ≤ {scenario.redis_trips} Redis round trip"
    return f"{goal}: {'met' if met else '**not met**'}"


def csrf_from_page(html: str, set_cookie: list[str]) -> tuple[str, str]:
    """The form's CSRF token and the csrftoken cookie, each "" when the page has none (a
    form protected without a cookie sends neither)."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    cookie: SimpleCookie = SimpleCookie()
    for header in set_cookie:
        cookie.load(header)
    token = match.group(1) if match else ""
    return token, cookie["csrftoken"].value if "csrftoken" in cookie else ""


def stamp_from_page(html: str) -> str:
    """The sign form's time stamp, URL-encoded for the POST body (signatories/forms.py)."""
    match = re.search(r'name="stamp" value="([^"]+)"', html)
    if match is None:
        raise ValueError("the page has no form stamp")
    return quote(match.group(1), safe="")


def form_body(fields: list[tuple[str, str]], *, csrf_token: str = "") -> str:
    """A urlencoded body; the CSRF field only when the form has one. Values are sent as
    given, so "@N@" (replaced per request by bench/post.lua) survives."""
    pairs = [("csrfmiddlewaretoken", csrf_token)] if csrf_token else []
    return "&".join(f"{name}={value}" for name, value in pairs + fields)


def cookie_header(csrf_cookie: str) -> str:
    return f"csrftoken={csrf_cookie}" if csrf_cookie else ""


SERVERS = ("granian", "gunicorn-sync", "gthread")


def web_setup(text: str) -> tuple[int, int]:
    """Processes and threads from `bin/web --print-setup` ("WEB_WORKERS=2 WEB_THREADS=4
    WEB_APP=..."): bin/web holds the only copy of the production defaults."""
    values = dict(pair.split("=", 1) for pair in text.split() if "=" in pair)
    try:
        return int(values["WEB_WORKERS"]), int(values["WEB_THREADS"])
    except (KeyError, ValueError):
        raise ValueError(f"bin/web --print-setup said {text.strip()!r}") from None


def server_command(
    server: str, *, project: str, port: int, workers: int, threads: int, python: str, web: str
) -> tuple[list[str], dict[str, str]]:
    """The command and extra environment that serve `project` (the site's `config` or the
    bare `bench.bare`) on a loopback port. "granian" is production's `bin/web`, told the
    application with WEB_APP; the gunicorn ones are there to compare with."""
    if server == "granian":
        extra = {"WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}
        extra["WEB_APP"] = f"{project}.wsgi:application"
        return [web, "--host", "127.0.0.1", "--port", str(port)], extra
    command = [python, "-m", "gunicorn", f"{project}.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers)]
    if server == "gthread":
        return [*command, "--worker-class", "gthread", "--threads", str(threads)], {}
    if server == "gunicorn-sync":
        return [*command, "--worker-class", "sync"], {}
    raise ValueError(f"unknown server {server!r}: one of {', '.join(SERVERS)}")


def server_text(server: str, workers: int, threads: int) -> str:
    if server == "granian":
        return f"granian WSGI through `bin/web`, {workers} processes × {threads} threads"
    if server == "gthread":
        return f"gunicorn, {workers} gthread workers × {threads} threads"
    return f"gunicorn, {workers} sync workers"


def percentile_p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def replace_generated(document: str, generated: str) -> str:
    """Put `generated` between the markers, keeping the human text around them."""
    block = f"{START_MARK}\n{generated.strip()}\n{END_MARK}"
    if START_MARK in document and END_MARK in document:
        before, _, rest = document.partition(START_MARK)
        _, _, after = rest.partition(END_MARK)
        return f"{before}{block}{after}"
    return f"{document.rstrip()}\n\n{block}\n"


def sign_check(*, answered: int, failed: int, connections: int, verify: dict[str, Any]) -> bool:
    """Every POST answered with the "check your inbox" page left a signature (pending and
    mailed, or held by a rate limit and mailed nothing) and nothing else failed."""
    stored = verify["signatures"]
    return (
        failed == 0
        and answered > 0  # a run that stored nothing proves nothing
        and answered <= stored <= answered + connections * verify.get("runs", 1)
        and verify["outbox"] >= verify["pending"]
        and verify["unsent"] == 0
        and verify["without_outbox"] == 0
        and verify["without_token"] == 0
    )


def confirm_check(
    *, answered: int, failed: int, connections: int, runs: int, before: dict[str, int],
    after: dict[str, int],
) -> bool:  # fmt: skip
    """The Redis count equals the rows exactly, and the rows grew by every confirmation
    answered (plus at most one in flight per connection when wrk stopped)."""
    grown = after["rows"] - before["rows"]
    return (
        failed == 0
        and answered > 0
        and after["redis"] == after["rows"]
        and answered <= grown <= answered + connections * runs
    )


def _fmt_ratios(ratios: list[float]) -> str:
    return " / ".join(f"{value:.2f}" for value in ratios)


def _met(flag: bool) -> str:
    return "met" if flag else "**not met**"


def _trips(costs: dict[str, Any], name: str) -> int | None:
    return costs[name]["redis"] if name in costs else None


def results_table(table: list[tuple[Scenario, Summary]], costs: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | path | req/s | × bare | target | × `/healthz` | rounds (× bare) "
        "| p50 ms | p99 ms | queries | Redis trips | errors |",
        "|---|---|--:|--:|---|--:|---|--:|--:|--:|--:|--:|",
    ]
    for scenario, summary in table:
        cost = costs.get(scenario.name, {})
        bare = "bare " if scenario.server == "bare" else ""
        target = target_cell(scenario, summary, _trips(costs, scenario.name))
        lines.append(
            f"| {scenario.label} | `{bare}{scenario.method} {scenario.path}` "
            f"| {summary.rps:,.0f} | **{summary.ratio:.2f}×** | {target} "
            f"| {summary.healthz_ratio:.2f}× | {_fmt_ratios(summary.ratios)} "
            f"| {summary.p50_ms:.1f} | {summary.p99_ms:.1f} | {cost.get('queries', '')} "
            f"| {cost.get('redis', '')} | {summary.errors} |"
        )
    return lines


def costs_lines(table: list[tuple[Scenario, Summary]], costs: dict[str, Any]) -> list[str]:
    """The section "Where the time goes": the in-process profile of every scenario, and the reason
    for every target not met."""
    met = {s.name: target_met(s, summary, _trips(costs, s.name)) for s, summary in table}
    lines = [
        "",
        "### Where the time goes",
        "",
        "Each scenario's request made in-process through the site's WSGI application (the bare "
        "ones through the bare project's), caches warm, PostgreSQL and Redis on "
        "(`bench/costs.py`). *CPU µs* is this process's CPU time a request (not PostgreSQL's "
        "or Redis's), *wall µs* its elapsed time, waits on the servers and on a busy machine "
        "included. The categories share the CPU: the request's stack is sampled every "
        "0.2 ms, each sample weighed by the CPU spent around it and put in the category of "
        "its innermost frame that has one (*ORM + SQL* and *Redis* are the client's work: "
        "building queries, sending, parsing answers). docs/benchmarks.md says more.",
        "",
        *costs_table(table, costs),
    ]
    why = reasons(table, costs, met)
    if why:
        lines += ["", "Targets not met, from these profiles:", "", *why]
    return lines


def scale_lines(scale: dict[str, Any], signatures: int) -> list[str]:
    """The measurements of the 1M row of the targets, at the seeded size."""
    rss = scale.get("rss_mb", [])
    worst = max(rss) if rss else 0.0
    lines = [
        "",
        f"### At {signatures:,} signatures",
        "",
        "| measurement | value | target |",
        "|---|--:|---|",
        f"| API signatories, deep cursor, p95 ({scale['api_samples']} pages) "
        f"| {scale['api_deep_p95_ms']:.1f} ms | < 50 ms: {_met(scale['api_deep_p95_ms'] < 50)} |",
        f"| Organizer search, p95 ({scale['search_samples']} searches) "
        f"| {scale['search_p95_ms']:.1f} ms | < 100 ms: {_met(scale['search_p95_ms'] < 100)} |",
        f"| CSV export of {scale['export_rows']:,} rows ({scale['export_mb']:.0f} MB) "
        f"| {scale['export_s']:.1f} s | < 30 s: {_met(scale['export_s'] < 30)} |",
        f"| Export process, peak RSS | {scale['export_rss_mb']:.0f} MB "
        f"| < 200 MB: {_met(scale['export_rss_mb'] < 200)} |",
        f"| Web worker RSS after the run (largest of {len(rss)}: "
        f"{', '.join(f'{value:.0f}' for value in rss)}) | {worst:.0f} MB "
        f"| < 150 MB: {_met(bool(rss) and worst < 150)} |",
    ]
    if signatures < 1_000_000:
        lines += ["", "The targets of this table are set for 1,000,000 signatures."]
    return lines


def sign_lines(sign: dict[str, Any]) -> list[str]:
    held = sign.get("held") or {}
    held_text = ", ".join(f"{n:,} {reason}" for reason, n in sorted(held.items())) or "none"
    return [
        "",
        "### Sign check",
        "",
        f"Check {'passed' if sign['passed'] else '**FAILED**'}: {sign['answered']:,} sign POSTs "
        f"answered with the check-your-inbox page, {sign['refused']:,} answered 400 (the proof "
        f"of work switched on, or the form refused), {sign['failed']} failed otherwise. "
        f"{sign['signatures']:,} signatures stored (at most one per open connection was in "
        f"flight when wrk stopped): {sign['pending']:,} pending with their confirmation email "
        f"sent ({sign['unsent']} unsent, {sign['without_token']} without a token), held by a "
        f"rate limit: {held_text}. The outbox was empty within {sign['waited_s']} s of the "
        "load stopping.",
    ]


def confirm_lines(confirm: dict[str, Any]) -> list[str]:
    return [
        "",
        "### Confirm check",
        "",
        f"Check {'passed' if confirm['passed'] else '**FAILED**'}: {confirm['answered']:,} "
        f"confirm POSTs answered 200 (and {confirm['failed']} did not), each with its own "
        f"prepared token. The confirmed count went from {confirm['before']['rows']:,} to "
        f"{confirm['after']['rows']:,} rows; the Redis counter reads "
        f"{confirm['after']['redis']:,}.",
    ]


def render_results(
    *,
    meta: dict[str, str],
    table: list[tuple[Scenario, Summary]],
    costs: dict[str, Any],
    count: dict[str, float],
    sign: dict[str, Any] | None = None,
    confirm: dict[str, Any] | None = None,
    scale: dict[str, Any] | None = None,
    signatures: int = 0,
    rounds: list[dict[str, WrkResult]] | None = None,
    small: int = 0,
) -> str:
    """The generated section of docs/benchmarks.md."""
    lines = ["## Latest results", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in meta.items()]
    lines += ["", *results_table(table, costs)]
    lines += [
        "",
        "req/s, p50 and p99 are medians over the rounds. × bare is the median of each round's "
        "ratio to the bare Django project's baseline measured in the same round (reads to its "
        "constant JSON, writes to its form + INSERT); × `/healthz` likewise to the site's "
        "`/healthz`. *queries* and *Redis trips* are the database queries and Redis round trips "
        "(commands or pipelines sent) of one request, counted in-process with warm caches.",
        "",
        "### Why the counter lives in Redis",
        "",
        f"Counting the {int(count['confirmed']):,} confirmed signatures from the rows "
        f"(`SELECT count(*)`, what `counts_from_rows` runs) takes **{count['rows_ms']:.2f} ms**; "
        f"reading the Redis counter (`counts_get`) takes **{count['redis_ms']:.3f} ms**: "
        f"**{ratio(count['rows_ms'], count['redis_ms']):,.0f}×** faster (medians, in-process). "
        "Every page, widget, badge and API call reads the count.",
    ]
    lines += costs_lines(table, costs)
    if rounds and small:
        lines += size_lines(rounds, costs, SIZE_PAIRS, signatures=signatures, small=small)
    if scale is not None:
        lines += scale_lines(scale, signatures)
    if sign is not None:
        lines += sign_lines(sign)
    if confirm is not None:
        lines += confirm_lines(confirm)
    return "\n".join(lines) + "\n"
