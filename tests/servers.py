"""The production processes, started for real against the test database.

`web_process` runs the web server exactly as `make run` does in production mode
(`bin/web --host 127.0.0.1 --port N`, only the port differs), and
`celery_process` a Celery worker as docs/deployment.md runs one. Both read the test
database (`test_<name>`), so the data they see must be committed: use them with
`transactional_db`. Each runs in its own process group and is stopped with it.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "bin" / "web"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def site_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process that uses this test run's database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    # The project's Python first, for bin/web's `python` and Celery.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(
        DATABASE_URL=url,
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        SECRET_KEY=settings.SECRET_KEY,
        DEBUG="false",
        HTTPS="false",
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_MANIFEST="false",
        VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def get(port: int, path: str, *, timeout: float = 10, headers: dict[str, str] | None = None):
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection_.request("GET", path, headers=headers or {})
        response = connection_.getresponse()
        response.read()
        return response
    finally:
        connection_.close()


def _stop(process: "subprocess.Popen[bytes]") -> None:
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        _stop(process)


class Started:
    """A process that was started; ``wait()`` returns once it serves."""

    def __init__(self, process: "subprocess.Popen[bytes]", log: Path, ready) -> None:
        self.process, self.log, self._ready = process, log, ready

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not self._ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{self.log.name}: not ready\n{self.log.read_text()}")
            time.sleep(0.2)


def _answers(port: int) -> bool:
    try:
        return get(port, "/healthz", timeout=2).status == 200
    except OSError:
        return False


@contextmanager
def web_process(
    env: dict[str, str], *, port: int, log: Path, wait: bool = True
) -> Iterator[Started]:
    """The web server as `make run` starts it, on `port`; serving when it yields, unless
    ``wait`` is False (then call ``wait()``: start several at once, then wait for all)."""
    command = [str(WEB), "--host", "127.0.0.1", "--port", str(port)]
    with _process(command, env | {"SITE_URL": f"http://127.0.0.1:{port}"}, log) as process:
        started = Started(process, log, lambda: _answers(port))
        if wait:
            started.wait()
        yield started


@contextmanager
def celery_process(
    env: dict[str, str], *, name: str, log: Path, beat: bool = False, wait: bool = True
) -> Iterator[Started]:
    """A Celery worker on the queues of docs/deployment.md (see ``web_process``)."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-n", f"{name}@%h"]
    command += ["-Q", "default,mail", "--concurrency", "2", "--loglevel", "INFO"]
    if beat:
        command += ["--beat", "--schedule", str(log.with_suffix(".schedule"))]
    with _process(command, env, log) as process:
        started = Started(process, log, lambda: " ready." in log.read_text())
        if wait:
            started.wait()
        yield started
