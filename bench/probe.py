"""In-process measurements for bench/run.py, run with the benchmark's environment.

``python -m bench.probe queries <host> <json list of [name, method, path]>``
    database queries per request of each route (second request, caches warm), and the
    cost of counting the signatures from the rows against reading the Redis counter.
``python -m bench.probe verify <slug> <email prefix> <timeout seconds>``
    waits for the outbox of the signatures made under load to drain, then checks them.

Each prints one JSON object on its last line of output.
"""

import json
import os
import statistics
import sys
import time
from typing import Any


def _timed(fn: Any, repeat: int) -> float:
    """The median wall time of one call, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _queries(client: Any, method: str, path: str, headers: dict[str, str]) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        if method == "POST":
            response = client.post(path, _sign_data("probe"), headers=headers)
        else:
            response = client.get(path, headers=headers)
    return len(captured), response.status_code


def _sign_data(who: str) -> dict[str, str]:
    from signatories.forms import form_stamp

    email = f"{who}@probe.bench.example.org"
    # A stamp drawn a minute ago, as a person who read the form sends it.
    stamp = form_stamp(at=time.time() - 60)
    return {"name": "Probe Signer", "email": email, "consent": "on", "show_name": "on",
            "website": "", "stamp": stamp}  # fmt: skip


def queries(*, host: str, routes: list[list[str]]) -> dict[str, Any]:
    from django.test import Client

    from letters.models import Letter
    from signatories import counters

    client = Client(headers={"host": host})
    result: dict[str, Any] = {"queries": {}}
    for name, method, path in routes:
        headers: dict[str, str] = {}
        # A first request warms the caches (templates, counters) and gives the ETag.
        if method == "POST":
            client.post(path, _sign_data("probe-warm"))
        else:
            first = client.get(path)
            if name.endswith("304"):
                headers["if-none-match"] = first["ETag"]
        count, status = _queries(client, method, path, headers)
        result["queries"][name] = {"queries": count, "status": status}
    letter = Letter.objects.order_by("-pk").first()
    assert letter is not None
    rows_ms = _timed(lambda: counters.counts_from_rows(letter_id=letter.pk), 15)
    redis_ms = _timed(lambda: counters.counts_get(letter_id=letter.pk), 2000)
    result["count"] = {
        "rows_ms": rows_ms,
        "redis_ms": redis_ms,
        "confirmed": counters.counts_get(letter_id=letter.pk).all,
    }
    return result


def verify(*, slug: str, prefix: str, timeout: float) -> dict[str, Any]:
    from signatories.models import OutboxMessage, Signature

    signatures = Signature.objects.filter(letter__slug=slug, email__startswith=f"{prefix}-")
    outbox = OutboxMessage.objects.filter(signature__in=signatures)
    start = time.monotonic()
    while outbox.filter(sent_at__isnull=True).exists() and time.monotonic() - start < timeout:
        time.sleep(0.5)
    return {
        "signatures": signatures.count(),
        "pending": signatures.filter(status=Signature.Status.PENDING).count(),
        "without_outbox": signatures.filter(outbox__isnull=True).count(),
        "outbox": outbox.count(),
        "unsent": outbox.filter(sent_at__isnull=True).count(),
        "without_token": signatures.filter(token_hash="").count(),
        "waited_s": round(time.monotonic() - start, 1),
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    if command == "queries":
        output = queries(host=args[0], routes=json.loads(args[1]))
    else:
        output = verify(slug=args[0], prefix=args[1], timeout=float(args[2]))
    print(json.dumps(output))
