"""In-process measurements for bench/run.py, run with the benchmark's environment.

``python -m bench.probe count <slug>``
    the cost of counting the signatures from the rows against reading the Redis counter.
``python -m bench.probe positions <slug> [<slug> ...]``
    the position in the middle of each letter's public list (its "Older" links' form).
``python -m bench.probe verify <slug> <email prefix> <timeout seconds>``
    waits for the outbox of the signatures made under load to drain, then checks them.
``python -m bench.probe tokens <slug> <prefix> <threads> <per thread>``
    stores pending signatures whose confirmation tokens are ``<prefix>-<thread>-<n>``.
``python -m bench.probe counts <slug>``
    the confirmed count in Redis and in the rows.
``python -m bench.probe scale <slug> <samples>``
    p95 of the API's signatories list at deep cursors and of the organizers' search.
``python -m bench.probe export <slug>``
    streams the CSV export of every confirmed signature to nowhere; its time and bytes.

Each prints one JSON object on its last line of output.
"""

import json
import os
import statistics
import sys
import time
from typing import Any

from bench.report import percentile_p95
from bench.seed import signatures_sql


def _timed(fn: Any, repeat: int) -> float:
    """The median wall time of one call, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def count(*, slug: str) -> dict[str, Any]:
    """Counting the letter's signatures from the rows against reading the Redis counter."""
    from letters.models import Letter
    from signatories import counters

    letter = Letter.objects.get(slug=slug)
    rows_ms = _timed(lambda: counters.counts_from_rows(letter_id=letter.pk), 15)
    redis_ms = _timed(lambda: counters.counts_get(letter_id=letter.pk), 2000)
    return {
        "rows_ms": rows_ms,
        "redis_ms": redis_ms,
        "confirmed": counters.counts_get(letter_id=letter.pk).all,
    }


def positions(*, slugs: list[str]) -> dict[str, str]:
    """The position of the middle of each letter's public list, as its "Older" links
    give it (bench/big.py)."""
    from bench.big import middle_position

    return {slug: middle_position(slug=slug)[0] for slug in slugs}


def verify(*, slug: str, prefix: str, timeout: float) -> dict[str, Any]:
    """The signatures made under load: pending ones must have been mailed; ones held by a
    rate limit are mailed nothing until an organizer releases them."""
    from django.db.models import Count

    from signatories.models import OutboxMessage, Signature

    signatures = Signature.objects.filter(letter__slug=slug, email__startswith=prefix)
    pending = signatures.filter(status=Signature.Status.PENDING)
    outbox = OutboxMessage.objects.filter(signature__in=signatures)
    start = time.monotonic()
    while outbox.filter(sent_at__isnull=True).exists() and time.monotonic() - start < timeout:
        time.sleep(0.5)
    held = signatures.filter(status=Signature.Status.HELD).values("hold_reason")
    return {
        "signatures": signatures.count(),
        "pending": pending.count(),
        "held": {row["hold_reason"]: row["n"] for row in held.annotate(n=Count("pk"))},
        "without_outbox": pending.filter(outbox__isnull=True).count(),
        "outbox": outbox.count(),
        "unsent": outbox.filter(sent_at__isnull=True).count(),
        "without_token": pending.filter(token_hash="").count(),
        "waited_s": round(time.monotonic() - start, 1),
    }


TOKENS_SQL = signatures_sql(
    rows=(
        "generate_series(1, %(threads)s) AS t, generate_series(1, %(per_thread)s) AS i, "
        "LATERAL (SELECT %(prefix)s || '-' || t || '-' || i AS tok) AS token"
    ),
    columns={
        "name": "'Bench Confirmer ' || i",
        "email": "tok || '@confirm.bench.example.org'",
        "email_normalized": "tok || '@confirm.bench.example.org'",
        "email_domain": "'confirm.bench.example.org'",
        "role": "''",
        "country": "''",
        "status": "'pending'",
        "created_at": "now()",
        "confirmed_at": None,
        "token_hash": "encode(sha256(convert_to(tok, 'UTF8')), 'hex')",
        "token_issued_at": "now()",
    },
)


