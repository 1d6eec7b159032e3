"""Folder users (tab "Utilisateurs"): list, add and invite, change role, remove access, re-invite, revoke."""
from datetime import datetime, timezone

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from collecte.outbound.models import OutboxMessage
from collecte.tenancy import actions
from collecte.tenancy.models import FolderMember, Invitation
from collecte.web.tests.helpers import assert_login_redirect, html, invitation_links

User = get_user_model()

NEW = {"first_name": "Nina", "last_name": "Neuve", "email": "nina@client.example", "phone": "", "employee_code": "",
       "role": "standard", "by_email": "on"}


def list_url(world):
    return reverse("member-list", args=[world.folder.pk])


def add_url(world):
    return reverse("member-add", args=[world.folder.pk])


def manage_url(member):
    return reverse("member-manage", args=[member.folder_id, member.pk])


def remove_url(member):
    return reverse("member-remove", args=[member.folder_id, member.pk])


def reinvite_url(member):
    return reverse("member-reinvite", args=[member.folder_id, member.pk])


def revoke_url(invitation):
    return reverse("invitation-revoke", args=[invitation.pk])


def add(client, world, follow=False, **overrides):
    return client.post(add_url(world), {**NEW, **overrides}, follow=follow)


def invited(world, email="nina@client.example"):
    member, invitation = actions.add_folder_user(
        world.folder, actions.NewFolderUser(email=email, first_name="Nina", last_name="Neuve"), added_by=world.admin)
    return member, invitation


# --- the list -------------------------------------------------------------------------------------------------

def test_it_lists_each_user_with_role_and_last_login(world, client_for):
    world.admin.last_login = datetime(2026, 3, 5, 10, 30, tzinfo=timezone.utc)
    world.admin.save()
    response = client_for(world.owner).get(list_url(world))
    assert response.status_code == 200
    page = html(response)
    for text in ("Adam Admin", "admin@client.example", "Administrateur", "Approbateur de dépenses",
                 "Utilisateur standard", "Jamais connecté", "05/03/2026 11:30", "Ajouter un utilisateur"):
        assert text in page, text
    assert page.count("Jamais connecté") == 2  # approver and standard; times are shown in Europe/Paris
    assert {m.user for m in response.context["members"]} == {world.admin, world.approver, world.standard}


def test_it_shows_the_invitation_state_and_actions(world, client_for):
    member, invitation = invited(world)
    page = html(client_for(world.owner).get(list_url(world)))
    assert "en attente" in page
    assert revoke_url(invitation) in page
    assert reinvite_url(member) in page
    assert "Renvoyer l'invitation" in page


def test_it_says_plainly_that_sms_is_not_configured(world, client_for):
    assert "L'envoi de SMS n'est pas configuré" in html(client_for(world.owner).get(list_url(world)))


def test_it_says_nothing_about_sms_when_a_backend_is_configured(world, client_for, settings):
    settings.SMS_BACKEND = "collecte.web.tests.test_folder_users.RecordingSms"
    page = html(client_for(world.owner).get(list_url(world)))
    assert "L'envoi de SMS n'est pas configuré" not in page


# --- adding a user --------------------------------------------------------------------------------------------

def test_it_explains_each_role_in_the_form(world, client_for):
    response = client_for(world.admin).get(add_url(world))
    assert response.status_code == 200
    page = html(response)
    for text in ("Administrateur", "Approbateur de dépenses", "Utilisateur standard",
                 "Accès complet au dossier", "approuve les notes de frais",
                 "Ne voit que les documents qu'il a lui-même envoyés",
                 "Peut créer ses notes de frais de manière autonome", "Code salarié"):
        assert text in page, text


@pytest.mark.parametrize("role", ["admin", "approver", "standard"])
def test_it_adds_a_user_with_each_role_and_invites_them(world, client_for, role):
    response = add(client_for(world.owner), world, role=role, employee_code=" E-042 ",
                   can_self_submit_expenses="on", email="Nina@Client.example")
    assert response.status_code == 302 and response["Location"] == list_url(world)
    member = FolderMember.objects.get(folder=world.folder, user__email="nina@client.example")
    assert member.role == role
    assert member.employee_code == "E-042"
    assert member.can_self_submit_expenses is True
    assert member.added_by == world.owner
    assert member.personal_address() is not None
    assert member.user.first_name == "Nina" and not member.user.has_usable_password()
    invitation = Invitation.objects.get(member=member)
    assert invitation.state == "pending" and invitation.by_email and not invitation.by_sms
    message = OutboxMessage.objects.get(to="nina@client.example")
    assert message.channel == "email" and message.folder == world.folder
    assert len(invitation_links("nina@client.example")) == 1


