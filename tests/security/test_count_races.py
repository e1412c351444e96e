"""The count and the correction log under races.

Requests race through the real views on real PostgreSQL connections. The unit races make
one interleaving happen for sure: the first request loads its signature, and at that very
moment (a wrapped lookup) a second request, on its own connection, commits the competing
change. The mixed test fires every action at once from several threads.
"""

import queue
import random
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from letters.models import Letter
from moderation import services as moderation
from moderation import views as moderation_views
from moderation.models import ModerationAction
from moderation.selectors import ModerationFilter
from signatories import counters, services, tokens
from signatories.models import Signature
from tests.factories import (
    is_check_inbox,
    make_letter,
    make_member_user,
    make_pending_signature,
    make_signature,
    sign_data,
)
from tests.signatories.test_concurrency import in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

Status = Signature.Status


def _client(user: Any = None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _confirm_url(token: str) -> str:
    return reverse("signatories:confirm", args=[token])


def _withdraw_url(signature: Signature) -> str:
    return reverse("signatories:withdraw", args=[tokens.withdraw_token(signature=signature)])


def _moderate_url(action: str, signature: Signature) -> str:
    return reverse(
        f"moderation:{action}", kwargs={"slug": signature.letter.slug, "pk": signature.pk}
    )


def _moderate(client: Client, action: str, signature: Signature) -> int:
    data = {"reason": "Signed twice"} if action in ("hold", "remove") else {}
    return client.post(_moderate_url(action, signature), data).status_code


def _assert_count_is_exact(letter: Letter) -> counters.Counts:
    live = counters.counts_get(letter_id=letter.pk)
    rows = counters.counts_from_rows(letter_id=letter.pk)
    assert (live.all, live.hidden) == (rows.all, rows.hidden)
    return live


def _meanwhile(monkeypatch, module: Any, name: str, competitor: Callable[[], Any]) -> None:
    """Run ``competitor`` (another request) right after ``module.name`` has loaded its rows."""
    original = getattr(module, name)
    ran: list[Any] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not ran:
            ran.append(competitor())
        return result

    monkeypatch.setattr(module, name, wrapped)


@pytest.fixture
def letter() -> Letter:
    letter = make_letter()
    counters.counts_get(letter_id=letter.pk)  # the live count exists before anything moves
    return letter


@pytest.fixture
def editor(letter: Letter) -> Any:
    return make_member_user(letter=letter, role="editor")


def test_a_withdrawal_racing_a_confirmation_moves_the_count_exactly_once(monkeypatch, letter):
    # The withdrawal page loads the pending signature; the confirmation commits meanwhile.
    late = make_pending_signature(letter=letter, token="confirmed-meanwhile")
    _meanwhile(
        monkeypatch, services, "signature_for_withdraw_token",
        lambda: _client().post(_confirm_url("confirmed-meanwhile")).status_code,
    )  # fmt: skip
    assert _client().post(_withdraw_url(late)).status_code == 200
    assert not Signature.objects.filter(pk=late.pk).exists()
    assert _assert_count_is_exact(letter).all == 0
    monkeypatch.undo()

    # The confirmation loads the pending signature; the withdrawal commits meanwhile.
    gone = make_pending_signature(letter=letter, token="withdrawn-meanwhile")
    _meanwhile(
        monkeypatch, services, "signature_for_token",
        lambda: _client().post(_withdraw_url(gone)).status_code,
    )  # fmt: skip
    response = _client().post(_confirm_url("withdrawn-meanwhile"))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert not Signature.objects.filter(pk=gone.pk).exists()
    assert _assert_count_is_exact(letter).all == 0


def test_a_removal_racing_a_withdrawal_answers_with_a_page_and_keeps_the_count(
    monkeypatch, letter, editor
):
    # The organizer's page loads the signature; its signer withdraws it meanwhile.
    signature = make_signature(letter=letter)
    counters.counts_reconcile(letter_id=letter.pk)
    _meanwhile(
        monkeypatch, moderation_views, "get_object_or_404",
        lambda: _client().post(_withdraw_url(signature)).status_code,
    )  # fmt: skip
    response = _client(editor).post(_moderate_url("remove", signature), {"reason": "Fake"})
    assert response.status_code == 404
    assert not ModerationAction.objects.exists()
    assert _assert_count_is_exact(letter).all == 0
    monkeypatch.undo()

    # The withdrawal loads the confirmed signature; the organizer removes it meanwhile.
    signature = make_signature(letter=letter, show_name=False)
    counters.counts_reconcile(letter_id=letter.pk)
    _meanwhile(
        monkeypatch, services, "signature_for_withdraw_token",
        lambda: _moderate(_client(editor), "remove", signature),
    )  # fmt: skip
    assert _client().post(_withdraw_url(signature)).status_code == 200
    assert not Signature.objects.exists()
    assert _assert_count_is_exact(letter).all == 0
    removal = ModerationAction.objects.get()
    assert (removal.action, removal.counted, removal.signature_id) == ("remove", 1, None)


def test_a_hold_racing_a_confirmation_never_counts_a_held_signature(monkeypatch, letter, editor):
    # The confirmation loads the pending signature; the organizer holds it meanwhile.
    held = make_pending_signature(letter=letter, token="held-meanwhile")
    _meanwhile(
        monkeypatch, services, "signature_for_token",
        lambda: _moderate(_client(editor), "hold", held),
    )  # fmt: skip
    response = _client().post(_confirm_url("held-meanwhile"))
    assert response.status_code == 409
    assert "This signature is under review" in response.content.decode()
    held.refresh_from_db()
    assert (held.status, held.status_before_moderation) == (Status.HELD, Status.PENDING)
    assert _assert_count_is_exact(letter).all == 0
    monkeypatch.undo()

    # The organizer's page loads the pending signature; its signer confirms it meanwhile.
    confirmed = make_pending_signature(letter=letter, token="confirmed-before-hold")
    _meanwhile(
        monkeypatch, moderation_views, "get_object_or_404",
        lambda: _client().post(_confirm_url("confirmed-before-hold")).status_code,
    )  # fmt: skip
    assert _moderate(_client(editor), "hold", confirmed) == 302
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.status_before_moderation) == (Status.HELD, Status.CONFIRMED)
    assert ModerationAction.objects.get(signature=confirmed).counted == 1
    assert _assert_count_is_exact(letter).all == 0


