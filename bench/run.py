"""The benchmark harness: `make bench` (or `uv run python bench/run.py --help`).

It builds a production-mode instance on loopback (PostgreSQL database `undersigned_bench`,
Redis DB 5, the web server of bin/web, a Celery worker with beat) and next to it a bare
Django project (bench/bare/, database `undersigned_bench_bare`) served by bin/web too. It
seeds one letter with many confirmed signatures and 49 more letters, and loads each
scenario with wrk for a bounded time, in rounds that each start with the baselines: the
site's `/healthz` and the bare project's constant JSON (reads) or form + INSERT (writes).
Only one server is under load at a time. Every number is reported as a ratio to the
baselines of the same round, because these machines are small and noisy. The results
replace the generated section of docs/benchmarks.md (docs/benchmarks.md says more).

The pure functions are in bench/report.py, covered by tests/bench/test_run.py.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
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
    SERVERS,
    SIZE_PAIRS,
    WRITES,
    Scenario,
    WrkResult,
    render_results,
    replace_generated,
    scenarios,
    server_text,
    summarize,
)
from bench.serve import (  # noqa: E402
    SLUG,
    SMALL_SIGNATURES,
    SMALL_SLUG,
    bare_env,
    database_url,
    load,
    log,
    probe,
    production_setup,
    run_python,
    server_main,
    services,
    worker_rss_mb,
)
from bench.writes import write_rounds  # noqa: E402

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
    workers, threads = production_setup()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--signatures", type=int, default=200_000, help="confirmed signatures to seed")
    add("--duration", type=int, default=8, help="seconds measured per scenario and round")
    add("--warmup", type=int, default=2, help="seconds of unmeasured load before each")
    add("--rounds", type=int, default=3, help="rounds, each starting with the baselines")
    add("--connections", type=int, default=8, help="wrk connections")
    add("--threads", type=int, default=1, help="wrk threads")
    add(
        "--server", choices=SERVERS, default="granian",
        help="web server of the site and the bare project alike (default: production's, bin/web)",
    )  # fmt: skip
    add("--workers", type=int, default=workers, help="web processes (default: bin/web's)")
    add("--threads-per-worker", type=int, default=threads, help="threads each (bin/web's)")
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
    """The production settings, every rate limit at its default: only what the loopback
    setup needs is set. One trusted proxy, because the POST scenarios come from many
    client networks through X-Forwarded-For (bench/post.lua)."""
    env = {key: value for key, value in os.environ.items() if key not in SITE_VARIABLES}
    env.update(
        DATABASE_URL=database_url(args.database),
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
    log(
        f"Seeding {args.signatures:,} confirmed signatures, a letter of {SMALL_SIGNATURES:,} "
        f"and {LETTERS - 2} more letters"
    )
    seeded = ("bench.seed", SLUG, str(args.signatures), str(LETTERS), str(SMALL_SIGNATURES))
    print(run_python(env, "-m", *seeded).strip())
    rebuilt = run_python(env, "manage.py", "rebuild_counts").strip().splitlines()
    print(next((line for line in rebuilt if line.startswith(f"{SLUG}:")), ""))


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


def choose(args: argparse.Namespace, positions: dict[str, str]) -> list[Scenario]:
    every = scenarios(
        SLUG, deep_after=positions.get(SLUG, ""), small_deep_after=positions.get(SMALL_SLUG, "")
    )
    wanted = set(filter(None, args.only.split(","))) or {s.name for s in every}
    baselines = {HEALTHZ, BARE_JSON}
    if wanted & {"sign", "confirm"}:
        baselines.add(BARE_FORM)
    # A signatories page is measured with its twin on the small letter, to compare them.
    twins = {small for _, big, small in SIZE_PAIRS if big in wanted}
    return [s for s in every if s.name in wanted | baselines | twins]


def measure_costs(
    args: argparse.Namespace, env: dict[str, str], chosen: list[Scenario]
) -> dict[str, Any]:
    """bench/costs.py for the site's scenarios, and for the bare ones in the bare project."""
    measured: dict[str, Any] = {}
    for server, server_env in (("app", env), ("bare", bare_env(args, env))):
        routes = [[s.name, s.method, s.path] for s in chosen if s.server == server]
        output = run_python(server_env, "-m", "bench.costs", "127.0.0.1", json.dumps(routes))
        measured.update(json.loads(output.strip().splitlines()[-1]))
    return measured


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
    chosen = choose(args, probe(env, "positions", SLUG, SMALL_SLUG))
    log("Measuring where the time of each request goes, in-process")
    costs = measure_costs(args, env, chosen)
    log(f"  {sum(cost['seconds'] for cost in costs.values()):.1f} s in requests")
    count = probe(env, "count", SLUG)
    loads: list[str] = []
    with services(args, env, var_dir) as processes:
        rounds = read_rounds(args, [s for s in chosen if s.name not in WRITES], loads)
        more, checks = write_rounds(args, env, chosen, loads, var_dir)
        rounds += more
        scale = scale_measurements(args, env, server_main(processes["web"], args.server))
    table = [(s, summarize(rounds, s.name, s.baseline)) for s in chosen]
    serving = server_text(args.server, args.workers, args.threads_per_worker)
    meta = {
        "date": f"{started:%Y-%m-%d %H:%M} UTC",
        **machine(),
        "load average before each round (1 / 5 / 15 min)": "; ".join(loads),
        "seeded": (
            f"{args.signatures:,} confirmed signatures on one letter, {SMALL_SIGNATURES:,} on "
            f"another, {LETTERS} letters"
        ),
        "load": (
            f"wrk, {args.threads} thread(s), {args.connections} connections, {args.warmup} s "
            f"warm-up + {args.duration} s measured, {args.rounds} rounds"
        ),
        "server": (
            f"{serving} (the site and the bare project alike); Celery worker (2 processes) "
            "with beat"
        ),
        "rate limits": rate_limits_text(args),
    }
    generated = render_results(
        meta=meta, table=table, costs=costs, count=count, sign=checks.get("sign"),
        confirm=checks.get("confirm"), scale=scale, signatures=args.signatures, rounds=rounds,
        small=SMALL_SIGNATURES,
    )  # fmt: skip
    write_output(args, generated)
    return 0 if all(check["passed"] for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
