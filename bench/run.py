"""The benchmark harness: `make bench` (or `uv run python bench/run.py --help`).

It builds a production-mode instance on loopback (PostgreSQL database `undersigned_bench`,
Redis DB 5, gunicorn, a Celery worker with beat) and next to it a bare Django project
(bench/bare/, database `undersigned_bench_bare`) served by the same gunicorn command. It
seeds one letter with many confirmed signatures and 49 more letters, and loads each
scenario with wrk for a bounded time, in rounds that each start with the baselines: the
site's `/healthz` and the bare project's constant JSON (reads) or form + INSERT (writes).
Only one server is under load at a time. Every number is reported as a ratio to the
baselines of the same round, because these machines are small and noisy. The results
replace the generated section of docs/benchmarks.md (docs/benchmarks.md says more).

The pure functions are in bench/report.py, covered by tests/bench/test_run.py.
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
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is a package of the project
    sys.path.insert(0, str(ROOT))

from bench.report import (  # noqa: E402
    BARE_FORM,
    BARE_JSON,
    HEALTHZ,
    WRITES,
    Scenario,
    WrkResult,
    confirm_check,
    cookie_header,
    csrf_from_page,
    form_body,
    parse_wrk,
    render_results,
    replace_generated,
    scenarios,
    serving_from_makefile,
    sign_check,
    stamp_from_page,
    summarize,
)

SLUG = "bench-letter"
LETTERS = 50
# Settings of the site that must not leak from the caller's shell into the instance under
# load (above all EMAIL_HOST: the sign scenario must never send real mail, and no rate
# limit may be lifted by a variable left in the shell).
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
        "CHALLENGE_NETWORK_BURST",
        "CHALLENGE_NETWORK_WINDOW_SECONDS",
        "CHALLENGE_LETTER_PER_MINUTE",
        "CHALLENGE_ACTIVE_SECONDS",
        "EMAIL_LIMIT_PER_ADDRESS",
        "DB_CONN_MAX_AGE",
        "LOG_LEVEL",
        "DJANGO_SETTINGS_MODULE",
    ]
)


# Orchestration -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    worker_class, threads = serving_from_makefile((ROOT / "Makefile").read_text())
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--signatures", type=int, default=200_000, help="confirmed signatures to seed")
    add("--duration", type=int, default=10, help="seconds measured per scenario and round")
    add("--warmup", type=int, default=2, help="seconds of unmeasured load before each")
    add("--rounds", type=int, default=3, help="rounds, each starting with the baselines")
    add("--connections", type=int, default=8, help="wrk connections")
    add("--threads", type=int, default=1, help="wrk threads")
    add("--workers", type=int, default=3, help="gunicorn workers (site and bare alike)")
    add("--worker-class", default=worker_class, help="gunicorn worker class (default: make run's)")
    add("--threads-per-worker", type=int, default=threads, help="gunicorn --threads")
    add("--port", type=int, default=8200, help="loopback port of the site; the bare one is +1")
    add("--database", default="undersigned_bench", help="dropped and recreated each run")
    add("--redis-url", default="redis://127.0.0.1:6379/5", help="flushed each run")
    add("--only", default="", help="comma-separated scenario names (default: all)")
    add(
        "--letter-per-minute", type=int, default=0,
        help="raise the letter-wide sign limit and proof-of-work threshold to this many sign "
        "POSTs a minute, as an operator does before an expected burst (default: production's)",
    )  # fmt: skip
    add("--samples", type=int, default=50, help="requests timed in-process for the p95s")
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


def _database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def site_env(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """The production settings, every rate limit at its default: only what the loopback
    setup needs is set. One trusted proxy, because the POST scenarios come from many
    client networks through X-Forwarded-For (bench/post.lua)."""
    env = {key: value for key, value in os.environ.items() if key not in SITE_VARIABLES}
    env.update(
        DATABASE_URL=_database_url(args.database),
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
        TRUSTED_PROXY_COUNT="1",
    )
    if args.letter_per_minute:
        # docs/security.md, "A popular letter": what an operator does before a burst.
        env.update(
            SIGN_LIMIT_PER_LETTER=f"{args.letter_per_minute}/minute",
            CHALLENGE_LETTER_PER_MINUTE=str(args.letter_per_minute),
        )
    return env


def bare_env(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.bare.settings",
        "DATABASE_URL": _database_url(f"{args.database}_bare"),
    }


def run_python(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def probe(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run bench/probe.py and read the JSON object it prints last."""
    output = run_python(env, "-m", "bench.probe", *args)
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def reset_stores(args: argparse.Namespace) -> None:
    import redis

    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    for name in (args.database, f"{args.database}_bare"):
        subprocess.run(["dropdb", *pg, "--if-exists", name], check=True)
        subprocess.run(["createdb", *pg, name], check=True)
    redis.Redis.from_url(args.redis_url).flushdb()


