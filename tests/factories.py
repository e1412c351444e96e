"""Plain factory functions: each makes one row with sensible defaults."""

import itertools
import re
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from letters.models import Letter
from signatories.events import count_event_add
from signatories.models import Signature
from signatories.services import email_normalize

_seq = itertools.count(1)


def make_letter(**overrides: Any) -> Letter:
    n = next(_seq)
    fields: dict[str, Any] = {
        "title": f"Letter number {n}",
        "slug": f"letter-{n}",
        "summary": "A short summary.",
        "organizer_name": "The Example Collective",
        "body": "We, the undersigned, *ask* for a fair deal.",
        "status": Letter.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(days=1),
    }
    fields.update(overrides)
    if fields["status"] == Letter.Status.DRAFT and "published_at" not in overrides:
        fields["published_at"] = None
    return Letter.objects.create(**fields)


def make_signature(*, letter: Letter | None = None, **overrides: Any) -> Signature:
    n = next(_seq)
    fields: dict[str, Any] = {
        "letter": letter or make_letter(),
        "name": f"Signer {n}",
        "email": f"signer{n}@example.org",
        "consent_version": settings.PRIVACY_NOTICE_VERSION,
        "status": Signature.Status.CONFIRMED,
    }
    fields.update(overrides)
    if fields["status"] == Signature.Status.CONFIRMED:
        fields.setdefault("confirmed_at", timezone.now())
    fields.setdefault("email_normalized", email_normalize(email=fields["email"]))
    fields.setdefault("email_domain", fields["email_normalized"].rpartition("@")[2])
    signature = Signature.objects.create(**fields)
    if signature.status == Signature.Status.CONFIRMED:
        # As the confirmation would have: the count is the sum of its events.
        count_event_add(
            letter_id=signature.letter_id, kind="confirm", delta=1, signature_id=signature.pk,
            occurred_at=signature.confirmed_at,
        )  # fmt: skip
    return signature


def form_data(**fields: Any) -> dict[str, Any]:
    """A POST body for any public form (sign, new link, withdrawal) as a person sends it:
    the honeypot empty and a stamp drawn a minute ago. ``None`` leaves a field out."""
    from signatories.forms import form_stamp

    data = {"website": "", "stamp": form_stamp(at=time.time() - 60)}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def sign_data(**overrides: Any) -> dict[str, Any]:
    """A valid POST body for the sign form."""
    return form_data(
        **{"name": "Ada Example", "email": "ada@example.org", "consent": "on", "show_name": "on",
           **overrides}
    )  # fmt: skip


def is_check_inbox(response: Any, *, template: str = "signatories/check_inbox.html") -> bool:
    """Whether a POST was answered with the "check your inbox" page (drawn as the answer
    itself, so that it can name the address without putting it in a URL); ``template``
    "signatories/withdraw_sent.html" for the withdrawal's."""
    # Read from the page, not from the templates the test client saw drawn: the page is
    # drawn once per process and filled in after (signatories/answers.py).
    anchor = {
        "signatories/check_inbox.html": 'id="check-inbox"',
        "signatories/withdraw_sent.html": 'id="withdraw-sent"',
    }[template]
    return response.status_code == 200 and anchor in response.content.decode()


def answer_without_secrets(response: Any, *, email: str) -> str:
    """A page as text without what differs by design between two answers: the address it
    names, CSRF tokens, form stamps and CSP nonces."""
    html = response.content.decode().replace(email, "EMAIL")
    html = re.sub(r'(name="(?:csrfmiddlewaretoken|stamp)" value=)"[^"]*"', r'\1""', html)
    return re.sub(r' nonce="[^"]*"', "", html)


def make_organizer(*, letter: Letter, role: str = "editor", **overrides: Any) -> Any:
    """A user with a membership of ``role`` on ``letter``."""
    from django.contrib.auth import get_user_model

    from letters.models import Membership

    n = next(_seq)
    fields: dict[str, Any] = {"username": f"organizer{n}", "email": f"organizer{n}@example.org"}
    fields.update(overrides)
    user = get_user_model().objects.create_user(**fields)
    Membership.objects.create(letter=letter, user=user, role=role)
    return user


def make_signatures(*, letter: Letter, count: int, **overrides: Any) -> list[Signature]:
    """Many confirmed signatures in one INSERT, for volume tests."""
    now = timezone.now()
    rows = []
    for _ in range(count):
        n = next(_seq)
        fields: dict[str, Any] = {
            "letter": letter,
            "name": f"Signer {n}",
            "email": f"signer{n}@example.org",
            "email_normalized": f"signer{n}@example.org",
            "consent_version": settings.PRIVACY_NOTICE_VERSION,
            "status": Signature.Status.CONFIRMED,
            "confirmed_at": now,
        }
        fields.update(overrides)
        rows.append(Signature(**fields))
    created = Signature.objects.bulk_create(rows, batch_size=2000)
    confirmed = sum(row.status == Signature.Status.CONFIRMED for row in created)
    count_event_add(letter_id=letter.pk, kind="confirm", delta=confirmed, occurred_at=now)
    return created


def make_user(
    *,
    email: str | None = None,
    verified: bool = True,
    password: str = "pw",  # noqa: S107
) -> Any:
    """An organizer account with allauth's email record, verified unless told otherwise."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    n = next(_seq)
    email = email or f"organizer{n}@example.org"
    user = get_user_model().objects.create_user(username=f"user{n}", email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def make_member(*, letter: Letter, user: Any = None, role: str = "owner") -> Any:
    from letters.models import Membership

    return Membership.objects.create(letter=letter, user=user or make_user(), role=role)


def make_plain_user(**overrides: Any) -> Any:
    from django.contrib.auth import get_user_model

    n = next(_seq)
    fields: dict[str, Any] = {"username": f"user{n}", "email": f"user{n}@example.org"}
    fields.update(overrides)
    return get_user_model().objects.create_user(**fields)


def make_member_user(*, letter: Letter, role: str = "editor", **overrides: Any) -> Any:
    """A user who organizes ``letter`` with ``role`` (viewer, editor or owner)."""
    from letters.models import Membership

    user = make_plain_user(**overrides)
    Membership.objects.create(letter=letter, user=user, role=role)
    return user


def make_pending_signature(*, letter: Letter, token: str, **overrides: Any) -> Signature:
    """A signature waiting for confirmation whose emailed token is ``token``."""
    from signatories.services import token_hash

    return make_signature(
        letter=letter,
        status=Signature.Status.PENDING,
        token_hash=token_hash(token=token),
        token_issued_at=timezone.now(),
        **overrides,
    )
