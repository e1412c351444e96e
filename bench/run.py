"""The benchmark harness: `make bench` (or `uv run python bench/run.py --help`).

It builds a production-mode instance on loopback (PostgreSQL database `undersigned_bench`,
Redis DB 5, gunicorn sync workers, a Celery worker with beat), seeds one letter with many
confirmed signatures, and loads each scenario with wrk for a bounded time, in rounds that
each start with the baseline (`/healthz`). Every number is reported as a ratio to the
baseline of the same round, because these machines are small and noisy. The results
replace the generated section of docs/benchmarks.md.

The functions above `main` are pure and covered by tests/bench/test_run.py.
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-letter"
BENCH_SIGN_LIMIT = "100000000/minute"
START_MARK = "<!-- bench:results:start -->"
END_MARK = "<!-- bench:results:end -->"
# Settings of the site that must not leak from the caller's shell into the instance under
# load (above all EMAIL_HOST: the sign scenario must never send real mail).
SITE_VARIABLES = frozenset(
    [
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "DEBUG",
        "SITE_URL",
        "SITE_NAME",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        "HTTPS",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_BACKEND",
        "CACHE_KEY_PREFIX",
        "STATIC_MANIFEST",
        "VAR_DIR",
        "MEDIA_ROOT",
        "TRUSTED_PROXY_COUNT",
        "SIGN_LIMIT_PER_IP",
        "SIGN_LIMIT_PER_NETWORK",
        "SIGN_LIMIT_PER_LETTER",
        "DB_CONN_MAX_AGE",
        "LOG_LEVEL",
    ]
)


@dataclass(frozen=True)
class Scenario:
    name: str
    label: str
    path: str
    method: str = "GET"
    status: int = 200


def scenarios(slug: str) -> list[Scenario]:
    """The baseline first, then the reads; the sign POST last because it writes."""
    return [
        Scenario("baseline", "Baseline: `/healthz`", "/healthz"),
        Scenario("api", "Counter JSON", f"/api/letters/{slug}/"),
        Scenario(
            "api_304", "Counter JSON, `If-None-Match` (304)", f"/api/letters/{slug}/", status=304
        ),
        Scenario("widget", "Iframe widget", f"/embed/letters/{slug}/"),
        Scenario("badge", "SVG badge", f"/letters/{slug}/badge.svg"),
        Scenario("shields", "Shields JSON", f"/api/letters/{slug}/shields.json"),
        Scenario("letter", "Letter page", f"/letters/{slug}/"),
        Scenario("signatories", "Signatories page", f"/letters/{slug}/signatories/"),
        Scenario("sign", "Sign POST (302)", f"/letters/{slug}/sign/", method="POST", status=302),
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

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


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
    )


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else 0.0


@dataclass(frozen=True)
class Summary:
    name: str
    rps: float
    ratios: list[float]
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def summarize(rounds: list[dict[str, WrkResult]], name: str) -> Summary:
    """Medians over the rounds that ran `name`; each ratio against its own round's baseline."""
    runs = [(r[name], r["baseline"]) for r in rounds if name in r]
    if not runs:
        raise ValueError(f"no round ran {name!r}")
    return Summary(
        name=name,
        rps=statistics.median(run.rps for run, _ in runs),
        ratios=[ratio(run.rps, base.rps) for run, base in runs],
        p50_ms=statistics.median(run.p50_ms for run, _ in runs),
        p99_ms=statistics.median(run.p99_ms for run, _ in runs),
        errors=sum(run.errors + run.bad for run, _ in runs),
    )


def csrf_from_page(html: str, set_cookie: list[str]) -> tuple[str, str]:
    """The form token and the csrftoken cookie that a sign POST must send back; empty when
    the form has none (the sign form is checked by origin, not by a CSRF cookie)."""
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if match is None:
        return "", ""
    cookie: SimpleCookie = SimpleCookie()
    for header in set_cookie:
        cookie.load(header)
    if "csrftoken" not in cookie:
        raise ValueError("the page set no csrftoken cookie")
    return match.group(1), cookie["csrftoken"].value


def stamp_from_page(html: str) -> str:
    """The sign form's time stamp, URL-encoded for the POST body (signatories/forms.py)."""
    match = re.search(r'name="stamp" value="([^"]+)"', html)
    if match is None:
        raise ValueError("the page has no form stamp")
    return quote(match.group(1), safe="")


