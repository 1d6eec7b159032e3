"""Invitation links: single use, expiring, revocable, replaced on resend; the accept page sets a password."""
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from collecte.tenancy import actions
from collecte.tenancy.models import FolderMember
from collecte.web.tests.helpers import html, invitation_links, last_invitation_link
from conftest import PASSWORD

EMAIL = "nina@client.example"
NEW_PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def invited(world):
    """Nina, a new folder user invited by the folder admin; returns her invitation."""
    _member, invitation = actions.add_folder_user(
        world.folder, actions.NewFolderUser(email=EMAIL, first_name="Nina", last_name="Neuve"), added_by=world.admin)
    return invitation


def choose_password(client, link, password=NEW_PASSWORD, confirmation=None):
    return client.post(link, {"password1": password, "password2": confirmation or password})


def assert_problem(response, message):
    assert response.status_code == 410
    page = html(response)
    assert "Cette invitation ne peut pas être utilisée" in page
    assert message in page
    return page


# --- accepting ------------------------------------------------------------------------------------------------

def test_it_emails_a_link_in_french(world, invited):
    from collecte.outbound.models import OutboxMessage
    email = OutboxMessage.objects.get(to=EMAIL)
    assert email.subject == "Invitation à rejoindre le dossier Boulangerie Martin sur collecte"
    assert "Bonjour Nina," in email.body
    assert "Adam Admin (Cabinet Alpha) vous invite à rejoindre le dossier Boulangerie Martin" in email.body
    assert "Ouvrez ce lien pour choisir votre mot de passe" in email.body
    assert "expire dans 7 jours" in email.body
    assert email.body.count("/invitations/") == 1


def test_it_shows_the_accept_page(world, invited, client):
    response = client.get(last_invitation_link(EMAIL))
    assert response.status_code == 200
    page = html(response)
    assert "Rejoindre Boulangerie Martin" in page
    assert "Cabinet Alpha vous invite sur collecte. Votre identifiant : nina@client.example." in page
    assert 'name="password1"' in page and 'name="password2"' in page


def test_it_sets_the_password_logs_in_and_lands_on_the_folder(world, invited, client):
    response = choose_password(client, last_invitation_link(EMAIL))
    assert response.status_code == 302
    assert response["Location"] == reverse("folder-detail", args=[world.folder.pk])
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert landing.context["user"].email == EMAIL
    assert "Votre adresse personnelle" in html(landing)
    invited.refresh_from_db()
    assert invited.state == "accepted"
    user = invited.member.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.last_login is not None


def test_it_shows_the_login_as_done_in_the_users_list(world, invited, client, client_for):
    choose_password(client, last_invitation_link(EMAIL))
    page = html(client_for(world.owner).get(reverse("member-list", args=[world.folder.pk])))
    row = page[page.index(f'data-email="{EMAIL}"'):]
    row = row[:row.index("</tr>")]
    assert "Jamais connecté" not in row and "acceptée" in row


