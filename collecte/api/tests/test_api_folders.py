"""GET /folders and /folders/{id}: what each persona sees, authentication, the error contract and the schema."""
import pytest
from django.test import Client

from collecte.accounts.models import ApiToken
from collecte.tenancy import actions

from .helpers import ApiClient, assert_error

FOLDERS = "/api/v1/folders"


def folder_url(folder_id):
    return f"{FOLDERS}/{folder_id}"


# --- listing --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona, names, role", [
    ("owner", ["Boulangerie Martin", "Garage du Centre"], "owner"),
    ("collaborator", ["Boulangerie Martin"], "collaborator"),
    ("admin", ["Boulangerie Martin"], "admin"),
    ("approver", ["Boulangerie Martin"], "approver"),
    ("standard", ["Boulangerie Martin"], "standard"),
    ("outsider", ["Beta Client"], "owner"),
])
def test_it_lists_the_folders_each_persona_can_see(world, api_for, persona, names, role):
    response = api_for(getattr(world, persona)).get(FOLDERS)
    assert response.status_code == 200
    body = response.json()
    assert [f["name"] for f in body] == names
    assert {f["role"] for f in body} == {role}


def test_it_lists_nothing_for_an_unassigned_collaborator(world, api_for):
    response = api_for(world.unassigned).get(FOLDERS)
    assert response.status_code == 200
    assert response.json() == []


def test_it_describes_each_listed_folder(world, api_for):
    [folder] = api_for(world.admin).get(FOLDERS).json()
    assert folder == {"id": world.folder.pk, "name": "Boulangerie Martin", "sector": "C", "siren": "", "vat_id": "",
                      "iban": "", "base_currency": "EUR",
                      "language": "fr", "timezone": "Europe/Paris", "role": "admin", "can_manage": True}


def test_it_says_which_roles_cannot_manage(world, api_for):
    [folder] = api_for(world.approver).get(FOLDERS).json()
    assert folder["can_manage"] is False


# --- one folder -----------------------------------------------------------------------------------------------

def test_it_gives_a_folder_with_its_four_addresses(world, api_for):
    response = api_for(world.owner).get(folder_url(world.folder.pk))
    assert response.status_code == 200
    body = response.json()
    expected = {a.module: a.email for a in world.folder.folder_addresses()}
    assert set(expected) == {"purchases", "sales", "purchases_split", "sales_split"}
    assert body["addresses"] == expected
    assert body["role"] == "owner"
    assert body["personal_address"] is None  # firm staff have no personal address in a client folder


def test_it_gives_a_folder_user_their_personal_address(world, api_for):
    member, _invitation = actions.add_folder_user(
        world.folder, actions.NewFolderUser(email="new@client.example", first_name="Nina", last_name="New"),
        added_by=world.owner)
    body = api_for(member.user).get(folder_url(world.folder.pk)).json()
    assert body["role"] == "standard"
    assert body["personal_address"] == member.personal_address().email


@pytest.mark.parametrize("persona", ["collaborator", "admin", "approver", "standard"])
def test_it_lets_every_role_of_the_folder_read_it(world, api_for, persona):
    assert api_for(getattr(world, persona)).get(folder_url(world.folder.pk)).status_code == 200


def test_it_hides_a_folder_from_another_firm(world, api_for):
    response = api_for(world.outsider).get(folder_url(world.folder.pk))
    body = assert_error(response, 404, "not_found")
    assert body["detail"] == "Dossier introuvable."


def test_it_answers_an_outsider_exactly_as_for_an_unknown_id(world, api_for):
    client = api_for(world.outsider)
    existing = client.get(folder_url(world.folder.pk))
    unknown = client.get(folder_url(999_999))
    assert (existing.status_code, existing.json()) == (unknown.status_code, unknown.json())


def test_it_hides_a_folder_from_an_unassigned_collaborator(world, api_for):
    assert_error(api_for(world.unassigned).get(folder_url(world.folder.pk)), 404, "not_found")


