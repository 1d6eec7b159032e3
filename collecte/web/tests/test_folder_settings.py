"""The folder page and "Gérer → Modifier les paramètres": defaults, forwarding-confirmation recipients."""
import pytest
from django.urls import reverse

from collecte.tenancy.models import ClientFolder
from collecte.web.tests.helpers import assert_login_redirect, html

VALID = {"name": "Boulangerie Martin & Fils", "sector": "C", "base_currency": "EUR", "language": "fr",
         "timezone": "Europe/Paris", "forwarding_recipients": "admins", "forwarding_address": "",
         "sender_policy": "open", "allowed_senders": ""}


def url(world):
    return reverse("folder-settings", args=[world.folder.pk])


def detail_url(world):
    return reverse("folder-detail", args=[world.folder.pk])


@pytest.mark.parametrize("persona, role", [("owner", "Responsable du cabinet"), ("collaborator", "Collaborateur"),
                                           ("admin", "Administrateur"), ("approver", "Approbateur de dépenses"),
                                           ("standard", "Utilisateur standard")])
def test_it_shows_the_folder_page_with_the_users_role(world, client_for, persona, role):
    response = client_for(getattr(world, persona)).get(detail_url(world))
    assert response.status_code == 200
    page = html(response)
    assert "Boulangerie Martin" in page and "Cabinet Alpha" in page
    assert f"votre rôle : {role}" in page


@pytest.mark.parametrize("persona, manages", [("owner", True), ("admin", True), ("approver", False),
                                              ("standard", False)])
def test_it_offers_the_manage_link_to_managers_only(world, client_for, persona, manages):
    page = html(client_for(getattr(world, persona)).get(detail_url(world)))
    assert ("Gérer → Modifier les paramètres" in page) is manages
    assert (url(world) in page) is manages


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin"])
def test_it_saves_the_settings(world, client_for, persona):
    response = client_for(getattr(world, persona)).post(url(world), {**VALID, "base_currency": "CHF",
                                                                      "language": "en", "timezone": "Europe/Zurich"},
                                                         follow=True)
    assert response.redirect_chain[-1][0] == url(world)
    assert "Les paramètres du dossier sont enregistrés." in html(response)
    world.folder.refresh_from_db()
    assert (world.folder.name, world.folder.base_currency, world.folder.language, world.folder.timezone) == (
        "Boulangerie Martin & Fils", "CHF", "en", "Europe/Zurich")


def test_it_shows_the_current_settings(world, client_for):
    response = client_for(world.admin).get(url(world))
    assert response.status_code == 200
    page = html(response)
    assert 'value="Boulangerie Martin"' in page
    assert "Confirmations de transfert" in page
    assert "Les administrateurs du dossier" in page and "Une adresse email saisie" in page


def test_it_keeps_the_folders_own_company_ids_compact_and_checked(world, client_for):
    client = client_for(world.admin)
    response = client.post(url(world), {**VALID, "siren": "732 829 320", "vat_id": "fr 44 732829320",
                             "iban": "FR76 3000 6000 0112 3456 7890 189"})
    assert response.status_code == 302, response.context["form"].errors
    world.folder.refresh_from_db()
    assert (world.folder.siren, world.folder.vat_id, world.folder.iban) == (
        "732829320", "FR44732829320", "FR7630006000011234567890189")
    assert world.folder.own_company().vat_id == "FR44732829320"
    response = client.post(url(world), {**VALID, "siren": "732829321", "vat_id": "FR00732829320",
                                        "iban": "FR76 3000 6000 0112 3456 7890 188"})
    errors = response.context["form"].errors
    assert errors["siren"] == ["Ce SIREN n'est pas valide (9 chiffres, clé de contrôle)."]
    assert errors["vat_id"] == ["Ce numéro de TVA n'est pas valide (exemple : FR40303265045)."]
    assert errors["iban"] == ["Cet IBAN n'est pas valide."]


def test_it_requires_a_company_name(world, client_for):
    response = client_for(world.owner).post(url(world), {**VALID, "name": ""})
    assert response.context["form"].errors["name"] == ["Indiquez le nom de la société."]


def test_it_refuses_an_unknown_language_in_french(world, client_for):
    response = client_for(world.owner).post(url(world), {**VALID, "language": "xx"})
    assert response.status_code == 200
    [error] = response.context["form"].errors["language"]
    assert error.startswith("Sélectionnez un choix valide")
    world.folder.refresh_from_db()
    assert world.folder.language == "fr"


