from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from mailing.status import queues_status


def _age(age: timedelta | None) -> str:
    if age is None:
        return "-"
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


class Command(BaseCommand):
    help = (
        "Show the state of outgoing mail: due, backing off, failed in the last day, the "
        "oldest unsent message and rows left claimed by a dead worker. Addresses are masked."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--failed", action="store_true", help="also list recent failures and their errors"
        )
        parser.add_argument("--limit", type=int, default=50, help="how many failures to list")

    def handle(self, *args: Any, failed: bool = False, limit: int = 50, **options: Any) -> None:
        queues = queues_status(failures=limit if failed else 0)
        header = f"{'queue':<12} {'due':>6} {'backoff':>8} {'failed/24h':>10} "
        self.stdout.write(header + f"{'oldest':>7} {'claim-expired':>13}")
        for queue in queues:
            self.stdout.write(
                f"{queue.name:<12} {queue.due:>6} {queue.backing_off:>8} "
                f"{queue.failed_last_day:>10} {_age(queue.oldest_unsent):>7} "
                f"{queue.claimed_expired:>13}"
            )
        if not failed:
            return
        for queue in queues:
            self.stdout.write(f"\nRecent failures in {queue.name}:")
            if not queue.failures:
                self.stdout.write("  none")
            for failure in queue.failures:
                self.stdout.write(
                    f"  #{failure.id} {failure.kind} to {failure.address} at "
                    f"{failure.failed_at:%Y-%m-%d %H:%M} UTC: {failure.error}"
                )
