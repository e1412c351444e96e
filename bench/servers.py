"""Which web server to run in production: every candidate on the same machine, in one run.

    uv run --locked --with uvicorn-worker python -m bench.servers

Candidates whose package is not installed are reported as such, so the plain
`uv run --locked python -m bench.servers` leaves out uvicorn-worker (not a dependency).
It prepares the benchmark database like bench/run.py (same seed, same settings), then for
each candidate starts it on one loopback port and:

1. loads `/healthz`, the counter JSON, the letter page and the sign POST with wrk for
   `--duration` seconds each (after `--warmup` seconds unmeasured), printing req/s and p99;
2. opens `--idle` TCP connections that send nothing (a browser's pre-connect, a slow
   client) and times one ordinary request made after them: a server that idle clients can
   stall answers it only when its worker timeout kills them (30 s), or not at all.

Results go to stdout as a Markdown table; docs/deployment.md keeps the latest figures.
"""

import argparse
import http.client
import importlib.util
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.report import cookie_header, csrf_from_page, form_body, parse_wrk, stamp_from_page
from bench.run import ROOT, prepare, site_env
from bench.serve import SLUG, log, port_is_free, stop

PY = sys.executable
POST_SCRIPT = ROOT / "var" / "bench" / "servers-post.lua"


@dataclass(frozen=True)
class Candidate:
    name: str
    module: str  # must be importable, or the candidate is skipped
    command: tuple[str, ...]
    concurrency: int  # requests it serves at once (workers x threads)