def test_it_sends_forwarding_confirmations_to_a_typed_address(world, client_for):
    client = client_for(world.owner)
    response = client.post(url(world), {**VALID, "forwarding_recipients": "address"})
    assert response.context["form"].errors["forwarding_address"] == [
        "Indiquez l'adresse qui recevra les confirmations de transfert."]
    response = client.post(url(world), {**VALID, "forwarding_recipients": "address",
                                        "forwarding_address": "compta@boulangerie.example"})
    assert response.status_code == 302
    world.folder.refresh_from_db()
    assert (world.folder.forwarding_recipients, world.folder.forwarding_address) == (
        ClientFolder.ForwardingRecipients.ADDRESS, "compta@boulangerie.example")


def test_it_sends_forwarding_confirmations_to_chosen_collaborators(world, client_for):
    client = client_for(world.owner)
    response = client.post(url(world), {**VALID, "forwarding_recipients": "collaborators"})
    assert response.context["form"].errors["forwarding_collaborators"] == ["Choisissez au moins un collaborateur."]
    response = client.post(url(world), {**VALID, "forwarding_recipients": "collaborators",
                                        "forwarding_collaborators": [world.collab_membership.pk]})
    assert response.status_code == 302
    assert list(world.folder.forwarding_collaborators.all()) == [world.collab_membership]


def test_it_refuses_forwarding_to_another_firms_staff(world, client_for):
    outsider_membership = world.outsider.memberships.get()
    response = client_for(world.owner).post(url(world), {**VALID, "forwarding_recipients": "collaborators",
                                                         "forwarding_collaborators": [outsider_membership.pk]})
    assert response.status_code == 200
    assert "forwarding_collaborators" in response.context["form"].errors
    assert not world.folder.forwarding_collaborators.exists()


@pytest.mark.parametrize("persona", ["standard", "approver"])
def test_it_forbids_settings_to_lower_roles(world, client_for, persona):
    client = client_for(getattr(world, persona))
    assert client.get(url(world)).status_code == 403
    assert client.post(url(world), {**VALID, "name": "Pirate"}).status_code == 403
    world.folder.refresh_from_db()
    assert world.folder.name == "Boulangerie Martin"


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_hides_the_folder_from_people_without_access(world, client_for, persona):
    client = client_for(getattr(world, persona))
    assert client.get(detail_url(world)).status_code == 404
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), {**VALID, "name": "Pirate"}).status_code == 404
    world.folder.refresh_from_db()
    assert world.folder.name == "Boulangerie Martin"


def test_it_hides_the_other_folder_from_its_collaborator_and_folder_users(world, client_for):
    other = reverse("folder-detail", args=[world.other_folder.pk])
    for persona in (world.collaborator, world.admin, world.standard):
        assert client_for(persona).get(other).status_code == 404


def test_it_answers_404_for_a_folder_that_does_not_exist(world, client_for):
    assert client_for(world.owner).get(reverse("folder-detail", args=[999999])).status_code == 404


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    assert_login_redirect(client.get(detail_url(world)))
    assert_login_redirect(client.get(url(world)))
    assert_login_redirect(client.post(url(world), VALID))


def test_it_offers_forwarding_only_to_staff_who_can_open_the_folder(world, client_for):
    response = client_for(world.admin).get(f"/folders/{world.folder.pk}/settings/")
    offered = set(response.context["form"].fields["forwarding_collaborators"].queryset)
    assert offered == {world.owner_membership, world.collab_membership}
    assert world.unassigned_membership not in offered


def test_it_saves_a_sender_policy_with_allowed_senders(world, client_for):
    response = client_for(world.admin).post(url(world), {**VALID, "sender_policy": "hold",
                                                         "allowed_senders": "@fournisseur.fr\ncompta@client.fr"})
    assert response.status_code == 302
    world.folder.refresh_from_db()
    assert world.folder.sender_policy == "hold"


def test_it_refuses_a_restrictive_policy_without_allowed_senders(world, client_for):
    response = client_for(world.admin).post(url(world), {**VALID, "sender_policy": "reject"})
    assert "Indiquez au moins un expéditeur autorisé" in html(response)


def test_it_names_the_lines_that_are_neither_address_nor_domain(world, client_for):
    response = client_for(world.admin).post(url(world), {**VALID, "sender_policy": "hold",
                                                         "allowed_senders": "fournisseur\n@ok.fr"})
    assert "fournisseur" in response.context["form"].errors["allowed_senders"][0]
