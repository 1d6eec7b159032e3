"""The client-folder wizard: company → collaborators → client invitation → confirmation."""
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from collecte.outbound.models import OutboxMessage
from collecte.tenancy.models import ClientFolder, FolderMember, IntakeAddress, Invitation, Membership
from collecte.web.tests.helpers import assert_login_redirect, html, invitation_links

User = get_user_model()


def step_url(step):
    return reverse("folder-wizard", args=[step])


START = reverse("folder-wizard-start")
CLIENT = {"invite": "now", "first_name": "Claire", "last_name": "Client", "email": "claire@menuiserie.example",
          "phone": "", "by_email": "on"}


def start(client):
    response = client.get(START)
    assert response.status_code == 302 and response["Location"] == step_url("company")
    return client


def post_company(client, name="Menuiserie Dupont", sector="F", expect="collaborators"):
    response = client.post(step_url("company"), {"name": name, "sector": sector})
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == step_url(expect)
    return response


def post_collaborators(client, data):
    response = client.post(step_url("collaborators"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == step_url("client")


def post_client(client, **overrides):
    response = client.post(step_url("client"), {**CLIENT, **overrides})
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == step_url("confirm")


def confirm(client, decision="create"):
    before = set(ClientFolder.objects.values_list("pk", flat=True))
    response = client.post(step_url("confirm"), {"decision": decision})
    assert response.status_code == 302
    created = ClientFolder.objects.exclude(pk__in=before)
    assert created.count() == 1
    folder = created.get()
    assert response["Location"] == reverse("folder-detail", args=[folder.pk])
    return folder


@pytest.fixture
def firm_defaults(world):
    world.firm.base_currency, world.firm.language, world.firm.timezone = "CHF", "en", "Europe/Zurich"
    world.firm.save()
    return world


# --- the invite path ------------------------------------------------------------------------------------------

def test_it_creates_a_folder_with_chosen_collaborators_and_invites_the_client(firm_defaults, client_for):
    world = firm_defaults
    client = start(client_for(world.owner))
    post_company(client)
    page = html(client.get(step_url("collaborators")))
    assert "Colin Collab" in page and "Ursula Unassigned" in page
    post_collaborators(client, {"collaborators": [world.collab_membership.pk]})
    post_client(client, phone="06 12 34 56 78")
    summary = client.get(step_url("confirm"))
    assert summary.status_code == 200
    page = html(summary)
    for text in ("Menuiserie Dupont", "Construction", "CHF", "English", "Europe/Zurich", "Colin Collab",
                 "claire@menuiserie.example", "administrateur du dossier", "par email."):
        assert text in page, text
    assert "Ursula Unassigned" not in page
    assert "appartient déjà" not in page

    folder = confirm(client)
    assert folder.firm == world.firm
    assert (folder.name, folder.sector) == ("Menuiserie Dupont", "F")
    assert (folder.base_currency, folder.language, folder.timezone) == ("CHF", "en", "Europe/Zurich")
    assert list(folder.collaborators.all()) == [world.collab_membership]
    assert folder.created_by == world.owner
    assert len(folder.folder_addresses()) == 4
    member = FolderMember.objects.get(folder=folder)
    assert member.role == FolderMember.Role.ADMIN
    assert member.user.email == "claire@menuiserie.example"
    assert (member.user.first_name, member.user.last_name) == ("Claire", "Client")
    assert member.user.phone == "+33612345678"
    assert not member.user.has_usable_password()
    assert member.personal_address() is not None
    invitation = Invitation.objects.get(member=member)
    assert invitation.state == "pending" and invitation.invited_by == world.owner
    email = OutboxMessage.objects.get(channel="email", to="claire@menuiserie.example")
    assert email.folder == folder and email.firm == world.firm
    assert "Menuiserie Dupont" in email.subject
    assert len(invitation_links("claire@menuiserie.example")) == 1
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    landing = client.get(reverse("folder-detail", args=[folder.pk]))
    assert "est créé et claire@menuiserie.example est invité" in html(landing)


def test_it_lands_the_invited_client_in_the_new_folder(world, client_for, client):
    owner = start(client_for(world.owner))
    post_company(owner)
    post_collaborators(owner, {})
    post_client(owner)
    folder = confirm(owner)
    link = invitation_links("claire@menuiserie.example")[0]
    response = client.post(link, {"password1": "un-mot-de-passe-solide", "password2": "un-mot-de-passe-solide"})
    assert response["Location"] == reverse("folder-detail", args=[folder.pk])
    assert client.get(response["Location"]).status_code == 200


def test_it_gives_all_collaborators_access_with_one_checkbox(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {"all_collaborators": "on"})
    post_client(client, invite="skip")
    assert "Colin Collab, Ursula Unassigned" in html(client.get(step_url("confirm")))
    folder = confirm(client)
    assert set(folder.collaborators.all()) == {world.collab_membership, world.unassigned_membership}


def test_it_gives_no_collaborator_access_when_none_is_chosen(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    post_client(client, invite="skip")
    assert "Aucun (seuls les responsables du cabinet)" in html(client.get(step_url("confirm")))
    folder = confirm(client)
    assert not folder.collaborators.exists()


def test_it_keeps_the_creating_collaborator_on_the_folder(world, client_for):
    client = start(client_for(world.collaborator))
    post_company(client, name="Fleuriste Rose")
    post_collaborators(client, {})
    post_client(client, invite="skip")
    folder = confirm(client)
    assert list(folder.collaborators.all()) == [world.collab_membership]
    assert client.get(reverse("folder-detail", args=[folder.pk])).status_code == 200


def test_it_skips_the_collaborators_step_when_the_firm_has_none(world, client_for):
    client = start(client_for(world.outsider))
    response = client.get(step_url("company"))
    assert response.context["steps"] == ["company", "client", "confirm"]
    assert "Collaborateurs" not in html(response)
    post_company(client, expect="client")
    assert client.get(step_url("collaborators"))["Location"] == step_url("company")
    post_client(client, invite="skip")
    assert response.context["step_count"] == 3
    folder = confirm(client)
    assert folder.firm == world.outsider_firm
    assert not folder.collaborators.exists()


def test_it_sends_the_invitation_by_sms_to_the_outbox_when_no_sms_backend_is_configured(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    assert "SMS non configuré" in html(client.get(step_url("client")))
    post_client(client, phone="0612345678", by_sms="on")
    assert "par email et par SMS." in html(client.get(step_url("confirm")))
    folder = confirm(client)
    sms = OutboxMessage.objects.get(channel="sms")
    assert (sms.to, sms.status, sms.folder) == ("+33612345678", OutboxMessage.Status.KEPT, folder)
    assert "/invitations/" in sms.body


# --- the skip path --------------------------------------------------------------------------------------------

def test_it_creates_a_folder_without_client_users_when_the_invitation_is_skipped(world, client_for):
    client = start(client_for(world.owner))
    post_company(client, sector="")
    post_collaborators(client, {})
    post_client(client, invite="skip", first_name="", last_name="", email="", by_email="")
    assert "Pas d'invitation pour l'instant" in html(client.get(step_url("confirm")))
    folder = confirm(client)
    assert folder.sector == ""
    assert not folder.members.exists()
    assert not Invitation.objects.filter(member__folder=folder).exists()
    assert not OutboxMessage.objects.exists()
    addresses = folder.folder_addresses()
    assert len(addresses) == 4
    assert IntakeAddress.resolve(addresses[0].email) == addresses[0]
    page = html(client.get(reverse("folder-detail", args=[folder.pk])))
    assert "vous pourrez inviter le client plus tard" in page
    assert addresses[0].email in page


def test_it_forgets_the_answers_once_the_folder_is_created(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    post_client(client, invite="skip")
    confirm(client)
    assert client.get(step_url("confirm"))["Location"] == step_url("company")
    assert client.post(step_url("confirm"), {"decision": "create"})["Location"] == step_url("company")
    assert ClientFolder.objects.filter(name="Menuiserie Dupont").count() == 1


# --- bad input ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "   "])
def test_it_requires_a_company_name_with_a_french_error_next_to_the_field(world, client_for, name):
    client = start(client_for(world.owner))
    response = client.post(step_url("company"), {"name": name, "sector": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Indiquez le nom de la société."]
    page = html(response)
    field = page[page.index('<div class="field has-error'):]
    assert field.index("Indiquez le nom de la société.") < field.index("</div>")
    assert 'for="id_name"' in field[:field.index("</div>")]


def test_it_refuses_an_unknown_sector(world, client_for):
    client = start(client_for(world.owner))
    response = client.post(step_url("company"), {"name": "X", "sector": "Z"})
    assert response.status_code == 200 and "sector" in response.context["form"].errors


def test_it_refuses_an_invalid_phone(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    response = client.post(step_url("client"), {**CLIENT, "phone": "12"})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."]
    assert "Ce numéro de téléphone n'est pas valide" in html(response)


def test_it_requires_the_clients_name_and_email_to_invite_them(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    response = client.post(step_url("client"), {"invite": "now", "by_email": "on"})
    errors = response.context["form"].errors
    for name in ("first_name", "last_name", "email"):
        assert errors[name] == ["Ce champ est obligatoire pour inviter le client."]


def test_it_refuses_an_invalid_client_email(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    response = client.post(step_url("client"), {**CLIENT, "email": "claire@"})
    assert response.context["form"].errors["email"] == ["Saisissez une adresse email valide."]


def test_it_requires_a_phone_for_an_sms_invitation_and_at_least_one_channel(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    response = client.post(step_url("client"), {**CLIENT, "by_email": "", "by_sms": "on"})
    assert response.context["form"].errors["phone"] == [
        "Indiquez un numéro de mobile pour envoyer l'invitation par SMS."]
    response = client.post(step_url("client"), {**CLIENT, "by_email": ""})
    assert response.context["form"].errors["by_email"] == ["Choisissez au moins un moyen d'envoi de l'invitation."]


def test_it_refuses_collaborators_of_another_firm(world, client_for):
    client = start(client_for(world.outsider))
    post_company(client, expect="client")
    outsider_membership = Membership.objects.create(firm=world.outsider_firm, user=world.unassigned)
    response = client.post(step_url("collaborators"), {"collaborators": [world.collab_membership.pk]})
    assert response.status_code == 200
    assert "collaborators" in response.context["form"].errors
    post_collaborators(client, {"all_collaborators": "on"})
    post_client(client, invite="skip")
    folder = confirm(client)
    assert list(folder.collaborators.all()) == [outsider_membership]


# --- an email that already belongs to a user of another folder ------------------------------------------------

def go_to_confirm_with_existing_email(world, client_for, email):
    client = start(client_for(world.owner))
    post_company(client)
    post_collaborators(client, {})
    post_client(client, email=email, first_name="Adam", last_name="Admin")
    return client


def test_it_says_when_the_email_already_belongs_to_another_folders_user(world, client_for):
    client = go_to_confirm_with_existing_email(world, client_for, "ADMIN@client.example")
    response = client.get(step_url("confirm"))
    page = html(response)
    assert 'id="existing-user"' in page
    assert "appartient déjà à un utilisateur d'un autre dossier client" in page
    assert "Boulangerie Martin" in page
    assert 'value="invite_additional"' in page and 'value="cancel"' in page
    assert 'value="create"' not in page


def test_it_invites_the_same_user_to_the_additional_folder(world, client_for, client):
    users_before = User.objects.count()
    owner = go_to_confirm_with_existing_email(world, client_for, "admin@client.example")
    folder = confirm(owner, "invite_additional")
    assert User.objects.count() == users_before
    member = FolderMember.objects.get(folder=folder)
    assert member.user == world.admin and member.role == FolderMember.Role.ADMIN
    assert FolderMember.objects.filter(user=world.admin).count() == 2
    email = OutboxMessage.objects.get(to="admin@client.example")
    assert "Vous avez déjà un compte collecte" in email.body
    # They join with their current password and then see both folders.
    from conftest import PASSWORD
    response = client.post(invitation_links("admin@client.example")[0], {"password": PASSWORD})
    assert response["Location"] == reverse("folder-detail", args=[folder.pk])
    listed = client.get(reverse("folder-list")).context["page"].object_list
    assert sorted(f.name for f in listed) == ["Boulangerie Martin", "Menuiserie Dupont"]


def test_it_goes_back_to_the_client_step_on_cancel(world, client_for):
    client = go_to_confirm_with_existing_email(world, client_for, "admin@client.example")
    folders_before = ClientFolder.objects.count()
    response = client.post(step_url("confirm"), {"decision": "cancel"}, follow=True)
    assert response.redirect_chain[-1][0] == step_url("client")
    assert "Invitation annulée" in html(response)
    assert ClientFolder.objects.count() == folders_before
    assert FolderMember.objects.filter(user=world.admin).count() == 1
    post_client(client, invite="skip")
    assert 'id="existing-user"' not in html(client.get(step_url("confirm")))
    confirm(client)


# --- navigation and denial ------------------------------------------------------------------------------------

def test_it_starts_at_the_company_step_when_answers_are_missing(world, client_for):
    client = start(client_for(world.owner))
    for step in ("collaborators", "client", "confirm"):
        assert client.get(step_url(step))["Location"] == step_url("company")
    assert client.get(step_url("nonsense"))["Location"] == step_url("company")


def test_it_offers_going_back_and_keeps_the_answers(world, client_for):
    client = start(client_for(world.owner))
    post_company(client, name="Menuiserie Dupont")
    response = client.get(step_url("collaborators"))
    assert f'href="{step_url("company")}"' in html(response)
    assert 'value="Menuiserie Dupont"' in html(client.get(step_url("company")))


def test_it_restarts_from_scratch_on_start(world, client_for):
    client = start(client_for(world.owner))
    post_company(client)
    start(client)
    assert client.get(step_url("client"))["Location"] == step_url("company")


@pytest.mark.parametrize("persona", ["admin", "approver", "standard"])
def test_it_refuses_folder_users(world, client_for, persona):
    client = client_for(getattr(world, persona))
    assert client.get(START).status_code == 404
    assert client.get(step_url("company")).status_code == 404
    assert client.post(step_url("company"), {"name": "Intrus"}).status_code == 404
    assert client.post(step_url("confirm"), {"decision": "create"}).status_code == 404
    assert not ClientFolder.objects.filter(name="Intrus").exists()


def test_it_creates_the_outsiders_folder_in_their_own_firm_only(world, client_for):
    client = start(client_for(world.outsider))
    post_company(client, name="Intrus", expect="client")
    post_client(client, invite="skip")
    folder = confirm(client)
    assert folder.firm == world.outsider_firm
    assert not world.firm.folders.filter(name="Intrus").exists()
    assert client_for(world.owner).get(reverse("folder-detail", args=[folder.pk])).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    assert_login_redirect(client.get(START))
    assert_login_redirect(client.get(step_url("company")))
    assert_login_redirect(client.post(step_url("confirm"), {"decision": "create"}))


def test_it_never_names_another_firms_folders_on_the_confirm_step(world, client_for):
    beta_user = User.objects.create_user("shared@beta-client.example", first_name="Bea")
    FolderMember.objects.create(folder=world.outsider_folder, user=beta_user, role="admin")
    client = go_to_confirm_with_existing_email(world, client_for, "shared@beta-client.example")
    page = html(client.get(step_url("confirm")))
    assert "Beta Client" not in page
    assert 'id="existing-user"' not in page
    folder = confirm(client)
    assert FolderMember.objects.get(folder=folder).user == beta_user
