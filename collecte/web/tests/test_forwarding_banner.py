"""The folder page's banner for forwarding confirmations: who asked, the code, the link; shown to the right people."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from collecte.intake.models import InboundMessage

from .helpers import html
from .intake_helpers import CONFIRM, gmail_confirmation, media, personal_address, receive  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

BANNER = "Confirmation de transfert automatique reçue"


def folder_page(client, folder):
    response = client.get(reverse("folder-detail", args=[folder.pk]))
    assert response.status_code == 200
    return html(response)


def confirmation_to_folder(world, **kwargs):
    address = world.folder.addresses.active().get(module="purchases", member__isnull=True)
    row = receive(world.folder, gmail_confirmation(address.email, **kwargs))
    assert row.status == "forwarding"
    return row


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin"])
def test_managers_see_who_asked_the_code_and_the_link(world, client_for, persona):
    confirmation_to_folder(world, requester="compta.martin@gmail.com", code="61234567")
    page = folder_page(client_for(getattr(world, persona)), world.folder)
    assert BANNER in page
    assert "compta.martin@gmail.com demande à transférer automatiquement ses emails vers ce dossier." in page
    assert "Code à saisir :" in page and "61234567" in page
    assert f'href="{CONFIRM}" target="_blank" rel="noreferrer noopener"' in page


@pytest.mark.parametrize("persona", ["approver", "standard"])
def test_other_folder_users_do_not_see_a_confirmation_for_the_folder_addresses(world, client_for, persona):
    confirmation_to_folder(world)
    assert BANNER not in folder_page(client_for(getattr(world, persona)), world.folder)


@pytest.mark.parametrize("persona, sees", [("standard", True), ("approver", False), ("admin", True),
                                           ("owner", True)])
def test_a_confirmation_to_a_personal_address_is_shown_to_its_owner_and_managers(world, client_for, persona, sees):
    address = personal_address(world.standard_member)
    row = receive(world.folder, gmail_confirmation(address.email, requester="stan.perso@gmail.com"),
                  member=world.standard_member)
    assert row.status == "forwarding" and row.member == world.standard_member
    page = folder_page(client_for(getattr(world, persona)), world.folder)
    assert (BANNER in page) is sees
    assert ("stan.perso@gmail.com" in page) is sees


def test_the_newer_format_has_a_link_and_no_code(world, client_for):
    confirmation_to_folder(world, code=None)
    page = folder_page(client_for(world.owner), world.folder)
    assert BANNER in page and CONFIRM in page
    assert "Code à saisir" not in page


def test_confirmations_older_than_thirty_days_are_no_longer_shown(world, client_for):
    row = confirmation_to_folder(world)
    InboundMessage.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(days=31))
    assert BANNER not in folder_page(client_for(world.owner), world.folder)


def test_it_never_makes_a_non_web_link_clickable(world, client_for):
    # A forged "confirmation" could carry any link; only http(s) becomes an href.
    InboundMessage.objects.create(
        folder=world.folder, module="purchases", source="smtp", raw="inbound/x.eml", status="forwarding",
        forwarding={"provider": "other", "requester": "x@example.com", "code": None,
                    "confirm_url": "javascript:alert(1)", "cancel_url": None})
    page = folder_page(client_for(world.owner), world.folder)
    assert BANNER in page and "javascript:" not in page


def test_people_without_access_see_no_folder_at_all(world, client_for):
    confirmation_to_folder(world)
    assert client_for(world.unassigned).get(reverse("folder-detail", args=[world.folder.pk])).status_code == 404
    assert client_for(world.outsider).get(reverse("folder-detail", args=[world.folder.pk])).status_code == 404


def test_it_is_not_shown_in_another_folder(world, client_for):
    confirmation_to_folder(world)
    assert BANNER not in folder_page(client_for(world.owner), world.other_folder)


def test_anonymous_visitors_get_the_login_page(world, client):
    from .helpers import assert_login_redirect

    confirmation_to_folder(world)
    assert_login_redirect(client.get(reverse("folder-detail", args=[world.folder.pk])))