def test_a_restore_racing_a_withdrawal_answers_with_a_page_and_keeps_the_count(
    monkeypatch, letter, editor
):
    # The organizer's page loads the removed signature; its signer withdraws it meanwhile.
    removed = make_signature(letter=letter)
    moderation.signature_remove(signature=removed, actor=editor, reason="Doubtful")
    counters.counts_reconcile(letter_id=letter.pk)
    _meanwhile(
        monkeypatch, moderation_views, "get_object_or_404",
        lambda: _client().post(_withdraw_url(removed)).status_code,
    )  # fmt: skip
    assert _moderate(_client(editor), "restore", removed) == 404
    assert _assert_count_is_exact(letter).all == 0
    assert ModerationAction.objects.get().action == "remove"
    monkeypatch.undo()

    # The withdrawal loads the removed signature; the organizer restores it meanwhile.
    restored = make_signature(letter=letter)
    moderation.signature_remove(signature=restored, actor=editor, reason="Doubtful")
    counters.counts_reconcile(letter_id=letter.pk)
    _meanwhile(
        monkeypatch, services, "signature_for_withdraw_token",
        lambda: _moderate(_client(editor), "restore", restored),
    )  # fmt: skip
    assert _client().post(_withdraw_url(restored)).status_code == 200
    assert not Signature.objects.exists()
    assert _assert_count_is_exact(letter).all == 0
    assert ModerationAction.objects.count() == 3


def test_a_withdrawal_keeps_the_audit_rows_and_drops_the_link_to_the_person(letter, editor):
    signature = make_signature(letter=letter, name="Private Person")
    counters.counts_reconcile(letter_id=letter.pk)
    moderation.signature_verify(
        signature=signature, actor=editor, method="contact", note="Called her at +1 555 0100"
    )
    moderation.signature_hold(signature=signature, actor=editor, reason="Check the employer")
    moderation.signature_release(signature=signature, actor=editor)
    moderation.signature_remove(signature=signature, actor=editor, reason="Signed twice")
    before = {
        action.pk: (action.action, action.counted, action.created_at)
        for action in ModerationAction.objects.all()
    }

    response = _client().post(_withdraw_url(signature))

    assert response.status_code == 200
    assert not Signature.objects.exists()
    actions = ModerationAction.objects.order_by("pk")
    assert {a.pk: (a.action, a.counted, a.created_at) for a in actions} == before
    assert all(a.signature_id is None and a.signature_erased_at for a in actions)
    assert [a.reason for a in actions] == ["", "Check the employer", "", "Signed twice"]
    page = _client().get(reverse("moderation:corrections", args=[letter.slug])).content.decode()
    assert "1 signature removed" in page and "Signed twice" in page
    assert "since withdrawn by its signer" in page
    assert "Private Person" not in page
    assert _assert_count_is_exact(letter).all == 0