def test_it_leaves_the_expense_option_off_by_default(world, client_for):
    add(client_for(world.admin), world)
    member = FolderMember.objects.get(user__email="nina@client.example")
    assert (member.role, member.employee_code, member.can_self_submit_expenses) == ("standard", "", False)


def test_it_confirms_the_addition_on_the_list(world, client_for):
    response = client_for(world.owner).post(add_url(world), NEW, follow=True)
    page = html(response)
    assert "Nina Neuve est ajouté au dossier et invité." in page
    assert "nina@client.example" in page and "Jamais connecté" in page


def test_it_refuses_an_email_already_in_the_folder(world, client_for):
    response = add(client_for(world.owner), world, email="  ADMIN@client.example")
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Cette personne a déjà accès à ce dossier."]
    assert FolderMember.objects.filter(user=world.admin).count() == 1


def test_it_refuses_an_invalid_email(world, client_for):
    response = add(client_for(world.owner), world, email="nina@")
    assert response.context["form"].errors["email"] == ["Saisissez une adresse email valide."]
    response = add(client_for(world.owner), world, email="")
    assert response.context["form"].errors["email"] == [
        "L'email est obligatoire : c'est l'identifiant de connexion."]
    assert not User.objects.filter(email__startswith="nina").exists()


def test_it_requires_first_and_last_name(world, client_for):
    response = add(client_for(world.owner), world, first_name="", last_name="")
    errors = response.context["form"].errors
    assert errors["first_name"] == ["Indiquez le prénom."] and errors["last_name"] == ["Indiquez le nom."]


def test_it_refuses_an_invalid_phone(world, client_for):
    response = add(client_for(world.owner), world, phone="0000")
    assert response.context["form"].errors["phone"] == [
        "Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."]


def test_it_requires_a_phone_for_an_sms_invitation(world, client_for):
    response = add(client_for(world.owner), world, by_sms="on")
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "Indiquez un numéro de mobile pour envoyer l'invitation par SMS."]
    assert "Indiquez un numéro de mobile" in html(response)


def test_it_requires_at_least_one_channel(world, client_for):
    response = add(client_for(world.owner), world, by_email="")
    assert response.context["form"].errors["by_email"] == ["Choisissez au moins un moyen d'envoi de l'invitation."]


def test_it_keeps_an_sms_in_the_outbox_when_no_sms_backend_is_configured(world, client_for):
    client = client_for(world.owner)
    assert "SMS non configuré" in html(client.get(add_url(world)))
    response = add(client, world, phone="06 12 34 56 78", by_sms="on", by_email="", follow=True)
    assert response.status_code == 200
    sms = OutboxMessage.objects.get(channel="sms")
    assert (sms.to, sms.status, sms.folder) == ("+33612345678", OutboxMessage.Status.KEPT, world.folder)
    assert "/invitations/" in sms.body
    assert not OutboxMessage.objects.filter(channel="email").exists()
    assert "L'envoi de SMS n'est pas configuré" in html(response)
    outbox = html(client.get(reverse("outbox")))
    assert "Conservé (aucun serveur configuré)" in outbox and "+33612345678" in outbox
    assert "L'envoi de SMS n'est pas configuré" in outbox


class RecordingSms:
    sent = []

    def send(self, to, body):
        RecordingSms.sent.append((to, body))


def test_it_sends_the_sms_through_a_configured_backend(world, client_for, settings):
    settings.SMS_BACKEND = "collecte.web.tests.test_folder_users.RecordingSms"
    RecordingSms.sent.clear()
    add(client_for(world.owner), world, phone="+33 6 12 34 56 78", by_sms="on")
    assert [to for to, _body in RecordingSms.sent] == ["+33612345678"]
    assert OutboxMessage.objects.get(channel="sms").status == OutboxMessage.Status.SENT


