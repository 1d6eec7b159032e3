"""Browser tests of the review (issue 5): a low-confidence invoice checked and validated with the keyboard, the three
answers to "déjà importée", and invoices imported from a CSV that then get their PDFs attached in bulk."""
import re
from datetime import date
from decimal import Decimal as D

import pytest
from playwright.sync_api import expect

from collecte.extraction.tests.invoice_pdfs import Invoice as Drawn
from collecte.extraction.tests.invoice_pdfs import layout_label_above
from collecte.intake.models import Document
from collecte.ledger import actions
from collecte.ledger.models import SALES, Invoice
from collecte.ledger.tests.helpers import BUYER, SUPPLIER, SUPPLIER_VAT, arrive
from collecte.lib.textpdf import text_to_pdf
from collecte.web.tests.intake_helpers import media  # noqa: F401
from collecte.web.views.invoices import LOW_CONFIDENCE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def review_url(invoice):
    return re.compile(rf"/invoices/{invoice.pk}/review/(\?.*)?$")


def label_above_pdf(number):
    """The number printed under its label ("Facture n°" above "FA-…"), not beside it: the text path reads it from
    the column below the label, which it trusts less (0.72), so the invoice arrives with a low confidence on its
    number without any tweak of the extraction through the ORM."""
    return layout_label_above(Drawn("fr", number, date(2024, 3, 12), [("Prestation de conseil", D("1000.00"), D(20))],
                                    SUPPLIER, SUPPLIER_VAT, "FR7630006000011234567890189", BUYER,
                                    due=date(2024, 4, 11)))


# The highlight's and the first page image's boxes, read in the same frame (the highlight glides from field to field
# and the viewer scrolls smoothly, so two separate reads could disagree).
GEOMETRY = """() => {
    const h = document.querySelector(".highlight"), img = document.querySelector('.page[data-page="1"] img');
    if (!h || h.hidden || !img || !img.complete || !img.naturalWidth) return null;
    const a = h.getBoundingClientRect(), b = img.getBoundingClientRect();
    return {field: h.dataset.field, h: [a.left, a.top, a.right, a.bottom], img: [b.left, b.top, b.right, b.bottom]};
}"""


def highlight_settled_on(page, field, bbox, page_size=(595, 842), pad=2):
    """Wait until the highlight sits, inside the page image, where extraction read `field` (bbox in PDF points from
    the top-left), then return its geometry."""
    (x0, y0, x1, y1), (w, h) = bbox, page_size
    expected = [(x0 - pad) / w, (y0 - pad) / h, (x1 + pad) / w, (y1 + pad) / h]
    page.wait_for_function("""([field, expected]) => {
        const g = (""" + GEOMETRY + """)();
        if (!g || g.field !== field) return false;
        const [l, t, r, b] = g.img, width = r - l, height = b - t;
        const rel = [(g.h[0] - l) / width, (g.h[1] - t) / height, (g.h[2] - l) / width, (g.h[3] - t) / height];
        return rel.every((v, i) => Math.abs(v - expected[i]) < 0.005);
    }""", arg=[field, expected])
    return page.evaluate(GEOMETRY)