def test_a_finished_bulk_removal_keeps_no_search_term_that_could_name_a_person(letter, editor):
    target = make_signature(letter=letter, email="someone@spam.example", name="Some One")
    make_signature(letter=letter, email="other@spam.example")

    entry = moderation.signatures_bulk_remove(
        letter=letter,
        filters=ModerationFilter(q="someone@spam.example", domain="spam.example"),
        actor=editor,
        reason="Spam run",
    )

    entry.refresh_from_db()
    assert entry.affected == 1
    assert entry.criteria == {"domain": "spam.example"}
    assert "someone" not in str(entry.criteria)
    _client().post(_withdraw_url(target))
    entry.refresh_from_db()
    assert (entry.action, entry.counted, entry.reason) == ("bulk_remove", 1, "Spam run")


@pytest.mark.parametrize(
    "closing",
    [
        {"status": Letter.Status.CLOSED, "closes_at": timezone.now() - timedelta(days=2)},
        {"status": Letter.Status.ARCHIVED, "closes_at": timezone.now() - timedelta(days=2)},
        {"closes_at": timezone.now() - timedelta(days=2)},
    ],
    ids=["closed", "archived", "past-its-closing-date"],
)
def test_a_closed_letter_does_not_count_a_late_confirmation(letter, closing):
    late = make_pending_signature(letter=letter, token="too-late")
    Letter.objects.filter(pk=letter.pk).update(**closing)

    page = _client().get(_confirm_url("too-late"))
    response = _client().post(_confirm_url("too-late"))

    for answer in (page, response):
        html = answer.content.decode()
        assert answer.status_code == 409
        assert "Signing closed on" in html
        assert "Confirm my signature" not in html
    late.refresh_from_db()
    assert (late.status, late.confirmed_at) == (Status.PENDING, None)
    assert _assert_count_is_exact(letter).all == 0


def test_a_count_rebuilt_while_a_withdrawal_commits_is_not_stored_stale(monkeypatch, letter):
    make_signature(letter=letter)
    leaving = make_signature(letter=letter)
    counters.counts_forget(letter_id=letter.pk)  # as after a Redis restart
    _meanwhile(
        monkeypatch, counters, "counts_from_rows",
        lambda: _client().post(_withdraw_url(leaving)).status_code,
    )  # fmt: skip

    counters.counts_get(letter_id=letter.pk)  # recounts rows read before the withdrawal

    monkeypatch.undo()
    assert not Signature.objects.filter(pk=leaving.pk).exists()
    assert _assert_count_is_exact(letter).all == 1


def _bulk_remove(editor: Any, letter: Letter, domain: str) -> int:
    url = reverse("moderation:bulk-remove", args=[letter.slug])
    return _client(editor).post(url, {"domain": domain, "reason": "Spam run"}).status_code


def test_a_bulk_removal_racing_confirmations_and_withdrawals_counts_each_signature_once(
    monkeypatch, letter, editor
):
    # The withdrawal loads a confirmed signature; a bulk removal takes it meanwhile.
    caught = make_signature(letter=letter, email="first@bots.example")
    counters.counts_reconcile(letter_id=letter.pk)
    _meanwhile(
        monkeypatch, services, "signature_for_withdraw_token",
        lambda: _bulk_remove(editor, letter, "bots.example"),
    )  # fmt: skip
    assert _client().post(_withdraw_url(caught)).status_code == 200
    assert _assert_count_is_exact(letter).all == 0
    assert ModerationAction.objects.get().counted == 1
    monkeypatch.undo()

    # Then everything at once, from several threads.
    for n in range(12):
        make_pending_signature(letter=letter, token=f"bulk-{n}", email=f"p{n}@spam.example")
    confirmed = [make_signature(letter=letter, email=f"c{n}@spam.example") for n in range(12)]
    counters.counts_reconcile(letter_id=letter.pk)
    jobs: queue.SimpleQueue[Callable[[], int]] = queue.SimpleQueue()
    for n in range(12):
        jobs.put(lambda n=n: _client().post(_confirm_url(f"bulk-{n}")).status_code)
        jobs.put(lambda n=n: _client().post(_withdraw_url(confirmed[n])).status_code)
    for _ in range(2):
        jobs.put(lambda: _bulk_remove(editor, letter, "spam.example"))

    statuses = [status for batch in in_parallel(lambda: _drain(jobs)) for status in batch]

    assert 500 not in statuses
    assert len(statuses) == 26
    # Whatever was not withdrawn was removed, however the requests interleaved.
    assert set(Signature.objects.values_list("status", flat=True)) <= {Status.REMOVED}
    assert _assert_count_is_exact(letter).all == 0
    removed_while_counted = Signature.objects.filter(
        status_before_moderation=Status.CONFIRMED
    ).count()
    withdrawn = 24 - Signature.objects.count()
    out = _log_moves(ModerationAction.objects.filter(criteria__domain="spam.example"))
    assert removed_while_counted <= out <= removed_while_counted + withdrawn


