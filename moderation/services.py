"""Moderation of signatures by the organizers of a letter.

Every change is written to the audit log (``ModerationAction``) in the same transaction,
and moves the live count after commit exactly when a confirmed signature leaves or
re-enters it. Held and removed signatures remember the status they had, so releasing or
restoring them puts them back exactly. Status changes are conditional updates on the
status read under a row lock, so a confirmation racing a removal cannot be counted twice.
"""

from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from letters.errors import ServiceError
from letters.facts import facts_changed
from letters.models import Letter
from mailing.tasks import enqueue_after_commit
from moderation.models import ModerationAction
from moderation.selectors import (
    ModerationFilter,
    moderation_signals_forget,
    signature_list_for_moderation,
)
from moderation.signals import signatory_verified
from signatories import counters, outbox
from signatories.events import count_event_add
from signatories.models import CountEvent, OutboxMessage, Signature
from signatories.selectors import signatory_breakdown_forget

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    Actor = User | None
else:
    Actor = object

Status = Signature.Status
Action = ModerationAction.Action


class ModerationError(ServiceError):
    """The change does not apply to this signature; the message says why."""


class NothingMatched(ModerationError):
    """A bulk removal whose filter matches no signature that could be removed."""


class SignatureGone(ModerationError):
    """The signer withdrew the signature while the organizer was looking at it."""

    default_message = _("This signature was withdrawn by its signer meanwhile.")


def _after_commit(*, letter_id: int, all: int, hidden: int) -> None:
    """Move the live count and drop the cached signals once the change is committed; when
    signatures left the public list, drop its cached breakdown too."""
    if all or hidden:
        transaction.on_commit(
            lambda: counters.counts_add(letter_id=letter_id, all=all, hidden=hidden)
        )
    if all < 0:
        transaction.on_commit(lambda: signatory_breakdown_forget(letter_id=letter_id))
    transaction.on_commit(lambda: moderation_signals_forget(letter_id=letter_id))


def _locked(signature: Signature) -> Signature:
    """The signature row as it is now, locked until the transaction ends.

    Only the signature's row is locked (never its letter's), as in every other change of
    a signature, so no two paths take locks in opposite orders.
    """
    current = Signature.objects.select_for_update(of=("self",)).filter(pk=signature.pk).first()
    if current is None:
        raise SignatureGone
    return current


def _leave(
    *,
    signature: Signature,
    actor: Actor,
    action: str,
    to_status: str,
    allowed: set[str],
    reason: str,
) -> ModerationAction:
    """Move a signature out of the public list (hold or remove)."""
    with transaction.atomic():
        current = _locked(signature)
        if current.status not in allowed:
            raise ModerationError(_status_error(current.status))
        before = current.status_before_moderation or current.status
        counted = current.status == Status.CONFIRMED
        entry = ModerationAction.objects.create(
            letter_id=current.letter_id,
            signature=current,
            actor=actor,
            action=action,
            reason=reason,
            counted=int(counted),
        )
        Signature.objects.filter(pk=current.pk).update(
            status=to_status, status_before_moderation=before, moderation=entry
        )
        _event(entry=entry, delta=-int(counted), signature_id=current.pk)
        hidden = 0 if current.show_name else -1
        _after_commit(letter_id=current.letter_id, all=-int(counted), hidden=hidden * counted)
    return entry


def _return(
    *, signature: Signature, actor: Actor, action: str, from_status: str
) -> ModerationAction:
    """Put a held or removed signature back to the status it had (release or restore)."""
    with transaction.atomic():
        current = _locked(signature)
        if current.status != from_status:
            raise ModerationError(_status_error(current.status))
        target = current.status_before_moderation
        counted = target == Status.CONFIRMED
        entry = ModerationAction.objects.create(
            letter_id=current.letter_id,
            signature=current,
            actor=actor,
            action=action,
            counted=int(counted),
        )
        Signature.objects.filter(pk=current.pk).update(
            status=target, status_before_moderation="", moderation=None, hold_reason=""
        )
        _event(entry=entry, delta=int(counted), signature_id=current.pk)
        if current.hold_reason and target == Status.PENDING:
            _send_withheld_confirmation(signature=current)
        hidden = 0 if current.show_name else 1
        _after_commit(letter_id=current.letter_id, all=int(counted), hidden=hidden * counted)
    return entry


