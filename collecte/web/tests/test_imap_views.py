"""The folder's "Boîtes IMAP" tab: managers list, add, edit, test, poll and delete mailboxes; nobody else may; the
password is never written back into a page."""
import pytest
from django.urls import reverse

from collecte.intake.models import ImapMailbox, InboundMessage
from collecte.intake.tests.dovecot import dovecot, imap_account  # noqa: F401  (fixtures)
from collecte.web.tests.helpers import assert_login_redirect, field_errors, html

SECRET = "Tr3s-Secret-Pass!"


def form_data(**overrides):
    data = {"module": "purchases", "host": "127.0.0.1", "port": "143", "security": "none", "username": "compta",
            "auth": "password", "secret": SECRET, "imap_folder": "INBOX", "selection": "unseen", "since_date": "",
            "after_action": "mark_seen", "move_to": "", "poll_interval_minutes": "5", "enabled": "on"}
    data.update(overrides)
    return data


def make_mailbox(folder, secret=SECRET, **fields):
    values = {"host": "127.0.0.1", "port": 143, "security": "none", "username": "compta", **fields}
    mailbox = ImapMailbox(folder=folder, **values)
    mailbox.set_secret(secret)
    mailbox.save()
    return mailbox


def list_url(world):
    return reverse("imap-list", args=[world.folder.pk])


def mailbox_urls(folder_id, mailbox_id):
    return {name: reverse(f"imap-{name}", args=[folder_id, mailbox_id]) for name in ("edit", "test", "poll",
                                                                                      "delete")}


# --- managers -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona, manages", [("owner", True), ("collaborator", True), ("admin", True),
                                              ("approver", False), ("standard", False)])
def test_the_tab_is_offered_to_managers_only(world, client_for, persona, manages):
    page = html(client_for(getattr(world, persona)).get(reverse("folder-detail", args=[world.folder.pk])))
    assert ("Boîtes IMAP" in page) is manages
    assert (list_url(world) in page) is manages


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin"])
def test_managers_add_a_mailbox_with_an_encrypted_secret(world, client_for, persona):
    response = client_for(getattr(world, persona)).post(reverse("imap-add", args=[world.folder.pk]), form_data(),
                                                        follow=True)
    assert response.redirect_chain[-1][0] == list_url(world)
    mailbox = ImapMailbox.objects.get(folder=world.folder)
    assert (mailbox.host, mailbox.username, mailbox.module, mailbox.poll_interval_minutes) == (
        "127.0.0.1", "compta", "purchases", 5)
    assert SECRET not in mailbox.secret_encrypted and mailbox.get_secret() == SECRET
    page = html(response)
    assert "La boîte compta@127.0.0.1 est ajoutée." in page
    assert SECRET not in page


def test_the_list_shows_the_last_poll_and_its_error(world, client_for):
    from django.utils import timezone

    make_mailbox(world.folder, username="factures@boulangerie.example", last_polled_at=timezone.now(),
                 last_error="Identifiant ou mot de passe refusé par le serveur IMAP.")
    make_mailbox(world.folder, username="ventes@boulangerie.example")
    page = html(client_for(world.admin).get(list_url(world)))
    assert "factures@boulangerie.example" in page and "ventes@boulangerie.example" in page
    assert "Identifiant ou mot de passe refusé par le serveur IMAP." in page
    assert "Jamais relevée" in page
    assert "Tester la connexion" in page and "Relever maintenant" in page
    assert SECRET not in page


def test_the_add_form_documents_xoauth2(world, client_for):
    page = html(client_for(world.owner).get(reverse("imap-add", args=[world.folder.pk])))
    assert "IMAP.AccessAsUser.All" in page and "https://mail.google.com/" in page
    assert "expire au bout d'une heure environ" in page and "ne le renouvelle pas encore automatiquement" in page


def test_a_new_mailbox_needs_its_secret(world, client_for):
    response = client_for(world.owner).post(reverse("imap-add", args=[world.folder.pk]), form_data(secret=""))
    assert field_errors(response, "secret") == ["Saisissez le mot de passe de la boîte (ou le jeton d'accès OAuth2)."]
    assert not ImapMailbox.objects.exists()


