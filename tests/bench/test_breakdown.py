"""Where the time goes: the categories of sampled stacks and the report's profile parts,
with made-up measurements (bench/costs.py measures the real ones in `make bench`)."""

import sys

import pytest

from bench.breakdown import categorize, shares, size_ratios
from bench.costs import ROOT, location
from bench.report import (
    BARE_JSON,
    HEALTHZ,
    WrkResult,
    render_results,
    scenarios,
    summarize,
)

COUNT = {"rows_ms": 30.0, "redis_ms": 0.1, "confirmed": 200000}


def run(rps: float) -> WrkResult:
    return WrkResult(requests=int(rps * 10), duration_s=10, errors=0, p50_ms=1, p99_ms=2)


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        # The innermost frame that has a category names the sample...
        (["psycopg/cursor.py", "django/db/models/query.py", "django/template/base.py"], "sql"),
        (["stdlib:re/__init__.py", "django/utils/html.py", "django/template/base.py"], "templates"),
        (["redis/connection.py", "project:signatories/counters.py"], "redis"),
        (["stdlib:json/encoder.py", "django/http/response.py", "project:embeds/views.py"], "json"),
        (["django/middleware/csrf.py", "django/core/handlers/base.py"], "middleware"),
        (["django/urls/resolvers.py", "django/core/handlers/base.py"], "middleware"),
        (["project:letters/selectors.py", "django/core/handlers/base.py"], "other"),
        (["stdlib:threading.py"], "other"),
        # ...but a form's templates are the form's, though not its queries...
        (["django/template/base.py", "django/forms/boundfield.py", "django/template/base.py"],
         "forms"),
        (["psycopg/cursor.py", "django/forms/models.py"], "sql"),
        # ...and everything under an enqueue or the outbox is theirs, Redis and SQL included.
        (["redis/connection.py", "kombu/messaging.py", "project:signatories/services.py"],
         "celery"),
        (["psycopg/cursor.py", "project:signatories/outbox.py"], "celery"),
        # The probe's own frames between two requests are not the request's.
        (["stdlib:io.py", "project:bench/costs.py"], "outside"),
    ],
)  # fmt: skip
def test_a_sampled_stack_goes_to_its_innermost_categorised_frame(stack, expected) -> None:
    assert categorize(stack) == expected


def test_frames_are_located_in_their_package_the_project_or_the_standard_library() -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"

    assert location(f"/x/.venv/lib/{version}/site-packages/django/db/models/query.py") == (
        "django/db/models/query.py"
    )
    assert location(f"{ROOT}letters/views.py") == "project:letters/views.py"
    assert location(f"/usr/lib/{version}/json/encoder.py") == "stdlib:json/encoder.py"


def test_the_shares_leave_out_the_probes_own_samples() -> None:
    parts = shares({"templates": 30, "sql": 10, "outside": 60})

    assert parts["templates"] == 0.75
    assert parts["sql"] == 0.25
    assert parts["forms"] == 0.0
    assert "outside" not in parts


def cost(cpu: float, wall: float, samples: dict[str, int], queries=0, redis=0) -> dict:
    return {"cpu_us": cpu, "wall_us": wall, "samples": samples, "queries": queries,
            "redis": redis, "requests": 20, "status": 200}  # fmt: skip


def test_the_report_shows_each_profile_and_why_a_target_is_not_met() -> None:
    chosen = [s for s in scenarios("a-letter") if s.name in {HEALTHZ, BARE_JSON, "letter", "api"}]
    rounds = [{HEALTHZ: run(800), BARE_JSON: run(1000), "letter": run(100), "api": run(900)}]
    table = [(s, summarize(rounds, s.name, s.baseline)) for s in chosen]
    costs = {
        BARE_JSON: cost(300, 400, {"middleware": 80, "json": 20}),
        "api": cost(350, 500, {"redis": 60, "middleware": 40}, redis=1),
        "letter": cost(
            6000, 10000, {"templates": 50, "forms": 15, "sql": 25, "middleware": 10}, queries=3
        ),
    }

    text = render_results(
        meta={}, table=table, costs=costs, count=COUNT, rounds=rounds, small=10_000
    )

    assert "### Where the time goes" in text
    row = "| Letter page | 6,000 | 10,000 | 3 | 0 | 50% | 15% | 25% |  | 10% |  |  |  | 20 |"
    assert row in text
    assert "| Bare Django: constant JSON | 300 | 400 | 0 | 0 |" in text
    assert "| Counter JSON | `GET /api/letters/a-letter/` | 900 |" in text
    assert "| 2.0 | 0 | 1 | 0 |" in text  # the API's p99, queries, Redis trips, errors
    # Only the letter page misses its target; its reason comes from its profile.
    assert (
        "- **Letter page** (0.10×): 6,000 µs of CPU a request against the bare view's 300 "
        "(20.0×; 0.3× allows about 1,000)."
    ) in text
    assert (
        "Of that CPU: 50% in templates (3,000 µs; the bare view 0 µs); 25% in ORM + SQL "
        "(1,500 µs, 3 queries; the bare view 0 µs); 15% in forms (900 µs; the bare view 0 µs). "
        "Besides, 4,000 µs a request off the CPU (waiting on PostgreSQL, Redis or the machine; "
        "the bare view 100 µs)."
    ) in text
    assert "**Counter JSON**" not in text
    assert "### Signatories at" not in text  # no signatories page ran


def test_the_big_letters_signatories_pages_are_compared_with_the_small_ones() -> None:
    chosen = scenarios("a-letter")
    names = ["signatories", "signatories_10k", "signatories_deep", "signatories_deep_10k"]
    rounds = [
        {HEALTHZ: run(800), BARE_JSON: run(1000), "signatories": run(95),
         "signatories_10k": run(100), "signatories_deep": run(40),
         "signatories_deep_10k": run(100)},
        {HEALTHZ: run(800), BARE_JSON: run(1000), "signatories": run(100),
         "signatories_10k": run(100), "signatories_deep": run(50),
         "signatories_deep_10k": run(100)},
    ]  # fmt: skip
    table = [(s, summarize(rounds, s.name, s.baseline)) for s in chosen if s.name in names]
    costs = {"signatories": cost(5000, 6000, {}), "signatories_10k": cost(4900, 6000, {})}

    text = render_results(
        meta={}, table=table, costs=costs, count=COUNT, signatures=1_000_000, rounds=rounds,
        small=10_000,
    )  # fmt: skip

    assert size_ratios(rounds, "signatories_deep", "signatories_deep_10k") == [0.4, 0.5]
    assert "### Signatories at 1,000,000 and at 10,000 signatures" in text
    assert "| Page 1 | **0.97×** (0.95 / 1.00) | 5,000 | 4,900 | ≥ 0.9×: met |" in text
    assert (
        "| Deep page (position link) | **0.45×** (0.40 / 0.50) |  |  | ≥ 0.9×: **not met** |"
        in text
    )