def test_it_hides_another_folder_of_the_firm_from_its_folder_users(world, api_for):
    assert_error(api_for(world.admin).get(folder_url(world.other_folder.pk)), 404, "not_found")


def test_it_rejects_a_folder_id_that_is_not_a_number(world, api_for):
    body = assert_error(api_for(world.owner).get(folder_url("abc")), 422, "validation_error")
    assert body["detail"].startswith("folder_id : ")
    assert body["errors"][0]["field"] == "folder_id"


# --- authentication -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [FOLDERS, "/api/v1/folders/{id}"])
def test_it_requires_a_token(world, anonymous_api, path):
    response = anonymous_api.get(path.format(id=world.folder.pk))
    body = assert_error(response, 401, "not_authenticated")
    assert "Authorization" in body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", [FOLDERS, "/api/v1/folders/{id}"])
def test_it_rejects_an_unknown_token(world, path):
    response = ApiClient("clt_not-a-real-token").get(path.format(id=world.folder.pk))
    body = assert_error(response, 401, "not_authenticated")
    assert body["detail"] == "Jeton d'API invalide ou révoqué."


@pytest.mark.parametrize("path", [FOLDERS, "/api/v1/folders/{id}"])
def test_it_rejects_a_revoked_token(world, path):
    token, raw = ApiToken.issue(world.owner, "cli")
    token.revoke()
    assert_error(ApiClient(raw).get(path.format(id=world.folder.pk)), 401, "not_authenticated")


def test_it_rejects_the_token_of_a_deactivated_user(world):
    _token, raw = ApiToken.issue(world.owner, "cli")
    world.owner.is_active = False
    world.owner.save()
    assert_error(ApiClient(raw).get(FOLDERS), 401, "not_authenticated")


def test_it_rejects_credentials_in_another_scheme_rather_than_ignoring_them(world):
    _token, raw = ApiToken.issue(world.owner, "cli")
    assert_error(ApiClient(authorization=f"Token {raw}").get(FOLDERS), 401, "not_authenticated")


def test_it_judges_a_bad_token_on_its_own_even_with_a_session(world, client_for):
    client = client_for(world.owner)
    response = client.get(FOLDERS, HTTP_AUTHORIZATION="Bearer clt_wrong")
    assert_error(response, 401, "not_authenticated")


def test_it_accepts_a_logged_in_browser_session(world, client_for):
    response = client_for(world.collaborator).get(FOLDERS)
    assert response.status_code == 200
    assert [f["name"] for f in response.json()] == ["Boulangerie Martin"]


def test_it_records_when_a_token_was_last_used(world):
    token, raw = ApiToken.issue(world.owner, "cli")
    ApiClient(raw).get(FOLDERS)
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- contract -------------------------------------------------------------------------------------------------

def test_it_answers_unknown_api_paths_in_json(world, api_for):
    assert_error(api_for(world.owner).get("/api/v1/no-such-thing"), 404, "not_found")


def test_it_publishes_the_openapi_document(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ["/api/v1/folders", "/api/v1/folders/{folder_id}", "/api/v1/folders/{folder_id}/users",
                 "/api/v1/folders/{folder_id}/users/{member_id}", "/api/v1/folders/{folder_id}/invitations",
                 "/api/v1/invitations/{invitation_id}/resend", "/api/v1/invitations/{invitation_id}/revoke"]:
        assert path in paths
    assert not any("rest" in path for path in paths)  # the JSON 404 fallback stays out of the document


def test_it_documents_both_ways_to_authenticate(db):
    schemes = Client().get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["ApiTokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"


def test_it_serves_the_browsable_docs(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_it_answers_an_unexpected_failure_in_json(world, api_for, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr("collecte.api.folders.caller_roles", broken)
    body = assert_error(api_for(world.owner).get(FOLDERS), 500, "server_error")
    assert "boom" not in body["detail"]
