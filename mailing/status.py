"""What operators see of outgoing mail outside the admin (``manage.py mail_status``).

Each app that keeps mail rows registers a reporter from its ``AppConfig.ready()``, like
the page parts of letters: mailing knows no app above it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Failure:
    id: int
    kind: str
    address: str  # masked
    failed_at: datetime
    error: str


@dataclass(frozen=True)
class QueueStatus:
    name: str
    due: int  # waiting to be sent now
    backing_off: int  # failed at least once, waiting for the next try
    failed_last_day: int
    oldest_unsent: timedelta | None  # age of the oldest message not yet sent
    claimed_expired: int  # claimed by a worker whose claim has run out (a dead worker)
    failures: list[Failure] = field(default_factory=list)


Reporter = Callable[[int], QueueStatus]  # called with how many recent failures to list

_reporters: list[Reporter] = []


def reporter_register(reporter: Reporter) -> None:
    if reporter not in _reporters:
        _reporters.append(reporter)


def queues_status(*, failures: int = 0) -> list[QueueStatus]:
    return [reporter(failures) for reporter in _reporters]
