"""Browser tests of the client-folder wizard (invite and skip paths), adding a folder user, and the invitation links
read from the outbox, ending logged in as the invited person. Also takes the README screenshot of a folder page."""
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from collecte.outbound.models import OutboxMessage
from collecte.tenancy.models import ClientFolder, FolderMember, IntakeAddress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "Tournesol-Bleu-4827"
FOLDER_URL = re.compile(r"/folders/(\d+)/$")


def address_pattern():
    return re.compile(r"^[a-z0-9-]+\.[a-z0-9]+@" + re.escape(settings.INBOUND_DOMAIN) + "$")


def folder_id_of(page):
    expect(page).to_have_url(FOLDER_URL)
    return int(FOLDER_URL.search(page.url).group(1))


def expect_four_addresses(page):
    addresses = page.locator(".address[data-module]")
    expect(addresses).to_have_count(4)
    for module in ("purchases", "sales", "purchases_split", "sales_split"):
        row = page.locator(f'.address[data-module="{module}"]')
        expect(row.locator("code")).to_have_text(address_pattern())
        expect(row.get_by_role("button", name="Copier")).to_be_visible()
    return [addresses.nth(i).locator("code").inner_text() for i in range(4)]


def start_wizard(page, name, sector_label=None):
    """From "Mes clients": open the wizard and fill the company step."""
    page.goto("/clients/")
    page.get_by_role("link", name="Créer un dossier client").click()
    expect(page).to_have_url(re.compile(r"/clients/new/company/$"))
    expect(page.locator(".steps li.current")).to_contain_text("Société")
    page.fill("input[name=name]", name)
    if sector_label:
        page.select_option("select[name=sector]", label=sector_label)
    page.get_by_role("button", name="Continuer").click()


def fill_client_step(page, first, last, email):
    expect(page).to_have_url(re.compile(r"/clients/new/client/$"))
    page.check("input[name=invite][value=now]")
    page.fill("input[name=first_name]", first)
    page.fill("input[name=last_name]", last)
    page.fill("input[name=email]", email)
    expect(page.locator("input[name=by_email]")).to_be_checked()
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/clients/new/confirm/$"))


def invitation_link_from_outbox(page, email, folder_name):
    """The link in the newest email to `email` about `folder_name`, as the outbox page shows it."""
    page.get_by_role("link", name="Boîte d'envoi").click()
    expect(page).to_have_url(re.compile(r"/outbox/$"))
    message = page.locator(f'.outbox-message[data-to="{email}"]').filter(has_text=folder_name).first
    expect(message).to_be_visible()
    expect(message.locator("strong")).to_have_text(f"Invitation à rejoindre le dossier {folder_name} sur collecte")
    expect(message).to_contain_text(f"rejoindre le dossier {folder_name}")
    link = message.locator(".outbox-body a").first
    href = link.get_attribute("href")
    assert re.search(r"/invitations/[^/]+/$", href), href
    assert href.startswith(settings.BASE_URL), href
    return href


def accept_with_new_password(page, link, folder_name):
    page.goto(link)
    expect(page.locator("h1")).to_have_text(f"Rejoindre {folder_name}")
    expect(page.locator("header.top nav")).not_to_contain_text("Mes clients")  # nobody is logged in yet
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    page.get_by_role("button", name="Choisir ce mot de passe et entrer").click()
    expect(page.locator("h1")).to_have_text(folder_name)