def test_a_low_confidence_invoice_is_checked_corrected_and_validated_with_the_keyboard(world, page, login, password,
                                                                                      media):
    first = arrive(world.admin, world.folder, "facture-dupont.pdf", content=label_above_pdf("FA-2024-0200"))
    following = arrive(world.admin, world.folder, "facture-suivante.pdf", number="FA-2024-0300", net=D("250.00"),
                       issue=date(2024, 3, 20), due=date(2024, 4, 19))
    extraction = first.document.extraction
    assert extraction["confidence"]["invoice_number"] < LOW_CONFIDENCE <= extraction["confidence"]["total_incl_tax"]
    assert first.confidence < LOW_CONFIDENCE and first.status == Invoice.Status.PENDING_REVIEW
    number_box = extraction["positions"]["invoice_number"]
    assert number_box["page"] == 1

    login(page, world.admin.email, password)
    page.goto(f"/folders/{world.folder.pk}/review/?direction=purchases")
    expect(page.locator("table.queue tbody tr")).to_have_count(2)
    page.keyboard.press("Enter")  # the queue starts with its oldest invoice
    expect(page).to_have_url(review_url(first))

    number = page.locator('.field[data-field="number"]')
    expect(number).to_have_class(re.compile(r"\blow\b"))
    expect(number.locator(".badge")).to_have_text("à vérifier")
    expect(page.locator('.field[data-field="total_incl_tax"]')).not_to_have_class(re.compile(r"\blow\b"))
    expect(page.locator("#id_number")).to_have_value("FA-2024-0200")

    # The screen opens on the first field to check (the number); Enter moves on to the next field, Shift+Tab back.
    expect(page.locator("#id_number")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_counterparty_name")).to_be_focused()
    expect(page.locator(".highlight")).to_have_attribute("data-field", "counterparty_name")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#id_number")).to_be_focused()

    highlight = page.locator(".highlight")
    expect(highlight).to_be_visible()
    expect(highlight).to_have_attribute("data-field", "number")
    expect(highlight).to_have_class(re.compile(r"\blow\b"))
    expect(page.locator('.page[data-page="1"] .highlight')).to_have_count(1)
    geometry = highlight_settled_on(page, "number", number_box["bbox"])
    (hl, ht, hr, hb), (il, it, ir, ib) = geometry["h"], geometry["img"]
    assert il <= hl < hr <= ir and it <= ht < hb <= ib, geometry
    page.screenshot(path=str(media / "review_highlight.png"))

    page.keyboard.press("Control+A")
    page.keyboard.type("FA-2024-0201")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(review_url(following))
    expect(page.locator(".messages")).to_contain_text("Facture FA-2024-0201 validée.")

    first.refresh_from_db()
    assert first.status == Invoice.Status.UNPAID
    assert first.number == "FA-2024-0201" and first.number_locked
    assert first.validated_by == world.admin

    page.goto(f"/invoices/{first.pk}/review/")
    number_input = page.locator("#id_number")
    expect(number_input).to_be_disabled()
    expect(number_input).to_have_value("FA-2024-0201")
    expect(number.locator(".lock")).to_be_visible()
    expect(number.locator(".lock")).to_have_text("🔒")
    expect(number.locator(".lock")).to_have_attribute("title", "Verrouillé après validation")
    expect(number).to_contain_text("Verrouillé après validation")
    expect(page.locator("[data-validate]")).to_have_count(0)

    page.goto(f"/folders/{world.folder.pk}/invoices/?status=unpaid")
    rows = page.locator("table.invoices tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("FA-2024-0201")
    expect(rows).to_contain_text("En attente de paiement")


def test_an_invoice_imported_again_is_linked_replaced_or_kept(world, page, login, password, media):
    existing = arrive(world.admin, world.folder, "facture.pdf")
    actions.validate_invoice(existing, world.admin)
    original_document = existing.document
    # The same invoice sent again three times, each time a little different (so not the same bytes).
    copy = arrive(world.admin, world.folder, "facture-copie.pdf", net=D("1000.01"))
    corrected = arrive(world.admin, world.folder, "facture-corrigee.pdf", net=D("1000.02"))
    other = arrive(world.admin, world.folder, "facture-autre.pdf", net=D("1000.03"))
    for duplicate in (copy, corrected, other):
        assert (duplicate.duplicate, duplicate.duplicate_of_id) == (Invoice.Duplicate.SAME_NUMBER, existing.pk)

    login(page, world.admin.email, password)
    page.goto(f"/folders/{world.folder.pk}/review/?direction=purchases")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has=page.locator(".badge", has_text="Déjà importée ?"))).to_have_count(3)

    # 1. Link: the new file joins the existing invoice, the new row goes.
    page.goto(f"/invoices/{copy.pk}/review/")
    notice = page.locator("[data-duplicate]")
    expect(notice).to_contain_text("Il semble que cette facture ait déjà été importée")
    expect(notice).to_contain_text("FA-2024-0117")
    expect(notice).to_contain_text("fichier « facture.pdf »")
    page.get_by_role("button", name="Lier ce document à la facture existante").click()
    expect(page).to_have_url(review_url(existing))
    expect(page.locator(".messages")).to_contain_text("Le document est lié à la facture existante FA-2024-0117.")
    expect(page.get_by_role("heading", name="Autres documents de cette facture")).to_be_visible()
    expect(page.locator("ul.doc-list li")).to_have_text(["facture-copie.pdf"])
    assert not Invoice.objects.filter(pk=copy.pk).exists()
    assert list(existing.linked_documents.values_list("pk", flat=True)) == [copy.document_id]

    # 2. Replace, under another file name: confirmed first; the replaced file stays with the invoice.
    page.goto(f"/invoices/{corrected.pk}/review/")
    expect(page.locator("[data-duplicate]")).to_contain_text("Il semble que cette facture ait déjà été importée")
    page.get_by_role("button", name="Remplacer le document de la facture existante").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{corrected.pk}/review/\?confirm_replace=1$"))
    expect(page.locator(".messages")).to_contain_text("confirmez le remplacement")
    existing.refresh_from_db()
    assert existing.document_id == original_document.pk  # nothing changed before the confirmation
    page.get_by_role("button", name="Confirmer le remplacement").click()
    expect(page).to_have_url(review_url(existing))
    expect(page.locator(".messages")).to_contain_text("Le document de la facture FA-2024-0117 est remplacé")
    expect(page.locator("ul.doc-list li")).to_have_count(2)
    expect(page.locator("ul.doc-list")).to_contain_text("facture.pdf")
    existing.refresh_from_db()
    assert existing.document_id == corrected.document_id
    assert set(existing.linked_documents.values_list("pk", flat=True)) == {copy.document_id, original_document.pk}
    assert not Invoice.objects.filter(pk=corrected.pk).exists()
    assert Document.objects.filter(pk=original_document.pk).exists()

    # 3. Keep both: two invoices of that number, and the question is not asked again.
    page.goto(f"/invoices/{other.pk}/review/")
    expect(page.locator("[data-duplicate]")).to_be_visible()
    page.get_by_role("button", name="Conserver les deux").click()
    expect(page).to_have_url(review_url(other))
    expect(page.locator(".messages")).to_contain_text("Les deux factures sont conservées.")
    expect(page.locator("[data-duplicate]")).to_have_count(0)
    expect(page.get_by_text("Il semble que cette facture ait déjà été importée")).to_have_count(0)
    other.refresh_from_db()
    assert (other.duplicate, other.duplicate_of_id, other.kept_apart_from) == ("", None, existing.pk)
    assert set(Invoice.objects.filter(number="FA-2024-0117").values_list("pk", flat=True)) == {existing.pk, other.pk}
    page.goto(f"/folders/{world.folder.pk}/review/?direction=purchases")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue")).not_to_contain_text("Déjà importée ?")