def replace_generated(document: str, generated: str) -> str:
    """Put `generated` between the markers, keeping the human text around them."""
    block = f"{START_MARK}\n{generated.strip()}\n{END_MARK}"
    if START_MARK in document and END_MARK in document:
        before, _, rest = document.partition(START_MARK)
        _, _, after = rest.partition(END_MARK)
        return f"{before}{block}{after}"
    return f"{document.rstrip()}\n\n{block}\n"


def _fmt_ratios(ratios: list[float]) -> str:
    return " / ".join(f"{value:.2f}" for value in ratios)


def render_results(
    *,
    meta: dict[str, str],
    table: list[tuple[Scenario, Summary]],
    queries: dict[str, Any],
    count: dict[str, float],
    sign: dict[str, Any] | None,
) -> str:
    """The generated section of docs/benchmarks.md."""
    lines = ["## Latest results", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in meta.items()]
    lines += [
        "",
        "| scenario | path | req/s | × baseline | rounds (× baseline) | p50 ms | p99 ms "
        "| queries | errors |",
        "|---|---|--:|--:|---|--:|--:|--:|--:|",
    ]
    for scenario, summary in table:
        queries_cell = queries.get(scenario.name, {}).get("queries", "")
        lines.append(
            f"| {scenario.label} | `{scenario.method} {scenario.path}` | {summary.rps:,.0f} "
            f"| **{summary.ratio:.2f}×** | {_fmt_ratios(summary.ratios)} "
            f"| {summary.p50_ms:.1f} | {summary.p99_ms:.1f} | {queries_cell} | {summary.errors} |"
        )
    lines += [
        "",
        "req/s, p50 and p99 are medians over the rounds; × baseline is the median of each "
        "round's ratio to the baseline measured just before it. *queries* are database "
        "queries per request, counted in-process with warm caches.",
        "",
        "### Why the counter lives in Redis",
        "",
        f"Counting the {int(count['confirmed']):,} confirmed signatures from the rows "
        f"(`SELECT count(*)`, what `counts_from_rows` runs) takes **{count['rows_ms']:.2f} ms**; "
        f"reading the Redis counter (`counts_get`) takes **{count['redis_ms']:.3f} ms**: "
        f"**{ratio(count['rows_ms'], count['redis_ms']):,.0f}×** faster (medians, in-process). "
        "Every page, widget, badge and API call reads the count.",
    ]
    if sign is not None:
        ok = "passed" if sign["passed"] else "**FAILED**"
        lines += [
            "",
            "### Sign check",
            "",
            f"Check {ok}: {sign['answered']:,} sign POSTs answered 302 (and {sign['failed']} "
            f"failed); {sign['signatures']:,} signatures stored (the difference, at most the "
            f"open connections, were in flight when wrk stopped); {sign['outbox']:,} "
            f"confirmation emails in the outbox, {sign['unsent']} unsent, "
            f"{sign['without_token']} signatures without an emailed token. "
            f"After each round the outbox was empty within {sign['waited_s']} s of the load "
            "stopping (kicks after commit; the beat sweep every 30 s catches the rest).",
        ]
    return "\n".join(lines) + "\n"


def sign_check(*, answered: int, failed: int, connections: int, verify: dict[str, Any]) -> bool:
    """Every answered POST left a signature, each with a sent confirmation email."""
    stored = verify["signatures"]
    return (
        failed == 0
        and answered <= stored <= answered + connections * verify.get("runs", 1)
        and verify["outbox"] >= stored
        and verify["unsent"] == 0
        and verify["without_outbox"] == 0
        and verify["without_token"] == 0
    )


# Orchestration -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--signatures", type=int, default=200_000, help="confirmed signatures to seed")
    add("--duration", type=int, default=10, help="seconds measured per scenario and round")
    add("--warmup", type=int, default=2, help="seconds of unmeasured load before each")
    add("--rounds", type=int, default=3, help="rounds, each starting with the baseline")
    add("--connections", type=int, default=8, help="wrk connections")
    add("--threads", type=int, default=1, help="wrk threads")
    add("--workers", type=int, default=3, help="gunicorn sync workers")
    add("--port", type=int, default=8200, help="loopback port of gunicorn")
    add("--database", default="undersigned_bench", help="dropped and recreated each run")
    add("--redis-url", default="redis://127.0.0.1:6379/5", help="flushed each run")
    add("--only", default="", help="comma-separated scenario names (default: all)")
    add("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout")
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk is missing: installing Debian's package")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    return path