def _drain(jobs: "queue.SimpleQueue[Callable[[], Any]]") -> list[Any]:
    results: list[Any] = []
    while True:
        try:
            job = jobs.get_nowait()
        except queue.Empty:
            return results
        results.append(job())


ACTIONS = ("confirm", "withdraw", "hold", "release", "remove", "restore")


def test_concurrent_confirm_withdraw_and_moderation_keep_the_count_and_the_log_exact(
    letter, editor
):
    rng = random.Random(20240611)
    signatures = []
    for n in range(120):
        kind = n % 4
        if kind in (0, 1):
            signature = make_pending_signature(letter=letter, token="")
            Signature.objects.filter(pk=signature.pk).update(
                token_hash=tokens.token_hash(token=f"mix-{signature.pk}")
            )
        else:
            signature = make_signature(letter=letter, show_name=kind == 2)
        signatures.append(signature)
    for signature in signatures[::10]:
        moderation.signature_remove(signature=signature, actor=editor, reason="Earlier")
    for signature in signatures[5::10]:
        moderation.signature_hold(signature=signature, actor=editor)
    counters.counts_reconcile(letter_id=letter.pk)
    actions_before = ModerationAction.objects.count()

    planned = [
        (action, signature)
        for signature in signatures
        for action in rng.sample(ACTIONS, k=rng.randint(2, 4))
    ]
    rng.shuffle(planned)
    jobs: queue.SimpleQueue[Callable[[], tuple[str, int]]] = queue.SimpleQueue()
    for action, signature in planned:
        jobs.put(lambda action=action, signature=signature: _act(action, signature, editor))

    results = [result for batch in in_parallel(lambda: _drain(jobs)) for result in batch]

    assert len(results) == len(planned)
    assert [r for r in results if r[1] >= 500] == []
    moderated = sum(1 for action, status in results if action not in ("confirm", "withdraw"))
    done = sum(
        1 for action, status in results if action not in ("confirm", "withdraw") and status == 302
    )
    assert 0 < done < moderated
    assert ModerationAction.objects.count() == actions_before + done
    _assert_count_is_exact(letter)
    for signature in Signature.objects.filter(letter=letter):
        moves = _log_moves(ModerationAction.objects.filter(signature=signature))
        out_of_count = signature.status in (Status.HELD, Status.REMOVED) and (
            signature.status_before_moderation == Status.CONFIRMED
        )
        assert moves == int(out_of_count), signature
    erased = ModerationAction.objects.filter(
        signature__isnull=True, signature_erased_at__isnull=False
    )
    assert erased.exists()
    assert 0 <= _log_moves(erased) <= len(signatures) - Signature.objects.count()


def _log_moves(actions: Any) -> int:
    """What the correction log says left the count minus what came back."""
    out = actions.filter(Q(action__in=["hold", "remove", "bulk_remove"]))
    back = actions.filter(action__in=["release", "restore"])
    return sum(out.values_list("counted", flat=True)) - sum(back.values_list("counted", flat=True))


_clients = threading.local()


def _act(action: str, signature: Signature, editor: Any) -> tuple[str, int]:
    """One request from this thread's own visitor and organizer (one Client each)."""
    if not hasattr(_clients, "visitor"):
        _clients.visitor, _clients.editor = _client(), _client(editor)
    if action == "confirm":
        return action, _clients.visitor.post(_confirm_url(f"mix-{signature.pk}")).status_code
    if action == "withdraw":
        return action, _clients.visitor.post(_withdraw_url(signature)).status_code
    return action, _moderate(_clients.editor, action, signature)


def test_a_repeat_signature_whose_first_was_withdrawn_meanwhile_is_stored_not_a_500(
    client, monkeypatch
):
    """The insert is refused because the address signed, then that signature is withdrawn
    before the repeat can lock it: the repeat signs anew."""
    letter = make_letter()
    first = make_signature(letter=letter, email="ada@example.org")
    real_lookup = services._lock_existing

    def withdrawn_meanwhile(**kwargs):
        Signature.objects.filter(pk=first.pk).delete()
        monkeypatch.setattr(services, "_lock_existing", real_lookup)
        return real_lookup(**kwargs)

    monkeypatch.setattr(services, "_lock_existing", withdrawn_meanwhile)
    response = client.post(
        reverse("signatories:sign", args=[letter.slug]), sign_data(email="ada@example.org")
    )
    assert is_check_inbox(response)
    again = Signature.objects.get(letter=letter, email_normalized="ada@example.org")
    assert again.pk != first.pk
    assert again.status == Signature.Status.PENDING
