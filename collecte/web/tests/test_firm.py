"""The firm page: owners set the defaults of new folders and add staff; collaborators read; others get 404."""
from collecte.outbound.models import OutboxMessage
from collecte.tenancy.models import Membership


def test_it_shows_the_team_to_collaborators_without_forms(world, client_for):
    response = client_for(world.collaborator).get("/firm/")
    assert response.status_code == 200
    assert "owner@alpha.example" in response.content.decode()
    assert 'name="add_staff"' not in response.content.decode()


def test_it_saves_the_defaults_new_folders_inherit(world, client_for):
    response = client_for(world.owner).post("/firm/", {"save_settings": "1", "name": "Cabinet Alpha",
                                                       "base_currency": "CHF", "language": "en",
                                                       "timezone": "Europe/Zurich"})
    assert response.status_code == 302
    world.firm.refresh_from_db()
    assert (world.firm.base_currency, world.firm.language, world.firm.timezone) == ("CHF", "en", "Europe/Zurich")


def test_it_adds_a_collaborator_who_gets_a_set_password_link(world, client_for):
    owner = client_for(world.owner)
    response = owner.post("/firm/", {"add_staff": "1", "first_name": "Nina", "last_name": "New",
                                     "email": "Nina@Alpha.example", "role": "collaborator"})
    assert response.status_code == 302
    membership = Membership.objects.get(firm=world.firm, user__email="nina@alpha.example")
    assert membership.role == "collaborator"
    assert not membership.user.has_usable_password()
    link = next(line for line in OutboxMessage.objects.get(to="nina@alpha.example").body.splitlines() if "/password-reset/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = owner.__class__().get("/" + path, follow=True)
    assert page.status_code == 200
    assert "Nouveau mot de passe" in page.content.decode()


def test_it_refuses_an_existing_staff_member_with_a_clear_error(world, client_for):
    response = client_for(world.owner).post("/firm/", {"add_staff": "1", "first_name": "C", "last_name": "C",
                                                       "email": "collab@alpha.example", "role": "collaborator"})
    assert response.status_code == 200
    assert "fait déjà partie du cabinet" in response.content.decode()


def test_it_forbids_collaborators_to_change_the_firm(world, client_for):
    response = client_for(world.collaborator).post("/firm/", {"save_settings": "1", "name": "Hijack",
                                                              "base_currency": "EUR", "language": "fr",
                                                              "timezone": "Europe/Paris"})
    assert response.status_code == 403
    world.firm.refresh_from_db()
    assert world.firm.name == "Cabinet Alpha"


def test_it_hides_the_firm_page_from_folder_users_and_outsiders_see_only_their_own(world, client_for):
    for persona in (world.admin, world.approver, world.standard):
        assert client_for(persona).get("/firm/").status_code == 404
    assert "Cabinet Alpha" not in client_for(world.outsider).get("/firm/").content.decode()
    assert client_for(world.owner).get("/firm/").status_code == 200


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/firm/")
    assert response.status_code == 302 and "/login/" in response["Location"]