def site_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SITE_VARIABLES}
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        REDIS_URL=args.redis_url,
        SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        DEBUG="false",
        HTTPS="false",
        SITE_URL=f"http://127.0.0.1:{args.port}",
        ALLOWED_HOSTS="127.0.0.1",
        VAR_DIR=str(var_dir),
        # Mail is rendered and "sent" by the worker, then dropped: nothing leaves the machine.
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        # wrk signs from one loopback address, far above what one client may: lifted so
        # that the run measures the signing path (the limiter is still consulted on every
        # POST) instead of holding all but the first few signatures.
        SIGN_LIMIT_PER_IP=BENCH_SIGN_LIMIT,
        SIGN_LIMIT_PER_NETWORK=BENCH_SIGN_LIMIT,
        SIGN_LIMIT_PER_LETTER=BENCH_SIGN_LIMIT,
        # wrk signs from one address thousands of times a minute: a burst that would rightly
        # switch the proof of work on (docs/security.md). The scenario measures the
        # signing path itself, so the thresholds are out of its reach.
        CHALLENGE_NETWORK_BURST=str(10**9),
        CHALLENGE_LETTER_PER_MINUTE=str(10**9),
    )
    return env


def run_python(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, check=True, text=True, capture_output=True
    )
    return done.stdout


def reset_stores(args: argparse.Namespace) -> None:
    import redis

    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", *pg, "--if-exists", args.database], check=True)
    subprocess.run(["createdb", *pg, args.database], check=True)
    redis.Redis.from_url(args.redis_url).flushdb()


def prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    log(f"Resetting database {args.database} and {args.redis_url}")
    reset_stores(args)
    log("Migrating and collecting static files")
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    run_python(env, "manage.py", "collectstatic", "--noinput", "-v", "0")
    log(f"Seeding {args.signatures:,} confirmed signatures")
    print(run_python(env, "-m", "bench.seed", SLUG, str(args.signatures)).strip())
    print(run_python(env, "manage.py", "rebuild_counts", SLUG).strip())


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def services(args: argparse.Namespace, env: dict[str, str], var_dir: Path) -> Iterator[None]:
    """gunicorn and a Celery worker (with beat), each in its own process group."""
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is in use on 127.0.0.1")
    commands = {
        "gunicorn": [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)),
        ],
        "celery": [
            *(sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"),
            *("-s", str(var_dir / "celerybeat-schedule"), "-Q", "default,mail,bulk"),
            *("--concurrency", "2", "--loglevel", "WARNING"),
        ],
    }
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            # Own process group: stop() signals the master and every worker it forked.
            with (var_dir / f"{name}.log").open("wb") as logfile:
                processes.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )  # fmt: skip
        wait_until_up(args.port, processes)
        yield
    finally:
        for process in processes:
            stop(process)