def test_it_adds_a_user_of_another_folder_under_the_same_account(world, client_for):
    users_before = User.objects.count()
    response = client_for(world.owner).post(reverse("member-add", args=[world.other_folder.pk]),
                                            {**NEW, "email": "standard@client.example"})
    assert response.status_code == 302
    assert User.objects.count() == users_before
    assert FolderMember.objects.get(folder=world.other_folder).user == world.standard


def test_it_gives_access_back_to_a_removed_user_on_the_same_row(world, client_for):
    actions.remove_member(world.standard_member)
    response = add(client_for(world.owner), world, email="standard@client.example", role="approver")
    assert response.status_code == 302
    world.standard_member.refresh_from_db()
    assert world.standard_member.is_active and world.standard_member.role == "approver"
    assert FolderMember.objects.filter(user=world.standard).count() == 1


# --- managing a user ------------------------------------------------------------------------------------------

def test_it_changes_the_role(world, client_for):
    client = client_for(world.admin)
    page = html(client.get(manage_url(world.standard_member)))
    assert "Retirer l'accès" in page and "Approbateur de dépenses" in page
    response = client.post(manage_url(world.standard_member),
                           {"role": "approver", "employee_code": "S-7", "can_self_submit_expenses": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == list_url(world)
    assert "Le rôle de Stan Standard est enregistré." in html(response)
    world.standard_member.refresh_from_db()
    assert (world.standard_member.role, world.standard_member.employee_code) == ("approver", "S-7")
    assert world.standard_member.can_self_submit_expenses is True
    from collecte.tenancy.access import folder_access
    assert folder_access(world.standard, world.folder).can_see_all_documents


def test_it_refuses_an_unknown_role(world, client_for):
    response = client_for(world.owner).post(manage_url(world.standard_member), {"role": "owner"})
    assert response.status_code == 200 and "role" in response.context["form"].errors
    world.standard_member.refresh_from_db()
    assert world.standard_member.role == "standard"


def test_it_removes_access_but_keeps_the_row(world, client_for):
    member, invitation = invited(world)
    response = client_for(world.owner).post(remove_url(member), follow=True)
    assert response.redirect_chain[-1][0] == list_url(world)
    assert "n'a plus accès au dossier ; ses documents restent." in html(response)
    member.refresh_from_db()
    assert member.removed_at is not None
    assert FolderMember.objects.filter(pk=member.pk).exists()
    assert member not in response.context["members"]
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_it_takes_the_folder_away_from_a_removed_user(world, client_for):
    client = client_for(world.standard)
    folder_url = reverse("folder-detail", args=[world.folder.pk])
    assert client.get(folder_url).status_code == 200
    assert client_for(world.admin).post(remove_url(world.standard_member)).status_code == 302
    assert client.get(folder_url).status_code == 404
    assert list(client.get(reverse("folder-list")).context["page"].object_list) == []


def test_it_refuses_to_remove_by_get(world, client_for):
    assert client_for(world.owner).get(remove_url(world.standard_member)).status_code == 405
    world.standard_member.refresh_from_db()
    assert world.standard_member.is_active


def test_it_resends_a_pending_invitation_and_the_older_link_stops_working(world, client_for, client):
    member, invitation = invited(world)
    first_link = invitation_links("nina@client.example")[0]
    response = client_for(world.owner).post(reinvite_url(member), follow=True)
    assert "Invitation envoyée à nina@client.example." in html(response)
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert Invitation.objects.filter(member=member).count() == 1
    links = invitation_links("nina@client.example")
    assert len(links) == 2 and links[0] == first_link
    assert client.get(first_link).status_code == 410
    assert client.get(links[1]).status_code == 200


def test_it_invites_again_after_a_revoked_invitation(world, client_for):
    member, invitation = invited(world)
    actions.revoke_invitation(invitation)
    client_for(world.owner).post(reinvite_url(member))
    assert Invitation.objects.filter(member=member).count() == 2
    assert member.invitations.pending().count() == 1


def test_it_invites_a_user_who_never_had_an_invitation(world, client_for):
    assert client_for(world.owner).post(reinvite_url(world.approver_member)).status_code == 302
    assert world.approver_member.invitations.pending().count() == 1
    assert OutboxMessage.objects.filter(to="approver@client.example").count() == 1


def test_it_does_not_reinvite_a_removed_user(world, client_for):
    member, _invitation = invited(world)
    actions.remove_member(member)
    sent_before = OutboxMessage.objects.count()
    assert client_for(world.owner).post(reinvite_url(member)).status_code == 404
    assert OutboxMessage.objects.count() == sent_before
    assert not member.invitations.pending().exists()


def test_it_revokes_an_invitation(world, client_for, client):
    member, invitation = invited(world)
    link = invitation_links("nina@client.example")[0]
    response = client_for(world.admin).post(revoke_url(invitation), follow=True)
    assert response.redirect_chain[-1][0] == list_url(world)
    assert "L'invitation de nina@client.example est annulée." in html(response)
    invitation.refresh_from_db()
    assert invitation.state == "revoked"
    assert client.get(link).status_code == 410
    assert "annulée" in html(client.get(link))


def test_it_refuses_to_revoke_an_accepted_invitation(world, client_for):
    member, invitation = invited(world)
    actions.accept_invitation(invitation, "un-mot-de-passe-solide")
    response = client_for(world.owner).post(revoke_url(invitation), follow=True)
    assert "Cette invitation a déjà été acceptée." in html(response)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# --- denial ---------------------------------------------------------------------------------------------------

def every_url(world, invitation):
    member = world.standard_member
    return [("get", list_url(world)), ("get", add_url(world)), ("post", add_url(world)),
            ("get", manage_url(member)), ("post", manage_url(member)), ("post", remove_url(member)),
            ("post", reinvite_url(member)), ("post", revoke_url(invitation))]


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_hides_the_users_tab_from_people_without_access(world, client_for, persona):
    _member, invitation = invited(world)
    client = client_for(getattr(world, persona))
    for method, url in every_url(world, invitation):
        data = {**NEW, "role": "admin"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    world.standard_member.refresh_from_db()
    assert world.standard_member.is_active and world.standard_member.role == "standard"
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    assert not FolderMember.objects.filter(user__email="nina@client.example", role="admin").exists()


@pytest.mark.parametrize("persona", ["standard", "approver"])
def test_it_forbids_the_users_tab_to_lower_roles(world, client_for, persona):
    _member, invitation = invited(world)
    client = client_for(getattr(world, persona))
    for method, url in every_url(world, invitation):
        data = {**NEW, "role": "admin"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 403, (method, url)
    world.standard_member.refresh_from_db()
    assert world.standard_member.is_active and world.standard_member.role == "standard"
    invitation.refresh_from_db()
    assert invitation.state == "pending"


@pytest.mark.parametrize("persona", ["standard", "approver"])
def test_it_hides_the_users_tab_link_from_lower_roles(world, client_for, persona):
    page = html(client_for(getattr(world, persona)).get(reverse("folder-detail", args=[world.folder.pk])))
    assert list_url(world) not in page


def test_it_does_not_manage_a_user_of_another_folder_through_this_folders_url(world, client_for):
    outsider_member = FolderMember.objects.create(folder=world.outsider_folder, user=world.standard)
    for url in (manage_url(outsider_member), remove_url(outsider_member), reinvite_url(outsider_member)):
        url = url.replace(f"/folders/{world.outsider_folder.pk}/", f"/folders/{world.folder.pk}/")
        assert client_for(world.owner).post(url).status_code == 404
    outsider_member.refresh_from_db()
    assert outsider_member.is_active


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    _member, invitation = invited(world)
    for method, url in every_url(world, invitation):
        assert_login_redirect(getattr(client, method)(url))


def test_it_texts_an_existing_account_only_at_the_number_on_file(world, client_for):
    """A number typed for an existing account (perhaps another firm's) must not receive its invitation link."""
    from collecte.outbound.models import OutboxMessage

    world.approver.phone = "+33611111111"
    world.approver.save()
    actions.remove_member(world.approver_member)
    response = client_for(world.owner).post(f"/folders/{world.folder.pk}/users/add/", {
        "first_name": "A", "last_name": "B", "email": world.approver.email, "phone": "06 98 76 54 32",
        "role": "approver", "by_sms": "on"})
    assert response.status_code == 302, response.context["form"].errors
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.to == "+33611111111"
    world.approver.refresh_from_db()
    assert world.approver.phone == "+33611111111"
