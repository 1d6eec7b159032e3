"""Accounts: email login with a rate limit, logout, password reset by email, and the language switch."""
import re
from html import unescape
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from collecte.outbound.models import OutboxMessage
from conftest import PASSWORD

User = get_user_model()
LOGIN = reverse("login")


def login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def logged_in(client):
    return client.get(reverse("folder-list")).status_code == 200


def errors(response):
    return list(response.context["form"].non_field_errors())


def page(response):
    return unescape(response.content.decode())


# --- login ----------------------------------------------------------------------------------------------------

def test_it_shows_the_login_page_in_french(world, client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    text = page(response)
    assert '<html lang="fr">' in text
    for label in ("Connexion", "Adresse email", "Mot de passe", "Se connecter", "Mot de passe oublié ?"):
        assert label in text, label


def test_it_logs_in_with_the_email_in_any_case(world, client):
    response = login(client, "  OWNER@Alpha.Example ")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in(client)
    assert client.get(reverse("folder-list")).context["user"] == world.owner


def test_it_follows_a_local_next_url_only(world, client):
    response = login(client, "owner@alpha.example", next="/outbox/")
    assert response["Location"] == "/outbox/"
    other = Client()
    response = login(other, "owner@alpha.example", next="https://evil.example/steal")
    assert response["Location"] == reverse("home")


def test_it_refuses_a_wrong_password_in_french(world, client):
    response = login(client, "owner@alpha.example", "wrong-password")
    assert response.status_code == 200
    assert errors(response) == ["Email ou mot de passe incorrect."]
    assert "Email ou mot de passe incorrect." in page(response)
    assert not logged_in(client)


def test_it_gives_the_same_error_for_an_unknown_email(world, client):
    response = login(client, "nobody@alpha.example")
    assert errors(response) == ["Email ou mot de passe incorrect."]


def test_it_refuses_an_inactive_account(world, client):
    world.owner.is_active = False
    world.owner.save()
    response = login(client, "owner@alpha.example")
    assert response.status_code == 200
    assert not logged_in(client)


def test_it_refuses_an_invited_user_who_has_not_chosen_a_password(world, client):
    User.objects.create_user("invited@client.example")
    assert login(client, "invited@client.example", "").status_code == 200
    assert login(client, "invited@client.example", "anything-at-all").status_code == 200
    assert not logged_in(client)


def test_it_sends_a_logged_in_user_away_from_the_login_page(world, client_for):
    response = client_for(world.owner).get(LOGIN)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_it_checks_csrf_on_login(world):
    client = Client(enforce_csrf_checks=True)
    assert login(client, "owner@alpha.example").status_code == 403
    client.get(LOGIN)
    token = client.cookies["csrftoken"].value
    assert login(client, "owner@alpha.example", csrfmiddlewaretoken=token).status_code == 302


# --- rate limit -----------------------------------------------------------------------------------------------

RATE_LIMITED = ("Trop de tentatives de connexion. Réessayez dans quelques minutes, ou réinitialisez votre mot de "
                "passe.")


def test_it_blocks_an_email_after_five_failures_even_with_the_right_password(world, client):
    for _ in range(5):
        assert errors(login(client, "owner@alpha.example", "wrong-password")) == ["Email ou mot de passe incorrect."]
    response = login(client, "OWNER@alpha.example")
    assert response.status_code == 200
    assert errors(response) == [RATE_LIMITED]
    assert RATE_LIMITED in page(response)
    assert not logged_in(client)


def test_it_blocks_the_email_from_another_address_too(world, client):
    for _ in range(5):
        login(client, "owner@alpha.example", "wrong-password", REMOTE_ADDR="10.0.0.1")
    response = Client(REMOTE_ADDR="10.0.0.2").post(LOGIN, {"username": "owner@alpha.example", "password": PASSWORD})
    assert errors(response) == [RATE_LIMITED]


def test_it_does_not_block_other_emails_after_one_persons_typos(world, client):
    for _ in range(5):
        login(client, "owner@alpha.example", "wrong-password")
    assert login(client, "collab@alpha.example").status_code == 302


def test_it_blocks_an_address_trying_many_emails(world, client):
    for i in range(20):
        login(client, f"guess{i}@alpha.example", "wrong-password")
    assert errors(login(client, "collab@alpha.example")) == [RATE_LIMITED]
    other_address = Client(REMOTE_ADDR="10.9.9.9")
    assert other_address.post(LOGIN, {"username": "collab@alpha.example", "password": PASSWORD}).status_code == 302


def test_it_forgets_failures_after_a_successful_login(world, client):
    for _ in range(4):
        login(client, "owner@alpha.example", "wrong-password")
    assert login(client, "owner@alpha.example").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        login(client, "owner@alpha.example", "wrong-password")
    assert login(client, "owner@alpha.example").status_code == 302


# --- logout ---------------------------------------------------------------------------------------------------

def test_it_logs_out_with_a_post(world, client):
    login(client, "owner@alpha.example")
    assert client.get(reverse("logout")).status_code == 405
    assert logged_in(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not logged_in(client)


def test_it_offers_a_logout_button_on_every_page(world, client_for):
    text = page(client_for(world.owner).get(reverse("folder-list")))
    assert f'action="{reverse("logout")}" method="post"' in text and "Déconnexion" in text


# --- password reset -------------------------------------------------------------------------------------------

def reset_link(email):
    body = OutboxMessage.objects.get(to=email).body
    return urlparse(re.search(r"https?://\S+/password-reset/\S+/\S+/", body).group(0)).path


def test_it_emails_a_reset_link_that_works(world, client):
    response = client.post(reverse("password_reset"), {"email": "Standard@Client.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "Email envoyé" in page(client.get(response["Location"]))
    message = OutboxMessage.objects.get(to="standard@client.example")
    assert message.subject == "Choisir un nouveau mot de passe collecte"
    assert "Ouvrez ce lien pour en choisir un nouveau" in message.body
    assert (message.firm, message.folder) == (None, None)

    form = client.get(reset_link("standard@client.example"), follow=True)
    assert form.status_code == 200 and "Nouveau mot de passe" in page(form)
    set_password_url = form.redirect_chain[-1][0]
    new = "un-nouveau-mot-de-passe-7"
    done = client.post(set_password_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert "Mot de passe enregistré" in page(client.get(done["Location"]))
    assert login(Client(), "standard@client.example", new).status_code == 302
    assert login(Client(), "standard@client.example", PASSWORD).status_code == 200


def test_it_uses_a_reset_link_only_once(world, client):
    client.post(reverse("password_reset"), {"email": "standard@client.example"})
    link = reset_link("standard@client.example")
    form = client.get(link, follow=True)
    new = "un-nouveau-mot-de-passe-7"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    again = Client().get(link, follow=True)
    assert "Lien invalide" in page(again)


def test_it_refuses_a_weak_new_password_in_french(world, client):
    client.post(reverse("password_reset"), {"email": "standard@client.example"})
    form = client.get(reset_link("standard@client.example"), follow=True)
    response = client.post(form.redirect_chain[-1][0], {"new_password1": "court", "new_password2": "court"})
    assert response.status_code == 200
    assert "Ce mot de passe est trop court" in page(response)


def test_it_reveals_nothing_about_unknown_emails(world, client):
    response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert not OutboxMessage.objects.exists()


def test_it_rejects_a_tampered_reset_link(world, client):
    client.post(reverse("password_reset"), {"email": "standard@client.example"})
    link = reset_link("standard@client.example")
    assert "Lien invalide" in page(client.get(link[:-3] + "xx/", follow=True))


# --- language -------------------------------------------------------------------------------------------------

def test_it_switches_the_interface_to_english(world, client):
    assert '<html lang="fr">' in page(client.get(LOGIN))
    response = client.post(reverse("set_language"), {"language": "en", "next": LOGIN})
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert '<html lang="en">' in page(client.get(LOGIN))
    client.post(reverse("set_language"), {"language": "fr", "next": LOGIN})
    assert '<html lang="fr">' in page(client.get(LOGIN))


def test_it_ignores_an_unknown_language(world, client):
    client.post(reverse("set_language"), {"language": "xx", "next": LOGIN})
    assert '<html lang="fr">' in page(client.get(LOGIN))


@pytest.mark.parametrize("code", ["fr", "en"])
def test_it_offers_each_language_in_the_switch(world, client, code):
    assert f'<option value="{code}"' in page(client.get(LOGIN))
