from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from letters import selectors, services
from letters.models import Letter
from signatories import counters
from signatories.forms import SignForm
from signatories.selectors import correction_log_exists, signatory_latest, signatory_page


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    letters = list(selectors.letter_list_public()[:50])
    rows = [(letter, counters.counts_get(letter_id=letter.pk)) for letter in letters]
    return render(request, "letters/index.html", {"rows": rows})


def letter_page_context(*, letter: Letter, form: SignForm | None = None) -> dict[str, object]:
    """What the letter page shows; also used when a sign form comes back with errors."""
    counts = counters.counts_get(letter_id=letter.pk)
    return {
        "letter": letter,
        "body_html": services.letter_body_html(letter=letter),
        "counts": counts,
        "progress": min(100, round(100 * counts.all / letter.goal)) if letter.goal else None,
        "latest": signatory_latest(letter=letter),
        "has_corrections": correction_log_exists(letter=letter),
        "form": form if form is not None else SignForm(letter=letter),
    }


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    letter = selectors.letter_get_public(slug=slug)
    return render(request, "letters/detail.html", letter_page_context(letter=letter))


@require_GET
def signatories(request: HttpRequest, slug: str) -> HttpResponse:
    letter = selectors.letter_get_public(slug=slug)
    page = signatory_page(letter=letter, number=request.GET.get("page"))
    counts = counters.counts_get(letter_id=letter.pk)
    return render(
        request, "letters/signatories.html", {"letter": letter, "page": page, "counts": counts}
    )
