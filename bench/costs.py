"""Where the time of one request goes, measured in-process for bench/run.py.

``python -m bench.costs <host> <json list of [name, method, path]>``, run once with the
site's environment and once with the bare project's (``DJANGO_SETTINGS_MODULE=
bench.bare.settings``), prints one JSON object on its last line: for each route the
database queries and Redis round trips of one request, the CPU and wall microseconds per
request, and where its CPU went, by category.

Each request goes through the project's own WSGI application, as the web server calls it
(request_started and request_finished signals, the connection checks, every middleware,
the response iterated and closed), with PostgreSQL and Redis on and the caches warm.
The same request is repeated for a bounded time: once plainly, for the CPU time
(``time.process_time``: this process only, not PostgreSQL's or Redis's) and the wall
time, and once while a thread samples the request's stack every 0.2 ms, each sample
weighed by the CPU the request's thread spent around it. Each sample is put into one
category by its innermost frame that has one (bench.breakdown.categorize), so a query run
by a template tag counts as SQL, and anything under a Celery enqueue as the enqueue.
"""

import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.breakdown import categorize
from bench.report import cookie_header, csrf_from_page, form_body

ROOT = str(Path(__file__).resolve().parent.parent) + "/"
BUDGET_S = 0.2  # per route, for each of the two timed passes (2 requests at least)
MOST = 60  # requests per pass, however cheap the request
INTERVAL_S = 0.0002


def location(filename: str) -> str:
    """A frame's file as bench.breakdown.categorize reads it: a package path, or
    ``project:``/``stdlib:`` and the path inside."""
    if "-packages/" in filename:
        return filename.rsplit("-packages/", 1)[1]
    if filename.startswith(ROOT):
        return "project:" + filename.removeprefix(ROOT)
    marker = f"/python{sys.version_info.major}.{sys.version_info.minor}/"
    return "stdlib:" + filename.rsplit(marker, 1)[-1]


class Sampler(threading.Thread):
    """Samples the stack of one thread every INTERVAL_S until stopped, each sample weighed
    by the CPU time that thread spent since the sample before. Waiting on PostgreSQL or
    Redis spends none and so weighs nothing: the shares are shares of the CPU. The CPU
    spent between two samples went from the first stack to the second, so half of it is
    put on each (a stack seen as a wait began would otherwise take all that led to it)."""

    def __init__(self, thread_id: int) -> None:
        super().__init__(daemon=True)
        self.clock = time.pthread_getcpuclockid(thread_id)
        self.thread_id, self.stopped = thread_id, threading.Event()
        self.stacks: Counter[tuple[str, ...]] = Counter()

    def run(self) -> None:
        before, previous = time.clock_gettime_ns(self.clock), None
        while not self.stopped.wait(INTERVAL_S):
            frame = sys._current_frames().get(self.thread_id)
            now = time.clock_gettime_ns(self.clock)
            files = []
            while frame is not None:
                files.append(frame.f_code.co_filename)
                frame = frame.f_back
            current = tuple(files)
            half = (now - before) // 2
            self.stacks[previous or current] += half
            self.stacks[current] += half
            before, previous = now, current

    def __enter__(self) -> "Sampler":
        # The sampler needs the GIL to look: let the threads switch as often as it samples.
        self.switch = sys.getswitchinterval()
        sys.setswitchinterval(INTERVAL_S)
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.join()
        sys.setswitchinterval(self.switch)

    def categories(self) -> dict[str, float]:
        """Microseconds of CPU by category."""
        spent: Counter[str] = Counter()
        for stack, ns in self.stacks.items():
            spent[categorize([location(name) for name in stack])] += ns
        return {name: ns / 1000 for name, ns in spent.items()}


@dataclass(frozen=True)
class Answer:
    status: int
    content: bytes
    cookies: list[str]
    etag: str


class Caller:
    """Calls the WSGI application with one request, as the web server does."""

    def __init__(self, host: str) -> None:
        from django.core.wsgi import get_wsgi_application

        self.application = get_wsgi_application()
        self.host = host

    def __call__(
        self, method: str, path: str, *, body: str = "", headers: dict[str, str] | None = None
    ) -> Answer:
        path, _, query = path.partition("?")
        data = body.encode()
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": self.host, "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": self.host, "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(data), "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": "application/x-www-form-urlencoded", "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }  # fmt: skip
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        started: list[Any] = []

        def start_response(
            status: str, response_headers: list[tuple[str, str]], *_: Any
        ) -> Callable[[bytes], object]:
            started[:] = [int(status.split()[0]), response_headers]
            return lambda data: None

        response = self.application(environ, start_response)
        try:
            content = b"".join(response)
        finally:
            response.close()
        status, response_headers = started
        named = [(key.lower(), value) for key, value in response_headers]
        cookies = [value for key, value in named if key == "set-cookie"]
        etag = next((value for key, value in named if key == "etag"), "")
        return Answer(status, content, cookies, etag)


Request = Callable[[], int]


