from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from embeds.snippets import page_context as embed_page_context
from letters import selectors, services
from letters.models import Letter
from signatories import counters
from signatories.forms import SignForm
from signatories.selectors import correction_log_exists, signatory_latest, signatory_page
from signatories.updates import update_list_public


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    letters = list(selectors.letter_list_index()[:50])
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
        "updates": update_list_public(letter=letter)[:10],
        "last_changed": letter.current_version if _has_changes(letter) else None,
        "embed": embed_page_context(letter=letter, count=counts.all),
    }


def _has_changes(letter: Letter) -> bool:
    version = letter.current_version
    return version is not None and version.number > 1


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


@require_GET
def changes(request: HttpRequest, slug: str) -> HttpResponse:
    """Every published text of a letter, newest first, each with what changed."""
    letter = selectors.letter_get_public(slug=slug)
    versions = list(selectors.letter_versions(letter=letter))
    rows = [
        (version, services.letter_version_diff(old=older, new=version) if older else None)
        for version, older in zip(versions, [*versions[1:], None], strict=True)
    ]
    return render(request, "letters/changes.html", {"letter": letter, "rows": rows})