def test_clear_text_is_refused_for_a_remote_server(world, client_for):
    response = client_for(world.owner).post(reverse("imap-add", args=[world.folder.pk]),
                                            form_data(host="imap.example.com"))
    [error] = field_errors(response, "security")
    assert "n'est permis que pour un serveur local (localhost ou 127.0.0.1)" in error
    assert not ImapMailbox.objects.exists()
    assert SECRET not in html(response)  # the typed password is not sent back in the re-displayed form


@pytest.mark.parametrize("overrides, field, message", [
    ({"selection": "since"}, "since_date", "Indiquez la date à partir de laquelle relever les messages."),
    ({"after_action": "move"}, "move_to", "Indiquez le dossier IMAP où déplacer les messages relevés."),
    ({"after_action": "move", "move_to": "INBOX"}, "move_to",
     "Le dossier de destination doit être différent du dossier relevé."),
    ({"poll_interval_minutes": "0"}, "poll_interval_minutes", None),
    ({"security": "starttls", "port": "993", "host": "imap.example.com"}, "port",
     "Le port 993 s'utilise avec SSL/TLS ; STARTTLS se fait sur le port 143."),
])
def test_the_form_explains_inconsistent_settings(world, client_for, overrides, field, message):
    response = client_for(world.owner).post(reverse("imap-add", args=[world.folder.pk]), form_data(**overrides))
    errors = field_errors(response, field)
    assert errors and (message is None or errors == [message])


def test_editing_with_an_empty_secret_keeps_the_stored_one(world, client_for):
    mailbox = make_mailbox(world.folder)
    urls = mailbox_urls(world.folder.pk, mailbox.pk)
    client = client_for(world.admin)
    page = html(client.get(urls["edit"]))
    assert 'value="compta"' in page and SECRET not in page
    assert "enregistré — laisser vide pour le garder" in page
    response = client.post(urls["edit"], form_data(secret="", imap_folder="Factures", poll_interval_minutes="15"))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.imap_folder, mailbox.poll_interval_minutes, mailbox.get_secret()) == ("Factures", 15, SECRET)


def test_editing_with_a_new_secret_replaces_it(world, client_for):
    mailbox = make_mailbox(world.folder)
    response = client_for(world.owner).post(mailbox_urls(world.folder.pk, mailbox.pk)["edit"],
                                            form_data(secret="nouveau-mot-de-passe"))
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.get_secret() == "nouveau-mot-de-passe"


def test_the_stored_secret_is_never_sent_to_a_new_server(world, client_for):
    mailbox = make_mailbox(world.folder)
    url = mailbox_urls(world.folder.pk, mailbox.pk)["edit"]
    client = client_for(world.admin)
    response = client.post(url, form_data(secret="", host="localhost"))
    [error] = field_errors(response, "secret")
    assert error.startswith("Le serveur, le port, la sécurité ou l'identifiant a changé")
    mailbox.refresh_from_db()
    assert mailbox.host == "127.0.0.1"
    assert client.post(url, form_data(secret="pour-localhost", host="localhost")).status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.host, mailbox.get_secret()) == ("localhost", "pour-localhost")


def test_the_connection_test_button_shows_the_result(world, client_for, dovecot, imap_account):  # noqa: F811
    username, password = imap_account
    good = make_mailbox(world.folder, secret=password, port=dovecot.port, username=username)
    bad = make_mailbox(world.folder, secret="pas-le-bon", port=dovecot.port, username=username)
    client = client_for(world.owner)
    page = html(client.post(mailbox_urls(world.folder.pk, good.pk)["test"], follow=True))
    assert f"{good.label} : Connexion réussie : 0 message(s) dans « INBOX », dont 0 non lu(s)." in page
    page = html(client.post(mailbox_urls(world.folder.pk, bad.pk)["test"], follow=True))
    assert "Identifiant ou mot de passe refusé par le serveur IMAP." in page
    assert password not in page and "pas-le-bon" not in page


