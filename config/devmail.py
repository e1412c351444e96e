"""Mail in the embedded default: one .eml file per message under var/outbox/, and two
DEBUG-only pages to read them with clickable links."""

import re
import uuid
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

_NAME = re.compile(r"^[0-9T\-]+-[0-9a-f]{32}\.eml$")


class OutboxFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        outbox = Path(settings.OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            path = outbox / f"{stamp}-{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)


def _parse(path: Path) -> ParsedMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def outbox_list(request: HttpRequest) -> HttpResponse:
    outbox = Path(settings.OUTBOX_DIR)
    paths = sorted(outbox.glob("*.eml"), reverse=True)[:200] if outbox.exists() else []
    rows = [(path.name, _parse(path)) for path in paths]
    return render(request, "dev/outbox.html", {"rows": rows})


def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    path = Path(settings.OUTBOX_DIR) / name
    if not _NAME.match(name) or not path.exists():
        raise Http404("No such message.")
    message = _parse(path)
    part = message.get_body(preferencelist=("plain",))
    text = part.get_content() if part else ""
    return render(request, "dev/outbox_message.html", {"message": message, "text": text})