# The count event each action writes when it moves the public count.
_EVENT_KINDS = {
    Action.HOLD: CountEvent.Kind.HOLD,
    Action.RELEASE: CountEvent.Kind.RELEASE,
    Action.REMOVE: CountEvent.Kind.REMOVE,
    Action.BULK_REMOVE: CountEvent.Kind.REMOVE,
    Action.RESTORE: CountEvent.Kind.RESTORE,
}


def _event(*, entry: ModerationAction, delta: int, signature_id: int | None = None) -> None:
    """Log the move of the public count in the action's transaction (none for a signature
    that was not counted), at the moment it moves (a large bulk removal's, when its task
    runs). Only a removal's reason is public: a hold's stays private."""
    public = entry.action in {Action.REMOVE, Action.BULK_REMOVE}
    count_event_add(
        letter_id=entry.letter_id,
        kind=_EVENT_KINDS[Action(entry.action)],
        delta=delta,
        reason=entry.reason if public else "",
        action_id=entry.pk,
        signature_id=signature_id,
    )


def _send_withheld_confirmation(*, signature: Signature) -> None:
    """Queue the confirmation email a rate limit held back; it is sent once, since the
    hold reason is cleared in the same transaction."""
    if not outbox.outbox_add(signature=signature, kind=OutboxMessage.Kind.CONFIRM):
        raise ModerationError(
            str(
                _("This address has had all the emails it may get today. Nothing was changed: "
                  "release the signature tomorrow so that its confirmation email can go out.")
            )
        )  # fmt: skip


def _status_error(status: str) -> str:
    return str(
        _("This signature is %(status)s: that action does not apply to it.")
        % {"status": Status(status).label.lower()}
    )


def signature_hold(*, signature: Signature, actor: Actor, reason: str = "") -> ModerationAction:
    """Take a pending or confirmed signature out of the list and count until reviewed."""
    return _leave(
        signature=signature,
        actor=actor,
        action=Action.HOLD,
        to_status=Status.HELD,
        allowed={Status.PENDING, Status.CONFIRMED},
        reason=reason,
    )


def signature_release(*, signature: Signature, actor: Actor) -> ModerationAction:
    """End the hold: the signature goes back to pending or confirmed, as it was.

    A signature held by a rate limit never had its confirmation email: it is sent now.
    """
    return _return(signature=signature, actor=actor, action=Action.RELEASE, from_status=Status.HELD)


def signature_remove(*, signature: Signature, actor: Actor, reason: str) -> ModerationAction:
    """Remove a signature for a stated reason, which the public correction log shows."""
    if not reason.strip():
        raise ModerationError(str(_("Give a reason for the removal.")))
    return _leave(
        signature=signature,
        actor=actor,
        action=Action.REMOVE,
        to_status=Status.REMOVED,
        allowed={Status.PENDING, Status.CONFIRMED, Status.HELD},
        reason=reason.strip(),
    )


def signature_restore(*, signature: Signature, actor: Actor) -> ModerationAction:
    """Undo a removal: the signature gets back the status it had before moderation."""
    return _return(
        signature=signature, actor=actor, action=Action.RESTORE, from_status=Status.REMOVED
    )


def _names_changed(*, letter_id: int) -> None:
    # A verified mark moves no count: the letter's version moves instead, so the names
    # drawn under the letter and the pages kept with them are drawn again.
    facts_changed(letter_id=letter_id)


