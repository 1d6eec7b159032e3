"""Correcting what extraction read, from the message log: the form shows what was read, saves only what changed,
and the same supplier's next invoice is read with what was learned. Outsiders and other users get 404."""
import pytest
from django.urls import reverse

from collecte.intake.models import Document, SupplierMemory
from collecte.intake.tests.test_supplier_memory import SUPPLIER_VAT, awkward
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media, upload_as  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def first_invoice(world, user=None):
    row = upload_as(user or world.admin, world.folder, "nordwind-1.pdf", awkward("ZX-5531", "03/04/2024", "1,250.00"))
    return row.documents.get()


def url(document):
    return reverse("document-correct", args=[document.pk])


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin", "approver"])
def test_folder_users_who_see_the_document_get_the_form_with_what_was_read(world, client_for, persona):
    document = first_invoice(world)
    response = client_for(getattr(world, persona)).get(url(document))
    assert response.status_code == 200
    page = html(response)
    assert "Corriger la lecture de « nordwind-1.pdf »" in page
    assert f'value="{SUPPLIER_VAT}"' in page


@pytest.mark.parametrize("persona", ["outsider", "unassigned", "standard"])
def test_others_get_404(world, client_for, persona):
    document = first_invoice(world)  # submitted by the admin: a standard user does not see it
    assert client_for(getattr(world, persona)).get(url(document)).status_code == 404
    assert client_for(getattr(world, persona)).post(url(document), {"invoice_number": "X"}).status_code == 404
    assert "corrections" not in Document.objects.get(pk=document.pk).extraction


def test_the_message_log_links_to_the_correction(world, client_for):
    document = first_invoice(world)
    page = html(client_for(world.owner).get(reverse("message-detail", args=[document.message_id])))
    assert url(document) in page


def test_a_correction_is_saved_and_the_next_invoice_is_read_right(world, client_for):
    document = first_invoice(world)
    client = client_for(world.collaborator)
    initial = client.get(url(document)).context["form"].initial
    response = client.post(url(document), {**{k: v or "" for k, v in initial.items()}, "invoice_number": "ZX-5531",
                                           "issue_date": "2024-03-04", "total_incl_tax": "1250.00"}, follow=True)
    assert "Corrections enregistrées pour « nordwind-1.pdf »" in html(response)
    stored = Document.objects.get(pk=document.pk).extraction
    assert set(stored["corrections"][-1]["fields"]) == {"invoice_number", "issue_date", "total_incl_tax"}
    assert SupplierMemory.objects.filter(folder=world.folder, key=f"vat:{SUPPLIER_VAT}").exists()
    second = upload_as(world.admin, world.folder, "nordwind-2.pdf", awkward("ZX-5602", "04/11/2024", "980.40"))
    read = second.documents.get().extraction
    assert (read["invoice_number"], read["issue_date"], read["total_incl_tax"]) == ("ZX-5602", "2024-04-11", "980.40")


def test_a_bad_amount_is_refused_on_the_form(world, client_for):
    document = first_invoice(world)
    response = client_for(world.owner).post(url(document), {"total_tax": "douze"})
    assert response.status_code == 200
    assert "Montant invalide pour total_tax" in html(response)