def test_it_lets_the_new_user_log_in_with_the_chosen_password(world, invited, client):
    choose_password(client, last_invitation_link(EMAIL))
    client.post(reverse("logout"))
    response = client.post(reverse("login"), {"username": EMAIL, "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_it_refuses_a_weak_password(world, invited, client):
    link = last_invitation_link(EMAIL)
    response = choose_password(client, link, "court")
    assert response.status_code == 200
    assert "Ce mot de passe est trop court. Il doit contenir au minimum 10 caractères." in \
        response.context["form"].errors["password1"]
    response = choose_password(client, link, "48213957046")
    assert "Ce mot de passe est entièrement numérique." in response.context["form"].errors["password1"]
    invited.refresh_from_db()
    assert invited.state == "pending"
    assert not invited.member.user.has_usable_password()


def test_it_refuses_passwords_that_do_not_match(world, invited, client):
    response = choose_password(client, last_invitation_link(EMAIL), NEW_PASSWORD, NEW_PASSWORD + "x")
    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["Les deux mots de passe ne correspondent pas."]
    assert "Les deux mots de passe ne correspondent pas." in html(response)
    invited.refresh_from_db()
    assert invited.state == "pending"


def test_it_asks_an_existing_user_for_their_current_password(world, client):
    _member, invitation = actions.add_folder_user(
        world.other_folder, actions.NewFolderUser(email="standard@client.example"), added_by=world.owner)
    link = last_invitation_link("standard@client.example")
    page = html(client.get(link))
    assert "Vous avez déjà un compte collecte avec cette adresse" in page
    assert 'name="password"' in page and 'name="password1"' not in page
    response = client.post(link, {"password": "not-my-password"})
    assert response.status_code == 200
    assert response.context["form"].errors["password"] == ["Mot de passe incorrect."]
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    response = client.post(link, {"password": PASSWORD, "password1": "hijack-attempt-123", "password2": "x"})
    assert response["Location"] == reverse("folder-detail", args=[world.other_folder.pk])
    world.standard.refresh_from_db()
    assert world.standard.check_password(PASSWORD)
    listed = client.get(reverse("folder-list")).context["page"].object_list
    assert sorted(f.name for f in listed) == ["Boulangerie Martin", "Garage du Centre"]


# --- links that cannot be used --------------------------------------------------------------------------------

def test_it_uses_a_link_only_once(world, invited, client, settings):
    link = last_invitation_link(EMAIL)
    choose_password(client, link)
    client.post(reverse("logout"))
    page = assert_problem(client.get(link), "Cette invitation a déjà été utilisée.")
    assert "Demandez une nouvelle invitation à Adam Admin (admin@client.example)." in page
    assert "connectez-vous simplement" in page
    # A second POST does not change the password nor log anyone in.
    response = choose_password(client, link, "un-autre-mot-de-passe")
    assert response.status_code == 410
    user = invited.member.user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("folder-detail", args=[world.folder.pk])).status_code == 302


def test_it_explains_an_expired_link(world, invited, client):
    link = last_invitation_link(EMAIL)
    invited.expires_at = timezone.now() - timedelta(minutes=1)
    invited.save()
    page = assert_problem(client.get(link), "Ce lien d'invitation a expiré.")
    assert "Demandez une nouvelle invitation à Adam Admin (admin@client.example)." in page
    assert choose_password(client, link).status_code == 410
    assert not invited.member.user.has_usable_password()


def test_it_explains_a_link_signed_more_than_seven_days_ago(world, invited, client, monkeypatch):
    eight_days_ago = time.time() - 8 * 86400
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: eight_days_ago)
        old_link = actions.invitation_link(invited)
    assert_problem(client.get(old_link.removeprefix("http://localhost:8000")), "Ce lien d'invitation a expiré.")


def test_it_explains_a_revoked_link(world, invited, client):
    link = last_invitation_link(EMAIL)
    actions.revoke_invitation(invited)
    page = assert_problem(client.get(link), "Cette invitation a été annulée.")
    assert "Adam Admin (admin@client.example)" in page


def test_it_explains_a_link_of_a_user_whose_access_was_removed(world, invited, client):
    link = last_invitation_link(EMAIL)
    actions.remove_member(invited.member)
    assert_problem(client.get(link), "Cette invitation a été annulée.")
    assert choose_password(client, link).status_code == 410


def test_it_replaces_the_older_link_on_resend(world, invited, client):
    first = last_invitation_link(EMAIL)
    actions.resend_invitation(invited)
    links = invitation_links(EMAIL)
    assert len(links) == 2 and links[0] == first and links[1] != first
    page = assert_problem(client.get(first), "Ce lien a été remplacé par un envoi plus récent.")
    assert "Adam Admin" in page
    assert choose_password(client, first).status_code == 410
    assert choose_password(client, links[1]).status_code == 302


def test_it_kills_the_previous_invitation_when_a_new_one_is_made(world, invited, client):
    first = last_invitation_link(EMAIL)
    actions.invite(invited.member, world.owner)
    assert_problem(client.get(first), "Cette invitation a été annulée.")
    assert choose_password(client, last_invitation_link(EMAIL)).status_code == 302


