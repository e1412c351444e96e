"""The production web server cannot be stalled by clients that connect and say nothing.

With gunicorn's sync workers, a browser's pre-connect (a TCP connection opened in case the
visitor clicks, then left idle) held a whole worker until gunicorn's 30 s timeout killed
it: as many idle connections as workers took the site down for everyone. gunicorn's
gthread workers still lend each new connection a thread for up to 5 s before parking it.
The server is started here exactly as `make run` starts it in production mode
(tests/servers.py), with far more silent connections than it has threads.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.factories import make_letter
from tests.servers import ROOT, WEB, free_port, get, site_env, web_process

# Far below the 30 s that the sync workers made a visitor wait; no timing benchmark.
PROMPT_SECONDS = 5


def _idle_connections(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def _half_requests(port: int, count: int) -> list[socket.socket]:
    """Clients that send the start of a request and then nothing (a slow or stuck client)."""
    sockets = _idle_connections(port, count)
    for sock in sockets:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sockets


def _answer_past(port: int, silent: list[socket.socket], path: str) -> tuple[int, float]:
    try:
        time.sleep(0.5)  # every silent connection accepted by now
        started = time.monotonic()
        status = get(port, path, timeout=PROMPT_SECONDS).status
        return status, time.monotonic() - started
    finally:
        for sock in silent:
            sock.close()


def test_make_run_starts_the_web_server_through_bin_web() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DEMO_ADMIN"}
    dry_run = subprocess.run(
        ["make", "-n", "run"],  # noqa: S607 - make is on every machine that runs `make run`
        cwd=ROOT, env=environment | {"DATABASE_URL": "postgres://u@127.0.0.1/db"},
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "bin/web --host 127.0.0.1 --port 8000" in dry_run
    assert "gunicorn" not in dry_run


def test_a_bad_thread_count_stops_the_web_server_with_the_variable_named() -> None:
    done = subprocess.run(
        [str(WEB), "--port", str(free_port())],
        cwd=ROOT, env=os.environ | {"WEB_THREADS": "many"}, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "WEB_THREADS='many' is not a whole number of at least 1." in done.stderr


def test_idle_connections_do_not_stall_the_production_server(
    transactional_db, tmp_path: Path
) -> None:
    letter = make_letter()
    env = site_env(tmp_path, WEB_WORKERS="2", WEB_THREADS="4")
    with web_process(env, port=(port := free_port()), log=tmp_path / "web.log"):
        # Eight times as many silent connections as the server has threads.
        silent = _idle_connections(port, 8 * 2 * 4)
        status, waited = _answer_past(port, silent, f"/api/letters/{letter.slug}/")
    assert status == 200
    assert waited < PROMPT_SECONDS


def test_clients_stuck_halfway_through_a_request_do_not_stall_a_single_thread(
    transactional_db, tmp_path: Path
) -> None:
    letter = make_letter()
    env = site_env(tmp_path, WEB_WORKERS="1", WEB_THREADS="1")
    with web_process(env, port=(port := free_port()), log=tmp_path / "web.log"):
        silent = _half_requests(port, 16) + _idle_connections(port, 16)
        status, waited = _answer_past(port, silent, f"/letters/{letter.slug}/")
    assert status == 200
    assert waited < PROMPT_SECONDS


def test_the_web_server_stops_when_stop_signals_arrive_twice(
    transactional_db, tmp_path: Path
) -> None:
    """Ctrl-C under `make run` sends SIGINT to every process, then `kill 0` a SIGTERM: a
    second signal used to leave granian's main process hanging for good."""
    env = site_env(tmp_path, WEB_WORKERS="1", WEB_THREADS="1")
    with web_process(env, port=(port := free_port()), log=tmp_path / "web.log") as web:
        os.killpg(web.process.pid, signal.SIGINT)
        os.killpg(web.process.pid, signal.SIGTERM)
        os.killpg(web.process.pid, signal.SIGTERM)
        assert web.process.wait(timeout=30) == 0
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


def test_bin_web_prints_the_production_setup_it_would_serve() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")}
    done = subprocess.run(
        [str(WEB), "--print-setup"], cwd=ROOT, env=environment | {"WEB_THREADS": "8"},
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout == "WEB_WORKERS=2 WEB_THREADS=8 WEB_APP=config.wsgi:application\n"


def test_a_bad_application_name_stops_the_web_server_with_the_variable_named() -> None:
    done = subprocess.run(
        [str(WEB), "--port", str(free_port())],
        cwd=ROOT, env=os.environ | {"WEB_APP": "bench.bare.wsgi; rm -rf /"}, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "WEB_APP='bench.bare.wsgi; rm -rf /' is not a WSGI application" in done.stderr


def _first_status(port: int, path: str, process: subprocess.Popen) -> int:
    """The status of the first answer to `path` once the server listens; 0: it never did."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        try:
            return get(port, path, timeout=2).status
        except OSError:
            time.sleep(0.2)
    return 0


def test_the_web_server_serves_the_application_web_app_names(tmp_path: Path) -> None:
    """The benchmark serves its bare Django project through bin/web this way."""
    env = site_env(tmp_path, WEB_WORKERS="1", WEB_THREADS="1")
    env |= {"WEB_APP": "bench.bare.wsgi:application"}
    env |= {"DJANGO_SETTINGS_MODULE": "bench.bare.settings"}
    port = free_port()
    with web_process(env, port=port, log=tmp_path / "web.log", wait=False) as web:
        assert _first_status(port, "/json/", web.process) == 200, web.log.read_text()
        assert get(port, "/healthz").status == 404  # the bare project, not the site
