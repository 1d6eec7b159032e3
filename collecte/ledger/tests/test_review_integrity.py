"""What a review must never allow, whoever asks and in whatever order: a validated invoice deleted through a
duplicate decision, a locked number or status undone from a stale copy, a validated invoice losing its type or
required fields, a counterparty or document reached by id past the user's reach, a read amount too big for the
ledger, a page preview of gigabytes."""
from decimal import Decimal

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collecte.api.tests.conftest import api_for  # noqa: F401
from collecte.intake import previews
from collecte.intake.actions import store_attachment
from collecte.intake.models import Document
from collecte.ledger import actions
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import Invoice
from collecte.ledger.tests.helpers import arrive, invoice_pdf
from collecte.tenancy import access
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

SALE = {"counterparty_name": "Client Secret", "total_incl_tax": "100", "issue_date": "2024-01-10",
        "due_date": "2024-02-10"}


def test_a_validated_near_duplicate_cannot_be_decided_away(world, api_for):
    actions.create_invoice(world.folder, "sales", world.standard, {**SALE, "number": "A-1"},
                           member=world.standard_member)
    second = actions.create_invoice(world.folder, "sales", world.standard, {**SALE, "number": "B-2"},
                                    member=world.standard_member, validate=False)
    assert second.duplicate == Invoice.Duplicate.NEAR
    actions.validate_invoice(second, world.standard)
    second.refresh_from_db()
    assert second.duplicate == "" and second.duplicate_of is None  # seen and validated anyway
    Invoice.objects.filter(pk=second.pk).update(duplicate="near")  # as a row flagged before this rule would be
    response = api_for(world.standard).post(f"/api/v1/invoices/{second.pk}/duplicate", {"decision": "link"})
    assert response.status_code == 409 and response.json()["code"] == "already_validated"
    assert Invoice.objects.filter(pk=second.pk).exists()


def test_a_counterparty_is_never_reached_by_id_past_what_the_user_sees(world, api_for):
    secret = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "S-1"}).counterparty
    api = api_for(world.standard)
    created = api.post(f"/api/v1/folders/{world.folder.pk}/invoices",
                       {"direction": "sales", "number": "X-1", "counterparty_id": secret.pk, "total_incl_tax": "1",
                        "issue_date": "2024-01-01", "due_date": "2024-01-31", "validate": False})
    assert created.status_code == 422 and created.json()["code"] == "invalid_counterparty"
    assert "IBAN" not in created.content.decode() and secret.name not in created.content.decode()
    mine = actions.create_invoice(world.folder, "sales", world.standard, {**SALE, "number": "M-1",
                                                                          "counterparty_name": "Client Perso"},
                                  member=world.standard_member, validate=False)
    patched = api.patch(f"/api/v1/invoices/{mine.pk}", {"counterparty_id": secret.pk})
    assert patched.status_code == 422 and patched.json()["code"] == "invalid_counterparty"


def test_a_stale_copy_neither_unlocks_the_number_nor_undoes_validation(world):
    invoice = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "S-1"}, validate=False)
    stale = Invoice.objects.get(pk=invoice.pk)
    actions.validate_invoice(invoice, world.admin)
    with pytest.raises(LedgerError) as refused:
        actions.update_invoice(stale, world.admin, {"number": "S-1-CHANGED"})
    assert refused.value.code == "number_locked"
    with pytest.raises(LedgerError):
        actions.reject_invoice(Invoice.objects.get(pk=invoice.pk), world.admin)
    invoice.refresh_from_db()
    assert (invoice.number, invoice.status) == ("S-1", Invoice.Status.UNPAID) and invoice.validated_at


def test_a_validated_invoice_keeps_its_type_and_required_fields(world, api_for):
    invoice = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "S-1"})
    api = api_for(world.admin)
    kind = api.patch(f"/api/v1/invoices/{invoice.pk}", {"kind": "credit_note"})
    assert kind.status_code == 409 and kind.json()["code"] == "kind_locked"
    emptied = api.patch(f"/api/v1/invoices/{invoice.pk}", {"total_incl_tax": "", "due_date": ""})
    assert emptied.status_code == 422 and emptied.json()["code"] == "missing_fields"
    invoice.refresh_from_db()
    assert (invoice.kind, invoice.total_incl_tax, str(invoice.due_date)) == ("invoice", Decimal("100.00"),
                                                                           "2024-02-10")


