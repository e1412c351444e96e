"""Starting and loading the servers under test, for bench/run.py: the site's web server
and Celery worker, the bare project's web server (bench/bare/), wrk, and the in-process
probes (bench/probe.py), each run in its own process. The web servers are started as
production starts them, through bin/web (granian), unless `--server` names another."""

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

from bench.report import Scenario, WrkResult, parse_wrk, server_command, web_setup

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-letter"
SMALL_SLUG = f"{SLUG}-10k"  # bench/seed.py's second letter, of SMALL_SIGNATURES
SMALL_SIGNATURES = 10_000


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


WEB = ROOT / "bin" / "web"


def production_setup() -> tuple[int, int]:
    """bin/web's default processes and threads, as `make run` uses them."""
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_WORKERS", "WEB_THREADS")}
    done = subprocess.run(
        [str(WEB), "--print-setup"], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if done.returncode != 0:
        raise SystemExit(f"bin/web --print-setup failed:\n{done.stderr}")
    return web_setup(done.stdout)


def web_command(
    args: argparse.Namespace, env: dict[str, str], project: str, port: int
) -> tuple[list[str], dict[str, str]]:
    command, extra = server_command(
        args.server, project=project, port=port, workers=args.workers,
        threads=args.threads_per_worker, python=sys.executable, web=str(WEB),
    )  # fmt: skip
    # bin/web runs `python`: the project's, as `uv run` would give it.
    path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return command, {**env, **extra, "PATH": path}


@contextmanager
def services(
    args: argparse.Namespace, env: dict[str, str], var_dir: Path
) -> Iterator[dict[str, "subprocess.Popen[bytes]"]]:
    """The site's web server and Celery worker (with beat) and the bare project's web
    server, each in its own session; all stopped on the way out, whatever happened."""
    ports = (args.port, args.port + 1)
    for port in ports:
        if not port_is_free(port):
            raise SystemExit(f"port {port} is in use on 127.0.0.1")
    commands = {
        "web": web_command(args, env, "config", args.port),
        "bare": web_command(args, bare_env(args, env), "bench.bare", args.port + 1),
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
        for port in ports:
            wait_port_free(port)


def parents() -> dict[int, int]:
    """Every process's parent, read from /proc."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = re.search(r"^PPid:\s*(\d+)", status.read_text(), re.MULTILINE)
        except OSError:
            continue
        if ppid:
            found[int(status.parent.name)] = int(ppid.group(1))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, children first."""
    tree, found, level = parents(), [], [pid]
    while level:
        level = [child for child, parent in tree.items() if parent in level]
        found += level
    return found


def started_at(pid: int) -> str:
    """The start time of a process (field 22 of /proc/<pid>/stat), "" once it is gone: with
    the pid, it names one process, never another that later got the same pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def stop(process: "subprocess.Popen[bytes]") -> None:
    """SIGTERM to the process itself, as a process manager stops it: bin/web passes it on to
    granian (which runs in a session of its own, out of reach of our process group), a
    gunicorn master or Celery stops its own workers. The process is killed if it has not
    stopped after a grace period, and so is any process it started that outlives it (Celery's
    embedded beat takes a moment more)."""
    below = {pid: started_at(pid) for pid in descendants(process.pid)}
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=45)  # bin/web gives granian's workers 30 s to finish
    except subprocess.TimeoutExpired:
        log(f"pid {process.pid} did not stop within 45 s of SIGTERM: killing it")
        process.kill()
        process.wait(timeout=10)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = survivors(below, seconds=5)
        if not left:
            return
        log(f"pids {left} (started by pid {process.pid}) outlived it: {sig.name}")
        for pid in left:
            os.kill(pid, sig)
    if left := survivors(below, seconds=5):
        raise SystemExit(f"pids {left} survived SIGKILL")


def survivors(started: dict[int, str], *, seconds: float) -> list[int]:
    """Those of `started` (pid: start time) still running after up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        left = [pid for pid, start in started.items() if start and started_at(pid) == start]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def wait_port_free(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not port_is_free(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"127.0.0.1:{port} is still served after the bench stopped it")
        time.sleep(0.2)


def wait_until_up(port: int, path: str, processes: list["subprocess.Popen[bytes]"]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise SystemExit("a web server or celery exited early: see var/bench/*.log")
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


def server_main(process: "subprocess.Popen[bytes]", server: str) -> int:
    """The pid whose children are the web workers: granian's main process, bin/web's only
    child; or the gunicorn master itself."""
    if server != "granian":
        return process.pid
    children = [child for child, parent in parents().items() if parent == process.pid]
    if len(children) != 1:
        raise SystemExit(f"bin/web (pid {process.pid}) has {len(children)} children, not 1")
    return children[0]


def worker_rss_mb(master: int) -> list[float]:
    """VmRSS of every worker process that the server's main process started, in MB."""
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
