"""Settings read in a child process, as a fresh deployment would read its environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The least a production start needs.
PRODUCTION = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x", "SECRET_KEY": "x" * 50}


def settings_in_child(
    code: str = "import django; django.setup()", **env: str
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean | {"DJANGO_SETTINGS_MODULE": "config.settings"} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
