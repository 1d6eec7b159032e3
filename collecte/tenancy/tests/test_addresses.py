"""Dedicated addresses: four per folder and one per folder user, `<slug>.<token>@<domain>`, the token is the key."""
import math
import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from collecte.tenancy import actions
from collecte.tenancy.models import TOKEN_ALPHABET, TOKEN_LENGTH, IntakeAddress

DOMAIN = "in.collecte.test"


@pytest.fixture(autouse=True)
def inbound_domain(settings):
    settings.INBOUND_DOMAIN = DOMAIN


def add_user(world, email="nina@client.example", first="Nina", role="standard"):
    member, _invitation = actions.add_folder_user(
        world.folder, actions.NewFolderUser(email=email, first_name=first, last_name="Neuve", role=role),
        added_by=world.owner)
    return member


def regenerate_url(address):
    return reverse("address-regenerate", args=[address.folder_id, address.pk])


# --- the model ------------------------------------------------------------------------------------------------

def test_it_creates_four_folder_addresses_with_the_folder(world):
    addresses = world.folder.folder_addresses()
    assert [a.module for a in addresses] == ["purchases", "sales", "purchases_split", "sales_split"]
    assert all(a.member is None and a.is_active for a in addresses)
    assert world.folder.addresses.count() == 4


def test_it_formats_addresses_as_slug_dot_token_at_the_inbound_domain(world):
    expected_slugs = ["boulangerie-martin-achats", "boulangerie-martin-ventes", "boulangerie-martin-achats-multiple",
                      "boulangerie-martin-ventes-multiple"]
    for address, slug in zip(world.folder.folder_addresses(), expected_slugs, strict=True):
        assert address.email == f"{slug}.{address.token}@{DOMAIN}"
        assert re.fullmatch(rf"[a-z0-9-]+\.[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}@{re.escape(DOMAIN)}", address.email)


def test_it_draws_tokens_from_an_unambiguous_lowercase_alphabet_with_at_least_60_bits(world):
    assert TOKEN_LENGTH * math.log2(len(set(TOKEN_ALPHABET))) >= 60
    assert TOKEN_ALPHABET == TOKEN_ALPHABET.lower()
    assert not set("0o1li") & set(TOKEN_ALPHABET)
    for address in IntakeAddress.objects.all():
        assert len(address.token) == TOKEN_LENGTH
        assert set(address.token) <= set(TOKEN_ALPHABET)


def test_it_gives_every_address_its_own_token(world):
    tokens = list(IntakeAddress.objects.values_list("token", flat=True))
    assert len(tokens) == 12  # three folders × four
    assert len(set(tokens)) == len(tokens)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeAddress.objects.create(folder=world.other_folder, module="personal", slug="x", token=tokens[0])


def test_it_retries_when_a_new_token_collides(world, monkeypatch):
    taken = world.folder.folder_addresses()[0].token
    drawn = iter([taken, "zzzzzzzzzzzzzz"])
    monkeypatch.setattr(actions, "new_token", lambda: next(drawn))
    fresh = actions.regenerate_address(world.folder.folder_addresses()[1])
    assert fresh.token == "zzzzzzzzzzzzzz"


def test_it_resolves_an_address_by_its_token_only(world):
    address = world.folder.folder_addresses()[0]
    assert IntakeAddress.resolve(address.email) == address
    assert IntakeAddress.resolve(f"another-name.{address.token}@{DOMAIN}") == address
    assert IntakeAddress.resolve(f"{address.token}@{DOMAIN}") == address
    assert IntakeAddress.resolve(f"  {address.email.upper()} ") == address
    assert IntakeAddress.resolve(f"Achats.{address.token.upper()}@{DOMAIN.upper()}") == address


def test_it_resolves_nothing_for_unknown_tokens_or_other_domains(world):
    address = world.folder.folder_addresses()[0]
    assert IntakeAddress.resolve(f"{address.slug}.{address.token}@elsewhere.example") is None
    assert IntakeAddress.resolve(f"{address.slug}.abcdefghjkmnpq@{DOMAIN}") is None
    assert IntakeAddress.resolve(f"{address.slug}.{address.token[:-1]}@{DOMAIN}") is None
    assert IntakeAddress.resolve("") is None
    assert IntakeAddress.resolve(None) is None
    assert IntakeAddress.resolve("no-at-sign") is None


def test_it_retires_the_old_address_and_creates_a_new_one_on_regenerate(world):
    old = world.folder.folder_addresses()[0]
    new = actions.regenerate_address(old)
    old.refresh_from_db()
    assert old.retired_at is not None
    assert IntakeAddress.resolve(old.email) is None
    assert IntakeAddress.resolve(new.email) == new
    assert (new.folder, new.module, new.member) == (world.folder, old.module, None)
    assert new.token != old.token
    assert world.folder.folder_addresses()[0] == new
    assert world.folder.addresses.active().count() == 4


def test_it_gives_each_folder_user_a_personal_address(world):
    member = add_user(world)
    personal = member.personal_address()
    assert personal.module == IntakeAddress.Module.PERSONAL
    assert personal.folder == world.folder
    assert personal.email.startswith("boulangerie-martin-nina.")
    assert IntakeAddress.resolve(personal.email).member == member
    assert personal not in world.folder.folder_addresses()
    other = add_user(world, "leo@client.example", "Léo")
    assert other.personal_address().token != personal.token