def test_restricted_receivables_hide_their_documents_and_messages(world, client_for):
    invoice = arrive(world.admin, world.folder, "vente.pdf", module="sales", number="V-1")
    actions.validate_invoice(invoice, world.admin)
    world.folder.restrict_receivables = True
    world.folder.save()
    client = client_for(world.approver)
    assert client.get(reverse("invoice-review", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("document-page", args=[invoice.document_id, 1])).status_code == 404
    assert client.get(reverse("document-file", args=[invoice.document_id])).status_code == 404
    assert client.get(reverse("message-detail", args=[invoice.document.message_id])).status_code == 404
    invoice.counterparty.assigned_to.add(world.approver_member)
    assert client.get(reverse("document-file", args=[invoice.document_id])).status_code == 200


def test_attaching_the_bytes_of_someone_elses_document_makes_a_copy_of_ones_own(world):
    content = invoice_pdf(number="ADM-1")
    original = arrive(world.admin, world.folder, "admin-original.pdf", content=content).document
    reach = access.get_folder_access(world.standard, world.folder.pk)
    copy = store_attachment(reach, "purchases", "mine.pdf", content)
    assert copy.pk != original.pk and copy.duplicate_of_id == original.pk and copy.filename == "mine.pdf"
    assert copy.status == Document.Status.ATTACHED and copy.submitted_by == world.standard_member
    own = store_attachment(access.get_folder_access(world.admin, world.folder.pk), "purchases", "again.pdf", content)
    assert own.pk == original.pk  # the admin sees the original: the same bytes are that document again


def test_a_document_two_invoices_share_is_not_read_again(world):
    first = arrive(world.admin, world.folder, "f.pdf")
    other = actions.create_invoice(world.folder, "purchases", world.admin, {**SALE, "number": "T-1"})
    actions.attach_document(other, first.document, world.admin)
    with pytest.raises(LedgerError) as refused:
        actions.delete_and_reimport(first, world.admin)
    assert refused.value.code == "document_shared"
    assert Invoice.objects.filter(pk=first.pk).exists()


def test_an_amount_too_big_for_the_ledger_is_left_for_the_person(world):
    invoice = arrive(world.admin, world.folder)
    document = invoice.document
    invoice.delete()
    document.extraction = {**document.extraction, "total_incl_tax": "123456789012345678.99"}
    again = actions.invoice_from_document(document)
    assert again.total_incl_tax is None and again.total_excl_tax == Decimal("1000.00")


def test_a_page_drawn_very_tall_previews_at_a_bounded_size(world, settings):
    from io import BytesIO

    from PIL import Image

    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(400, 14400))
        out = BytesIO()
        pdf.save(out)
    reach = access.get_folder_access(world.admin, world.folder.pk)
    document = store_attachment(reach, "purchases", "long.pdf", out.getvalue())
    image = Image.open(BytesIO(previews.page_png(document, 1)))
    assert image.height <= previews.MAX_PREVIEW_HEIGHT and image.width <= previews.PREVIEW_WIDTH


def test_the_bulk_attach_api_does_not_hand_over_a_hidden_document(world, api_for):
    content = invoice_pdf(number="ADM-2")
    original = arrive(world.admin, world.folder, "admin-original.pdf", content=content).document
    actions.create_invoice(world.folder, "purchases", world.standard, {**SALE, "number": "ADM-2"},
                           member=world.standard_member, validate=False)
    api = api_for(world.standard)
    response = api.client.post(f"/api/v1/folders/{world.folder.pk}/invoices/attach",
                               {"files": [SimpleUploadedFile("copie.pdf", content)], "direction": "purchases",
                                "apply": "true"}, **api.headers)
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["document_id"] != original.pk and row["filename"] == "copie.pdf" and row["applied"]
    original.refresh_from_db()
    assert original.extraction is not None
