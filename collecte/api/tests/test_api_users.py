"""Folder users through the API: list, add and invite, change role, remove access; who may do it."""
import pytest
from django.test import Client

from collecte.accounts.models import ApiToken
from collecte.outbound.models import OutboxMessage
from collecte.tenancy import actions
from collecte.tenancy.models import FolderMember, Invitation

from .helpers import ApiClient, assert_error

NEW_USER = {"email": "Nina.New@Client.example", "first_name": "Nina", "last_name": "New", "role": "approver"}


def users_url(folder_id):
    return f"/api/v1/folders/{folder_id}/users"


def member_url(folder_id, member_id):
    return f"{users_url(folder_id)}/{member_id}"


# Every user endpoint, to run the same denial cases against each. (method, path template, body)
ENDPOINTS = [
    ("get", "/api/v1/folders/{folder}/users", None),
    ("post", "/api/v1/folders/{folder}/users", NEW_USER),
    ("get", "/api/v1/folders/{folder}/users/{member}", None),
    ("patch", "/api/v1/folders/{folder}/users/{member}", {"role": "admin"}),
    ("delete", "/api/v1/folders/{folder}/users/{member}", None),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _body in ENDPOINTS]


def call(client, world, endpoint, folder=None):
    method, path, body = endpoint
    url = path.format(folder=(folder or world.folder).pk, member=world.standard_member.pk)
    return client.request(method, url, body)


# --- denials --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_hides_the_users_of_a_folder_from_another_firm(world, api_for, endpoint):
    body = assert_error(call(api_for(world.outsider), world, endpoint), 404, "not_found")
    assert body["detail"] == "Dossier introuvable."
    assert FolderMember.objects.get(pk=world.standard_member.pk).is_active


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_hides_the_users_from_an_unassigned_collaborator(world, api_for, endpoint):
    assert_error(call(api_for(world.unassigned), world, endpoint), 404, "not_found")