def prepare(args: argparse.Namespace, env: dict[str, str]) -> None:
    log(f"Resetting databases {args.database}(_bare) and {args.redis_url}")
    reset_stores(args)
    log("Migrating and collecting static files")
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    run_python(env, "manage.py", "collectstatic", "--noinput", "-v", "0")
    run_python(bare_env(args, env), "-m", "django", "migrate", "--run-syncdb", "-v", "0")
    log(f"Seeding {args.signatures:,} confirmed signatures and {LETTERS - 1} more letters")
    print(run_python(env, "-m", "bench.seed", SLUG, str(args.signatures), str(LETTERS)).strip())
    rebuilt = run_python(env, "manage.py", "rebuild_counts").strip().splitlines()
    print(next((line for line in rebuilt if line.startswith(f"{SLUG}:")), ""))


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def gunicorn_command(args: argparse.Namespace, project: str, port: int) -> list[str]:
    """The same command for the site and the bare project; ASGI workers get the ASGI app."""
    app = f"{project}.asgi:application" if "uvicorn" in args.worker_class else f"{project}.wsgi"
    return [
        *(sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(args.workers), "--worker-class", args.worker_class),
        *("--threads", str(args.threads_per_worker)),
    ]


@contextmanager
def services(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path
) -> Iterator[dict[str, "subprocess.Popen[bytes]"]]:
    """The site's gunicorn and Celery worker (with beat) and the bare project's gunicorn,
    each in its own process group."""
    for port in (args.port, args.port + 1):
        if not port_is_free(port):
            raise SystemExit(f"port {port} is in use on 127.0.0.1")
    commands = {
        "gunicorn": (gunicorn_command(args, "config", args.port), env),
        "bare": (gunicorn_command(args, "bench.bare", args.port + 1), bare_env(args, env)),
        "celery": (
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"),
                *("-s", str(var_dir / "celerybeat-schedule"), "-Q", "default,mail,bulk"),
                *("--concurrency", "2", "--loglevel", "WARNING"),
            ],
            env,
        ),
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, (command, process_env) in commands.items():
            # Own process group: stop() signals the master and every worker it forked.
            with (var_dir / f"{name}.log").open("wb") as logfile:
                processes[name] = subprocess.Popen(
                    command, cwd=ROOT, env=process_env, stdout=logfile,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
        wait_until_up(args.port, "/healthz", list(processes.values()))
        wait_until_up(args.port + 1, "/json/", list(processes.values()))
        yield processes
    finally:
        for process in processes.values():
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


def wait_until_up(port: int, path: str, processes: list["subprocess.Popen[bytes]"]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("gunicorn or celery exited early: see var/bench/*.log")
        try:
            if fetch(port, path)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"127.0.0.1:{port} did not answer {path} within 60 s")


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


def worker_rss_mb(master: int) -> list[float]:
    """VmRSS of every process that gunicorn's master forked, in MB."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s*(\d+)", text, re.MULTILINE)
        rss = re.search(r"^VmRSS:\s*(\d+) kB", text, re.MULTILINE)
        if ppid and rss and int(ppid.group(1)) == master:
            sizes.append(int(rss.group(1)) / 1024)
    return sorted(sizes)


def wrk(
    args: argparse.Namespace, script: Path, port: int, path: str, seconds: int, *,
    headers: dict[str, str] | None = None, script_args: tuple[str, ...] = (),
) -> WrkResult:  # fmt: skip
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s"]
    command += ["--timeout", "5s", "-s", str(script)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{port}{path}"]
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, check=True, text=True, capture_output=True, timeout=seconds + 60)
    return parse_wrk(done.stdout)


def port_of(args: argparse.Namespace, scenario: Scenario) -> int:
    return args.port + 1 if scenario.server == "bare" else args.port


def load(args: argparse.Namespace, scenario: Scenario) -> WrkResult:
    """Warm up, then measure one read scenario after checking its answer once."""
    port = port_of(args, scenario)
    headers = {}
    status, _, response = fetch(port, scenario.path)
    if scenario.status == 304:
        headers["If-None-Match"] = response.headers["ETag"]
        status, _, _ = fetch(port, scenario.path, headers)
    if status != scenario.status:
        raise SystemExit(f"{scenario.path} answered {status}, expected {scenario.status}")
    script = ROOT / "bench" / "report.lua"
    wrk(args, script, port, scenario.path, args.warmup, headers=headers)
    return wrk(args, script, port, scenario.path, args.duration, headers=headers)


def read_rounds(
    args: argparse.Namespace, reads: list[Scenario], loads: list[str]
) -> list[dict[str, WrkResult]]:
    rounds = []
    for number in range(1, args.rounds + 1):
        loads.append(" / ".join(f"{value:.2f}" for value in os.getloadavg()))
        results = {}
        for scenario in reads:
            log(f"Round {number}/{args.rounds}: {scenario.name}")
            results[scenario.name] = load(args, scenario)
            log(f"  {results[scenario.name].rps:,.0f} req/s")
        rounds.append(results)
    return rounds


class Poster:
    """The POST scenarios of one run: each wrk invocation gets its own range of client
    addresses and of unique values ("@N@" in the templates, see bench/post.lua)."""

    def __init__(self, args: argparse.Namespace, var_dir: Path) -> None:
        self.args = args
        self.script = var_dir / "post.lua"
        self.script.write_text(
            (ROOT / "bench/report.lua").read_text() + (ROOT / "bench/post.lua").read_text()
        )
        self.invocations = 0
        self.run_id = "b" + secrets.token_hex(4)

    def post(
        self, scenario: Scenario, *, path: str, body: str, cookie: str, seconds: int,
        expected: int,
    ) -> WrkResult:  # fmt: skip
        # Room for 2^20 requests per wrk thread and invocation, 4 threads at most.
        first = self.invocations * 4 * 1048576
        self.invocations += 1
        port = port_of(self.args, scenario)
        script_args = (path, body, cookie, str(first), str(expected))
        return wrk(self.args, self.script, port, "/", seconds, script_args=script_args)


def bare_form_round(args: argparse.Namespace, poster: Poster, scenario: Scenario) -> WrkResult:
    port = port_of(args, scenario)
    _, html, response = fetch(port, scenario.path)
    token, cookie = csrf_from_page(html, response.headers.get_all("Set-Cookie") or [])
    result = None
    for seconds in (args.warmup, args.duration):
        prefix = f"{poster.run_id}-{poster.invocations}"
        body = form_body(
            [("name", "Bare+Signer+@N@"), ("email", f"{prefix}-@N@%40bench.example.org"),
             ("comment", "A+short+comment")],
            csrf_token=token,
        )  # fmt: skip
        result = poster.post(
            scenario, path=scenario.path, body=body, cookie=cookie_header(cookie),
            seconds=seconds, expected=302,
        )  # fmt: skip
    assert result is not None
    return result


class SignRun:
    """The sign scenario: the form read once from the letter page, then wrk POSTs it with
    a new address each time; the stored signatures are checked after each round."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], poster: Poster):
        self.args, self.env, self.poster = args, env, poster
        _, html, response = fetch(args.port, f"/letters/{SLUG}/")
        self.token, self.cookie = csrf_from_page(html, response.headers.get_all("Set-Cookie") or [])
        self.stamp, self.stamped = stamp_from_page(html), time.monotonic()
        self.answered = self.refused = self.failed = self.runs = 0
        self.waits: list[float] = []
        self.verify: dict[str, Any] = {}

    def round(self, scenario: Scenario, number: int) -> WrkResult:
        # A form sent back sooner than MIN_FILL_SECONDS (3) after it was drawn is a bot's.
        time.sleep(max(0.0, 4 - (time.monotonic() - self.stamped)))
        result = None
        for phase, seconds in (("w", self.args.warmup), ("m", self.args.duration)):
            # New addresses in every wrk run: a repeat would store nothing.
            prefix = f"{self.poster.run_id}-s{number}{phase}"
            body = form_body(
                [("name", "Bench+Signer+@N@"), ("email", f"{prefix}-@N@%40bench.example.org"),
                 ("consent", "on"), ("show_name", "on"), ("website", ""),
                 ("stamp", self.stamp)],
                csrf_token=self.token,
            )  # fmt: skip
            result = self.poster.post(
                scenario, path=scenario.path, body=body, cookie=cookie_header(self.cookie),
                seconds=seconds, expected=200,
            )  # fmt: skip
            self.answered += result.ok
            self.refused += result.refused
            self.failed += result.failures
            self.runs += 1
        assert result is not None
        log(f"  {result.rps:,.0f} POST/s; waiting for the outbox to drain")
        self.verify = probe(self.env, "verify", SLUG, f"{self.poster.run_id}-s", "120")
        self.waits.append(self.verify["waited_s"])
        return result

    def report(self) -> dict[str, Any]:
        verify = {
            **self.verify, "answered": self.answered, "refused": self.refused,
            "failed": self.failed, "runs": self.runs, "waited_s": max(self.waits, default=0),
        }  # fmt: skip
        verify["passed"] = sign_check(
            answered=self.answered, failed=self.failed, connections=self.args.connections,
            verify=verify,
        )  # fmt: skip
        return verify


class ConfirmRun:
    """The confirm scenario: pending signatures with known tokens stored before each wrk
    run, one token per request; the confirmed count checked exact at the end."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], poster: Poster):
        self.args, self.env, self.poster = args, env, poster
        self.before = probe(env, "counts", SLUG)
        self.answered = self.failed = self.runs = 0

    def round(self, scenario: Scenario, number: int) -> WrkResult:
        result = None
        for phase, seconds in (("w", self.args.warmup), ("m", self.args.duration)):
            prefix = f"{self.poster.run_id}-c{number}{phase}"
            # More tokens than two cores can confirm: 2,000 a second per wrk thread.
            per_thread = 2000 * seconds + 1000
            probe(self.env, "tokens", SLUG, prefix, str(self.args.threads), str(per_thread))
            token, cookie = self.csrf(f"/confirm/{prefix}-1-1/")
            result = self.poster.post(
                scenario, path=f"/confirm/{prefix}-@N@/", body=form_body([], csrf_token=token),
                cookie=cookie_header(cookie), seconds=seconds, expected=200,
            )  # fmt: skip
            self.answered += result.ok
            self.failed += result.failures + result.refused
            self.runs += 1
        assert result is not None
        log(f"  {result.rps:,.0f} POST/s")
        return result

    def csrf(self, path: str) -> tuple[str, str]:
        """The confirmation page's CSRF pair, if it has one (a GET confirms nothing)."""
        _, html, response = fetch(self.args.port, path)
        return csrf_from_page(html, response.headers.get_all("Set-Cookie") or [])

    def report(self) -> dict[str, Any]:
        time.sleep(1)  # the requests in flight when wrk stopped finish
        after = probe(self.env, "counts", SLUG)
        passed = confirm_check(
            answered=self.answered, failed=self.failed, connections=self.args.connections,
            runs=self.runs, before=self.before, after=after,
        )  # fmt: skip
        return {"answered": self.answered, "failed": self.failed, "before": self.before,
                "after": after, "passed": passed}  # fmt: skip


def write_rounds(
    args: argparse.Namespace, env: dict[str, str], chosen: list[Scenario], loads: list[str],
    var_dir: Path,
) -> tuple[list[dict[str, WrkResult]], dict[str, Any]]:  # fmt: skip
    """Rounds of the baselines, then the bare form, sign and confirm, as chosen."""
    by_name = {s.name: s for s in chosen}
    poster = Poster(args, var_dir)
    sign = SignRun(args, env, poster) if "sign" in by_name else None
    confirm = ConfirmRun(args, env, poster) if "confirm" in by_name else None
    rounds = []
    for number in range(1, args.rounds + 1):
        loads.append(" / ".join(f"{value:.2f}" for value in os.getloadavg()))
        results = {}
        for name in (HEALTHZ, BARE_FORM, "sign", "confirm"):
            if name not in by_name:
                continue
            scenario = by_name[name]
            log(f"Write round {number}/{args.rounds}: {name}")
            if name == HEALTHZ:
                results[name] = load(args, scenario)
            elif name == BARE_FORM:
                results[name] = bare_form_round(args, poster, scenario)
            elif name == "sign" and sign is not None:
                results[name] = sign.round(scenario, number)
            elif confirm is not None:
                results[name] = confirm.round(scenario, number)
        rounds.append(results)
    checks = {}
    if sign is not None:
        checks["sign"] = sign.report()
    if confirm is not None:
        checks["confirm"] = confirm.report()
    return rounds, checks


def scale_measurements(
    args: argparse.Namespace, env: dict[str, str], master: int
) -> dict[str, Any]:
    """The 1M row: p95s timed in-process, the export in its own process, the workers' RSS."""
    log("Timing the API's deep cursors and the organizers' search")
    scale = probe(env, "scale", SLUG, str(args.samples))
    log("Exporting every confirmed signature to CSV in a separate process")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.probe", "export", SLUG], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit("the export probe failed")
    export = json.loads(output.strip().splitlines()[-1])
    # ru_maxrss is in kilobytes on Linux: the peak of that one process.
    scale.update(
        export_rows=export["rows"], export_mb=export["bytes"] / 1e6,
        export_s=export["seconds"], export_rss_mb=usage.ru_maxrss / 1024,
        rss_mb=worker_rss_mb(master),
    )  # fmt: skip
    return scale


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


def rate_limits_text(args: argparse.Namespace) -> str:
    text = "production defaults; one trusted proxy, the POSTs' clients varied per request"
    if args.letter_per_minute:
        text += (
            f"; letter-wide sign limit and proof-of-work threshold raised to "
            f"{args.letter_per_minute:,}/minute (`--letter-per-minute`)"
        )
    return text


def choose(args: argparse.Namespace, deep_page: int) -> list[Scenario]:
    every = scenarios(SLUG, deep_page=deep_page)
    wanted = set(filter(None, args.only.split(","))) or {s.name for s in every}
    baselines = {HEALTHZ, BARE_JSON}
    if wanted & {"sign", "confirm"}:
        baselines.add(BARE_FORM)
    return [s for s in every if s.name in wanted | baselines]


def write_output(args: argparse.Namespace, generated: str) -> None:
    if args.output == "-":
        print(generated)
        return
    output = Path(args.output)
    document = output.read_text() if output.exists() else "# Benchmarks\n"
    output.write_text(replace_generated(document, generated))
    log(f"Wrote {output}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    ensure_wrk()
    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = site_env(args, var_dir)
    started = datetime.now(UTC)
    prepare(args, env)
    named = probe(env, "counts", SLUG)["rows"] * 6 // 7
    chosen = choose(args, deep_page=max(1, -(-named // 50)))
    routes = [[s.name, s.method, s.path] for s in chosen if s.server == "app"]
    queries = probe(env, "queries", "127.0.0.1", json.dumps(routes))
    loads: list[str] = []
    with services(args, env, var_dir) as processes:
        rounds = read_rounds(args, [s for s in chosen if s.name not in WRITES], loads)
        more, checks = write_rounds(args, env, chosen, loads, var_dir)
        rounds += more
        scale = scale_measurements(args, env, processes["gunicorn"].pid)
    table = [(s, summarize(rounds, s.name, s.baseline)) for s in chosen]
    threads = f", {args.threads_per_worker} threads each" if args.threads_per_worker > 1 else ""
    meta = {
        "date": f"{started:%Y-%m-%d %H:%M} UTC",
        **machine(),
        "load average before each round (1 / 5 / 15 min)": "; ".join(loads),
        "seeded": f"{args.signatures:,} confirmed signatures on one letter, {LETTERS} letters",
        "load": (
            f"wrk, {args.threads} thread(s), {args.connections} connections, {args.warmup} s "
            f"warm-up + {args.duration} s measured, {args.rounds} rounds"
        ),
        "server": (
            f"gunicorn, {args.workers} {args.worker_class} workers{threads} (the site and the "
            "bare project alike); Celery worker (2 processes) with beat"
        ),
        "rate limits": rate_limits_text(args),
    }
    generated = render_results(
        meta=meta, table=table, queries=queries["queries"], count=queries["count"],
        sign=checks.get("sign"), confirm=checks.get("confirm"), scale=scale,
        signatures=args.signatures,
    )  # fmt: skip
    write_output(args, generated)
    return 0 if all(check["passed"] for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
