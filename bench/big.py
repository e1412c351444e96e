"""In-process checks of the reads that must stay fast on a letter with a million signatures.

Run with the benchmark's environment, against a database that bench/run.py seeded (for
instance with ``--signatures 1000000``)::

    python -m bench.big <slug> [<samples>]

It times, in this process through Django's test client or the selector a view calls:
the public letter page, the signatories page (first page, a page in the middle of the
list found by position, and the same page by its old ``?page=`` number), the public
search, the API's signatories list at a cursor in the middle, and the organizers' search
of the moderation list. Then it runs one CSV export of every confirmed signature, with
every column, in a child process, and reports its wall time and the child's peak RSS.

Timings are p50 and p95 over ``samples`` calls after one unmeasured call. They are wall
times on a shared machine: compare them with the targets of issue 10 (API deep cursor
p95 < 50 ms, organizer search p95 < 100 ms, export < 30 s at < 200 MB RSS), not with
another machine's. The last line of output is one JSON object.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

SEARCHES = ("signer 4242", "Novelist", "zzz-nobody", "Seeded Signer 99")


def _stats(fn: Callable[[], object], samples: int) -> dict[str, float]:
    fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 2),
        "samples": samples,
    }


def _get(client: Any, path: str, **params: str) -> Callable[[], object]:
    def call() -> object:
        response = client.get(path, params)
        assert response.status_code == 200, (path, params, response.status_code)
        return response

    return call


def middle_position(*, slug: str) -> tuple[str, str, int]:
    """The public list's position and the API's cursor at its middle row, and the old
    page number of that row."""
    from embeds.pagination import cursor_encode
    from letters.models import Letter
    from signatories import counters
    from signatories.selectors import Position, signatory_list_public

    letter = Letter.objects.get(slug=slug)
    named = counters.counts_get(letter_id=letter.pk).named
    row = signatory_list_public(letter=letter)[named // 2]
    assert row.confirmed_at is not None
    api_cursor = cursor_encode(at=row.confirmed_at, pk=row.pk)
    return Position.of(row).encode(), api_cursor, named // 2 // 50 + 1


def reads(*, slug: str, samples: int, host: str) -> dict[str, Any]:
    from django.test import Client

    from letters.models import Letter
    from moderation.selectors import ModerationFilter, signature_page_for_moderation

    letter = Letter.objects.get(slug=slug)
    position, api_cursor, page_number = middle_position(slug=slug)
    client = Client(headers={"host": host})
    base = f"/letters/{slug}/"
    result: dict[str, Any] = {
        "letter_page": _stats(_get(client, base), samples),
        "signatories_page_1": _stats(_get(client, f"{base}signatories/"), samples),
        "signatories_deep": _stats(_get(client, f"{base}signatories/", after=position), samples),
        "signatories_deep_by_number": _stats(
            _get(client, f"{base}signatories/", page=str(page_number)), max(3, samples // 5)
        ),
        "api_signatories_deep_cursor": _stats(
            _get(client, f"/api/letters/{slug}/signatories/", cursor=api_cursor), samples
        ),
    }
    for q in SEARCHES:
        result[f"public_search {q!r}"] = _stats(_get(client, f"{base}signatories/", q=q), samples)
    for q in SEARCHES:
        search = partial(
            signature_page_for_moderation, letter=letter, filters=ModerationFilter(q=q)
        )
        result[f"organizer_search {q!r}"] = _stats(search, samples)
    return result


def export_child(slug: str) -> None:
    """Stream a full CSV export to /dev/null; print its row count and peak RSS."""
    from letters.models import Letter
    from signatories.exports import EXPORT_FIELDS, csv_stream, export_rows

    letter = Letter.objects.get(slug=slug)
    fields = list(EXPORT_FIELDS)
    size = 0
    with open(os.devnull, "w") as sink:
        for piece in csv_stream(fields=fields, rows=export_rows(letter=letter, fields=fields)):
            size += len(piece)
            sink.write(piece)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"chars": size, "peak_rss_mb": round(peak_kb / 1024, 1)}))


def export(*, slug: str) -> dict[str, Any]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.big", "--export-child", slug],
        check=True, text=True, capture_output=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    child = json.loads(done.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 1), **child}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if argv[0] == "--export-child":
        export_child(argv[1])
        return
    slug = argv[0]
    samples = int(argv[1]) if len(argv) > 1 else 40
    host = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")[0]
    output = {"reads": reads(slug=slug, samples=samples, host=host), "export": export(slug=slug)}
    for name, value in output["reads"].items():
        print(f"{name:45} p50 {value['p50_ms']:8.2f} ms   p95 {value['p95_ms']:8.2f} ms")
    print(f"export: {output['export']}")
    print(json.dumps(output))


if __name__ == "__main__":
    main(sys.argv[1:])
