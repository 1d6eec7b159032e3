"""Personal API tokens on the profile page: shown once, stored hashed, revocable by their owner only."""
import re
from html import unescape

from django.urls import reverse

from collecte.accounts.models import ApiToken, hash_token

PROFILE = reverse("profile")


def page(response):
    return unescape(response.content.decode())


def create(client, name="Export comptable"):
    response = client.post(PROFILE, {"name": name})
    assert response.status_code == 200
    match = re.search(r'<div class="token" id="new-token">(clt_[^<]+)</div>', response.content.decode())
    assert match, "the new key is shown"
    return response, match.group(1)


def revoke_url(token):
    return reverse("token-revoke", args=[token.pk])


def test_it_shows_the_profile_page(world, client_for):
    response = client_for(world.owner).get(PROFILE)
    assert response.status_code == 200
    text = page(response)
    assert "Mon profil" in text and "Jetons d'API" in text and "owner@alpha.example" in text
    assert "Créer un jeton" in text


def test_it_shows_a_new_token_once(world, client_for):
    client = client_for(world.owner)
    response, raw = create(client)
    assert "Copiez ce jeton maintenant : il ne sera plus jamais affiché." in page(response)
    token = ApiToken.objects.get(user=world.owner)
    assert token.name == "Export comptable"
    again = page(client.get(PROFILE))
    assert raw not in again
    assert "Export comptable" in again and f"{token.hint}…" in again
    assert raw.startswith(token.hint)


def test_it_stores_only_a_hash_of_the_token(world, client_for):
    _response, raw = create(client_for(world.owner))
    token = ApiToken.objects.get(user=world.owner)
    assert token.key_hash == hash_token(raw) != raw
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(raw in value for value in stored)
    assert len(token.hint) < len(raw) - 20


def test_it_authenticates_the_api_with_the_new_token(world, client_for, client):
    _response, raw = create(client_for(world.owner))
    response = client.get("/api/v1/folders", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert sorted(f["name"] for f in response.json()) == ["Boulangerie Martin", "Garage du Centre"]


def test_it_revokes_a_token(world, client_for, client):
    owner = client_for(world.owner)
    _response, raw = create(owner)
    token = ApiToken.objects.get(user=world.owner)
    response = owner.post(revoke_url(token), follow=True)
    assert response.redirect_chain[-1][0] == PROFILE
    assert "Le jeton « Export comptable » est révoqué." in page(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert list(response.context["tokens"]) == []
    assert ApiToken.authenticate(raw) is None
    assert client.get("/api/v1/folders", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_it_keeps_other_tokens_when_one_is_revoked(world, client_for):
    client = client_for(world.owner)
    create(client, "Un")
    create(client, "Deux")
    first = ApiToken.objects.get(name="Un")
    client.post(revoke_url(first))
    assert [t.name for t in client.get(PROFILE).context["tokens"]] == ["Deux"]


def test_it_refuses_to_revoke_another_users_token(world, client_for):
    _response, raw = create(client_for(world.owner))
    token = ApiToken.objects.get(user=world.owner)
    for persona in (world.outsider, world.collaborator, world.admin):
        assert client_for(persona).post(revoke_url(token)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.authenticate(raw) == world.owner


def test_it_never_lists_another_users_tokens(world, client_for):
    create(client_for(world.owner), "Jeton du responsable")
    assert "Jeton du responsable" not in page(client_for(world.outsider).get(PROFILE))


def test_it_refuses_to_revoke_by_get(world, client_for):
    client = client_for(world.owner)
    create(client)
    token = ApiToken.objects.get(user=world.owner)
    assert client.get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_requires_a_token_name_in_french(world, client_for):
    response = client_for(world.owner).post(PROFILE, {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Donnez un nom au jeton (par exemple : export comptable)."]
    assert not ApiToken.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login_page(world, client, client_for):
    create(client_for(world.owner))
    token = ApiToken.objects.get()
    for response in (client.get(PROFILE), client.post(PROFILE, {"name": "x"}), client.post(revoke_url(token))):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.count() == 1
