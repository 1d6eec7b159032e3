"""Invitations through the API: list them, invite again, resend, revoke; who may do it."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from collecte.accounts.models import ApiToken
from collecte.outbound.models import OutboxMessage
from collecte.tenancy import actions

from .helpers import ApiClient, assert_error


@pytest.fixture
def invitation(world):
    """A pending invitation of the standard user of world.folder."""
    return actions.invite(world.standard_member, world.owner)


def list_url(folder_id):
    return f"/api/v1/folders/{folder_id}/invitations"


def resend_url(invitation_id):
    return f"/api/v1/invitations/{invitation_id}/resend"


def revoke_url(invitation_id):
    return f"/api/v1/invitations/{invitation_id}/revoke"


def reinvite_url(folder_id, member_id):
    return f"/api/v1/folders/{folder_id}/users/{member_id}/invitations"


# Every invitation endpoint, to run the same denial cases against each. (method, path template)
ENDPOINTS = [
    ("get", "/api/v1/folders/{folder}/invitations"),
    ("post", "/api/v1/folders/{folder}/users/{member}/invitations"),
    ("post", "/api/v1/invitations/{invitation}/resend"),
    ("post", "/api/v1/invitations/{invitation}/revoke"),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path in ENDPOINTS]


def call(client, world, invitation, endpoint):
    method, path = endpoint
    url = path.format(folder=world.folder.pk, member=world.standard_member.pk, invitation=invitation.pk)
    return client.request(method, url)


def assert_untouched(invitation):
    before = (invitation.state, invitation.send_count, invitation.nonce)
    invitation.refresh_from_db()
    assert (invitation.state, invitation.send_count, invitation.nonce) == before
    assert invitation.member.invitations.count() == 1


# --- denials --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_hides_invitations_from_another_firm(world, api_for, invitation, endpoint):
    assert_error(call(api_for(world.outsider), world, invitation, endpoint), 404, "not_found")
    assert_untouched(invitation)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_hides_invitations_from_an_unassigned_collaborator(world, api_for, invitation, endpoint):
    assert_error(call(api_for(world.unassigned), world, invitation, endpoint), 404, "not_found")
    assert_untouched(invitation)


@pytest.mark.parametrize("persona", ["approver", "standard"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_forbids_invitations_to_lower_roles(world, api_for, invitation, endpoint, persona):
    assert_error(call(api_for(getattr(world, persona)), world, invitation, endpoint), 403, "forbidden")
    assert_untouched(invitation)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_requires_a_valid_token_for_invitations(world, invitation, endpoint):
    revoked, raw = ApiToken.issue(world.owner, "old")
    revoked.revoke()
    for client in (ApiClient(), ApiClient("clt_bogus"), ApiClient(raw)):
        assert_error(call(client, world, invitation, endpoint), 401, "not_authenticated")
    assert_untouched(invitation)


@pytest.mark.parametrize("url", [resend_url, revoke_url])
def test_it_answers_an_outsider_as_for_an_unknown_invitation(world, api_for, invitation, url):
    client = api_for(world.outsider)
    existing, unknown = client.post(url(invitation.pk)), client.post(url(999_999))
    assert (existing.status_code, existing.json()) == (unknown.status_code, unknown.json())
    assert existing.json()["detail"] == "Invitation introuvable."


# --- listing --------------------------------------------------------------------------------------------------

def test_it_lists_the_invitations_of_the_folder(world, api_for, invitation):
    actions.invite(world.outsider_folder.members.create(user=world.outsider), world.outsider)  # another firm's
    response = api_for(world.collaborator).get(list_url(world.folder.pk))
    assert response.status_code == 200
    [listed] = response.json()
    assert (listed["id"], listed["member_id"], listed["state"]) == (invitation.pk, world.standard_member.pk,
                                                                    "pending")
    assert (listed["email"], listed["invited_by"], listed["send_count"]) == ("standard@client.example",
                                                                            "owner@alpha.example", 1)
    assert "nonce" not in listed  # the link secret never leaves the server


def test_it_filters_invitations_by_state(world, api_for, invitation):
    actions.revoke_invitation(actions.invite(world.approver_member, world.owner))
    client = api_for(world.admin)
    assert [i["id"] for i in client.get(list_url(world.folder.pk) + "?state=pending").json()] == [invitation.pk]
    assert [i["state"] for i in client.get(list_url(world.folder.pk) + "?state=revoked").json()] == ["revoked"]
    assert_error(client.get(list_url(world.folder.pk) + "?state=lost"), 422, "validation_error")


def test_it_shows_an_expired_invitation_as_expired(world, api_for, invitation):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save()
    [listed] = api_for(world.owner).get(list_url(world.folder.pk)).json()
    assert listed["state"] == "expired"


# --- inviting again, resending --------------------------------------------------------------------------------

def test_it_invites_a_user_again(world, api_for, invitation):
    response = api_for(world.owner).post(reinvite_url(world.folder.pk, world.standard_member.pk))
    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    invitation.refresh_from_db()
    assert invitation.state == "revoked"  # only the newest link works
    assert mail.outbox[-1].to == ["standard@client.example"]


def test_it_resends_an_invitation_with_a_new_link(world, api_for, invitation):
    old_nonce = invitation.nonce
    response = api_for(world.admin).post(resend_url(invitation.pk))
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["send_count"]) == ("pending", 2)
    invitation.refresh_from_db()
    assert invitation.nonce != old_nonce
    assert len(mail.outbox) == 2


def test_it_resends_an_expired_invitation_for_another_week(world, api_for, invitation):
    invitation.expires_at = timezone.now() - timedelta(days=1)
    invitation.save()
    assert api_for(world.owner).post(resend_url(invitation.pk)).json()["state"] == "pending"


def test_it_refuses_to_resend_a_revoked_invitation(world, api_for, invitation):
    actions.revoke_invitation(invitation)
    body = assert_error(api_for(world.owner).post(resend_url(invitation.pk)), 409, "invitation_inactive")
    assert "plus active" in body["detail"]


def test_it_refuses_to_resend_to_a_removed_user(world, api_for, invitation):
    invitation.expires_at = timezone.now() - timedelta(days=1)  # expired, so removal did not revoke it
    invitation.save()
    actions.remove_member(world.standard_member)
    sent_before = len(mail.outbox)
    assert_error(api_for(world.owner).post(resend_url(invitation.pk)), 409, "member_removed")
    assert len(mail.outbox) == sent_before


# --- revoking -------------------------------------------------------------------------------------------------

def test_it_revokes_a_pending_invitation(world, api_for, invitation):
    response = api_for(world.collaborator).post(revoke_url(invitation.pk))
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_it_refuses_to_revoke_an_accepted_invitation(world, api_for, invitation):
    actions.accept_invitation(invitation)  # an existing account: accepted with its own password
    body = assert_error(api_for(world.owner).post(revoke_url(invitation.pk)), 409, "invitation_accepted")
    assert body["detail"] == "Cette invitation a déjà été acceptée."


def test_it_texts_the_new_invitation_when_asked(world, api_for, outbox_backend):
    world.standard.phone = "+33612345678"
    world.standard.save()
    url = reinvite_url(world.folder.pk, world.standard_member.pk) + "?by_sms=true"
    body = api_for(world.owner).post(url).json()
    assert (body["by_email"], body["by_sms"]) == (True, True)
    assert OutboxMessage.objects.filter(channel="sms", to="+33612345678").count() == 1
