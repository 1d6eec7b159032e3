"""Browser test of the upload drop zone on the folder page, the result page, and the message log."""
import re

import pytest
from playwright.sync_api import expect

from collecte.intake.models import Document
from collecte.intake.tests.helpers import make_encrypted_pdf, make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_files_dropped_on_the_zone_are_uploaded_and_their_fate_shown(world, page, login, password, tmp_path,
                                                                     settings):
    settings.MEDIA_ROOT = str(tmp_path / "files")
    login(page, world.standard.email, password)
    page.goto(f"/folders/{world.folder.pk}/")
    zone = page.locator("[data-dropzone]")
    expect(zone).to_contain_text("Glissez vos fichiers ici")
    # What a drop from the desktop does: a DataTransfer carrying files, dispatched on the zone.
    files = {"facture.pdf": make_pdf(tag="browser"), "verrou.pdf": make_encrypted_pdf("secret")}
    page.evaluate("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, bytes] of Object.entries(files)) {
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
        }
        const zone = document.querySelector("[data-dropzone]");
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", {name: list(content) for name, content in files.items()})
    expect(zone.locator("[data-dropzone-list] li")).to_have_text(["facture.pdf", "verrou.pdf"])
    page.screenshot(path=str(tmp_path / "folder_page.png"), full_page=True)
    page.get_by_role("button", name="Déposer", exact=True).click()
    expect(page).to_have_url(re.compile(r"/upload/done/\?m=\d+&m=\d+$"))
    expect(page.locator("tr[data-status=documents]")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "upload_done.png"), full_page=True)

    locked = Document.objects.get(filename="verrou.pdf")
    row = page.locator(f'li[data-document="{locked.pk}"]')
    row.locator("input[name=password]").fill("secret")
    row.get_by_role("button", name="Déverrouiller").click()
    expect(page.locator(".messages")).to_contain_text("« verrou.pdf » est déverrouillé")
    expect(page.locator(f'li[data-document="{locked.pk}"]')).to_have_attribute("data-status", "extracted")

    page.get_by_role("link", name="Messages reçus", exact=True).click()
    expect(page.locator("table.message-log tbody tr")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "message_log.png"), full_page=True)
