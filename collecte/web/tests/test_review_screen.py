"""The review screen: the page beside the form, each field with where it was read and how sure extraction was;
validate (the number locks) and go to the next one, skip, reject; delete and import the document again.
Other folders' users and standard users who did not submit the invoice get 404."""
import pytest
from django.urls import reverse

from collecte.ledger.models import Invoice, InvoiceEvent
from collecte.ledger.tests.helpers import arrive
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def review_url(invoice):
    return reverse("invoice-review", args=[invoice.pk])


def form_values(client, invoice, **changes):
    form = client.get(review_url(invoice)).context["form"]
    return {**{k: form.initial.get(k) or "" for k in form.fields if not form.fields[k].disabled}, **changes}


def test_it_shows_the_pages_and_where_each_field_was_read(world, client_for):
    invoice = arrive(world.admin, world.folder)
    response = client_for(world.owner).get(review_url(invoice))
    page = html(response)
    assert reverse("document-page", args=[invoice.document_id, 1]) in page
    assert 'data-field="number" data-page="1" data-bbox="' in page
    assert 'value="FA-2024-0117"' in page and 'value="1200,00"' in page and 'value="12/03/2024"' in page
    image = client_for(world.owner).get(reverse("document-page", args=[invoice.document_id, 1]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client_for(world.owner).get(reverse("document-page", args=[invoice.document_id, 2])).status_code == 404


def test_it_marks_the_fields_extraction_was_unsure_of(world, client_for):
    invoice = arrive(world.admin, world.folder)
    document = invoice.document
    document.extraction["confidence"]["invoice_number"] = 0.4
    document.save(update_fields=["extraction"])
    page = html(client_for(world.owner).get(review_url(invoice)))
    number_block = page[page.index('data-field="number"') - 40:page.index('data-field="number"')]
    assert " low" in number_block
    assert "à vérifier" in page


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin", "approver"])
def test_it_validates_and_goes_to_the_next_invoice(world, client_for, persona):
    first = arrive(world.admin, world.folder, "a.pdf", number="FA-1")
    second = arrive(world.admin, world.folder, "b.pdf", number="FA-2")
    client = client_for(getattr(world, persona))
    response = client.post(review_url(first), {**form_values(client, first), "action": "validate"})
    assert response.status_code == 302 and response["Location"] == review_url(second)
    first.refresh_from_db()
    assert first.status == Invoice.Status.UNPAID and first.validated_by == getattr(world, persona)
    assert first.counterparty.name == "Atelier Dupont SARL" and first.counterparty.vat_id == "FR40303265045"
    assert list(first.events.values_list("action", flat=True)) == ["extracted", "validated"]


def test_a_validated_number_is_locked(world, client_for):
    invoice = arrive(world.admin, world.folder)
    client = client_for(world.admin)
    client.post(review_url(invoice), {**form_values(client, invoice), "action": "validate"})
    page = html(client.get(review_url(invoice)))
    assert 'name="number"' in page and "disabled" in page[page.index('name="number"') - 200:
                                                            page.index('name="number"') + 200]
    assert "Verrouillé après validation" in page and "Supprimer et réimporter le document" in page
    client.post(review_url(invoice), {**form_values(client, invoice), "number": "OTHER", "due_date": "30/04/2024",
                                      "action": "save"})
    invoice.refresh_from_db()
    assert invoice.number == "FA-2024-0117" and str(invoice.due_date) == "2024-04-30"


def test_a_credit_note_needs_no_due_date_but_an_invoice_does(world, client_for):
    invoice = arrive(world.admin, world.folder)
    client = client_for(world.admin)
    response = client.post(review_url(invoice), {**form_values(client, invoice), "due_date": "",
                                                 "action": "validate"})
    assert response.status_code == 200
    assert "Il manque pour valider : date d'échéance." in html(response)
    response = client.post(review_url(invoice), {**form_values(client, invoice), "due_date": "",
                                                 "kind": "credit_note", "action": "validate"})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CREDIT_AVAILABLE


def test_bad_values_are_named_on_their_field(world, client_for):
    invoice = arrive(world.admin, world.folder)
    client = client_for(world.admin)
    response = client.post(review_url(invoice), {**form_values(client, invoice), "total_incl_tax": "douze",
                                                 "action": "validate"})
    assert response.context["form"].errors["total_incl_tax"] == ["Montant invalide (exemple : 1234,56)."]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING_REVIEW


def test_skip_and_reject(world, client_for):
    first = arrive(world.admin, world.folder, "a.pdf", number="FA-1")
    second = arrive(world.admin, world.folder, "b.pdf", number="FA-2")
    client = client_for(world.admin)
    assert client.post(review_url(first), {"action": "skip"})["Location"] == review_url(second)
    # The last one wraps round to the oldest left.
    assert client.post(review_url(second), {"action": "skip"})["Location"] == review_url(first)
    client.post(review_url(first), {**form_values(client, first), "action": "reject", "reason": "pas pour nous"})
    first.refresh_from_db()
    assert first.status == Invoice.Status.REJECTED and first.rejected_reason == "pas pour nous"
    client.post(reverse("invoice-reopen", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == Invoice.Status.PENDING_REVIEW


def test_a_correction_at_review_teaches_the_supplier_memory(world, client_for):
    from collecte.intake.models import SupplierMemory

    invoice = arrive(world.admin, world.folder)
    client = client_for(world.admin)
    client.post(review_url(invoice), {**form_values(client, invoice), "total_incl_tax": "1199,99",
                                      "action": "validate"})
    corrections = invoice.document.__class__.objects.get(pk=invoice.document_id).extraction["corrections"]
    assert corrections[-1]["fields"] == {"total_incl_tax": "1199.99"}
    assert SupplierMemory.objects.filter(folder=world.folder, key="vat:FR40303265045").exists()


def test_delete_and_reimport_gives_a_new_pending_invoice_of_the_same_document(world, client_for):
    invoice = arrive(world.admin, world.folder)
    client = client_for(world.admin)
    client.post(review_url(invoice), {**form_values(client, invoice), "action": "validate"})
    response = client.post(reverse("invoice-delete", args=[invoice.pk]), {"reimport": "1"})
    assert response.status_code == 302
    again = Invoice.objects.get(document_id=invoice.document_id)
    assert again.pk != invoice.pk and again.status == Invoice.Status.PENDING_REVIEW
    deleted = InvoiceEvent.objects.get(action="deleted")
    assert deleted.invoice is None and deleted.invoice_number == "FA-2024-0117" and deleted.actor == world.admin


@pytest.mark.parametrize("persona", ["outsider", "unassigned", "standard"])
def test_others_get_404(world, client_for, persona):
    invoice = arrive(world.admin, world.folder)  # a standard user did not submit it
    client = client_for(getattr(world, persona))
    assert client.get(review_url(invoice)).status_code == 404
    assert client.post(review_url(invoice), {"action": "validate"}).status_code == 404
    assert client.post(reverse("invoice-delete", args=[invoice.pk])).status_code == 404
    assert client.post(reverse("invoice-duplicate", args=[invoice.pk]), {"decision": "link"}).status_code == 404
    assert client.get(reverse("document-page", args=[invoice.document_id, 1])).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PENDING_REVIEW


def test_a_standard_user_reviews_what_they_submitted_but_deletes_only_while_pending(world, client_for):
    invoice = arrive(world.standard, world.folder)
    client = client_for(world.standard)
    assert client.get(review_url(invoice)).status_code == 200
    client.post(review_url(invoice), {**form_values(client, invoice), "action": "validate"})
    assert client.post(reverse("invoice-delete", args=[invoice.pk])).status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_an_approver_may_not_delete(world, client_for):
    invoice = arrive(world.admin, world.folder)
    assert client_for(world.approver).post(reverse("invoice-delete", args=[invoice.pk])).status_code == 403
    assert "Supprimer la facture" not in html(client_for(world.approver).get(review_url(invoice)))