def _announce_verified(*, signature_id: int, letter_id: int) -> None:
    """Tell the apps above (notifications) once the new verified mark is committed."""
    # Robust: the mark is committed; a listener that fails is logged, not the page's error.
    transaction.on_commit(
        lambda: signatory_verified.send(
            sender=Signature, signature_id=signature_id, letter_id=letter_id
        ),
        robust=True,
    )


def signature_verify(
    *, signature: Signature, actor: Actor, method: str, note: str = ""
) -> ModerationAction:
    """Mark a signatory as checked by the organizers, and how.

    Only this sets ``verified_at``, the one thing the public "verified" mark is drawn from.
    """
    if method not in Signature.Verification.values:
        raise ModerationError(str(_("Choose how the signatory was verified.")))
    with transaction.atomic():
        current = _locked(signature)
        if current.status == Status.REMOVED:
            raise ModerationError(_status_error(current.status))
        Signature.objects.filter(pk=current.pk).update(
            verified_at=current.verified_at or timezone.now(),
            verification_method=method,
            verification_note=note.strip(),
        )
        reason = f"{Signature.Verification(method).label}: {note.strip()}".rstrip(": ")
        _names_changed(letter_id=current.letter_id)
        if current.verified_at is None:
            _announce_verified(signature_id=current.pk, letter_id=current.letter_id)
        return ModerationAction.objects.create(
            letter_id=current.letter_id,
            signature=current,
            actor=actor,
            action=Action.VERIFY,
            reason=reason,
        )


def signature_unverify(*, signature: Signature, actor: Actor) -> ModerationAction:
    """Withdraw the verified mark, for a mistake or a doubt."""
    with transaction.atomic():
        current = _locked(signature)
        if current.verified_at is None:
            raise ModerationError(str(_("This signatory is not marked as verified.")))
        Signature.objects.filter(pk=current.pk).update(
            verified_at=None, verification_method="", verification_note=""
        )
        _names_changed(letter_id=current.letter_id)
        return ModerationAction.objects.create(
            letter_id=current.letter_id,
            signature=current,
            actor=actor,
            action=Action.UNVERIFY,
        )


def signatures_bulk_remove_count(*, letter: Letter, filters: ModerationFilter) -> int:
    """How many signatures a bulk removal with ``filters`` would remove now."""
    return _removable(letter=letter, filters=filters).count()


def _removable(*, letter: Letter, filters: ModerationFilter) -> QuerySet[Signature]:
    return signature_list_for_moderation(letter=letter, filters=filters).exclude(
        status=Status.REMOVED
    )


def _bulk_check(*, filters: ModerationFilter, reason: str) -> None:
    if not reason.strip():
        raise ModerationError(str(_("Give a reason for the removal.")))
    if not filters.narrows:
        raise ModerationError(str(_("Choose at least one filter besides the status.")))


def _bulk_apply(*, entry: ModerationAction, filters: ModerationFilter) -> int:
    """Remove every signature matching ``filters`` under ``entry``; return how many.

    The one implementation of a bulk removal, inline or in the task. Each status is moved
    by its own conditional UPDATE, whose row count is exact even when signatures are
    confirmed meanwhile, so the count moves by exactly what left it. Runs inside the
    caller's transaction, and moves the live count once after it commits.
    """
    rows = _removable(letter=entry.letter, filters=filters)
    # Lock every matching row first, in id order, so that two overlapping removals wait
    # for each other instead of deadlocking. Single changes lock one row only.
    deque(rows.select_for_update(of=("self",)).order_by("pk").values_list("pk").iterator(), 0)
    moved = {
        key: rows.filter(status=status, **extra).update(
            status=Status.REMOVED, status_before_moderation=status, moderation=entry
        )
        for key, status, extra in (
            ("shown", Status.CONFIRMED, {"show_name": True}),
            ("hidden", Status.CONFIRMED, {"show_name": False}),
            ("pending", Status.PENDING, {}),
        )
    }
    moved["held"] = rows.filter(status=Status.HELD).update(status=Status.REMOVED, moderation=entry)
    entry.affected = sum(moved.values())
    entry.counted = moved["shown"] + moved["hidden"]
    entry.state = ModerationAction.State.DONE
    entry.criteria = _impersonal(entry.criteria)
    entry.save(update_fields=["affected", "counted", "state", "criteria"])
    _event(entry=entry, delta=-entry.counted)
    _after_commit(letter_id=entry.letter_id, all=-entry.counted, hidden=-moved["hidden"])
    return entry.affected


