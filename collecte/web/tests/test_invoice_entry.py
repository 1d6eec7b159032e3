"""Invoices without OCR: typed by hand, imported from CSV/XLSX after a preview with per-row errors, and PDFs
attached in bulk by the number in their name or text, after a person checks the proposals."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collecte.intake.models import Document
from collecte.ledger.models import Invoice
from collecte.lib.textpdf import text_to_pdf
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

CSV = ("Numéro;Client;Date;Échéance;HT;TVA;TTC\n"
       "V-2024-001;Client Alpha;05/01/2024;04/02/2024;100,00;20,00;120,00\n"
       "V-2024-002;Client Bravo;06/01/2024;05/02/2024;1 000,00;200,00;1 200,00\n"
       "V-2024-003;Client Alpha;31/02/2024;05/03/2024;10,00;2,00;12,00\n")


def post_import(client, world, content, name="factures.csv", direction="sales"):
    return client.post(reverse("invoice-import", args=[world.folder.pk]),
                       {"direction": direction, "file": SimpleUploadedFile(name, content)})


def test_it_creates_and_validates_an_invoice_typed_by_hand(world, client_for):
    url = reverse("invoice-new", args=[world.folder.pk])
    values = {"direction": "sales", "kind": "invoice", "number": "M-1", "counterparty_name": "Client Main",
              "total_incl_tax": "1 234,50", "currency": "EUR", "issue_date": "01/03/2024",
              "due_date": "31/03/2024"}
    response = client_for(world.approver).post(url, values)
    assert response.status_code == 302
    invoice = Invoice.objects.get(number="M-1")
    assert (invoice.status, invoice.source, str(invoice.total_incl_tax)) == ("unpaid", "manual", "1234.50")
    again = client_for(world.approver).post(url, values)
    assert "La facture M-1 de ce tiers existe déjà." in html(again)
    assert Invoice.objects.filter(number="M-1").count() == 1


def test_the_import_previews_rows_and_errors_before_writing_anything(world, client_for):
    response = post_import(client_for(world.admin), world, CSV.encode("cp1252"))
    page = html(response)
    assert "Importer 2 factures" in page and "Ligne 4" in page
    assert Invoice.objects.count() == 0
    token = response.context["token"]
    done = client_for(world.admin).post(reverse("invoice-import", args=[world.folder.pk]),
                                        {"token": token, "direction": "sales", "filename": "factures.csv"},
                                        follow=True)
    assert "2 factures importées ; 1 lignes en erreur ignorées." in html(done)
    imported = Invoice.objects.order_by("number")
    assert [(i.number, i.status, i.source, str(i.total_incl_tax)) for i in imported] == [
        ("V-2024-001", "unpaid", "import", "120.00"), ("V-2024-002", "unpaid", "import", "1200.00")]
    # The same file again: every row already exists.
    page = html(post_import(client_for(world.admin), world, CSV.encode("cp1252")))
    assert "la facture V-2024-001 de ce tiers existe déjà dans le dossier" in page


def test_the_import_reads_xlsx(world, client_for):
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Invoice number", "Customer", "Invoice date", "Due date", "Total"])
    sheet.append(["X-1", "Client Excel", datetime(2024, 2, 1), datetime(2024, 3, 1), 99.9])
    out = io.BytesIO()
    book.save(out)
    response = post_import(client_for(world.admin), world, out.getvalue(), "factures.xlsx")
    assert "Importer 1 facture" in html(response)


def test_a_file_without_the_needed_columns_is_refused_with_a_reason(world, client_for):
    page = html(post_import(client_for(world.admin), world, b"foo;bar\n1;2\n"))
    assert "Aucun en-tête reconnu" in page
    page = html(post_import(client_for(world.admin), world, "Numéro;Date;Foo\n1;01/01/2024;2\n".encode()))
    assert "Colonnes manquantes : tiers, montant TTC." in page or "Colonnes manquantes" in page
    assert Invoice.objects.count() == 0


def test_an_expired_import_token_says_so(world, client_for):
    response = client_for(world.admin).post(reverse("invoice-import", args=[world.folder.pk]),
                                            {"token": "0" * 32, "direction": "sales"}, follow=True)
    assert "Cet import a expiré" in html(response)


def test_pdfs_are_attached_after_a_person_checks_the_proposals(world, client_for):
    client = client_for(world.admin)
    token = post_import(client, world, CSV.encode("cp1252")).context["token"]
    client.post(reverse("invoice-import", args=[world.folder.pk]), {"token": token, "direction": "sales"})
    files = [SimpleUploadedFile("Facture_V-2024-001.pdf", text_to_pdf("Facture\nMerci")),
             SimpleUploadedFile("scan-0042.pdf", text_to_pdf("Facture n° V-2024-002\nTotal 1 200,00")),
             SimpleUploadedFile("autre.pdf", text_to_pdf("Rien à voir"))]
    response = client.post(reverse("invoice-attach", args=[world.folder.pk]), {"direction": "sales", "files": files})
    page = html(response)
    assert "le nom du fichier" in page and "le texte du PDF" in page and "aucune facture trouvée" in page
    assert Invoice.objects.filter(document__isnull=False).count() == 0  # nothing applied before the check
    rows = {r["document"].filename: r for r in response.context["rows"]}
    form = {"apply": "1", "direction": "sales"}
    for name, row in rows.items():
        pk = row["document"].pk
        form.setdefault("document", []).append(str(pk))
        form[f"number-{pk}"] = row["proposal"].number or ""
        if row["proposal"].invoice_id:
            form[f"use-{pk}"] = "1"
    done = client.post(reverse("invoice-attach", args=[world.folder.pk]), form, follow=True)
    assert "2 documents joints à leurs factures." in html(done)
    assert Invoice.objects.get(number="V-2024-001").document.filename == "Facture_V-2024-001.pdf"
    assert Invoice.objects.get(number="V-2024-002").document.filename == "scan-0042.pdf"
    unmatched = Document.objects.get(filename="autre.pdf")
    assert unmatched.status == Document.Status.ATTACHED  # kept in the folder, not read by extraction


def test_attach_refuses_documents_of_other_folders(world, client_for):
    from collecte.ledger import actions

    invoice = actions.create_invoice(world.folder, "sales", world.admin,
                                     {"number": "V-9", "counterparty_name": "C", "total_incl_tax": "1",
                                      "issue_date": "2024-01-01", "due_date": "2024-01-31"})
    foreign = Document.objects.create(folder=world.outsider_folder, module="sales", file="x", filename="x.pdf",
                                      content_type="application/pdf", size=1, sha256="0" * 64,
                                      status=Document.Status.ATTACHED)
    client_for(world.admin).post(reverse("invoice-attach", args=[world.folder.pk]),
                                 {"apply": "1", "direction": "sales", "document": [str(foreign.pk)],
                                  f"use-{foreign.pk}": "1", f"number-{foreign.pk}": "V-9"})
    invoice.refresh_from_db()
    assert invoice.document_id is None
