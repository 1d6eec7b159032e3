"""What arrives is read by the same code as `collecte extract`: e-invoice XML first, then the PDF's text."""
from email.message import EmailMessage

import pytest
from facturx import generate_from_binary

from collecte.extraction.tests.einvoice_fixtures import blank_pdf, cii_invoice
from collecte.extraction.tests.invoice_pdfs import french_label_left
from collecte.intake.receive import accept_email

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(world, *attachments):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "factures@fournisseur.example", "x@localhost", "Facture"
    msg.set_content("Bonjour")
    for name, content, subtype in attachments:
        maintype = "application"
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    address = world.folder.addresses.active().get(module="purchases", member__isnull=True)
    [row] = accept_email(msg.as_bytes(), [address])
    row.refresh_from_db()
    return row


def test_it_reads_a_factur_x_invoice_exactly_as_it_arrives(world):
    pdf = generate_from_binary(blank_pdf(), cii_invoice(number="FA-2026-042"), check_xsd=True)
    row = deliver(world, ("facture.pdf", pdf, "pdf"))
    document = row.documents.get()
    assert document.status == "extracted"
    assert document.extraction["source"] == "factur-x"
    assert document.extraction["invoice_number"] == "FA-2026-042"


def test_it_reads_the_xml_that_came_beside_its_pdf(world):
    row = deliver(world, ("facture.pdf", blank_pdf(), "pdf"), ("facture.xml", cii_invoice(number="FA-XML-7"), "xml"))
    document = row.documents.get()
    assert document.einvoice_xml
    assert document.extraction["source"] == "cii" and document.extraction["invoice_number"] == "FA-XML-7"


def test_it_reads_the_text_of_an_ordinary_pdf_invoice(world):
    row = deliver(world, ("facture.pdf", french_label_left(), "pdf"))
    document = row.documents.get()
    assert document.extraction["source"] == "pdf-text"
    assert document.extraction["invoice_number"]


def test_it_keeps_the_reason_when_nothing_can_be_read(world):
    row = deliver(world, ("scan.pdf", blank_pdf(), "pdf"))
    document = row.documents.get()
    assert document.status == "extracted" and document.extraction["source"] is None
    assert any("no_text_layer" in w for w in document.extraction["warnings"])


def test_it_does_not_read_duplicates_again(world):
    pdf = french_label_left()
    deliver(world, ("a.pdf", pdf, "pdf"))
    second = deliver(world, ("b.pdf", pdf, "pdf")).documents.get()
    assert second.status == "duplicate" and second.extraction is None


def test_the_folders_own_company_is_never_read_as_the_supplier(world):
    from collecte.extraction.tests.test_parties_and_crosscheck import SUPPLIER_VAT, purchase_printing_the_client_first

    world.folder.vat_id, world.folder.siren = "FR44732829320", "732829320"
    world.folder.save()
    row = deliver(world, ("facture.pdf", purchase_printing_the_client_first(), "pdf"))
    extraction = row.documents.get().extraction
    assert extraction["seller"]["vat_id"] == SUPPLIER_VAT
    assert extraction["buyer"]["vat_id"] == "FR44732829320"