def stop(process: "subprocess.Popen[bytes]") -> None:
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until_up(port: int, processes: list["subprocess.Popen[bytes]"]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("gunicorn or celery exited early: see var/bench/*.log")
        try:
            if fetch(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def fetch(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, str, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(), response
    finally:
        connection.close()


def wrk(
    args: argparse.Namespace, script: Path, path: str, seconds: int, *,
    headers: dict[str, str] | None = None, script_args: tuple[str, ...] = (),
) -> WrkResult:  # fmt: skip
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"]
    command += ["--timeout", "5s", "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{args.port}{path}"]
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, check=True, text=True, capture_output=True, timeout=seconds + 60)
    return parse_wrk(done.stdout)


def load(args: argparse.Namespace, scenario: Scenario) -> WrkResult:
    """Warm up, then measure one read scenario after checking its answer once."""
    headers = {}
    status, _, response = fetch(args.port, scenario.path)
    if scenario.status == 304:
        headers["If-None-Match"] = response.headers["ETag"]
        status, _, _ = fetch(args.port, scenario.path, headers)
    if status != scenario.status:
        raise SystemExit(f"{scenario.path} answered {status}, expected {scenario.status}")
    script = ROOT / "bench" / "report.lua"
    wrk(args, script, scenario.path, args.warmup, headers=headers)
    return wrk(args, script, scenario.path, args.duration, headers=headers)


def read_rounds(args: argparse.Namespace, reads: list[Scenario]) -> list[dict[str, WrkResult]]:
    rounds = []
    for number in range(1, args.rounds + 1):
        results = {}
        for scenario in reads:
            log(f"Round {number}/{args.rounds}: {scenario.name}")
            results[scenario.name] = load(args, scenario)
            log(f"  {results[scenario.name].rps:,.0f} req/s")
        rounds.append(results)
    return rounds


def sign_rounds(
    args: argparse.Namespace, env: dict[str, str], baseline: Scenario, sign: Scenario,
    var_dir: Path,
) -> tuple[list[dict[str, WrkResult]], dict[str, Any]]:  # fmt: skip
    _, html, response = fetch(args.port, f"/letters/{SLUG}/")
    token, cookie = csrf_from_page(html, response.headers.get_all("Set-Cookie") or [])
    stamp, stamped = stamp_from_page(html), time.monotonic()
    script = var_dir / "sign.lua"
    script.write_text(
        (ROOT / "bench/report.lua").read_text() + (ROOT / "bench/sign.lua").read_text()
    )
    run_id = "b" + secrets.token_hex(4)
    rounds, answered, failed, waits = [], 0, 0, []
    verify: dict[str, Any] = {}
    for number in range(1, args.rounds + 1):
        log(f"Sign round {number}/{args.rounds}: baseline")
        base = load(args, baseline)
        results = {"baseline": base}
        for phase, seconds in (("w", args.warmup), ("m", args.duration)):
            prefix = f"{run_id}-{number}{phase}"
            # A form sent back sooner than MIN_FILL_SECONDS (3) after it was drawn is a bot's.
            time.sleep(max(0.0, 4 - (time.monotonic() - stamped)))
            result = wrk(
                args, script, sign.path, seconds,
                script_args=(sign.path, token, cookie, prefix, stamp),
            )  # fmt: skip
            answered, failed = answered + result.ok, failed + result.bad + result.errors
        results["sign"] = result
        log(f"  {result.rps:,.0f} POST/s; waiting for the outbox to drain")
        rounds.append(results)
        output = run_python(env, "-m", "bench.probe", "verify", SLUG, run_id, "120")
        verify = json.loads(output.strip().splitlines()[-1])
        waits.append(verify["waited_s"])
    verify.update(answered=answered, failed=failed, runs=2 * args.rounds, waited_s=max(waits))
    verify["passed"] = sign_check(
        answered=answered, failed=failed, connections=args.connections, verify=verify
    )
    return rounds, verify


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, text=True, capture_output=True
    ).stdout.strip()
    return {
        "CPU": f"nproc {len(os.sched_getaffinity(0))}, {model.group(1) if model else 'unknown'}",
        "memory": f"{int(mem.group(1)) / 1024**2:.1f} GiB" if mem else "unknown",
        "system": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "commit": commit or "unknown",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    ensure_wrk()
    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = site_env(args, var_dir)
    every = scenarios(SLUG)
    wanted = set(filter(None, args.only.split(","))) or {s.name for s in every}
    chosen = [s for s in every if s.name in wanted or s.name == "baseline"]
    reads = [s for s in chosen if s.method == "GET"]
    sign = next((s for s in chosen if s.name == "sign"), None)
    started = datetime.now(UTC)
    prepare(args, env)
    routes = [[s.name, s.method, s.path] for s in chosen]
    probe = json.loads(
        run_python(env, "-m", "bench.probe", "queries", "127.0.0.1", json.dumps(routes))
        .strip().splitlines()[-1]
    )  # fmt: skip
    with services(args, env, var_dir):
        rounds = read_rounds(args, reads)
        sign_result = None
        if sign is not None:
            more, sign_result = sign_rounds(args, env, reads[0], sign, var_dir)
            rounds += more
    table = [(s, summarize(rounds, s.name)) for s in chosen]
    meta = {
        "date": f"{started:%Y-%m-%d %H:%M} UTC",
        **machine(),
        "seeded": f"{args.signatures:,} confirmed signatures on one letter",
        "load": (
            f"wrk, {args.threads} thread(s), {args.connections} connections, {args.warmup} s "
            f"warm-up + {args.duration} s measured, {args.rounds} rounds"
        ),
        "server": f"gunicorn, {args.workers} sync workers; Celery worker (2 processes) with beat",
    }
    generated = render_results(
        meta=meta, table=table, queries=probe["queries"], count=probe["count"], sign=sign_result
    )
    if args.output == "-":
        print(generated)
    else:
        output = Path(args.output)
        document = output.read_text() if output.exists() else "# Benchmarks\n"
        output.write_text(replace_generated(document, generated))
        log(f"Wrote {output}")
    return 0 if sign_result is None or sign_result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
