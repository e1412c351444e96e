from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from letters import services, tasks
from letters.models import Invitation, Letter, Membership
from tests.factories import make_letter, make_member, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def letter() -> Letter:
    return make_letter(slug="team-letter", title="Team letter")


@pytest.fixture
def owner(letter: Letter):
    return make_member(letter=letter, user=make_user(email="owner@example.org")).user


def state() -> tuple:
    return (
        sorted(Membership.objects.values_list("letter_id", "user_id", "role")),
        sorted(Invitation.objects.values_list("pk", "email", "role", "accepted_at")),
    )


def invite(letter: Letter, owner, email: str = "Friend@Example.org", role: str = "editor"):
    return services.invitation_create(letter=letter, invited_by=owner, email=email, role=role)


def member_url(name: str, letter: Letter, membership: Membership) -> str:
    return reverse(name, kwargs={"slug": letter.slug, "membership_id": membership.pk})


def accept_url(invitation: Invitation) -> str:
    token = services.invitation_token(invitation=invitation)
    return reverse("organize:invitation-accept", kwargs={"token": token})


def test_an_owner_invites_by_email_and_the_mail_leaves_after_commit_from_a_task(
    client, letter, owner, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("organize:invite", kwargs={"slug": letter.slug}),
            {"email": "friend@example.org", "role": "viewer"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "friend@example.org", "viewer", owner,
    )  # fmt: skip
    assert len(callbacks) == 1
    assert mail.outbox == []  # nothing is sent inside the request
    assert tasks.invitation_send(invitation_id=invitation.pk) is True
    (message,) = mail.outbox
    assert message.to == ["friend@example.org"]
    assert "Team letter" in message.subject
    assert "owner@example.org" in message.body
    link = next(w for w in message.body.split() if "/organize/invitations/" in w)
    client.force_login(make_user(email="friend@example.org"))
    client.post(link.removeprefix("http://testserver"))
    assert Membership.objects.get(letter=letter, user__email="friend@example.org").role == "viewer"


def test_the_invitation_task_does_nothing_for_a_withdrawn_invitation(letter, owner):
    invitation = invite(letter, owner)
    services.invitation_revoke(letter=letter, invitation_id=invitation.pk)
    assert tasks.invitation_send(invitation_id=invitation.pk) is False
    assert mail.outbox == []


def test_the_invited_person_accepts_with_a_matching_verified_email(client, letter, owner):
    invitation = invite(letter, owner, role="viewer")
    friend = make_user(email="friend@example.org")
    client.force_login(friend)
    page = client.get(accept_url(invitation))
    assert page.status_code == 200
    assert Membership.objects.filter(user=friend).count() == 0  # GET changes nothing
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    assert Membership.objects.get(user=friend, letter=letter).role == Membership.Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.accepted_by == friend and invitation.accepted_at is not None


def test_accepting_with_another_email_is_refused(client, letter, owner):
    invitation = invite(letter, owner)
    client.force_login(make_user(email="someone-else@example.org"))
    before = state()
    response = client.post(accept_url(invitation))
    assert response.status_code == 400
    assert "This invitation was sent to Friend@Example.org" in response.content.decode()
    assert state() == before


def test_accepting_with_an_unverified_matching_email_is_refused(client, letter, owner):
    invitation = invite(letter, owner)
    client.force_login(make_user(email="friend@example.org", verified=False))
    before = state()
    response = client.post(accept_url(invitation))
    assert response.status_code == 400
    assert state() == before


def test_a_reused_invitation_is_refused(client, letter, owner):
    invitation = invite(letter, owner)
    client.force_login(make_user(email="friend@example.org"))
    client.post(accept_url(invitation))
    before = state()
    response = client.post(accept_url(invitation))
    assert response.status_code == 400
    assert "This invitation has already been used." in response.content.decode()
    assert state() == before


def test_an_expired_invitation_is_refused(client, letter, owner, settings):
    invitation = invite(letter, owner)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS, seconds=1)
    )
    client.force_login(make_user(email="friend@example.org"))
    before = state()
    response = client.post(accept_url(invitation))
    assert response.status_code == 400
    assert "This invitation has expired." in response.content.decode()
    assert state() == before


