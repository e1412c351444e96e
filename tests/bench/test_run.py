"""The pure parts of the benchmark harness; the load itself runs only in `make bench`."""

import pytest

from bench.report import (
    BARE_FORM,
    BARE_JSON,
    END_MARK,
    HEALTHZ,
    START_MARK,
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
    server_command,
    server_text,
    sign_check,
    stamp_from_page,
    summarize,
    target_cell,
    target_met,
    web_setup,
)

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8200/healthz
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.02ms  30.11ms   90.12%
  40000 requests in 10.00s, 9.10MB read
Requests/sec:   4000.00
BENCH_JSON {"requests": 40000, "duration_us": 10000000, "bytes": 9542000, \
"errors": {"connect": 0, "read": 1, "write": 0, "status": 2, "timeout": 0}, \
"latency_us": {"p50": 1900, "p90": 3000, "p99": 7500, "mean": 2100.5, "max": 30110}, \
"ok": 39990, "refused": 7, "bad": 3}
"""


def run(rps: float, p99_ms: float = 2) -> WrkResult:
    return WrkResult(requests=int(rps * 10), duration_s=10, errors=0, p50_ms=1, p99_ms=p99_ms)


def scenario(name: str) -> Scenario:
    every = scenarios("a-letter", deep_after="MID", small_deep_after="SMID")
    return next(s for s in every if s.name == name)


def test_it_reads_throughput_latency_errors_and_answers_from_the_report_line() -> None:
    result = parse_wrk(WRK_OUTPUT)

    assert result.requests == 40000
    assert result.rps == 4000
    assert (result.p50_ms, result.p99_ms) == (1.9, 7.5)
    assert result.errors == 3
    assert (result.ok, result.refused, result.bad) == (39990, 7, 3)


def test_a_post_scenario_counts_its_own_answers_and_a_read_counts_every_error_status() -> None:
    post = parse_wrk(WRK_OUTPUT)
    read = parse_wrk(WRK_OUTPUT.replace('"ok": 39990, "refused": 7, "bad": 3', '"ok": 0'))

    # One read error, plus the 3 unexpected answers; the 400s are refusals, not failures.
    assert post.failures == 4
    # One read error and the two answers wrk counted as status errors.
    assert read.failures == 3


def test_it_refuses_wrk_output_without_the_report_line() -> None:
    with pytest.raises(ValueError, match="BENCH_JSON"):
        parse_wrk(WRK_OUTPUT.split("BENCH_JSON")[0])


def test_it_compares_each_round_with_the_bare_baseline_and_healthz_of_the_same_round() -> None:
    rounds = [
        {HEALTHZ: run(2000), BARE_JSON: run(1000), "api": run(500)},
        {HEALTHZ: run(800), BARE_JSON: run(400), "api": run(100)},
        {HEALTHZ: run(800), BARE_FORM: run(200), "sign": run(100)},
    ]

    api = summarize(rounds, "api", BARE_JSON)

    assert api.ratios == [0.5, 0.25]
    assert api.ratio == 0.375
    assert api.healthz_ratios == [0.25, 0.125]
    assert api.rps == 300
    assert summarize(rounds, "sign", BARE_FORM).ratios == [0.5]
    assert summarize(rounds, BARE_JSON, BARE_JSON).ratios == [1.0, 1.0]
    with pytest.raises(ValueError, match="confirm"):
        summarize(rounds, "confirm", BARE_FORM)


def test_reads_are_compared_with_the_bare_json_and_writes_with_the_bare_form() -> None:
    every = {s.name: s for s in scenarios("a-letter", deep_after="MID", small_deep_after="SMID")}

    assert every["api"].baseline == BARE_JSON
    assert every["letter"].baseline == BARE_JSON
    assert every["sign"].baseline == BARE_FORM
    assert every["confirm"].baseline == BARE_FORM
    assert every["signatories_deep"].path == "/letters/a-letter/signatories/?after=MID"
    assert every["signatories_deep_10k"].path == "/letters/a-letter-10k/signatories/?after=SMID"
    assert every["signatories_10k"].baseline == BARE_JSON
    assert (every[BARE_JSON].server, every[BARE_FORM].server) == ("bare", "bare")


def test_a_target_is_met_only_by_the_ratio_and_the_p99_it_names() -> None:
    fast = summarize([{BARE_JSON: run(1000), "letter": run(400, p99_ms=50)}], "letter")
    slow_tail = summarize([{BARE_JSON: run(1000), "letter": run(400, p99_ms=150)}], "letter")
    too_few = summarize([{BARE_JSON: run(1000), "letter": run(200, p99_ms=50)}], "letter")

    assert target_met(scenario("letter"), fast) is True
    assert target_met(scenario("letter"), slow_tail) is False
    assert target_met(scenario("letter"), too_few) is False
    assert target_cell(scenario("letter"), fast) == "≥ 0.3×, p99 < 100 ms: met"
    assert target_cell(scenario("letter"), too_few) == "≥ 0.3×, p99 < 100 ms: **not met**"
    assert target_met(scenario("feed_rss"), fast) is None
    assert target_cell(scenario("feed_rss"), fast) == "—"


def test_the_home_page_meets_its_target_only_with_one_redis_round_trip_counted() -> None:
    fast = summarize([{BARE_JSON: run(1000), "home": run(400)}], "home")

    assert target_met(scenario("home"), fast, redis_trips=1) is True
    assert target_met(scenario("home"), fast, redis_trips=2) is False
    assert target_met(scenario("home"), fast) is False  # not counted, not shown met
    assert target_cell(scenario("home"), fast, 1) == "≥ 0.3×, ≤ 1 Redis round trip: met"


def test_it_finds_the_form_token_and_the_csrf_cookie() -> None:
    html = '<form><input type="hidden" name="csrfmiddlewaretoken" value="form-token"></form>'
    cookies = ["csrftoken=cookie-secret; expires=Thu, 25 Nov 2027 11:00:00 GMT; Path=/"]

    assert csrf_from_page(html, cookies) == ("form-token", "cookie-secret")


def test_a_form_without_csrf_cookie_or_field_is_posted_without_them() -> None:
    token, cookie = csrf_from_page("<form></form>", ["sessionid=x; Path=/"])

    assert (token, cookie) == ("", "")
    assert form_body([("name", "A+@N@"), ("email", "e")], csrf_token=token) == "name=A+@N@&email=e"
    assert cookie_header(cookie) == ""
    assert form_body([("a", "1")], csrf_token="t") == "csrfmiddlewaretoken=t&a=1"
    assert cookie_header("c") == "csrftoken=c"


def test_a_sign_form_without_a_csrf_token_needs_none() -> None:
    assert csrf_from_page('<form><input name="stamp" value="x"></form>', []) == ("", "")


def test_it_reads_the_form_stamp_from_the_sign_form_and_encodes_it() -> None:
    html = '<input type="hidden" name="stamp" value="MTc4:1v2:ab-c_d" id="id_stamp">'

    assert stamp_from_page(html) == "MTc4%3A1v2%3Aab-c_d"
    with pytest.raises(ValueError, match="stamp"):
        stamp_from_page("<form></form>")


def test_it_reads_the_production_processes_and_threads_from_bin_web() -> None:
    assert web_setup("WEB_WORKERS=2 WEB_THREADS=4 WEB_APP=config.wsgi:application\n") == (2, 4)
    with pytest.raises(ValueError, match="WEB_THREADS=many"):
        web_setup("WEB_WORKERS=2 WEB_THREADS=many")
    with pytest.raises(ValueError, match="print-setup"):
        web_setup("")


def test_the_site_and_the_bare_project_are_served_through_bin_web_by_default() -> None:
    def command(server: str, project: str) -> tuple[list[str], dict[str, str]]:
        return server_command(
            server, project=project, port=8201, workers=2, threads=4, python="py", web="bin/web"
        )

    assert command("granian", "bench.bare") == (
        ["bin/web", "--host", "127.0.0.1", "--port", "8201"],
        {"WEB_WORKERS": "2", "WEB_THREADS": "4", "WEB_APP": "bench.bare.wsgi:application"},
    )
    assert command("granian", "config")[1]["WEB_APP"] == "config.wsgi:application"
    gthread, extra = command("gthread", "config")
    assert gthread[:4] == ["py", "-m", "gunicorn", "config.wsgi"]
    assert gthread[-6:] == ["--workers", "2", "--worker-class", "gthread", "--threads", "4"]
    assert extra == {}
    assert command("gunicorn-sync", "bench.bare")[0][-2:] == ["--worker-class", "sync"]
    with pytest.raises(ValueError, match="unknown server 'uwsgi'"):
        command("uwsgi", "config")
    assert server_text("granian", 2, 4) == (
        "granian WSGI through `bin/web`, 2 processes × 4 threads"
    )


def test_it_replaces_only_the_generated_section_of_the_document() -> None:
    document = f"# Benchmarks\n\nHow to run.\n\n{START_MARK}\nold table\n{END_MARK}\n\nNotes.\n"

    updated = replace_generated(document, "new table\n")

    assert (
        updated == f"# Benchmarks\n\nHow to run.\n\n{START_MARK}\nnew table\n{END_MARK}\n\nNotes.\n"
    )
    assert (
        replace_generated("# Benchmarks\n", "t") == f"# Benchmarks\n\n{START_MARK}\nt\n{END_MARK}\n"
    )


def test_the_sign_check_fails_on_a_lost_signature_or_an_unsent_email() -> None:
    verify = {"signatures": 103, "pending": 90, "outbox": 90, "unsent": 0,
              "without_outbox": 0, "without_token": 0, "runs": 1}  # fmt: skip

    assert sign_check(answered=100, failed=0, connections=8, verify=verify)
    assert not sign_check(answered=104, failed=0, connections=8, verify=verify)
    assert not sign_check(answered=100, failed=0, connections=8, verify={**verify, "unsent": 1})
    assert not sign_check(
        answered=100, failed=0, connections=8, verify={**verify, "without_outbox": 1}
    )
    assert not sign_check(answered=100, failed=1, connections=8, verify=verify)
    nothing = {**verify, "signatures": 0, "pending": 0, "outbox": 0}
    assert not sign_check(answered=0, failed=0, connections=8, verify=nothing)


def test_the_confirm_check_wants_the_redis_count_equal_to_the_rows() -> None:
    before = {"redis": 1000, "rows": 1000}

    def check(answered: int, after: dict[str, int], failed: int = 0) -> bool:
        return confirm_check(
            answered=answered, failed=failed, connections=8, runs=2, before=before, after=after
        )

    assert check(500, {"redis": 1510, "rows": 1510})
    assert not check(500, {"redis": 1509, "rows": 1510})  # a confirmation not counted
    assert not check(500, {"redis": 1499, "rows": 1499})  # an answered one not stored
    assert not check(500, {"redis": 1517, "rows": 1517})  # more than were in flight
    assert not check(500, {"redis": 1500, "rows": 1500}, failed=1)
    assert not check(0, {"redis": 1000, "rows": 1000})  # nothing answered proves nothing


def test_the_results_name_every_scenario_with_its_ratios_and_target() -> None:
    chosen = scenarios("a-letter", deep_after="MID", small_deep_after="SMID")
    rounds = [
        {s.name: run(100) for s in chosen}
        | {HEALTHZ: run(800), BARE_JSON: run(400), BARE_FORM: run(400)}
    ]
    table = [(s, summarize(rounds, s.name, s.baseline)) for s in chosen]
    count = {"rows_ms": 30.0, "redis_ms": 0.1, "confirmed": 200000}
    scale = {"api_deep_p95_ms": 12.0, "api_samples": 50, "search_p95_ms": 120.0,
             "search_samples": 50, "export_rows": 10, "export_mb": 1.0, "export_s": 2.0,
             "export_rss_mb": 90.0, "rss_mb": [100.0, 160.0]}  # fmt: skip

    text = render_results(
        meta={"date": "today"}, table=table, costs={}, count=count, scale=scale,
        signatures=1_000_000,
    )  # fmt: skip

    assert (
        "| Counter JSON | `GET /api/letters/a-letter/` | 100 | **0.25×** | ≥ 0.8×: **not met** "
        "| 0.12× |" in text
    )
    assert "| Bare Django: constant JSON | `bare GET /json/` | 400 | **1.00×** | — |" in text
    assert "**300×** faster" in text
    assert "| 12.0 ms | < 50 ms: met |" in text
    assert "| 120.0 ms | < 100 ms: **not met** |" in text
    assert "(largest of 2: 100, 160) | 160 MB | < 150 MB: **not met** |" in text
    assert "set for 1,000,000" not in text
