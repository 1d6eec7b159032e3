""""Mes clients": the folders each persona can see, with search (full page and the htmx rows)."""
import pytest
from django.urls import reverse

from collecte.tenancy import actions
from collecte.tenancy.models import ClientFolder
from collecte.web.tests.helpers import assert_login_redirect, html

URL = reverse("folder-list")


def listed(response):
    return sorted(f.name for f in response.context["page"].object_list)


def test_it_sends_home_to_the_folder_list(world, client_for):
    response = client_for(world.owner).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == URL


def test_it_lists_every_folder_of_the_firm_for_the_owner(world, client_for):
    response = client_for(world.owner).get(URL)
    assert response.status_code == 200
    assert listed(response) == ["Boulangerie Martin", "Garage du Centre"]
    page = html(response)
    assert "Mes clients" in page
    assert "Cabinet Alpha" in page
    assert "2 dossiers" in page
    assert "Beta Client" not in page
    assert reverse("folder-detail", args=[world.folder.pk]) in page
    assert "Créer un dossier client" in page


def test_it_lists_only_assigned_folders_for_a_collaborator(world, client_for):
    response = client_for(world.collaborator).get(URL)
    assert listed(response) == ["Boulangerie Martin"]
    assert "Garage du Centre" not in html(response)


def test_it_lists_nothing_for_an_unassigned_collaborator(world, client_for):
    response = client_for(world.unassigned).get(URL)
    assert listed(response) == []
    assert "Aucun dossier pour l'instant." in html(response)


@pytest.mark.parametrize("persona", ["admin", "approver", "standard"])
def test_it_lists_their_folder_for_folder_users(world, client_for, persona):
    response = client_for(getattr(world, persona)).get(URL)
    assert listed(response) == ["Boulangerie Martin"]
    page = html(response)
    assert "Mes dossiers" in page
    assert "Mes clients" not in page
    assert "Créer un dossier client" not in page


def test_it_shows_the_outsider_nothing_of_the_other_firm(world, client_for):
    response = client_for(world.outsider).get(URL)
    assert listed(response) == ["Beta Client"]
    page = html(response)
    assert "Boulangerie Martin" not in page and "Garage du Centre" not in page and "Cabinet Alpha" not in page


def test_it_does_not_list_a_folder_after_access_is_removed(world, client_for):
    actions.remove_member(world.standard_member)
    assert listed(client_for(world.standard).get(URL)) == []


def test_it_searches_by_name_case_insensitively(world, client_for):
    client = client_for(world.owner)
    assert listed(client.get(URL, {"q": "boulANGERIE"})) == ["Boulangerie Martin"]
    assert listed(client.get(URL, {"q": "garage"})) == ["Garage du Centre"]
    response = client.get(URL, {"q": "  centre "})
    assert listed(response) == ["Garage du Centre"]
    assert 'value="centre"' in html(response)


def test_it_says_when_nothing_matches_the_search(world, client_for):
    response = client_for(world.owner).get(URL, {"q": "zzz"})
    assert listed(response) == []
    assert "Aucun dossier ne correspond à « zzz »." in html(response)


def test_it_matches_only_the_names_searched_for_not_every_address_suffix(world, client_for):
    """Every folder has addresses `<name>-achats…` and `<name>-ventes…`: searching "ventes" must find the
    company called Ventes, not every folder of the firm."""
    actions.create_client_folder(world.owner_membership, "Ventes Privées SA")
    response = client_for(world.owner).get(URL, {"q": "ventes"})
    assert listed(response) == ["Ventes Privées SA"]


def test_it_never_finds_folders_out_of_reach(world, client_for):
    assert listed(client_for(world.outsider).get(URL, {"q": "Boulangerie"})) == []
    assert listed(client_for(world.collaborator).get(URL, {"q": "Garage"})) == []
    assert listed(client_for(world.standard).get(URL, {"q": "Garage"})) == []


def test_it_returns_only_the_rows_to_htmx(world, client_for):
    response = client_for(world.owner).get(URL, {"q": "boul"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = html(response)
    assert "<html" not in page
    assert "<table" in page
    assert "Boulangerie Martin" in page and "Garage du Centre" not in page
    empty = html(client_for(world.owner).get(URL, {"q": "zzz"}, headers={"HX-Request": "true"}))
    assert "<html" not in empty and "Aucun dossier ne correspond" in empty


def test_it_returns_no_foreign_rows_to_htmx(world, client_for):
    response = client_for(world.outsider).get(URL, {"q": "Boulangerie"}, headers={"HX-Request": "true"})
    assert "Boulangerie" in html(response)  # only in the "nothing matches « Boulangerie »" sentence
    assert reverse("folder-detail", args=[world.folder.pk]) not in html(response)
    assert listed(response) == []


def test_it_shows_the_sector_of_each_folder(world, client_for):
    assert "Industrie manufacturière" in html(client_for(world.owner).get(URL))


def test_it_pages_long_lists(world, client_for):
    ClientFolder.objects.bulk_create(ClientFolder(firm=world.firm, name=f"Client {i:03}") for i in range(60))
    client = client_for(world.owner)
    first = client.get(URL)
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 sur 2" in html(first)
    second = client.get(URL, {"page": 2})
    assert len(second.context["page"].object_list) == 12


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    assert_login_redirect(client.get(URL))
    assert_login_redirect(client.get(URL, headers={"HX-Request": "true"}))


def test_it_finds_a_folder_by_a_pasted_dedicated_address(world, client_for):
    address = world.other_folder.folder_addresses()[0]
    client = client_for(world.owner)
    assert listed(client.get(URL, {"q": address.email})) == ["Garage du Centre"]
    assert listed(client.get(URL, {"q": address.token.upper()})) == ["Garage du Centre"]
    outsider_address = world.outsider_folder.folder_addresses()[0]
    assert listed(client.get(URL, {"q": outsider_address.email})) == []
