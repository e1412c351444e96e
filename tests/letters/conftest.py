import time
from collections.abc import Callable, Iterator

import pytest
import redis
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from config.celery import app


@pytest.fixture
def mail_worker() -> Iterator[Callable[[int], list]]:
    """A real Celery worker on the real Redis broker, consuming the mail queue.

    Yields a function that waits (bounded) until the outbox holds ``n`` messages. The worker
    runs in a thread of this process, so the locmem outbox is shared with the test.
    """
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()

    def wait_for_mail(n: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        while len(mail.outbox) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(mail.outbox) >= n, f"expected {n} emails, got {len(mail.outbox)}"
        return mail.outbox

    # Celery's Django fixup closes the database connections of the thread that builds the
    # worker (here: the test's, inside its transaction). The mail tasks need no database.
    fixups = [f for f in getattr(app, "_fixups", []) if hasattr(f, "_worker_init_uid")]
    for fixup in fixups:
        signals.worker_init.disconnect(dispatch_uid=fixup._worker_init_uid)
    try:
        with start_worker(app, perform_ping_check=False, queues=["mail"], shutdown_timeout=10):
            yield wait_for_mail
    finally:
        for fixup in fixups:
            signals.worker_init.connect(fixup.on_worker_init, dispatch_uid=fixup._worker_init_uid)