SALES_CSV = "\n".join([
    "Numéro;Client;Date;Échéance;HT;TVA;TTC",
    "V-2024-001;Client Martin SAS;05/03/2024;04/04/2024;100,00;20,00;120,00",
    "V-2024-002;Client Martin SAS;12/03/2024;11/04/2024;250,00;50,00;300,00",
    "V-2024-003;Bistrot Lumière;20/03/2024;19/04/2024;1 000,00;200,00;1 200,00",
    "V-2024-004;Bistrot Lumière;31/02/2024;31/03/2024;80,00;16,00;96,00",
]) + "\n"


def pdf_file(name, text):
    return {"name": name, "mimeType": "application/pdf", "buffer": text_to_pdf(text)}


def test_invoices_imported_from_a_csv_get_their_pdfs_attached_in_bulk(world, page, login, password, media):
    login(page, world.admin.email, password)
    page.goto(f"/folders/{world.folder.pk}/invoices/import/")
    page.select_option("select[name=direction]", label="Ventes")
    page.set_input_files("input[name=file]", {"name": "ventes-mars.csv", "mimeType": "text/csv",
                                               "buffer": SALES_CSV.encode("utf-8")})
    page.get_by_role("button", name="Aperçu").click()
    preview = page.locator("table.import-preview tbody tr")
    expect(preview).to_have_count(4)
    bad = page.locator("table.import-preview tr.row-error")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("V-2024-004")
    expect(bad).to_contain_text("Ligne 5 : la date « 31/02/2024 » n'existe pas")
    expect(page.get_by_text("1 ligne en erreur (ignorée)")).to_be_visible()
    assert not Invoice.objects.exists()  # nothing is written before the confirmation
    page.get_by_role("button", name="Importer 3 factures").click()
    expect(page).to_have_url(re.compile(rf"/folders/{world.folder.pk}/invoices/\?.*direction=sales"))
    expect(page.locator(".messages")).to_contain_text("3 factures importées")
    rows = page.locator("table.invoices tbody tr")
    expect(rows).to_have_count(3)
    for number in ("V-2024-001", "V-2024-002", "V-2024-003"):
        expect(rows.filter(has_text=number)).to_have_count(1)
    imported = {i.number: i for i in Invoice.objects.filter(folder=world.folder)}
    assert set(imported) == {"V-2024-001", "V-2024-002", "V-2024-003"}
    assert all(i.direction == SALES and i.status == Invoice.Status.UNPAID and i.document_id is None
               for i in imported.values())

    page.goto(f"/folders/{world.folder.pk}/invoices/attach/")
    page.select_option("select[name=direction]", label="Ventes")
    page.set_input_files("input[name=files]", [
        pdf_file("Facture_V-2024-001.pdf", "Client Martin SAS\nMerci pour votre commande."),
        pdf_file("scan-0002.pdf", "FACTURE\nFacture n° V-2024-002 du 12/03/2024\nTotal TTC 300,00 EUR"),
        pdf_file("releve-banque.pdf", "Relevé de compte\nSolde au 31/03/2024 : 4 210,55 EUR"),
    ])
    page.get_by_role("button", name="Proposer les rapprochements").click()
    by_name = page.locator('tr[data-attach-row="Facture_V-2024-001.pdf"]')
    by_text = page.locator('tr[data-attach-row="scan-0002.pdf"]')
    nothing = page.locator('tr[data-attach-row="releve-banque.pdf"]')
    expect(by_name).to_contain_text("le nom du fichier")
    expect(by_name.locator("input[type=text]")).to_have_value("V-2024-001")
    expect(by_name.locator("input[type=checkbox]")).to_be_checked()
    expect(by_text).to_contain_text("le texte du PDF")
    expect(by_text.locator("input[type=text]")).to_have_value("V-2024-002")
    expect(by_text.locator("input[type=checkbox]")).to_be_checked()
    expect(nothing).to_contain_text("aucune facture trouvée")
    expect(nothing.locator("input[type=text]")).to_have_value("")
    expect(nothing.locator("input[type=checkbox]")).not_to_be_checked()
    page.get_by_role("button", name="Appliquer").click()
    expect(page.locator(".messages")).to_contain_text("2 documents joints à leurs factures.")

    attached = {i.number: i.document.filename if i.document_id else None
                for i in Invoice.objects.filter(folder=world.folder).select_related("document")}
    assert attached == {"V-2024-001": "Facture_V-2024-001.pdf", "V-2024-002": "scan-0002.pdf", "V-2024-003": None}
    # The unmatched file is kept in the folder all the same, attached to nothing.
    assert Document.objects.filter(folder=world.folder, filename="releve-banque.pdf").exists()


def test_an_emailed_invoice_becomes_unpaid_with_the_keyboard_alone(world, page, login, password, media):
    """The issue's "done when": an email to the folder's purchases address, then, from the queue, only keys."""
    from collecte.ledger.tests.helpers import invoice_pdf
    from collecte.web.tests.intake_helpers import invoice_mail, receive

    receive(world.folder, invoice_mail(("facture-mars.pdf", invoice_pdf(number="FA-2024-0500"), "application/pdf")))
    login(page, world.admin.email, password)
    page.goto(f"/folders/{world.folder.pk}/review/")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#id_number")).to_have_value("FA-2024-0500")
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(rf"/folders/{world.folder.pk}/review/\?direction=purchases$"))
    expect(page.locator(".messages")).to_contain_text("Facture FA-2024-0500 validée.")
    page.goto(f"/folders/{world.folder.pk}/invoices/?status=unpaid")
    expect(page.locator("table.invoices tbody tr")).to_contain_text("FA-2024-0500")
    invoice = Invoice.objects.get(number="FA-2024-0500")
    assert invoice.status == Invoice.Status.UNPAID and invoice.document.message.source == "smtp"