def _impersonal(criteria: dict[str, str]) -> dict[str, str]:
    """The criteria worth keeping once a bulk removal ended: the free-text search may be
    someone's name or address, so it goes (the email domain, network key, country and
    dates stay). A withdrawal cannot reach this row to erase its signer from it."""
    return {key: value for key, value in criteria.items() if key != "q"}


def signatures_bulk_remove(
    *, letter: Letter, filters: ModerationFilter, actor: Actor, reason: str
) -> ModerationAction:
    """Remove every signature matching ``filters`` at once, with one reason and one log row."""
    _bulk_check(filters=filters, reason=reason)
    with transaction.atomic():
        entry = ModerationAction.objects.create(
            letter=letter,
            actor=actor,
            action=Action.BULK_REMOVE,
            reason=reason.strip(),
            criteria=filters.as_criteria(),
            affected=0,
        )
        if _bulk_apply(entry=entry, filters=filters) == 0:
            raise NothingMatched(str(_("No signature matches this filter: nothing was removed.")))
    return entry


def signatures_bulk_remove_start(
    *, letter: Letter, filters: ModerationFilter, actor: Actor, reason: str, expected: int
) -> ModerationAction:
    """Record a large bulk removal as running and queue the task that performs it.

    ``affected`` holds the previewed number until the task writes the exact one. The
    correction log shows the removal once it is done (``counted`` stays 0 until then).
    """
    from moderation.tasks import signatures_bulk_remove_run

    _bulk_check(filters=filters, reason=reason)
    criteria = filters.as_criteria()
    with transaction.atomic():
        entry = ModerationAction.objects.create(
            letter=letter,
            actor=actor,
            action=Action.BULK_REMOVE,
            reason=reason.strip(),
            criteria=criteria,
            affected=expected,
            state=ModerationAction.State.RUNNING,
        )
        action_id, letter_id = entry.pk, letter.pk
        enqueue_after_commit(
            signatures_bulk_remove_run, action_id=action_id, letter_id=letter_id, criteria=criteria
        )
    return entry


def signatures_bulk_remove_finish(
    *, action_id: int, letter_id: int, filters: ModerationFilter | None
) -> ModerationAction | None:
    """Perform a running bulk removal and mark it done; a no-op once it is finished.

    The action row is locked first, so a second run (redelivered, or queued twice) waits
    for the first and then finds it done: nothing is removed or counted twice. ``None``
    for ``filters`` (the criteria could not be read back) or another ``letter_id`` than the
    action's fails it, removing nothing.
    """
    with transaction.atomic():
        entry = (
            ModerationAction.objects.select_for_update()
            .select_related("letter")
            .filter(pk=action_id)
            .first()
        )
        if entry is None or entry.state != ModerationAction.State.RUNNING:
            return entry
        if filters is None or not filters.narrows or entry.letter_id != letter_id:
            entry.affected = 0
            entry.state = ModerationAction.State.FAILED
            entry.criteria = _impersonal(entry.criteria)
            entry.save(update_fields=["affected", "state", "criteria"])
            return entry
        _bulk_apply(entry=entry, filters=filters)
    return entry


BULK_RESUME_AFTER = timedelta(minutes=10)


def bulk_removals_stale() -> list[ModerationAction]:
    """Bulk removals queued long ago and still running: their message may have been lost."""
    cutoff = timezone.now() - BULK_RESUME_AFTER
    return list(
        ModerationAction.objects.filter(
            action=Action.BULK_REMOVE, state=ModerationAction.State.RUNNING, created_at__lt=cutoff
        )
    )
