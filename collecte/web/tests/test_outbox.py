"""The outbox: every email and SMS collecte sent or kept, shown to the people who manage the folders concerned."""
import pytest
from django.core.mail import EmailMessage
from django.urls import reverse

from collecte.outbound.backends import context_headers
from collecte.outbound.models import OutboxMessage
from collecte.tenancy import actions
from collecte.web.tests.helpers import assert_login_redirect, html

URL = reverse("outbox")


def invite(folder, email, by):
    actions.add_folder_user(folder, actions.NewFolderUser(email=email, first_name="Test"), added_by=by)


@pytest.fixture
def mail(world, client):
    """One invitation per folder (both of the firm's and the outsider's), and a password reset of the owner."""
    invite(world.folder, "in-folder@client.example", world.owner)
    invite(world.other_folder, "in-other-folder@garage.example", world.owner)
    invite(world.outsider_folder, "in-beta@beta-client.example", world.outsider)
    client.post(reverse("password_reset"), {"email": "owner@alpha.example"})
    assert OutboxMessage.objects.count() == 4
    return world


def shown(response):
    return sorted(m.to for m in response.context["page"].object_list)


def test_it_keeps_every_sent_email_in_the_outbox(mail):
    message = OutboxMessage.objects.get(to="in-folder@client.example")
    assert (message.channel, message.status) == ("email", OutboxMessage.Status.KEPT)
    assert (message.firm, message.folder) == (mail.firm, mail.folder)
    reset = OutboxMessage.objects.get(to="owner@alpha.example")
    assert (reset.firm, reset.folder) == (None, None)


def test_it_shows_the_owner_the_firms_messages(mail, client_for):
    response = client_for(mail.owner).get(URL)
    assert response.status_code == 200
    assert shown(response) == ["in-folder@client.example", "in-other-folder@garage.example"]
    page = html(response)
    assert "Boîte d'envoi" in page
    assert "Invitation à rejoindre le dossier Boulangerie Martin sur collecte" in page
    assert "Conservé (aucun serveur configuré)" in page
    assert '<a href="http://localhost:8000/invitations/' in page  # the demo works without a mail server


def test_it_shows_a_firm_message_without_folder_to_the_owner_only(mail, client_for):
    EmailMessage("Rapport du cabinet", "Corps", to=["firm@alpha.example"],
                 headers=context_headers(firm=mail.firm)).send()
    assert "firm@alpha.example" in shown(client_for(mail.owner).get(URL))
    assert "firm@alpha.example" not in shown(client_for(mail.collaborator).get(URL))
    assert "firm@alpha.example" not in shown(client_for(mail.admin).get(URL))
    assert "firm@alpha.example" not in shown(client_for(mail.outsider).get(URL))


def test_it_strips_the_context_headers_before_the_message_leaves(mail):
    message = EmailMessage("S", "B", to=["x@example.com"], headers=context_headers(firm=mail.firm, folder=mail.folder))
    message.send()
    assert "X-Collecte-Folder" not in message.extra_headers and "X-Collecte-Firm" not in message.extra_headers


def test_it_shows_an_assigned_collaborator_their_folders_messages(mail, client_for):
    assert shown(client_for(mail.collaborator).get(URL)) == ["in-folder@client.example"]


def test_it_shows_a_folder_admin_their_folders_messages(mail, client_for):
    response = client_for(mail.admin).get(URL)
    assert response.status_code == 200
    assert shown(response) == ["in-folder@client.example"]
    assert "Garage du Centre" not in html(response)


def test_it_shows_the_outsider_only_their_firms_messages(mail, client_for):
    response = client_for(mail.outsider).get(URL)
    assert response.status_code == 200
    assert shown(response) == ["in-beta@beta-client.example"]
    page = html(response)
    assert "Boulangerie Martin" not in page and "in-folder@client.example" not in page


def test_it_hides_password_reset_emails_from_firm_owners(mail, client_for):
    response = client_for(mail.owner).get(URL)
    assert "owner@alpha.example" not in shown(response)
    assert "Choisir un nouveau mot de passe collecte" not in html(response)
    assert "password-reset" not in html(response)


def test_it_shows_everything_to_staff(mail, client_for):
    mail.unassigned.is_staff = True
    mail.unassigned.save()
    assert len(shown(client_for(mail.unassigned).get(URL))) == 4


@pytest.mark.parametrize("persona", ["standard", "approver", "unassigned"])
def test_it_refuses_people_who_manage_no_folder(mail, client_for, persona):
    assert client_for(getattr(mail, persona)).get(URL).status_code == 404


def test_it_refuses_a_folder_admin_whose_access_was_removed(mail, client_for):
    actions.remove_member(mail.admin_member)
    assert client_for(mail.admin).get(URL).status_code == 404


def test_it_links_to_the_outbox_only_for_people_who_may_open_it(mail, client_for):
    folder_page = reverse("folder-detail", args=[mail.folder.pk])
    assert f'href="{URL}"' in html(client_for(mail.owner).get(folder_page))
    assert f'href="{URL}"' in html(client_for(mail.admin).get(folder_page))
    assert f'href="{URL}"' not in html(client_for(mail.standard).get(folder_page))


def test_it_pages_the_outbox(world, client_for):
    for i in range(35):
        EmailMessage(f"S{i}", "B", to=[f"r{i}@example.com"], headers=context_headers(world.firm, world.folder)).send()
    client = client_for(world.owner)
    first = client.get(URL)
    assert len(first.context["page"].object_list) == 30
    assert first.context["page"].object_list[0].subject == "S34"  # newest first
    assert len(client.get(URL, {"page": 2}).context["page"].object_list) == 5


def test_it_says_when_the_outbox_is_empty(world, client_for):
    assert "Aucun message envoyé pour l'instant." in html(client_for(world.owner).get(URL))


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    assert_login_redirect(client.get(URL))


def test_it_masks_personal_links_once_a_message_really_went_out(mail, client_for):
    message = OutboxMessage.objects.get(to="in-folder@client.example")
    assert "/invitations/" in message.body
    owner = client_for(mail.owner)
    assert "/invitations/" in owner.get(URL).content.decode()  # kept, not sent: the outbox is the only way
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxMessage.Status.SENT)
    page = owner.get(URL).content.decode()
    assert "lien personnel masqué" in page
    assert message.body.split("/invitations/")[1].split()[0] not in page