def test_it_creates_a_client_folder_and_invites_the_client(world, page, new_page, login, password):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, world.owner.email, password)
    start_wizard(page, "Menuiserie Lefèvre", "Construction")

    expect(page).to_have_url(re.compile(r"/clients/new/collaborators/$"))
    page.get_by_label("Colin Collab").check()
    expect(page.get_by_label("Ursula Unassigned")).not_to_be_checked()
    page.get_by_role("button", name="Continuer").click()

    fill_client_step(page, "Claire", "Lefèvre", "claire@menuiserie.example")
    summary = page.locator("dl.summary")
    expect(summary).to_contain_text("Menuiserie Lefèvre · Construction")
    expect(summary).to_contain_text("Colin Collab")
    expect(summary).not_to_contain_text("Ursula")
    expect(summary).to_contain_text("Claire Lefèvre (claire@menuiserie.example) sera invité comme administrateur")
    expect(page.locator("#existing-user")).to_have_count(0)
    page.get_by_role("button", name="Créer le dossier").click()

    folder_id = folder_id_of(page)
    expect(page.locator("h1")).to_have_text("Menuiserie Lefèvre")
    expect(page.locator(".messages")).to_contain_text("claire@menuiserie.example est invité")
    shown = expect_four_addresses(page)
    folder = ClientFolder.objects.get(pk=folder_id)
    assert sorted(shown) == sorted(a.email for a in folder.folder_addresses())
    assert folder.sector == "F"
    assert [m.user.email for m in folder.collaborators.all()] == [world.collaborator.email]
    purchases = page.locator('.address[data-module="purchases"]')
    copy = purchases.locator("button[data-copy]")
    copy.click()
    expect(copy).to_have_text("Copié")
    assert page.evaluate("navigator.clipboard.readText()") == purchases.locator("code").inner_text()

    link = invitation_link_from_outbox(page, "claire@menuiserie.example", "Menuiserie Lefèvre")

    client_page = new_page()  # a fresh context: logged out
    accept_with_new_password(client_page, link, "Menuiserie Lefèvre")
    assert folder_id_of(client_page) == folder_id
    expect(client_page.locator("header.top .me")).to_contain_text("Claire Lefèvre")
    expect(client_page.locator(".subtitle")).to_contain_text("Administrateur")

    member = FolderMember.objects.get(folder=folder, user__email="claire@menuiserie.example")
    assert member.role == FolderMember.Role.ADMIN
    assert member.user.check_password(NEW_PASSWORD)
    assert member.user.last_login is not None
    # The link is single-use.
    client_page.goto(link)
    expect(client_page.locator("h1")).to_have_text("Cette invitation ne peut pas être utilisée")


def test_it_creates_a_folder_without_inviting(world, page, login, password):
    login(page, world.owner.email, password)
    start_wizard(page, "Fleurs & Co")

    expect(page).to_have_url(re.compile(r"/clients/new/collaborators/$"))
    page.get_by_label("Tous les collaborateurs").check()
    page.get_by_role("button", name="Continuer").click()

    expect(page).to_have_url(re.compile(r"/clients/new/client/$"))
    page.check("input[name=invite][value=skip]")
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/clients/new/confirm/$"))
    expect(page.locator("dl.summary")).to_contain_text("Pas d'invitation pour l'instant")
    page.get_by_role("button", name="Créer le dossier").click()

    folder_id = folder_id_of(page)
    expect(page.locator("h1")).to_have_text("Fleurs & Co")
    expect(page.locator(".messages")).to_contain_text("Ses adresses dédiées fonctionnent déjà")
    expect_four_addresses(page)

    page.locator("nav.tabs").get_by_role("link", name="Utilisateurs").click()
    expect(page).to_have_url(re.compile(rf"/folders/{folder_id}/users/$"))
    expect(page.locator("main")).to_contain_text("Personne côté client n'a encore accès à ce dossier")
    expect(page.locator("table.list")).to_have_count(0)

    folder = ClientFolder.objects.get(pk=folder_id)
    assert folder.sector == ""
    assert folder.collaborators.count() == 2
    assert not FolderMember.objects.filter(folder=folder).exists()
    assert IntakeAddress.objects.filter(folder=folder, retired_at__isnull=True).count() == 4
    assert not OutboxMessage.objects.filter(folder=folder).exists()

    page.goto("/clients/")
    expect(page.locator("#folder-rows")).to_contain_text("Fleurs & Co")