def candidates(port: int, workers: int, threads: int) -> list[Candidate]:
    """The setup before (sync workers), gunicorn's threads, an ASGI worker, and bin/web."""
    gunicorn = (PY, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--access-logfile", "-")
    return [
        Candidate(
            "gunicorn sync (before)", "gunicorn",
            (*gunicorn, "--workers", str(workers + 1), "config.wsgi"), workers + 1,
        ),
        Candidate(
            f"gunicorn gthread {workers}x{threads}", "gunicorn",
            (*gunicorn, "--worker-class", "gthread", "--workers", str(workers), "--threads",
             str(threads), "config.wsgi"),
            workers * threads,
        ),
        Candidate(
            f"gunicorn uvicorn-worker (ASGI) x{workers}", "uvicorn_worker",
            (*gunicorn, "--worker-class", "uvicorn_worker.UvicornWorker", "--workers",
             str(workers), "config.asgi"),
            workers * threads,
        ),
        Candidate(
            f"granian WSGI {workers}x{threads} (bin/web)", "granian",
            (str(ROOT / "bin" / "web"), "--port", str(port)), workers * threads,
        ),
    ]  # fmt: skip


@dataclass(frozen=True)
class Load:
    rps: float
    p99_ms: float
    errors: int


def wrk(port: int, path: str, seconds: int, connections: int, *extra: str) -> Load:
    script = Path(extra[0]) if extra else ROOT / "bench" / "report.lua"
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s"]
    command += ["-s", str(script), f"http://127.0.0.1:{port}{path}"]
    if extra[1:]:
        command += ["--", *extra[1:]]
    done = subprocess.run(command, check=True, text=True, capture_output=True, timeout=seconds + 60)
    result = parse_wrk(done.stdout)
    return Load(result.rps, result.p99_ms, result.failures)


def get(port: int, path: str, timeout: float = 10) -> tuple[int, str, list[str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        cookies = response.headers.get_all("Set-Cookie") or []
        return response.status, response.read().decode(), cookies
    finally:
        connection.close()


def wait_up(port: int, process: "subprocess.Popen[bytes]") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited at start: see var/bench/servers.log")
        try:
            if get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not answer /healthz within 60 s")


def sign_script(port: int) -> tuple[str, ...]:
    """wrk arguments for the sign POST (bench/post.lua, as bench/run.py posts it): a new
    address and client network each time; the sign view answers with the "check your
    inbox" page itself (200), not a redirect."""
    _, html, cookies = get(port, f"/letters/{SLUG}/")
    token, cookie = csrf_from_page(html, cookies)
    stamp = stamp_from_page(html)
    time.sleep(4)  # a form sent back sooner than MIN_FILL_SECONDS (3) is a bot's
    prefix = f"s{time.time_ns()}"
    body = form_body(
        [("name", "Bench+Signer+@N@"), ("email", f"{prefix}-@N@%40bench.example.org"),
         ("consent", "on"), ("show_name", "on"), ("website", ""), ("stamp", stamp)],
        csrf_token=token,
    )  # fmt: skip
    return (str(POST_SCRIPT), f"/letters/{SLUG}/sign/", body, cookie_header(cookie), "0", "200")


def idle_wait(port: int, idle: int) -> float | None:
    """Seconds one request takes while `idle` connections send nothing; None: no answer."""
    sockets = []
    try:
        for _ in range(idle):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        time.sleep(0.5)  # let the server accept them all
        start = time.monotonic()
        try:
            status, _, _ = get(port, "/healthz", timeout=10)
        except OSError:
            return None
        return time.monotonic() - start if status == 200 else None
    finally:
        for sock in sockets:
            sock.close()


def measure(args: argparse.Namespace, candidate: Candidate, env: dict[str, str]) -> dict:
    var_dir = ROOT / "var" / "bench"
    with (var_dir / "servers.log").open("ab") as logfile:
        process = subprocess.Popen(
            candidate.command, cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_up(args.port, process)
        row: dict = {}
        for name, path in (
            ("healthz", "/healthz"),
            ("api", f"/api/letters/{SLUG}/"),
            ("letter", f"/letters/{SLUG}/"),
        ):
            wrk(args.port, path, args.warmup, args.connections)
            row[name] = wrk(args.port, path, args.duration, args.connections)
            log(f"  {name}: {row[name].rps:,.0f} req/s, p99 {row[name].p99_ms:.1f} ms")
        sign = sign_script(args.port)
        row["sign"] = wrk(args.port, "/", args.duration, args.connections, *sign)
        log(f"  sign: {row['sign'].rps:,.0f} req/s, p99 {row['sign'].p99_ms:.1f} ms")
        idle = max(args.idle, candidate.concurrency)
        row["idle"], row["idle_count"] = idle_wait(args.port, idle), idle
        log(f"  one request after {idle} idle connections: {row['idle']}")
        return row
    finally:
        stop(process)


def best_row(rounds: list[dict]) -> dict:
    """Per path, the round with the most req/s: on a shared machine other work only ever
    slows a candidate down. After idle clients, the slowest answer of all rounds."""
    row: dict = {}
    for key in ("healthz", "api", "letter", "sign"):
        row[key] = max((r[key] for r in rounds), key=lambda load: load.rps)
    waits = [r["idle"] for r in rounds]
    row["idle"] = None if None in waits else max(waits)
    row["idle_count"] = rounds[0]["idle_count"]
    return row


def render(rows: list[tuple[Candidate, dict | None]]) -> str:
    lines = [
        "| server (best round) | /healthz | counter JSON | letter page | sign POST "
        "| a request after idle connections |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for candidate, row in rows:
        if row is None:
            lines.append(f"| {candidate.name} | not installed | | | | |")
            continue
        cells = [f"{row[k].rps:,.0f} req/s, p99 {row[k].p99_ms:.0f} ms" +
                 (f" ({row[k].errors} errors)" if row[k].errors else "")
                 for k in ("healthz", "api", "letter", "sign")]  # fmt: skip
        waited = row["idle"]
        idle = f"{waited:.2f} s" if waited is not None else "no answer within 10 s"
        lines.append(
            f"| {candidate.name} | {' | '.join(cells)} | {idle} ({row['idle_count']} idle) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--signatures", type=int, default=10_000, help="confirmed signatures to seed")
    add("--duration", type=int, default=8, help="seconds measured per path")
    add("--warmup", type=int, default=2, help="seconds of unmeasured load before each")
    add("--connections", type=int, default=8, help="wrk connections")
    add("--workers", type=int, default=2, help="processes of each candidate")
    add("--threads", type=int, default=4, help="threads per process where it has them")
    add("--idle", type=int, default=16, help="idle connections (at least the concurrency)")
    add("--port", type=int, default=8200, help="loopback port of the candidates")
    add("--database", default="undersigned_bench", help="dropped and recreated")
    add("--redis-url", default="redis://127.0.0.1:6379/5", help="flushed")
    add("--rounds", type=int, default=2, help="rounds; each runs every candidate once")
    add("--only", default="", help="comma-separated words a candidate's name must contain")
    add(
        "--letter-per-minute", type=int, default=0,
        help="raise the letter-wide sign limits as bench/run.py does (default: production's)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not port_is_free(args.port):
        raise SystemExit(f"port {args.port} is in use on 127.0.0.1")
    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    env = site_env(args, var_dir)
    env |= {"WEB_WORKERS": str(args.workers), "WEB_THREADS": str(args.threads)}
    env["PATH"] = f"{Path(PY).parent}:{env.get('PATH', '')}"  # bin/web's python
    prepare(args, env)
    POST_SCRIPT.write_text(
        (ROOT / "bench" / "report.lua").read_text() + (ROOT / "bench" / "post.lua").read_text()
    )
    chosen = [
        c for c in candidates(args.port, args.workers, args.threads)
        if not args.only or any(word in c.name for word in args.only.split(","))
    ]  # fmt: skip
    runs: dict[str, list[dict]] = {c.name: [] for c in chosen}
    # Rounds interleave the candidates, so that a noisy minute on a shared machine falls
    # on all of them rather than on one.
    for number in range(1, args.rounds + 1):
        for candidate in chosen:
            if importlib.util.find_spec(candidate.module) is not None:
                log(f"Round {number}/{args.rounds}: {candidate.name}")
                runs[candidate.name].append(measure(args, candidate, env))
    rows = [(c, best_row(runs[c.name]) if runs[c.name] else None) for c in chosen]
    print(render(rows))
    print("BENCH_SERVERS_JSON " + json.dumps({c.name: r and {k: (v.__dict__ if isinstance(
        v, Load) else v) for k, v in r.items()} for c, r in rows}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
