"""The writing scenarios of bench/run.py: the bare form + INSERT, sign and confirm, each
POSTed by wrk through bench/post.lua, and the checks of what they stored."""

import argparse
import os
import secrets
import time
from pathlib import Path
from typing import Any

from bench.report import (
    BARE_FORM,
    HEALTHZ,
    Scenario,
    WrkResult,
    confirm_check,
    cookie_header,
    csrf_from_page,
    form_body,
    sign_check,
    stamp_from_page,
)
from bench.serve import ROOT, SLUG, fetch, load, log, port_of, probe, wrk


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
