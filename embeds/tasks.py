from embeds import services
from letters.models import Letter
from letters.translations import text_for
from mailing.tasks import durable_task
from signatories import counters


@durable_task(max_retries=5)
def share_card_generate(*, letter_id: int, language: str = "") -> str | None:
    """Draw and store the share card for the letter's current count, in the text of
    ``language`` (empty, or a language the letter lacks: the original); safe to run twice."""
    letter = Letter.objects.exclude(status=Letter.Status.DRAFT).filter(pk=letter_id).first()
    if letter is None:
        return None
    count = counters.counts_get(letter_id=letter.pk).all
    text = text_for(letter=letter, language=language or None)
    return services.share_card_store(letter=letter, count=count, text=text)