def test_the_poll_now_button_fetches_the_mailbox(world, client_for, dovecot, imap_account):  # noqa: F811
    username, password = imap_account
    dovecot.append(username, password, b"Subject: Facture\r\nMessage-ID: <poll-now@example.com>\r\n\r\nBonjour\r\n")
    mailbox = make_mailbox(world.folder, secret=password, port=dovecot.port, username=username, enabled=False)
    response = client_for(world.admin).post(mailbox_urls(world.folder.pk, mailbox.pk)["poll"], follow=True)
    assert response.redirect_chain[-1][0] == list_url(world)
    assert "Relève de" in html(response)
    row = InboundMessage.objects.get(folder=world.folder)  # the worker runs jobs at once in tests
    assert row.source == "imap"
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""
    assert password not in html(client_for(world.admin).get(list_url(world)))


def test_managers_delete_a_mailbox(world, client_for):
    mailbox = make_mailbox(world.folder)
    response = client_for(world.collaborator).post(mailbox_urls(world.folder.pk, mailbox.pk)["delete"], follow=True)
    assert "n'est plus relevée" in html(response)
    assert not ImapMailbox.objects.exists()


def test_actions_are_post_only(world, client_for):
    mailbox = make_mailbox(world.folder)
    client = client_for(world.owner)
    for name in ("test", "poll", "delete"):
        assert client.get(mailbox_urls(world.folder.pk, mailbox.pk)[name]).status_code == 405
    assert ImapMailbox.objects.filter(pk=mailbox.pk).exists()


# --- everybody else -------------------------------------------------------------------------------------------

def every_request(world, mailbox):
    urls = mailbox_urls(world.folder.pk, mailbox.pk)
    return [("get", list_url(world)), ("get", reverse("imap-add", args=[world.folder.pk])),
            ("post", reverse("imap-add", args=[world.folder.pk])), ("get", urls["edit"]), ("post", urls["edit"]),
            ("post", urls["test"]), ("post", urls["poll"]), ("post", urls["delete"])]


@pytest.mark.parametrize("persona", ["standard", "approver"])
def test_lower_roles_are_forbidden(world, client_for, persona):
    mailbox = make_mailbox(world.folder)
    client = client_for(getattr(world, persona))
    for method, url in every_request(world, mailbox):
        assert getattr(client, method)(url, form_data(host="pirate.example")).status_code == 403, url
    mailbox.refresh_from_db()
    assert mailbox.host == "127.0.0.1" and mailbox.last_polled_at is None
    assert ImapMailbox.objects.count() == 1


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_people_without_access_get_404(world, client_for, persona):
    mailbox = make_mailbox(world.folder)
    client = client_for(getattr(world, persona))
    for method, url in every_request(world, mailbox):
        assert getattr(client, method)(url, form_data()).status_code == 404, url
    assert ImapMailbox.objects.count() == 1


def test_a_mailbox_of_another_folder_is_not_found_through_this_one(world, client_for):
    other = make_mailbox(world.other_folder)
    client = client_for(world.owner)  # manages both folders, but each mailbox only through its own
    urls = mailbox_urls(world.folder.pk, other.pk)
    assert client.get(urls["edit"]).status_code == 404
    assert client.post(urls["delete"]).status_code == 404
    assert ImapMailbox.objects.filter(pk=other.pk).exists()


def test_a_collaborator_cannot_reach_a_folder_they_are_not_assigned(world, client_for):
    other = make_mailbox(world.other_folder)
    urls = mailbox_urls(world.other_folder.pk, other.pk)
    client = client_for(world.collaborator)
    assert client.get(reverse("imap-list", args=[world.other_folder.pk])).status_code == 404
    assert client.post(urls["delete"]).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(world, client):
    mailbox = make_mailbox(world.folder)
    for method, url in every_request(world, mailbox):
        assert_login_redirect(getattr(client, method)(url))
    assert ImapMailbox.objects.count() == 1


def test_a_pasted_token_loses_its_line_end_but_a_password_keeps_its_spaces(world, client_for):
    client = client_for(world.owner)
    add = reverse("imap-add", args=[world.folder.pk])
    assert client.post(add, form_data(auth="xoauth2", secret="ya29.token\n")).status_code == 302
    assert client.post(add, form_data(secret=" avec espaces ")).status_code == 302
    token, password = ImapMailbox.objects.order_by("pk")
    assert (token.get_secret(), password.get_secret()) == ("ya29.token", " avec espaces ")
