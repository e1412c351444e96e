"""Attacks on organizer accounts and on the privacy of signers and organizers.

One test per attack, named after it; see docs/security.md.
"""

import time
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal import auth as totp
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from letters.models import Invitation, Letter, Membership
from moderation.models import ModerationAction
from signatories import services
from signatories.models import Signature
from tests.factories import make_letter, make_member, make_member_user, make_signature, make_user
from tests.letters import conftest as letters_conftest
from updates.models import Update

pytestmark = pytest.mark.django_db
mail_worker = letters_conftest.mail_worker  # the real Celery worker on the mail queue

PASSWORD = "a long pass phrase"


def _totp_code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD  # what the phone app shows now
    return totp.format_hotp_value(totp.hotp_value(secret, counter))


def test_a_stolen_password_does_not_open_the_admin_of_a_staff_account_with_two_factor(client):
    staff = make_user(email="staff@example.org", password=PASSWORD)
    staff.is_staff = staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(staff, secret)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session

    response = client.post(
        f"{reverse('account_login')}?next=/admin/",
        {"login": "staff@example.org", "password": PASSWORD},
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    admin_index = client.get("/admin/")
    assert admin_index.status_code == 302
    assert admin_index["Location"].startswith("/admin/login/")

    response = client.post(reverse("mfa_authenticate"), {"code": _totp_code(secret)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_logged_in_organizer_without_admin_rights_is_refused_not_looped(client):
    client.force_login(make_user())
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def _failed_login(client, *, forwarded_for: str, email: str):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": "wrong"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_one_client_guessing_passwords_behind_the_proxy_does_not_lock_out_the_others(
    client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user(email="ada@example.org", password=PASSWORD)
    # The attacker writes a fake first entry; the proxy appends the real address.
    for n in range(12):
        _failed_login(client, forwarded_for=f"192.0.2.{n}, 203.0.113.7", email=f"x{n}@example.org")
    refused = _failed_login(client, forwarded_for="192.0.2.99, 203.0.113.7", email="y@example.org")
    assert "Too many failed login attempts" in refused.content.decode()

    response = client.post(
        reverse("account_login"),
        {"login": "ada@example.org", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_signing_up_with_an_address_that_has_an_account_answers_like_a_new_one(
    client,
    mail_worker,
    django_capture_on_commit_callbacks,
):
    owner = make_user(email="owner@example.org", password=PASSWORD)
    users_before = get_user_model().objects.count()
    answers = []
    for email in ("owner@example.org", "newcomer@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_signup"),
                {
                    "email": email,
                    "password1": "another pass phrase",
                    "password2": "another pass phrase",
                },
            )
        answers.append((response.status_code, response["Location"]))
        client.logout()
    assert answers[0] == answers[1] == (302, reverse("account_email_verification_sent"))
    assert get_user_model().objects.count() == users_before + 1
    assert list(EmailAddress.objects.filter(email="owner@example.org")) == [
        EmailAddress.objects.get(user=owner)
    ]
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    messages = {message.to[0]: message for message in mail_worker(2)}
    assert "/accounts/confirm-email/" not in messages["owner@example.org"].body
    assert "already" in messages["owner@example.org"].body.lower()
    assert "/accounts/confirm-email/" in messages["newcomer@example.org"].body
    assert len(mail.outbox) == 2


def _letter_form(**overrides: str) -> dict[str, str]:
    data = {
        "title": "Fair pay for translators",
        "slug": "fair-pay",
        "summary": "Translators ask for a fair deal.",
        "body": "We, the undersigned, ask for fair pay.",
        "language": "en",
        "invited_signers": "Translators",
        "goal": "500",
        "closes_at": "",
        "thank_you_message": "Thank you.",
    }
    return data | overrides


def test_creating_a_letter_does_not_reveal_that_someone_else_drafts_under_that_address(client):
    hidden = make_letter(status=Letter.Status.DRAFT, slug="secret-plan", title="Secret plan")
    make_member(letter=hidden)
    client.force_login(make_user())

    free = client.post(reverse("organize:letter-create"), _letter_form(slug="open-plan"))
    taken = client.post(reverse("organize:letter-create"), _letter_form(slug="secret-plan"))

    assert free.status_code == taken.status_code == 302
    mine = Letter.objects.exclude(pk=hidden.pk).get(slug__startswith="secret-plan")
    assert mine.slug != "secret-plan"
    assert taken["Location"] == reverse("organize:letter", kwargs={"slug": mine.slug})
    assert "taken" not in client.get(taken["Location"]).content.decode()
    hidden.refresh_from_db()
    assert (hidden.slug, hidden.title) == ("secret-plan", "Secret plan")
    assert list(hidden.memberships.values_list("role", flat=True)) == ["owner"]


def test_renaming_a_draft_does_not_reveal_that_someone_else_drafts_under_that_address(client):
    make_member(letter=make_letter(status=Letter.Status.DRAFT, slug="secret-plan"))
    user = make_user()
    mine = make_letter(status=Letter.Status.DRAFT, slug="mine")
    make_member(letter=mine, user=user)
    client.force_login(user)

    response = client.post(
        reverse("organize:letter-edit", kwargs={"slug": "mine"}), _letter_form(slug="secret-plan")
    )
    mine.refresh_from_db()
    assert response.status_code == 302
    assert mine.slug.startswith("secret-plan-")
    assert Letter.objects.filter(slug="secret-plan").count() == 1


@pytest.mark.parametrize(
    ("role", "sees_addresses"), [("viewer", False), ("editor", True), ("owner", True)]
)
def test_a_viewer_cannot_read_or_search_signer_addresses(client, role, sees_addresses):
    letter = make_letter()
    signature = make_signature(letter=letter, name="Ada Lovelace", email="ada.secret@example.org")
    # An editor's bulk removal by address, still running: its criteria show on the list.
    ModerationAction.objects.create(
        letter=letter,
        action=ModerationAction.Action.BULK_REMOVE,
        state=ModerationAction.State.RUNNING,
        reason="Fake signatures",
        criteria={"q": "ada.secret@example.org"},
        affected=1,
    )
    client.force_login(make_member_user(letter=letter, role=role))
    list_url = reverse("moderation:list", kwargs={"slug": letter.slug})
    detail_url = reverse("moderation:detail", kwargs={"slug": letter.slug, "pk": signature.pk})

    listing = client.get(list_url).content.decode()
    detail = client.get(detail_url).content.decode()
    by_address = client.get(list_url, {"q": "ada.secret"}).content.decode()
    by_name = client.get(list_url, {"q": "Lovelace"}).content.decode()

    for page in (listing, detail, by_address, by_name):
        assert ("ada.secret@example.org" in page) is sees_addresses
    assert ("Ada Lovelace" in by_address) is sees_addresses  # no match on the address
    assert "Ada Lovelace" in by_name


def test_signers_held_or_removed_before_confirming_are_not_kept_past_the_retention_period(
    settings,
):
    settings.PENDING_RETENTION_DAYS = 30
    letter = make_letter()
    old = timezone.now() - timedelta(days=31)
    never_confirmed = [
        make_signature(letter=letter, status=status, status_before_moderation="pending")
        for status in (Signature.Status.HELD, Signature.Status.REMOVED)
    ]
    hold = ModerationAction.objects.create(
        letter=letter, signature=never_confirmed[0], action=ModerationAction.Action.HOLD
    )
    once_confirmed = make_signature(
        letter=letter, status=Signature.Status.REMOVED, status_before_moderation="confirmed"
    )
    recent = make_signature(
        letter=letter, status=Signature.Status.HELD, status_before_moderation="pending"
    )
    everyone = [*never_confirmed, once_confirmed]
    Signature.objects.filter(pk__in=[s.pk for s in everyone]).update(created_at=old)

    assert services.signature_purge_unconfirmed() == 2
    kept = set(Signature.objects.values_list("pk", flat=True))
    assert kept == {once_confirmed.pk, recent.pk}
    hold.refresh_from_db()  # the audit row stays, without the person
    assert (hold.signature_id, hold.action) == (None, ModerationAction.Action.HOLD)


def test_the_privacy_notice_states_the_retention_periods_this_site_applies(client, settings):
    settings.PENDING_RETENTION_DAYS = 12
    settings.CONFIRMATION_MAX_AGE_DAYS = 5
    settings.PRIVACY_CONTACT_EMAIL = "privacy@example.org"
    html = client.get(reverse("privacy")).content.decode()
    assert "12 days after signing" in html
    assert "until you withdraw it or the letter is deleted" in html
    assert "stop working after 5 days" in html
    assert "irreversible fingerprint of your address" in html
    assert "log who exported" in html
    assert 'href="mailto:privacy@example.org"' in html


RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "evil\u202egpj.exe" reads as "evilexe.jpg"
CONTROL_MESSAGE = "Remove the invisible control characters from this field."


def _database() -> tuple:
    return (
        sorted(Letter.objects.values_list()),
        sorted(Membership.objects.values_list()),
        sorted(Invitation.objects.values_list("pk", "email")),
        sorted(Signature.objects.values_list()),
        sorted(ModerationAction.objects.values_list("pk")),
        sorted(Update.objects.values_list("pk")),
    )


def test_an_organizer_cannot_hide_bidi_overrides_or_control_characters_in_any_text_field(client):
    letter = make_letter(status=Letter.Status.DRAFT, slug="mine")
    owner = make_user()
    make_member(letter=letter, user=owner)
    signature = make_signature(letter=letter)
    client.force_login(owner)
    edit = reverse("organize:letter-edit", kwargs={"slug": "mine"})
    moderation = {
        name: reverse(f"moderation:{name}", kwargs={"slug": "mine", "pk": signature.pk})
        for name in ("hold", "remove", "verify")
    }
    attempts = [
        (
            reverse("organize:letter-create"),
            _letter_form(slug="new", summary=f"a{RLO}b"),
            "summary",
        ),
        *[
            (edit, _letter_form(slug="mine", **{field: f"text{char}more"}), field)
            for field in ("title", "summary", "body", "invited_signers", "thank_you_message")
            for char in (RLO, "\u2066", "\x07", "\u200b")
        ],
        (
            reverse("organize:invite", kwargs={"slug": "mine"}),
            {"email": f"friend@exa{RLO}mple.org", "role": "editor"},
            "email",
        ),
        (
            reverse("updates:organizer-list", kwargs={"slug": "mine"}),
            {"title": f"News{RLO}", "body": "Body"},
            "title",
        ),
        (
            reverse("updates:organizer-list", kwargs={"slug": "mine"}),
            {"title": "News", "body": "Body\u2067"},
            "body",
        ),
        (moderation["hold"], {"reason": f"dup{RLO}"}, "reason"),
        (moderation["remove"], {"reason": "spam\u202a"}, "reason"),
        (moderation["verify"], {"method": "org_email", "note": f"ok{RLO}"}, "note"),
        (
            reverse("moderation:bulk-remove", kwargs={"slug": "mine"}),
            {"domain": "example.org", "reason": f"bots{RLO}"},
            "reason",
        ),
    ]
    before = _database()
    for url, data, field in attempts:
        response = client.post(url, data)
        assert response.status_code == 400, (field, data)
        assert CONTROL_MESSAGE in response.content.decode(), (field, data)
    assert _database() == before
