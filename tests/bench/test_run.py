"""The pure parts of the benchmark harness; the load itself runs only in `make bench`."""

import pytest

from bench.run import (
    END_MARK,
    START_MARK,
    WrkResult,
    csrf_from_page,
    parse_wrk,
    render_results,
    replace_generated,
    scenarios,
    sign_check,
    stamp_from_page,
    summarize,
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
"ok": 0, "bad": 0}
"""


def run(rps: float) -> WrkResult:
    return WrkResult(requests=int(rps * 10), duration_s=10, errors=0, p50_ms=1, p99_ms=2)


def test_it_reads_throughput_latency_and_errors_from_the_report_line() -> None:
    result = parse_wrk(WRK_OUTPUT)

    assert result.requests == 40000
    assert result.rps == 4000
    assert (result.p50_ms, result.p99_ms) == (1.9, 7.5)
    assert result.errors == 3


def test_it_refuses_wrk_output_without_the_report_line() -> None:
    with pytest.raises(ValueError, match="BENCH_JSON"):
        parse_wrk(WRK_OUTPUT.split("BENCH_JSON")[0])


def test_it_compares_each_round_with_the_baseline_of_the_same_round() -> None:
    rounds = [
        {"baseline": run(1000), "api": run(500)},
        {"baseline": run(400), "api": run(100)},
        {"baseline": run(800), "sign": run(80)},
    ]

    api = summarize(rounds, "api")

    assert api.ratios == [0.5, 0.25]
    assert api.ratio == 0.375
    assert api.rps == 300
    assert summarize(rounds, "sign").ratios == [0.1]
    assert summarize(rounds, "baseline").ratios == [1.0, 1.0, 1.0]


def test_it_finds_the_form_token_and_the_csrf_cookie() -> None:
    html = '<form><input type="hidden" name="csrfmiddlewaretoken" value="form-token"></form>'
    cookies = ["csrftoken=cookie-secret; expires=Thu, 25 Nov 2027 11:00:00 GMT; Path=/"]

    assert csrf_from_page(html, cookies) == ("form-token", "cookie-secret")
    with pytest.raises(ValueError, match="cookie"):
        csrf_from_page(html, [])


def test_a_sign_form_without_a_csrf_token_needs_none() -> None:
    assert csrf_from_page('<form><input name="stamp" value="x"></form>', []) == ("", "")


def test_it_reads_the_form_stamp_from_the_sign_form_and_encodes_it() -> None:
    html = '<input type="hidden" name="stamp" value="MTc4:1v2:ab-c_d" id="id_stamp">'

    assert stamp_from_page(html) == "MTc4%3A1v2%3Aab-c_d"
    with pytest.raises(ValueError, match="stamp"):
        stamp_from_page("<form></form>")


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
    verify = {"signatures": 103, "outbox": 103, "unsent": 0, "without_outbox": 0,
              "without_token": 0, "runs": 1}  # fmt: skip

    assert sign_check(answered=100, failed=0, connections=8, verify=verify)
    assert not sign_check(answered=104, failed=0, connections=8, verify=verify)
    assert not sign_check(answered=100, failed=0, connections=8, verify={**verify, "unsent": 1})
    assert not sign_check(answered=100, failed=1, connections=8, verify=verify)


def test_the_results_name_every_scenario_with_its_ratio() -> None:
    chosen = scenarios("a-letter")
    rounds = [{scenario.name: run(100) for scenario in chosen} | {"baseline": run(400)}]
    table = [(scenario, summarize(rounds, scenario.name)) for scenario in chosen]
    count = {"rows_ms": 30.0, "redis_ms": 0.1, "confirmed": 200000}

    text = render_results(meta={"date": "today"}, table=table, queries={}, count=count, sign=None)

    assert "| Counter JSON | `GET /api/letters/a-letter/` | 100 | **0.25×**" in text
    assert "**300×** faster" in text