def test_it_adds_a_folder_user_who_logs_in_via_the_invitation(world, page, new_page, login, password):
    login(page, world.owner.email, password)
    page.goto("/clients/")
    page.get_by_role("link", name=world.folder.name).click()
    expect(page.locator("h1")).to_have_text(world.folder.name)
    page.locator("nav.tabs").get_by_role("link", name="Utilisateurs").click()
    page.get_by_role("link", name="Ajouter un utilisateur").click()
    expect(page).to_have_url(re.compile(rf"/folders/{world.folder.pk}/users/add/$"))

    expect(page.locator("main")).to_contain_text("approuve les notes de frais")  # each role is explained
    page.fill("input[name=first_name]", "Paul")
    page.fill("input[name=last_name]", "Petit")
    page.fill("input[name=email]", "paul.petit@client.example")
    page.fill("input[name=employee_code]", "E-042")
    page.get_by_label("Approbateur de dépenses").check()
    page.get_by_role("button", name="Ajouter et inviter").click()

    expect(page).to_have_url(re.compile(rf"/folders/{world.folder.pk}/users/$"))
    expect(page.locator(".messages")).to_contain_text("Paul Petit est ajouté au dossier et invité")
    row = page.locator('tr[data-email="paul.petit@client.example"]')
    expect(row).to_contain_text("Approbateur de dépenses")
    expect(row).to_contain_text("E-042")
    expect(row).to_contain_text("Jamais connecté")
    expect(row).to_contain_text("en attente")

    link = invitation_link_from_outbox(page, "paul.petit@client.example", world.folder.name)

    user_page = new_page()
    accept_with_new_password(user_page, link, world.folder.name)
    assert folder_id_of(user_page) == world.folder.pk
    expect(user_page.locator("header.top .me")).to_contain_text("Paul Petit")
    expect(user_page.locator(".subtitle")).to_contain_text("Approbateur de dépenses")
    expect(user_page.locator("nav.tabs")).not_to_contain_text("Utilisateurs")  # approvers do not manage users
    member = FolderMember.objects.get(folder=world.folder, user__email="paul.petit@client.example")
    assert (member.role, member.employee_code) == (FolderMember.Role.APPROVER, "E-042")

    # Back as the owner: the list now says when Paul last logged in.
    page.goto(f"/folders/{world.folder.pk}/users/")
    row = page.locator('tr[data-email="paul.petit@client.example"]')
    expect(row).not_to_contain_text("Jamais connecté")
    expect(row.locator("td").nth(2)).to_have_text(re.compile(r"\d{2}/\d{2}/\d{4}"))
    expect(row).to_contain_text("acceptée")


def test_it_warns_when_the_client_email_belongs_to_another_folder(world, page, new_page, login, password):
    login(page, world.owner.email, password)
    start_wizard(page, "Pâtisserie Martin")
    page.get_by_role("button", name="Continuer").click()  # collaborators: nobody
    fill_client_step(page, "Adam", "Admin", world.admin.email.upper())

    notice = page.locator("#existing-user")
    expect(notice).to_contain_text(f"appartient déjà à un utilisateur d'un autre dossier client : {world.folder.name}")
    expect(page.get_by_role("button", name="Créer le dossier")).to_have_count(0)

    # Cancelling goes back to the client step; nothing is created.
    page.get_by_role("button", name="Annuler l'invitation").click()
    expect(page).to_have_url(re.compile(r"/clients/new/client/$"))
    expect(page.locator(".messages")).to_contain_text("Invitation annulée")
    assert not ClientFolder.objects.filter(name="Pâtisserie Martin").exists()

    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("#existing-user")).to_be_visible()
    page.get_by_role("button", name="Inviter dans ce dossier supplémentaire").click()

    folder_id = folder_id_of(page)
    expect(page.locator("h1")).to_have_text("Pâtisserie Martin")
    expect_four_addresses(page)
    assert FolderMember.objects.filter(user=world.admin).count() == 2  # same person, same account
    assert FolderMember.objects.get(user=world.admin, folder_id=folder_id).role == FolderMember.Role.ADMIN

    # Adam already has an account: the link asks for his current password and adds the folder to it.
    link = invitation_link_from_outbox(page, world.admin.email, "Pâtisserie Martin")
    adam = new_page()
    adam.goto(link)
    expect(adam.locator("main")).to_contain_text("Vous avez déjà un compte collecte")
    adam.fill("input[name=password]", password)
    adam.get_by_role("button", name="Rejoindre le dossier").click()
    assert folder_id_of(adam) == folder_id
    expect(adam.locator("header.top .me")).to_contain_text("Adam Admin")
    adam.goto("/clients/")
    expect(adam.locator("#folder-rows")).to_contain_text("Pâtisserie Martin")
    expect(adam.locator("#folder-rows")).to_contain_text(world.folder.name)


def test_it_takes_the_readme_screenshot(world, page, login, password, settings, tmp_path):
    """A folder page with its dedicated addresses. With COLLECTE_UPDATE_SCREENSHOTS=1 it replaces
    docs/screenshot-folder.png (shown in the README); otherwise the tracked tree is left alone."""
    settings.INBOUND_DOMAIN = "in.example.fr"  # the README's example domain reads better than localhost
    login(page, world.owner.email, password)
    page.goto(f"/folders/{world.folder.pk}/")
    expect_four_addresses(page)
    page.wait_for_load_state("networkidle")
    update = os.environ.get("COLLECTE_UPDATE_SCREENSHOTS") == "1"
    target = (REPO / "docs" if update else tmp_path) / "screenshot-folder.png"
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