def test_it_retires_the_personal_address_when_access_is_removed(world):
    member = add_user(world)
    personal = member.personal_address()
    actions.remove_member(member)
    assert IntakeAddress.resolve(personal.email) is None


def test_it_regenerates_a_personal_address_for_the_same_user(world):
    member = add_user(world)
    old = member.personal_address()
    new = actions.regenerate_address(old)
    assert new.member == member
    assert member.personal_address() == new
    assert IntakeAddress.resolve(old.email) is None


# --- the folder page and the regenerate action ----------------------------------------------------------------

def test_it_shows_each_address_with_copy_button_and_purpose_on_the_folder_page(world, client_for):
    response = client_for(world.owner).get(reverse("folder-detail", args=[world.folder.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for address in world.folder.folder_addresses():
        assert f'data-copy="{address.email}"' in html
        assert reverse("address-regenerate", args=[world.folder.pk, address.pk]) in html
    assert "Achats — multiple" in html
    assert "chaque page devient son propre document" in html
    assert "Copier" in html and "Régénérer" in html


def test_it_hides_the_regenerate_buttons_of_folder_addresses_from_a_standard_user(world, client_for):
    member = add_user(world)
    html = client_for(member.user).get(reverse("folder-detail", args=[world.folder.pk])).content.decode()
    for address in world.folder.folder_addresses():
        assert address.email in html
        assert regenerate_url(address) not in html
    assert "Votre adresse personnelle" in html
    assert regenerate_url(member.personal_address()) in html


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin"])
def test_it_lets_managers_regenerate_a_folder_address(world, client_for, persona):
    old = world.folder.folder_addresses()[1]
    response = client_for(getattr(world, persona)).post(regenerate_url(old), follow=True)
    assert response.redirect_chain[-1][0] == reverse("folder-detail", args=[world.folder.pk])
    new = world.folder.folder_addresses()[1]
    assert new.pk != old.pk
    assert IntakeAddress.resolve(old.email) is None
    assert "Nouvelle adresse" in response.content.decode()
    assert new.email in response.content.decode()


def test_it_lets_managers_regenerate_a_folder_users_personal_address(world, client_for):
    member = add_user(world)
    old = member.personal_address()
    assert client_for(world.admin).post(regenerate_url(old)).status_code == 302
    assert member.personal_address() != old


def test_it_refuses_regenerate_by_get(world, client_for):
    address = world.folder.folder_addresses()[0]
    assert client_for(world.owner).get(regenerate_url(address)).status_code == 405
    assert IntakeAddress.resolve(address.email) == address


@pytest.mark.parametrize("persona", ["standard", "approver"])
def test_it_forbids_lower_roles_to_regenerate_a_folder_address(world, client_for, persona):
    address = world.folder.folder_addresses()[0]
    assert client_for(getattr(world, persona)).post(regenerate_url(address)).status_code == 403
    assert IntakeAddress.resolve(address.email) == address


def test_it_lets_a_standard_user_regenerate_their_own_personal_address(world, client_for):
    member = add_user(world)
    old = member.personal_address()
    response = client_for(member.user).post(regenerate_url(old))
    assert response.status_code == 302
    assert IntakeAddress.resolve(old.email) is None
    assert member.personal_address() != old


def test_it_forbids_a_standard_user_to_regenerate_someone_elses_personal_address(world, client_for):
    nina = add_user(world)
    leo = add_user(world, "leo@client.example", "Léo")
    address = leo.personal_address()
    assert client_for(nina.user).post(regenerate_url(address)).status_code == 403
    assert IntakeAddress.resolve(address.email) == address


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_hides_addresses_from_people_without_access(world, client_for, persona):
    address = world.folder.folder_addresses()[0]
    user = getattr(world, persona)
    assert client_for(user).post(regenerate_url(address)).status_code == 404
    assert client_for(user).get(reverse("folder-detail", args=[world.folder.pk])).status_code == 404
    assert IntakeAddress.resolve(address.email) == address


def test_it_does_not_regenerate_an_address_through_another_folders_url(world, client_for):
    outsider_address = world.outsider_folder.folder_addresses()[0]
    url = reverse("address-regenerate", args=[world.folder.pk, outsider_address.pk])
    assert client_for(world.owner).post(url).status_code == 404
    url = reverse("address-regenerate", args=[world.outsider_folder.pk, outsider_address.pk])
    assert client_for(world.owner).post(url).status_code == 404
    assert IntakeAddress.resolve(outsider_address.email) == outsider_address


def test_it_does_not_regenerate_a_retired_address_twice(world, client_for):
    old = world.folder.folder_addresses()[0]
    actions.regenerate_address(old)
    assert client_for(world.owner).post(regenerate_url(old)).status_code == 404
    assert world.folder.addresses.filter(module=old.module).count() == 2


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    address = world.folder.folder_addresses()[0]
    response = client.post(regenerate_url(address))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.get(reverse("folder-detail", args=[world.folder.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
