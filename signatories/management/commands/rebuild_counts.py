from django.core.management.base import BaseCommand

from letters.models import Letter
from signatories import counters


class Command(BaseCommand):
    help = "Recompute the live signature counts from the signature rows."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("slugs", nargs="*", help="Only these letters (default: all).")

    def handle(self, *args: object, slugs: list[str], **options: object) -> None:
        letters = Letter.objects.all()
        if slugs:
            letters = letters.filter(slug__in=slugs)
        for letter in letters:
            counters.counts_forget(letter_id=letter.pk)
            counts = counters.counts_rebuild(letter_id=letter.pk, expected=None)
            self.stdout.write(f"{letter.slug}: {counts.all} confirmed, {counts.hidden} unnamed")
