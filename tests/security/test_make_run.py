"""`make run` keeps serving when its worker dies and makes no known account unless asked."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_worker_that_dies_is_started_again_with_a_clear_line(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    process = subprocess.Popen(
        [str(ROOT / "bin" / "keep-running"), "Celery worker",
         "/bin/sh", "-c", f"echo run >> {runs}; exit 3"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (
            not runs.exists() or len(runs.read_text().split()) < 3
        ):
            time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert len(runs.read_text().split()) >= 3
    assert "the Celery worker exited with status 3; restarting it in 1 s" in stderr
    assert "restarting it in 2 s" in stderr  # backs off while it keeps failing


def _make_dry_run(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEMO_ADMIN"}}
    result = subprocess.run(
        ["make", "-n", "run"],  # noqa: S607 - make is on every machine that runs `make run`
        cwd=ROOT,
        env=environment | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_make_run_in_production_mode_makes_no_demo_admin_unless_asked() -> None:
    production = _make_dry_run(DATABASE_URL="postgres://u@127.0.0.1/db")
    assert "seed_demo\n" in production and "--admin" not in production
    assert "bin/keep-running" in production and "wait -n" not in production
    asked = _make_dry_run(DATABASE_URL="postgres://u@127.0.0.1/db", DEMO_ADMIN="1")
    assert "seed_demo --admin" in asked
    assert "seed_demo --admin" in _make_dry_run()  # the embedded default: 127.0.0.1 only


@pytest.mark.django_db
def test_seed_demo_creates_no_superuser_with_a_printed_password_unless_asked(
    capsys, settings, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", signatures=2)
    assert not get_user_model().objects.filter(is_superuser=True).exists()
    assert "password" not in capsys.readouterr().out
    call_command("seed_demo", signatures=2, admin=True)
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()
