"""Invoices that arrive the way real ones do: a PDF drawn in code, uploaded by a persona through the intake, read
by extraction (huey runs jobs immediately in tests), and waiting in the review queue."""
from datetime import date
from decimal import Decimal as D

from collecte.extraction.tests.invoice_pdfs import Invoice as Drawn
from collecte.extraction.tests.invoice_pdfs import layout_label_left
from collecte.ledger.models import Invoice
from collecte.web.tests.intake_helpers import upload_as

SUPPLIER = ("Atelier Dupont SARL", "12 rue des Lilas", "69003 Lyon")
SUPPLIER_VAT = "FR40303265045"
BUYER = ("Boulangerie Martin", "3 rue Haute", "21000 Dijon")


def invoice_pdf(number="FA-2024-0117", issue=date(2024, 3, 12), net=D("1000.00"), due=date(2024, 4, 11),
                seller=SUPPLIER, seller_vat=SUPPLIER_VAT, credit_note=False, buyer=BUYER) -> bytes:
    return layout_label_left(Drawn("fr", number, issue, [("Prestation de conseil", net, D(20))], seller, seller_vat,
                                   "FR7630006000011234567890189", buyer, due=due, credit_note=credit_note))


def arrive(user, folder, filename="facture.pdf", content=None, module="purchases", **drawn) -> Invoice:
    """Upload as `user`; the invoice extraction made of it (pending review)."""
    row = upload_as(user, folder, filename, content or invoice_pdf(**drawn), module=module)
    document = row.documents.get()
    return Invoice.objects.get(document=document)