def _requests(call: Caller, name: str, method: str, path: str) -> Iterator[Request]:
    """An endless supply of the route's request, each one new where it must be (a new
    signer from a new network, the next prepared token)."""
    headers: dict[str, str] = {}
    if method == "GET":
        if name.endswith("304"):
            headers["If-None-Match"] = call("GET", path).etag
        while True:
            yield lambda: call("GET", path, headers=headers).status
    if "<token>" in path:
        yield from _confirms(call, path)
    elif path.endswith("/sign/"):
        yield from _signs(call, path)
    else:
        yield from _bare_forms(call, path)


def _post(call: Caller, path: str, body: str, headers: dict[str, str]) -> Request:
    return lambda: call("POST", path, body=body, headers=headers).status


def _csrf(call: Caller, page: str) -> tuple[str, dict[str, str]]:
    """The CSRF token of the form on ``page`` and the cookie header to send with it, as
    the load scenarios read them once (bench/writes.py)."""
    answer = call("GET", page)
    token, cookie = csrf_from_page(answer.content.decode(), answer.cookies)
    return token, {"cookie": cookie_header(cookie)} if cookie else {}


def _bare_forms(call: Caller, path: str) -> Iterator[Request]:
    token, headers = _csrf(call, path)
    for n in range(10**9):
        fields = [("name", "Cost+Probe"), ("email", f"cost-{n}%40bench.example.org")]
        yield _post(call, path, form_body(fields, csrf_token=token), headers)


def _signs(call: Caller, path: str) -> Iterator[Request]:
    from signatories.forms import form_stamp

    token, headers = _csrf(call, path.removesuffix("sign/"))
    # A stamp drawn a minute ago, as a person who read the form sends it; each signer
    # another client on another network (2001:db8::/32, which bench/post.lua never uses).
    stamp = quote(form_stamp(at=time.time() - 60), safe="")
    run = os.urandom(2).hex()
    for n in range(10**9):
        body = form_body(
            [("name", "Cost+Probe"), ("email", f"cost-{run}-{n}%40probe.bench.example.org"),
             ("consent", "on"), ("show_name", "on"), ("website", ""), ("stamp", stamp)],
            csrf_token=token,
        )  # fmt: skip
        client = {"x-forwarded-for": f"2001:db8:{n:x}:{run}::1"}  # a /48 each
        yield _post(call, path, body, {**headers, **client})


def _confirms(call: Caller, path: str) -> Iterator[Request]:
    from bench.probe import tokens
    from letters.models import Letter

    letter = Letter.objects.order_by("-pk").first()
    assert letter is not None
    prefix = "cost" + os.urandom(3).hex()
    tokens(slug=letter.slug, prefix=prefix, threads=1, per_thread=2 * MOST + 4)
    # The confirmation page's form (a GET confirms nothing), posted with each token.
    token, headers = _csrf(call, path.replace("<token>", f"{prefix}-1-1"))
    body = form_body([], csrf_token=token)
    for n in range(1, 2 * MOST + 5):
        yield _post(call, path.replace("<token>", f"{prefix}-1-{n}"), body, headers)
    raise SystemExit("the confirm probe ran out of tokens")


@contextmanager
def counted() -> Iterator[dict[str, int]]:
    """Database queries and Redis round trips (one per command or pipeline sent)."""
    from django.db import connection
    from redis.connection import AbstractConnection

    counts = {"queries": 0, "redis": 0}
    send = AbstractConnection.send_packed_command

    def query(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        counts["queries"] += 1
        return execute(sql, params, many, context)

    def trip(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        counts["redis"] += 1
        send(self, command, check_health)

    AbstractConnection.send_packed_command = trip  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(query):
            yield counts
    finally:
        AbstractConnection.send_packed_command = send  # type: ignore[method-assign]


def _pass(requests: Iterator[Request], expected: int, limit: int) -> tuple[int, float, float]:
    """Requests made until the budget is spent; their CPU and wall seconds."""
    done, cpu, wall = 0, time.process_time(), time.perf_counter()
    while done < limit and (done < 2 or time.perf_counter() - wall < BUDGET_S):
        status = next(requests)()
        if status != expected:
            raise SystemExit(f"a request answered {status}, expected {expected}")
        done += 1
    return done, time.process_time() - cpu, time.perf_counter() - wall


def route(call: Caller, name: str, method: str, path: str) -> dict[str, Any]:
    expected = 304 if name.endswith("304") else 302 if name == "bare_form" else 200
    requests = _requests(call, name, method, path)
    # Two unmeasured requests warm the caches; the third is counted.
    for _ in range(2):
        next(requests)()
    with counted() as counts:
        status = next(requests)()
    # Writes are bounded by what they leave behind (and the letter-wide sign limit).
    limit = 20 if method == "POST" else MOST
    n, cpu, wall = _pass(requests, expected, limit)
    with Sampler(threading.get_ident()) as sampler:
        _pass(requests, expected, limit)
    return {
        **counts, "status": status, "requests": n, "cpu_us": cpu / n * 1e6,
        "wall_us": wall / n * 1e6, "samples": sampler.categories(),
    }  # fmt: skip


def costs(*, host: str, routes: list[list[str]]) -> dict[str, Any]:
    call = Caller(host)
    measured = {}
    for name, method, path in routes:
        started = time.perf_counter()
        measured[name] = route(call, name, method, path)
        measured[name]["seconds"] = time.perf_counter() - started
    return measured


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(json.dumps(costs(host=sys.argv[1], routes=json.loads(sys.argv[2]))))
