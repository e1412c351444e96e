"""The embedded default, as a new user gets it: no environment variables at all.

Settings are read once per process, so this runs the site in a child process with a clean
environment: SQLite, tasks in-process, mail written to files under var/outbox/.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import email
import email.policy
import json
import time

import django

django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)
call_command("seed_demo", signatures=5)
client = Client(HTTP_HOST="127.0.0.1")
slug = "credit-consent-compensation"
before = client.get(f"/api/letters/{slug}/").json()["signature_count"]
from signatories.forms import form_stamp
answer = client.post(f"/letters/{slug}/sign/", {"name": "Embedded Person",
    "email": "embedded@example.org", "consent": "on", "show_name": "on",
    "website": "", "stamp": form_stamp(at=time.time() - 60)})
files = sorted((settings.OUTBOX_DIR).glob("*.eml"))
outbox_page = client.get("/dev/outbox/").content.decode()
text = files[-1].read_text() if files else ""
message = email.message_from_string(text, policy=email.policy.default)
body = message.get_body(preferencelist=("plain",)).get_content()
link = next(w for w in body.split() if "/confirm/" in w)
path = "/" + link.split("/", 3)[3]
client.post(path)
after = client.get(f"/api/letters/{slug}/").json()["signature_count"]
names = client.get(f"/letters/{slug}/signatories/").content.decode()
pages = [client.get(url).status_code for url in ("/", f"/letters/{slug}/")]
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "debug": settings.DEBUG,
    "sign_status": answer.status_code,
    "files": len(files),
    "listed_in_outbox_page": message["subject"] in outbox_page,
    "before": before, "after": after,
    "named": "Embedded Person" in names,
    "pages": pages,
}))
"""


def test_the_embedded_default_signs_mails_to_files_and_confirms(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG",
                       "HTTPS", "SITE_URL", "EMAIL_BACKEND", "STATIC_MANIFEST"}
    }  # fmt: skip
    env |= {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "engine": "django.db.backends.sqlite3",
        "eager": True,
        "debug": True,
        "sign_status": 200,  # the "check your inbox" page answers the POST itself
        "files": 1,
        "listed_in_outbox_page": True,
        "before": 5,
        "after": 6,
        "named": True,
        "pages": [200, 200],  # the home page and the letter page, on SQLite
    }
    assert (tmp_path / "db.sqlite3").exists()