@pytest.mark.parametrize("mangle", [
    lambda token: token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),
    lambda token: "x" + token,
    lambda token: "not-a-token",
])
def test_it_refuses_a_tampered_link(world, invited, client, mangle):
    token = last_invitation_link(EMAIL).rstrip("/").rsplit("/", 1)[-1]
    response = client.get(reverse("invitation-accept", args=[mangle(token)]))
    page = assert_problem(response, "Ce lien d'invitation n'est pas valide.")
    assert "Demandez une nouvelle invitation à la personne qui vous a invité, ou à votre cabinet comptable." in page
    assert "Adam Admin" not in page


def test_it_refuses_a_validly_signed_link_to_an_unknown_invitation(world, client):
    token = signing.dumps({"i": 999999, "n": "x"}, salt=actions.INVITATION_SALT, compress=True)
    assert_problem(client.get(reverse("invitation-accept", args=[token])), "Ce lien d'invitation n'est pas valide.")


def test_it_refuses_a_token_signed_for_another_purpose(world, invited, client):
    token = signing.dumps({"i": invited.pk, "n": invited.nonce}, compress=True)
    assert_problem(client.get(reverse("invitation-accept", args=[token])), "Ce lien d'invitation n'est pas valide.")


def test_it_keeps_the_folder_member_row_when_accepting(world, invited, client):
    choose_password(client, last_invitation_link(EMAIL))
    member = FolderMember.objects.get(folder=world.folder, user__email=EMAIL)
    assert member.is_active and member.role == "standard"


def test_it_rate_limits_password_guesses_on_the_accept_page_like_the_login(world, client):
    """Whoever holds the link (a folder admin reads it in the outbox) must not get an unthrottled password oracle
    for an existing account: the login's rate limit applies here too."""
    actions.add_folder_user(world.other_folder, actions.NewFolderUser(email="standard@client.example"),
                            added_by=world.owner)
    link = last_invitation_link("standard@client.example")
    for _ in range(5):
        assert client.post(link, {"password": "a-wrong-guess"}).status_code == 200
    response = client.post(link, {"password": PASSWORD})
    assert response.status_code == 200
    assert "Trop de tentatives" in html(response)
    assert not FolderMember.objects.get(folder=world.other_folder).invitations.filter(
        accepted_at__isnull=False).exists()


def test_it_never_lets_another_folders_link_choose_a_pending_accounts_password(world, client_for):
    """Account takeover guard: Beta invites someone (no password yet); Alpha's admin adds the same email and
    reads Alpha's invitation link in Alpha's outbox. That link must not set the password."""
    from collecte.tenancy.models import FolderMember

    actions.add_folder_user(world.outsider_folder, actions.NewFolderUser(email="victim@client.example",
                                                                         first_name="V"), added_by=world.outsider)
    member, invitation = actions.add_folder_user(world.folder, actions.NewFolderUser(
        email="victim@client.example", first_name="V", by_sms=True, phone="+33698765432"), added_by=world.admin)
    assert member.created_user is False
    link = actions.invitation_link(invitation).split("://", 1)[1].split("/", 1)[1]
    anonymous = client_for(world.admin).__class__()
    page = anonymous.get("/" + link)
    assert "ne peut pas le choisir" in html(page)
    posted = anonymous.post("/" + link, {"password1": "attacker-pass-12345", "password2": "attacker-pass-12345"})
    assert posted.status_code == 200
    victim = FolderMember.objects.get(folder=world.outsider_folder).user
    victim.refresh_from_db()
    assert not victim.has_usable_password()
    assert "_auth_user_id" not in anonymous.session
    with pytest.raises(actions.InvitationProblem):
        actions.accept_invitation(invitation, password="attacker-pass-12345")


def test_it_builds_password_reset_links_from_the_public_url_not_the_host_header(world, client, settings):
    from collecte.outbound.models import OutboxMessage

    settings.ALLOWED_HOSTS = ["*"]  # even a deployment that answers any Host header
    client.post("/password-reset/", {"email": world.owner.email}, HTTP_HOST="evil.example")
    body = OutboxMessage.objects.get(to=world.owner.email).body
    assert "evil.example" not in body
    assert "http://localhost:8000/password-reset/" in body