@pytest.mark.parametrize("persona", ["approver", "standard"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_forbids_managing_users_to_lower_roles(world, api_for, endpoint, persona):
    body = assert_error(call(api_for(getattr(world, persona)), world, endpoint), 403, "forbidden")
    assert body["detail"] == "Cette action est réservée aux administrateurs du dossier."


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ENDPOINT_IDS)
def test_it_requires_a_valid_token_for_user_endpoints(world, endpoint):
    revoked, raw = ApiToken.issue(world.owner, "old")
    revoked.revoke()
    for client in (ApiClient(), ApiClient("clt_bogus"), ApiClient(raw)):
        assert_error(call(client, world, endpoint), 401, "not_authenticated")


def test_it_answers_401_not_a_csrf_error_to_a_script_without_token(world):
    response = Client(enforce_csrf_checks=True).post(users_url(world.folder.pk), NEW_USER,
                                                     content_type="application/json")
    assert_error(response, 401, "not_authenticated")


def test_it_hides_a_member_of_another_folder(world, api_for):
    outsider_member, _inv = actions.add_folder_user(
        world.outsider_folder, actions.NewFolderUser(email="x@beta.example", first_name="X", last_name="Y"),
        added_by=world.outsider)
    response = api_for(world.owner).get(member_url(world.folder.pk, outsider_member.pk))
    body = assert_error(response, 404, "not_found")
    assert body["detail"] == "Utilisateur introuvable dans ce dossier."


# --- listing --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin"])
def test_it_lists_the_folder_users_to_managers(world, api_for, persona):
    response = api_for(getattr(world, persona)).get(users_url(world.folder.pk))
    assert response.status_code == 200
    roles = {m["email"]: m["role"] for m in response.json()}
    assert roles == {"admin@client.example": "admin", "approver@client.example": "approver",
                     "standard@client.example": "standard"}


def test_it_describes_each_folder_user(world, api_for):
    world.standard_member.employee_code = "E42"
    world.standard_member.save()
    users = {m["email"]: m for m in api_for(world.owner).get(users_url(world.folder.pk)).json()}
    stan = users["standard@client.example"]
    assert stan["id"] == world.standard_member.pk
    assert (stan["first_name"], stan["last_name"], stan["employee_code"]) == ("Stan", "Standard", "E42")
    assert stan["last_login"] is None
    assert stan["can_self_submit_expenses"] is False
    assert (stan["invitation_state"], stan["invitation_id"]) == ("none", None)


def test_it_shows_the_state_of_the_latest_invitation(world, api_for):
    invitation = actions.invite(world.standard_member, world.owner)
    stan = api_for(world.owner).get(member_url(world.folder.pk, world.standard_member.pk)).json()
    assert (stan["invitation_state"], stan["invitation_id"]) == ("pending", invitation.pk)


def test_it_leaves_removed_users_out_of_the_list(world, api_for):
    actions.remove_member(world.approver_member)
    emails = [m["email"] for m in api_for(world.owner).get(users_url(world.folder.pk)).json()]
    assert "approver@client.example" not in emails


# --- adding ---------------------------------------------------------------------------------------------------

def test_it_adds_a_user_and_sends_the_invitation(world, api_for, outbox_backend):
    response = api_for(world.collaborator).post(users_url(world.folder.pk), NEW_USER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "nina.new@client.example"
    assert (body["role"], body["invitation_state"]) == ("approver", "pending")
    assert body["personal_address"]
    member = FolderMember.objects.get(pk=body["id"], folder=world.folder)
    assert member.added_by == world.collaborator
    [sent] = OutboxMessage.objects.filter(channel="email", to="nina.new@client.example")
    assert sent.folder_id == world.folder.pk
    assert Invitation.objects.get(pk=body["invitation_id"]).member == member


def test_it_lets_a_folder_admin_add_a_user(world, api_for):
    response = api_for(world.admin).post(users_url(world.folder.pk), {**NEW_USER, "role": "standard"})
    assert response.status_code == 201


def test_it_invites_by_sms_with_a_normalized_phone(world, api_for, outbox_backend):
    payload = {**NEW_USER, "phone": "06 12 34 56 78", "by_email": False, "by_sms": True,
               "employee_code": " E7 ", "can_self_submit_expenses": True}
    body = api_for(world.owner).post(users_url(world.folder.pk), payload).json()
    assert body["phone"] == "+33612345678"
    assert (body["employee_code"], body["can_self_submit_expenses"]) == ("E7", True)
    assert OutboxMessage.objects.filter(channel="sms", to="+33612345678").count() == 1
    assert not OutboxMessage.objects.filter(channel="email").exists()


@pytest.mark.parametrize("change, field, sentence", [
    ({"phone": "12"}, "phone", "Ce numéro de téléphone n'est pas valide"),
    ({"email": "not-an-email"}, "email", "Saisissez une adresse email valide."),
    ({"role": "boss"}, "role", "valeurs possibles : 'admin', 'approver', 'standard'"),
    ({"first_name": "  "}, "first_name", "Indiquez le prénom."),
    ({"by_sms": True}, "phone", "Indiquez un numéro de mobile"),
    ({"by_email": False}, "by_email", "Choisissez au moins un moyen d'envoi"),
    ({"employee_code": "x" * 33}, "employee_code", "32 caractères au plus"),
])
def test_it_explains_which_field_is_wrong(world, api_for, change, field, sentence):
    response = api_for(world.owner).post(users_url(world.folder.pk), {**NEW_USER, **change})
    body = assert_error(response, 422, "validation_error")
    assert body["detail"].startswith(f"{field} : ")
    assert sentence in body["detail"]
    assert body["errors"][0]["field"] == field
    assert not FolderMember.objects.filter(user__email="nina.new@client.example").exists()


def test_it_names_every_missing_field(world, api_for):
    body = assert_error(api_for(world.owner).post(users_url(world.folder.pk), {"email": "a@b.example"}),
                        422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"first_name", "last_name", "role"}
    assert "first_name : Ce champ est obligatoire." in body["detail"]


def test_it_says_when_the_body_is_not_json(world, api_for):
    client = api_for(world.owner)
    response = client.client.post(users_url(world.folder.pk), "{nope", content_type="application/json",
                                  **client.headers)
    assert_error(response, 400, "bad_request")


def test_it_refuses_to_add_someone_already_in_the_folder(world, api_for):
    payload = {**NEW_USER, "email": "STANDARD@client.example"}
    body = assert_error(api_for(world.owner).post(users_url(world.folder.pk), payload), 409, "already_member")
    assert body["detail"] == "Cette personne a déjà accès à ce dossier."


def test_it_gives_access_back_to_a_removed_user_on_the_same_row(world, api_for):
    actions.remove_member(world.standard_member)
    payload = {**NEW_USER, "email": "standard@client.example", "role": "standard"}
    response = api_for(world.owner).post(users_url(world.folder.pk), payload)
    assert response.status_code == 201
    assert response.json()["id"] == world.standard_member.pk


# --- changing and removing ------------------------------------------------------------------------------------

def test_it_changes_a_users_role(world, api_for):
    url = member_url(world.folder.pk, world.standard_member.pk)
    response = api_for(world.admin).patch(url, {"role": "approver", "employee_code": "E9"})
    assert response.status_code == 200
    assert (response.json()["role"], response.json()["employee_code"]) == ("approver", "E9")
    world.standard_member.refresh_from_db()
    assert world.standard_member.role == "approver"


def test_it_keeps_the_fields_a_patch_leaves_out(world, api_for):
    url = member_url(world.folder.pk, world.approver_member.pk)
    body = api_for(world.owner).patch(url, {"can_self_submit_expenses": True}).json()
    assert (body["role"], body["can_self_submit_expenses"]) == ("approver", True)


def test_it_rejects_an_unknown_role_in_a_patch(world, api_for):
    url = member_url(world.folder.pk, world.standard_member.pk)
    assert_error(api_for(world.owner).patch(url, {"role": "king"}), 422, "validation_error")


def test_it_removes_access_but_keeps_the_row(world, api_for):
    invitation = actions.invite(world.standard_member, world.owner)
    response = api_for(world.owner).delete(member_url(world.folder.pk, world.standard_member.pk))
    assert response.status_code == 204
    member = FolderMember.objects.get(pk=world.standard_member.pk)
    assert member.removed_at is not None
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


def test_it_treats_a_removed_user_as_gone(world, api_for):
    actions.remove_member(world.standard_member)
    client = api_for(world.owner)
    url = member_url(world.folder.pk, world.standard_member.pk)
    assert_error(client.delete(url), 404, "not_found")
    assert_error(client.patch(url, {"role": "admin"}), 404, "not_found")


def test_it_ends_the_removed_users_api_access_to_the_folder(world, api_for):
    standard = api_for(world.standard)
    api_for(world.owner).delete(member_url(world.folder.pk, world.standard_member.pk))
    assert_error(standard.get(f"/api/v1/folders/{world.folder.pk}"), 404, "not_found")


# --- browser session ------------------------------------------------------------------------------------------

def test_it_requires_the_csrf_token_for_writes_through_a_session(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    response = client.post(users_url(world.folder.pk), NEW_USER, content_type="application/json")
    assert_error(response, 403, "csrf_failed")


def test_it_accepts_a_session_write_with_its_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    secret = "a" * 32  # an unmasked CSRF secret is accepted in the header as well as masked
    client.cookies["csrftoken"] = secret
    response = client.post(users_url(world.folder.pk), NEW_USER, content_type="application/json",
                           HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 201, response.content


def test_it_shows_only_the_email_of_an_existing_account_until_it_accepts(world, api_for):
    """Another firm's user must not have their name, phone or last login revealed by being invited here."""
    world.outsider.phone = "+33611111111"
    world.outsider.save()
    body = api_for(world.owner).post(f"/api/v1/folders/{world.folder.pk}/users", {
        "email": world.outsider.email, "first_name": "X", "last_name": "Y", "role": "standard"}).json()
    assert body["email"] == world.outsider.email
    assert (body["first_name"], body["last_name"], body["phone"], body["last_login"]) == ("", "", "", None)
