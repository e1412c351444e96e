"""The dossier of a letter with 100,000 signatures: its time and its peak memory.

    uv run python bench/dossier.py [--signatures 100000] [--database undersigned_bench_dossier]
                                   [--redis-url redis://127.0.0.1:6379/5] [--port 8200]

It drops and creates the database, migrates, seeds one letter with ``--signatures``
confirmed signatures (bench/seed.py: one in seven chose not to be named), then makes the
letter's dossier in a child process exactly as the worker does (dossiers.services
.dossier_build) and reports the child's wall time and peak RSS (ru_maxrss, the peak of
that one process), the file's size and its pages. A second child streams the
print-friendly page to nowhere and reports the same. The figures belong in
docs/benchmarks.md, "The dossier"; the last line of output is one JSON object.
"""

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: bench/ is a package of the project
    sys.path.insert(0, str(ROOT))

from bench.serve import database_url, log, run_python  # noqa: E402

SLUG = "bench-dossier"


def _env(args: argparse.Namespace) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_HOST"}
    }
    env.update(
        DATABASE_URL=database_url(args.database),
        REDIS_URL=args.redis_url,
        CELERY_BROKER_URL=args.redis_url,
        SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        DEBUG="false",
        HTTPS="false",
        SITE_URL=f"http://127.0.0.1:{args.port}",
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        # The page is read in-process: no collected files, so no manifest to look names up in.
        STATIC_MANIFEST="false",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run this module's ``args`` in a child; its JSON, wall seconds and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.dossier", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench.dossier {' '.join(args)} failed")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result.update(
        seconds=round(time.perf_counter() - started, 1),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
    )
    return result


def build_child(slug: str) -> None:
    """Make the dossier as the worker does; print its counts and size."""
    from dossiers import services
    from dossiers.models import Dossier
    from letters.models import Letter

    dossier = Dossier.objects.create(letter=Letter.objects.get(slug=slug))
    services.dossier_build(dossier_id=dossier.pk)
    dossier.refresh_from_db()
    if dossier.status != Dossier.Status.READY:
        raise SystemExit(f"the dossier failed: {dossier.error}")
    print(json.dumps({"dossier": dossier.pk, "confirmed": dossier.count_all,
                      "named": dossier.total, "bytes": dossier.size}))  # fmt: skip


def pages_child(dossier_id: str) -> None:
    import io

    from pypdf import PdfReader

    from dossiers import services
    from dossiers.models import Dossier

    data = b"".join(services.dossier_file(dossier=Dossier.objects.get(pk=int(dossier_id))))
    print(json.dumps({"pages": len(PdfReader(io.BytesIO(data)).pages)}))


def print_child(slug: str) -> None:
    """Stream the print-friendly page to nowhere, as an organizer's browser would read it."""
    from django.contrib.auth import get_user_model
    from django.http import StreamingHttpResponse
    from django.test import Client
    from django.urls import reverse

    from letters.models import Letter, Membership

    letter = Letter.objects.get(slug=slug)
    user, _ = get_user_model().objects.get_or_create(username="bench-dossier")
    Membership.objects.get_or_create(letter=letter, user=user, defaults={"role": "viewer"})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    response = client.get(reverse("dossiers:print", args=[slug]))
    assert isinstance(response, StreamingHttpResponse)
    size = sum(len(bytes(piece)) for piece in response.streaming_content)
    print(json.dumps({"status": response.status_code, "bytes": size}))


def main(argv: list[str]) -> int:
    if argv and argv[0] in {"--build-child", "--pages-child", "--print-child"}:
        import django

        django.setup()
        {"--build-child": build_child, "--pages-child": pages_child,
         "--print-child": print_child}[argv[0]](argv[1])  # fmt: skip
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--database", default="undersigned_bench_dossier")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--port", type=int, default=8200, help="only for the printed links")
    args = parser.parse_args(argv)
    env = _env(args)
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    log(f"Resetting database {args.database}")
    subprocess.run(["dropdb", *pg, "--if-exists", args.database], check=True)
    subprocess.run(["createdb", *pg, args.database], check=True)
    run_python(env, "manage.py", "migrate", "--noinput", "-v", "0")
    log(f"Seeding {args.signatures:,} confirmed signatures")
    print(run_python(env, "-m", "bench.seed", SLUG, str(args.signatures), "1").strip())
    log("Making the dossier in a child process")
    build = _child(env, "--build-child", SLUG)
    build["pages"] = _child(env, "--pages-child", str(build["dossier"]))["pages"]
    log(f"  {build}")
    log("Streaming the print-friendly page in a child process")
    page = _child(env, "--print-child", SLUG)
    log(f"  {page}")
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"build": build, "print": page, "runner_rss_mb": round(self_peak, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