def test_a_tampered_invitation_link_is_refused(client, letter, owner):
    invitation = invite(letter, owner)
    client.force_login(make_user(email="friend@example.org"))
    before = state()
    response = client.post(accept_url(invitation)[:-3] + "xx/")
    assert response.status_code == 400
    assert "This invitation link is not valid." in response.content.decode()
    assert state() == before


def test_inviting_again_replaces_the_old_link(client, letter, owner):
    first = invite(letter, owner)
    second = invite(letter, owner)
    assert list(Invitation.objects.values_list("pk", flat=True)) == [second.pk]
    client.force_login(make_user(email="friend@example.org"))
    response = client.post(accept_url(first))
    assert "withdrawn or replaced" in response.content.decode()


def test_it_rejects_an_invitation_to_someone_who_is_already_a_member(client, letter, owner):
    make_member(letter=letter, user=make_user(email="member@example.org"), role="viewer")
    client.force_login(owner)
    before = state()
    response = client.post(
        reverse("organize:invite", kwargs={"slug": letter.slug}),
        {"email": "MEMBER@example.org", "role": "editor"},
    )
    assert response.status_code == 400
    assert "MEMBER@example.org already organizes this letter." in response.content.decode()
    assert state() == before


def test_it_rejects_an_invitation_with_a_bad_address_or_role(client, letter, owner):
    client.force_login(owner)
    before = state()
    url = reverse("organize:invite", kwargs={"slug": letter.slug})
    assert client.post(url, {"email": "nope", "role": "editor"}).status_code == 400
    assert client.post(url, {"email": "a@example.org", "role": "owner"}).status_code == 400
    assert state() == before


def test_an_owner_removes_a_co_organizer_and_changes_a_role(client, letter, owner):
    editor = make_member(letter=letter, role="editor")
    viewer = make_member(letter=letter, role="editor")
    client.force_login(owner)
    client.post(
        reverse("organize:member-remove", kwargs={"slug": letter.slug, "membership_id": editor.pk})
    )
    client.post(
        reverse("organize:member-role", kwargs={"slug": letter.slug, "membership_id": viewer.pk}),
        {"role": "viewer"},
    )
    assert not Membership.objects.filter(pk=editor.pk).exists()
    assert Membership.objects.get(pk=viewer.pk).role == "viewer"


def test_the_owner_cannot_be_removed(client, letter, owner):
    client.force_login(owner)
    membership = Membership.objects.get(user=owner)
    before = state()
    response = client.post(
        reverse(
            "organize:member-remove", kwargs={"slug": letter.slug, "membership_id": membership.pk}
        ),
        follow=True,
    )
    assert "Transfer ownership first." in response.content.decode()
    assert state() == before


def test_transferring_ownership_leaves_exactly_one_owner(client, letter, owner):
    editor = make_member(letter=letter, role="editor")
    client.force_login(owner)
    client.post(
        reverse(
            "organize:member-transfer", kwargs={"slug": letter.slug, "membership_id": editor.pk}
        )
    )
    roles = dict(Membership.objects.filter(letter=letter).values_list("user_id", "role"))
    assert roles == {owner.pk: "editor", editor.user_id: "owner"}
    # The former owner may no longer invite.
    response = client.post(
        reverse("organize:invite", kwargs={"slug": letter.slug}),
        {"email": "x@example.org", "role": "editor"},
    )
    assert response.status_code == 403


def test_the_team_page_lists_members_and_pending_invitations(client, letter, owner):
    invite(letter, owner)
    client.force_login(owner)
    html = client.get(reverse("organize:team", kwargs={"slug": letter.slug})).content.decode()
    assert "owner@example.org" in html and "Friend@Example.org" in html
