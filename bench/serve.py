"""Starting and loading the servers under test, for bench/run.py: the site's gunicorn and
Celery worker, the bare project's gunicorn (bench/bare/), wrk, and the in-process probes
(bench/probe.py), each run in its own process."""

import argparse
import http.client
import json
import os
import re
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

from bench.report import Scenario, WrkResult, parse_wrk

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-letter"


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def bare_env(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.bare.settings",
        "DATABASE_URL": database_url(f"{args.database}_bare"),
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