def tokens(*, slug: str, prefix: str, threads: int, per_thread: int) -> dict[str, Any]:
    """Pending signatures whose emailed token is ``<prefix>-<thread>-<n>``, as if the
    confirmation emails had gone out: what the confirm scenario posts, one each."""
    from django.db import connection

    from letters.models import Letter

    letter = Letter.objects.get(slug=slug)
    params = {"letter": letter.pk, "version": letter.current_version_id, "prefix": prefix,
              "threads": threads, "per_thread": per_thread}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(TOKENS_SQL, params)
        return {"tokens": cursor.rowcount}


def counts(*, slug: str) -> dict[str, Any]:
    from letters.models import Letter
    from signatories import counters

    letter = Letter.objects.get(slug=slug)
    return {
        "redis": counters.counts_get(letter_id=letter.pk).all,
        "rows": counters.counts_from_rows(letter_id=letter.pk).all,
    }


def _sample_times(fn: Any, arguments: list[Any]) -> list[float]:
    samples = []
    for argument in arguments:
        start = time.perf_counter()
        fn(argument)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def scale(*, slug: str, samples: int) -> dict[str, Any]:
    """Deep cursors drawn over the whole letter (each a different page, so no cache can
    answer twice), and organizer searches for names and addresses that exist."""
    import random

    from django.db.models import Max, Min
    from django.test import Client

    from embeds.pagination import cursor_encode
    from letters.models import Letter
    from moderation.selectors import ModerationFilter, signature_page_for_moderation
    from signatories.models import Signature

    letter = Letter.objects.get(slug=slug)
    rows = Signature.objects.filter(letter=letter, status=Signature.Status.CONFIRMED)
    span = rows.aggregate(oldest=Min("confirmed_at"), newest=Max("confirmed_at"))
    oldest, newest = span["oldest"], span["newest"]
    assert oldest is not None and newest is not None
    rng = random.Random(10)
    # Cursors into the deepest tenth of the list (newest first: the oldest signatures). A
    # cursor is a position, not a row: a random time there with the largest possible pk.
    deep = (newest - oldest) / 10
    cursors = [cursor_encode(at=oldest + deep * rng.random(), pk=2**62) for _ in range(samples)]
    client = Client(headers={"host": "127.0.0.1"})
    path = f"/api/letters/{slug}/signatories/"
    statuses = set()

    def api(cursor: str) -> None:
        statuses.add(client.get(path, {"cursor": cursor}).status_code)

    api_ms = _sample_times(api, cursors)
    if statuses != {200}:
        raise SystemExit(f"the API's signatories list answered {sorted(statuses)}")
    total = rows.count()
    numbers = [rng.randint(1, total) for _ in range(samples)]
    queries = [f"Signer {n}" if i % 2 else f"seed{n}@" for i, n in enumerate(numbers)]

    def search(q: str) -> None:
        page = signature_page_for_moderation(letter=letter, filters=ModerationFilter(q=q))
        len(page.items)

    search_ms = _sample_times(search, queries)
    return {
        "api_deep_p95_ms": percentile_p95(api_ms), "api_samples": len(api_ms),
        "api_statuses": sorted(statuses),
        "search_p95_ms": percentile_p95(search_ms), "search_samples": len(search_ms),
    }  # fmt: skip


def export(*, slug: str) -> dict[str, Any]:
    """The organizers' CSV export of every column, streamed as the view streams it."""
    from django.contrib.auth import get_user_model

    from letters.models import Letter
    from signatories import exports

    letter = Letter.objects.get(slug=slug)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-exporter", defaults={"email": "exporter@bench.example.org"}
    )
    start = time.perf_counter()
    log = exports.export_start(
        letter=letter, user=user, fmt="csv", fields=list(exports.EXPORT_FIELDS)
    )
    size = sum(len(chunk) for chunk in exports.export_stream(log=log))
    return {"rows": log.row_count, "bytes": size, "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "count":
        output = count(slug=args[0])
    elif command == "positions":
        output = positions(slugs=args)
    elif command == "verify":
        output = verify(slug=args[0], prefix=args[1], timeout=float(args[2]))
    elif command == "tokens":
        output = tokens(slug=args[0], prefix=args[1], threads=int(args[2]),
                        per_thread=int(args[3]))  # fmt: skip
    elif command == "counts":
        output = counts(slug=args[0])
    elif command == "scale":
        output = scale(slug=args[0], samples=int(args[1]))
    else:
        output = export(slug=args[0])
    print(json.dumps(output))
