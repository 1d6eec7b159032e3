"""/folders/{id}/invoices, /invoices/{id} (read, events, changes, validation, duplicates, deletion), invoices typed
in by API and files attached in bulk: personas, the error contract, and the ledger rules seen from a script."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from collecte.intake.models import Document
from collecte.ledger import actions
from collecte.ledger.models import Counterparty, Invoice, InvoiceEvent
from collecte.extraction.tests.invoice_pdfs import Invoice as Drawn
from collecte.extraction.tests.invoice_pdfs import layout_label_left
from collecte.ledger.tests.helpers import arrive, invoice_pdf
from collecte.web.tests.intake_helpers import make_pdf, media  # noqa: F401

from .helpers import assert_error

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

OTHER_SUPPLIER = ("Imprimerie Leroy", "5 avenue Foch", "75008 Paris")
OTHER_SUPPLIER_VAT = "FR83404833048"
OTHER_SUPPLIER_IBAN = "FR7610107001011234567890129"
SUPPLIER_IBAN = "FR7630006000011234567890189"  # the one invoice_pdf() prints
BUYER_AS_SELLER = ("Boulangerie Martin", "3 rue Haute", "21000 Dijon")


def invoices_url(folder_id):
    return f"/api/v1/folders/{folder_id}/invoices"


def invoice_url(invoice, suffix=""):
    return f"/api/v1/invoices/{getattr(invoice, 'pk', invoice)}{suffix}"


def listed(api, folder, query=""):
    response = api.get(invoices_url(folder.pk) + query)
    assert response.status_code == 200, response.content
    return response.json()


def numbers(body):
    return [i["number"] for i in body["items"]]


def typed(folder, user, number, name="Client Alpha", direction="sales", validate=True, **values):
    """An invoice typed in through the same action the API uses."""
    values = {"number": number, "counterparty_name": name, "total_incl_tax": "1200.00", "issue_date": "2024-03-01",
              "due_date": "2024-03-31", **values}
    return actions.create_invoice(folder, direction, user, values, validate=validate)


def aged(invoice, days):
    """Move an invoice's arrival back in time (the queue orders by it)."""
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - timedelta(days=days))


# --- listing --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin", "approver"])
def test_it_lists_every_invoice_of_the_folder_to_staff_admins_and_approvers(world, api_for, persona):
    arrive(world.standard, world.folder, "mien.pdf", number="M-001", net=D("100.00"))
    arrive(world.admin, world.folder, "admin.pdf", number="A-001", net=D("200.00"))
    body = listed(api_for(getattr(world, persona)), world.folder)
    assert body["count"] == 2 and sorted(numbers(body)) == ["A-001", "M-001"]
    assert set(body["items"][0]) >= {"id", "folder_id", "direction", "kind", "status", "number", "number_locked",
                                     "counterparty", "counterparty_read", "total_incl_tax", "issue_date",
                                     "due_date", "document_id", "duplicate", "duplicate_of", "created_at"}


def test_it_lists_only_what_a_standard_user_submitted(world, api_for):
    mine = arrive(world.standard, world.folder, "mien.pdf", number="M-001", net=D("100.00"))
    arrive(world.admin, world.folder, "admin.pdf", number="A-001", net=D("200.00"))
    body = listed(api_for(world.standard), world.folder)
    assert body["count"] == 1 and [i["id"] for i in body["items"]] == [mine.pk]


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_answers_404_on_the_folder_list_to_people_without_access(world, api_for, persona):
    arrive(world.admin, world.folder)
    assert_error(api_for(getattr(world, persona)).get(invoices_url(world.folder.pk)), 404, "not_found")


def test_it_answers_401_without_a_token(world, anonymous_api):
    assert_error(anonymous_api.get(invoices_url(world.folder.pk)), 401, "not_authenticated")


def test_it_lists_pending_invoices_oldest_first_and_the_others_newest_first(world, api_for):
    old = arrive(world.admin, world.folder, "old.pdf", number="FA-2024-0201", net=D("100.00"))
    new = arrive(world.admin, world.folder, "new.pdf", number="FA-2024-0203", net=D("200.00"))
    middle = arrive(world.admin, world.folder, "mid.pdf", number="FA-2024-0202", net=D("300.00"))
    aged(old, 3), aged(middle, 2), aged(new, 1)
    validated = typed(world.folder, world.admin, "VTE-2024-001")
    aged(validated, 5)
    api = api_for(world.owner)
    assert numbers(listed(api, world.folder, "?status=pending_review")) == [
        "FA-2024-0201", "FA-2024-0202", "FA-2024-0203"]
    assert numbers(listed(api, world.folder)) == ["FA-2024-0203", "FA-2024-0202", "FA-2024-0201", "VTE-2024-001"]


def test_it_filters_by_status_and_direction(world, api_for):
    arrive(world.admin, world.folder, "achat.pdf", number="ACH-1")
    typed(world.folder, world.admin, "VTE-1")
    typed(world.folder, world.admin, "VTE-2", validate=False)
    api = api_for(world.owner)
    assert numbers(listed(api, world.folder, "?status=unpaid")) == ["VTE-1"]
    assert sorted(numbers(listed(api, world.folder, "?direction=sales"))) == ["VTE-1", "VTE-2"]
    assert numbers(listed(api, world.folder, "?direction=purchases")) == ["ACH-1"]
    assert numbers(listed(api, world.folder, "?direction=sales&status=pending_review")) == ["VTE-2"]
    assert_error(api.get(invoices_url(world.folder.pk) + "?status=lost"), 422, "validation_error")
    assert_error(api.get(invoices_url(world.folder.pk) + "?direction=personal"), 422, "validation_error")


def test_it_searches_numbers_and_counterparty_names(world, api_for):
    arrive(world.admin, world.folder, "achat.pdf", number="FA-2024-0117")  # pending: the name extraction read
    typed(world.folder, world.admin, "VTE-0042", name="Hôtel du Lac")  # validated: its counterparty
    api = api_for(world.owner)
    assert numbers(listed(api, world.folder, "?q=2024-01")) == ["FA-2024-0117"]
    assert numbers(listed(api, world.folder, "?q=atelier%20dupont")) == ["FA-2024-0117"]
    assert numbers(listed(api, world.folder, "?q=du%20lac")) == ["VTE-0042"]
    assert numbers(listed(api, world.folder, "?q=0042")) == ["VTE-0042"]
    assert listed(api, world.folder, "?q=inconnu")["count"] == 0


def test_it_lists_only_open_invoices_past_their_due_date_as_overdue(world, api_for):
    typed(world.folder, world.admin, "LATE-1", due_date="2024-03-31")
    typed(world.folder, world.admin, "LATER-1", due_date=(date.today() + timedelta(days=60)).isoformat())
    typed(world.folder, world.admin, "PENDING-1", validate=False, due_date="2024-03-31")
    typed(world.folder, world.admin, "AVOIR-1", kind="credit_note", due_date="2024-03-31")
    api = api_for(world.owner)
    assert numbers(listed(api, world.folder, "?overdue=true")) == ["LATE-1"]
    assert listed(api, world.folder, "?overdue=false")["count"] == 4


def test_it_pages_with_limit_and_offset(world, api_for):
    for n in range(5):
        aged(typed(world.folder, world.admin, f"VTE-{n}"), 10 - n)
    api = api_for(world.owner)
    body = listed(api, world.folder, "?limit=2")
    assert numbers(body) == ["VTE-4", "VTE-3"] and body["count"] == 5
    body = listed(api, world.folder, "?limit=2&offset=2")
    assert numbers(body) == ["VTE-2", "VTE-1"] and body["count"] == 5
    assert numbers(listed(api, world.folder, "?limit=2&offset=4")) == ["VTE-0"]
    assert listed(api, world.folder, "?offset=10")["items"] == []
    for bad in ("?limit=0", "?limit=201", "?offset=-1", "?limit=abc"):
        assert_error(api.get(invoices_url(world.folder.pk) + bad), 422, "validation_error")


# --- one invoice and its history ------------------------------------------------------------------------------

def test_it_shows_one_invoice_as_extraction_read_it(world, api_for):
    invoice = arrive(world.standard, world.folder)
    response = api_for(world.standard).get(invoice_url(invoice))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["folder_id"], body["direction"], body["kind"], body["status"]) == (
        invoice.pk, world.folder.pk, "purchases", "invoice", "pending_review")
    assert body["number"] == "FA-2024-0117" and body["number_locked"] is False
    assert body["counterparty"] is None and body["counterparty_read"]["name"] == "Atelier Dupont SARL"
    assert (body["total_excl_tax"], body["total_tax"], body["total_incl_tax"]) == ("1000.00", "200.00", "1200.00")
    assert (body["issue_date"], body["due_date"]) == ("2024-03-12", "2024-04-11")
    assert body["document_id"] == invoice.document_id and body["linked_document_ids"] == []
    assert body["duplicate"] == "" and body["duplicate_of"] is None and body["validated_at"] is None


def test_it_shows_who_extracted_changed_and_validated_in_the_events(world, api_for):
    invoice = arrive(world.standard, world.folder)
    admin = api_for(world.admin)
    assert admin.patch(invoice_url(invoice), {"total_incl_tax": "1 250,00"}).status_code == 200
    assert admin.post(invoice_url(invoice, "/validate")).status_code == 200
    response = api_for(world.standard).get(invoice_url(invoice, "/events"))
    assert response.status_code == 200, response.content
    events = response.json()
    assert [(e["action"], e["actor"]) for e in events] == [
        ("extracted", None), ("changed", "admin@client.example"), ("validated", "admin@client.example")]
    assert events[0]["changes"]["document"] == invoice.document_id
    assert events[1]["changes"] == {"total_incl_tax": ["1200.00", "1250.00"]}
    assert events[2]["changes"] == {"status": "unpaid"}


def test_it_hides_someone_elses_invoice_from_a_standard_user(world, api_for):
    theirs = arrive(world.admin, world.folder)
    api = api_for(world.standard)
    assert_error(api.get(invoice_url(theirs)), 404, "not_found")
    assert_error(api.get(invoice_url(theirs, "/events")), 404, "not_found")
    assert_error(api.patch(invoice_url(theirs), {"due_date": "2024-05-01"}), 404, "not_found")
    assert_error(api.post(invoice_url(theirs, "/validate")), 404, "not_found")
    assert_error(api.delete(invoice_url(theirs)), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == "pending_review" and theirs.due_date == date(2024, 4, 11)


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_answers_404_on_an_invoice_to_people_without_access(world, api_for, persona):
    first = arrive(world.admin, world.folder, "facture.pdf")
    second = arrive(world.admin, world.folder, "copie.pdf", due=date(2024, 4, 12))
    assert second.duplicate == "same_number"
    api = api_for(getattr(world, persona))
    assert_error(api.get(invoice_url(first)), 404, "not_found")
    assert_error(api.get(invoice_url(first, "/events")), 404, "not_found")
    assert_error(api.patch(invoice_url(first), {"number": "X-1"}), 404, "not_found")
    assert_error(api.post(invoice_url(first, "/validate")), 404, "not_found")
    assert_error(api.post(invoice_url(second, "/duplicate"), {"decision": "link"}), 404, "not_found")
    assert_error(api.delete(invoice_url(first)), 404, "not_found")
    assert_error(api.delete(invoice_url(first) + "?reimport=true"), 404, "not_found")
    assert Invoice.objects.count() == 2
    first.refresh_from_db()
    assert first.number == "FA-2024-0117" and first.status == "pending_review"


def test_it_answers_404_for_an_invoice_that_does_not_exist(world, api_for):
    assert_error(api_for(world.owner).get(invoice_url(999999)), 404, "not_found")


# --- changes --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount, expected", [("1 234,56", "1234.56"), ("1234.56", "1234.56"),
                                              ("1.234,56", "1234.56"), ("1\u202f234,56 €", "1234.56")])
def test_it_reads_amounts_written_the_french_or_the_plain_way(world, api_for, amount, expected):
    invoice = arrive(world.admin, world.folder)
    response = api_for(world.admin).patch(invoice_url(invoice), {"total_incl_tax": amount})
    assert response.status_code == 200, response.content
    assert response.json()["total_incl_tax"] == expected
    invoice.refresh_from_db()
    assert invoice.total_incl_tax == D(expected)


@pytest.mark.parametrize("written, expected", [("15/03/2024", "2024-03-15"), ("2024-03-20", "2024-03-20"),
                                               ("5/4/2024", "2024-04-05")])
def test_it_reads_dates_in_both_formats(world, api_for, written, expected):
    invoice = arrive(world.admin, world.folder)
    response = api_for(world.admin).patch(invoice_url(invoice), {"issue_date": written, "due_date": written})
    assert response.status_code == 200, response.content
    assert (response.json()["issue_date"], response.json()["due_date"]) == (expected, expected)


def test_it_changes_only_the_fields_sent_and_records_them(world, api_for):
    invoice = arrive(world.standard, world.folder)
    response = api_for(world.standard).patch(invoice_url(invoice), {
        "number": "FA-2024-0118", "total_excl_tax": "1 000,00", "total_tax": "200", "total_incl_tax": "1200.00",
        "due_date": "30/04/2024", "currency": "usd"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["number"], body["due_date"], body["currency"]) == ("FA-2024-0118", "2024-04-30", "USD")
    assert body["issue_date"] == "2024-03-12" and body["status"] == "pending_review"
    changed = InvoiceEvent.objects.get(invoice=invoice, action="changed")
    assert changed.actor == world.standard
    # Amounts equal to what was read are no change at all.
    assert changed.changes == {"number": ["FA-2024-0117", "FA-2024-0118"], "due_date": ["2024-04-11", "2024-04-30"],
                               "currency": ["EUR", "USD"]}


def test_it_clears_a_field_sent_empty(world, api_for):
    invoice = arrive(world.admin, world.folder)
    response = api_for(world.admin).patch(invoice_url(invoice), {"due_date": ""})
    assert response.status_code == 200 and response.json()["due_date"] is None


@pytest.mark.parametrize("field, value, code", [
    ("total_incl_tax", "douze euros", "invalid_amount"), ("total_excl_tax", "12,34,56", "invalid_amount"),
    ("total_tax", "1e", "invalid_amount"), ("issue_date", "31/02/2024", "invalid_date"),
    ("due_date", "2024-13-01", "invalid_date"), ("due_date", "demain", "invalid_date"),
    ("issue_date", "03-15-2024", "invalid_date")])
def test_it_refuses_bad_amounts_and_dates_naming_the_field(world, api_for, field, value, code):
    invoice = arrive(world.admin, world.folder)
    body = assert_error(api_for(world.admin).patch(invoice_url(invoice), {field: value, "number": "X-9"}), 422, code)
    assert body["errors"][0]["field"] == field
    invoice.refresh_from_db()
    assert invoice.number == "FA-2024-0117"  # nothing of the request was applied
    assert not InvoiceEvent.objects.filter(invoice=invoice, action="changed").exists()


def test_it_refuses_an_infinite_amount(world, api_for):
    invoice = arrive(world.admin, world.folder)
    body = assert_error(api_for(world.admin).patch(invoice_url(invoice), {"total_incl_tax": "Infinity"}), 422,
                        "invalid_amount")
    assert body["errors"][0]["field"] == "total_incl_tax"


@pytest.mark.parametrize("value", ["1000000000000", "123456789012345", "1e20", "NaN"])
def test_it_refuses_an_amount_the_ledger_cannot_hold_as_invalid_amount(world, api_for, value):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    response = api.patch(invoice_url(invoice), {"total_incl_tax": value})
    assert api.get(invoices_url(world.folder.pk)).status_code == 200  # the folder's list still answers
    body = assert_error(response, 422, "invalid_amount")
    assert body["errors"][0]["field"] == "total_incl_tax"


def test_it_accepts_the_largest_amount_the_ledger_holds(world, api_for):
    invoice = arrive(world.admin, world.folder)
    response = api_for(world.admin).patch(invoice_url(invoice), {"total_incl_tax": "999 999 999 999,99"})
    assert response.status_code == 200, response.content
    assert response.json()["total_incl_tax"] == "999999999999.99"


def test_it_refuses_a_field_of_the_wrong_type_with_a_validation_error(world, api_for):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    assert_error(api.patch(invoice_url(invoice), {"kind": "receipt"}), 422, "validation_error")
    body = assert_error(api.patch(invoice_url(invoice), {"number": "x" * 101}), 422, "validation_error")
    assert body["errors"][0]["field"] == "number"


def test_it_ignores_unknown_fields_and_never_changes_the_status_by_patch(world, api_for):
    """The schema ignores keys it does not know (pydantic's default): a script cannot validate or mark an invoice
    paid by sending its status, and the known fields sent beside still apply."""
    invoice = arrive(world.admin, world.folder)
    response = api_for(world.admin).patch(invoice_url(invoice), {"status": "paid", "amount_paid": "1200",
                                                                 "validated_at": "2024-03-12T00:00:00Z",
                                                                 "due_date": "2024-05-01"})
    assert response.status_code == 200, response.content
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.validated_at) == ("pending_review", 0, None)
    assert invoice.due_date == date(2024, 5, 1)


def test_it_refuses_a_counterparty_of_another_folder(world, api_for):
    invoice = arrive(world.admin, world.folder)
    elsewhere = Counterparty.objects.create(folder=world.other_folder, name="Ailleurs SA")
    body = assert_error(api_for(world.admin).patch(invoice_url(invoice), {"counterparty_id": elsewhere.pk}), 422,
                        "invalid_counterparty")
    assert body["errors"][0]["field"] == "counterparty_id"


# --- validation -----------------------------------------------------------------------------------------------

def test_it_validates_an_invoice_which_becomes_unpaid_with_its_number_locked(world, api_for):
    invoice = arrive(world.standard, world.folder)
    response = api_for(world.approver).post(invoice_url(invoice, "/validate"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "unpaid" and body["number_locked"] is True and body["validated_at"]
    assert body["counterparty"]["name"] == "Atelier Dupont SARL"
    assert body["counterparty"]["vat_id"] == "FR40303265045"
    invoice.refresh_from_db()
    assert invoice.validated_by == world.approver
    assert_error(api_for(world.approver).post(invoice_url(invoice, "/validate")), 409, "already_validated")


def test_it_validates_a_credit_note_without_a_due_date(world, api_for):
    credit = arrive(world.admin, world.folder, "avoir.pdf", number="AV-2024-003", credit_note=True, due=None)
    assert credit.kind == "credit_note" and credit.due_date is None
    response = api_for(world.admin).post(invoice_url(credit, "/validate"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "credit_available" and response.json()["kind"] == "credit_note"


def test_it_names_the_fields_missing_for_validation(world, api_for):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    assert api.patch(invoice_url(invoice), {"number": "", "due_date": ""}).status_code == 200
    body = assert_error(api.post(invoice_url(invoice, "/validate")), 422, "missing_fields")
    assert "numéro" in body["detail"] and "date d'échéance" in body["detail"]
    assert body["errors"][0]["field"] == "number"
    invoice.refresh_from_db()
    assert invoice.status == "pending_review" and invoice.validated_at is None


def test_it_locks_the_number_of_a_validated_invoice_with_a_sentence(world, api_for):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    api.post(invoice_url(invoice, "/validate"))
    body = assert_error(api.patch(invoice_url(invoice), {"number": "FA-2024-9999"}), 409, "number_locked")
    assert "supprimez la facture" in body["detail"] and body["errors"][0]["field"] == "number"
    invoice.refresh_from_db()
    assert invoice.number == "FA-2024-0117"
    # Sending the number unchanged is no change, so no conflict.
    assert api.patch(invoice_url(invoice), {"number": "FA-2024-0117"}).status_code == 200


def test_it_still_changes_the_due_date_of_a_validated_invoice(world, api_for):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    api.post(invoice_url(invoice, "/validate"))
    response = api.patch(invoice_url(invoice), {"due_date": "15/05/2024"})
    assert response.status_code == 200, response.content
    assert response.json()["due_date"] == "2024-05-15" and response.json()["status"] == "unpaid"
    events = api.get(invoice_url(invoice, "/events")).json()
    assert [e["action"] for e in events] == ["extracted", "validated", "changed"]
    assert events[-1]["changes"] == {"due_date": ["2024-04-11", "2024-05-15"]}
    assert events[-1]["actor"] == "admin@client.example"


# --- duplicates -----------------------------------------------------------------------------------------------

def validated_original(world, api_for, filename="facture.pdf"):
    original = arrive(world.admin, world.folder, filename)
    assert api_for(world.admin).post(invoice_url(original, "/validate")).status_code == 200
    return original


def test_it_flags_a_second_arrival_of_the_same_number_and_blocks_its_validation(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.standard, world.folder, "copie.pdf", due=date(2024, 4, 12))
    api = api_for(world.admin)
    body = api.get(invoice_url(copy)).json()
    assert (body["duplicate"], body["duplicate_of"]) == ("same_number", original.pk)
    body = assert_error(api.post(invoice_url(copy, "/validate")), 409, "duplicate_undecided")
    assert "FA-2024-0117" in body["detail"]
    copy.refresh_from_db()
    assert copy.status == "pending_review"


def test_it_links_the_new_document_to_the_existing_invoice(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.admin, world.folder, "copie.pdf", due=date(2024, 4, 12))
    api = api_for(world.admin)
    response = api.post(invoice_url(copy, "/duplicate"), {"decision": "link"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == original.pk and body["document_id"] == original.document_id
    assert body["linked_document_ids"] == [copy.document_id]
    assert_error(api.get(invoice_url(copy)), 404, "not_found")
    assert Document.objects.filter(pk=copy.document_id).exists()
    assert "duplicate_linked" in [e["action"] for e in api.get(invoice_url(original, "/events")).json()]


def test_it_asks_for_confirmation_before_replacing_a_document_of_another_name(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.admin, world.folder, "copie.pdf", due=date(2024, 4, 12))
    api = api_for(world.admin)
    body = assert_error(api.post(invoice_url(copy, "/duplicate"), {"decision": "replace"}), 409,
                        "confirmation_required")
    assert "copie.pdf" in body["detail"] and "facture.pdf" in body["detail"]
    assert Invoice.objects.filter(pk=copy.pk).exists()
    original.refresh_from_db()
    assert original.document_id != copy.document_id

    response = api.post(invoice_url(copy, "/duplicate"), {"decision": "replace", "confirm": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == original.pk and body["document_id"] == copy.document_id
    assert body["linked_document_ids"] == [original.document_id]  # the replaced file stays with the invoice
    assert body["status"] == "unpaid" and body["number"] == "FA-2024-0117"
    assert not Invoice.objects.filter(pk=copy.pk).exists()


def test_it_replaces_the_document_directly_when_the_file_name_is_the_same(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.admin, world.folder, "facture.pdf", due=date(2024, 4, 12))
    assert copy.duplicate == "same_number" and copy.document_id != original.document_id
    response = api_for(world.admin).post(invoice_url(copy, "/duplicate"), {"decision": "replace"})
    assert response.status_code == 200, response.content
    assert response.json()["document_id"] == copy.document_id
    assert response.json()["linked_document_ids"] == [original.document_id]


def test_it_keeps_both_invoices_when_told_they_differ(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.admin, world.folder, "copie.pdf", due=date(2024, 4, 12))
    api = api_for(world.admin)
    response = api.post(invoice_url(copy, "/duplicate"), {"decision": "keep_both"})
    assert response.status_code == 200, response.content
    assert (response.json()["id"], response.json()["duplicate"], response.json()["duplicate_of"]) == (
        copy.pk, "", None)
    response = api.post(invoice_url(copy, "/validate"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "unpaid"
    assert Invoice.objects.filter(number="FA-2024-0117", status="unpaid").count() == 2
    assert "duplicate_kept" in [e["action"] for e in api.get(invoice_url(copy, "/events")).json()]
    assert original.pk != copy.pk


def test_it_keeps_both_pending_copies_validatable_after_keep_both(world, api_for):
    first = arrive(world.admin, world.folder, "facture.pdf")
    second = arrive(world.admin, world.folder, "copie.pdf", due=date(2024, 4, 12))
    api = api_for(world.admin)
    assert api.post(invoice_url(second, "/duplicate"), {"decision": "keep_both"}).status_code == 200
    assert api.post(invoice_url(second, "/validate")).status_code == 200
    response = api.post(invoice_url(first, "/validate"))
    assert response.status_code == 200, response.content


def test_it_refuses_a_duplicate_decision_on_an_invoice_that_is_not_one(world, api_for):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    assert_error(api.post(invoice_url(invoice, "/duplicate"), {"decision": "link"}), 409, "not_a_duplicate")
    body = assert_error(api.post(invoice_url(invoice, "/duplicate"), {"decision": "merge"}), 422,
                        "validation_error")
    assert body["errors"][0]["field"] == "decision"


def test_it_flags_a_near_duplicate_without_blocking_its_validation(world, api_for):
    original = arrive(world.admin, world.folder, "facture.pdf", number="FA-2024-0117")
    near = arrive(world.admin, world.folder, "autre.pdf", number="FA2024-0117-B")
    api = api_for(world.admin)
    body = api.get(invoice_url(near)).json()
    assert (body["duplicate"], body["duplicate_of"]) == ("near", original.pk)
    response = api.post(invoice_url(near, "/validate"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "unpaid"


def test_it_sees_the_same_number_written_differently_as_the_same_number(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.admin, world.folder, "copie.pdf", number="FA-2024-117", net=D("999.00"))
    assert (copy.duplicate, copy.duplicate_of_id) == ("same_number", original.pk)


def other_supplier_pdf(number="FA-2024-0117", iban=OTHER_SUPPLIER_IBAN):
    """invoice_pdf() always prints Atelier Dupont's IBAN; another supplier has its own (or, with a factor, the
    same)."""
    return layout_label_left(Drawn("fr", number, date(2024, 3, 12), [("Papeterie", D("1000.00"), D(20))],
                                   OTHER_SUPPLIER, OTHER_SUPPLIER_VAT, iban, BUYER_AS_SELLER, due=date(2024, 4, 11)))


def test_it_does_not_flag_the_same_number_of_another_supplier(world, api_for):
    validated_original(world, api_for)
    other = arrive(world.admin, world.folder, "autre.pdf", content=other_supplier_pdf())
    assert other.duplicate == ""
    response = api_for(world.admin).post(invoice_url(other, "/validate"))
    assert response.status_code == 200, response.content
    assert response.json()["counterparty"]["name"] == "Imprimerie Leroy"


def test_it_does_not_take_a_supplier_for_another_one_sharing_its_iban(world, api_for):
    validated_original(world, api_for)
    other = arrive(world.admin, world.folder, "autre.pdf",
                   content=other_supplier_pdf(number="IMP-2024-55", iban=SUPPLIER_IBAN))
    assert other.counterparty_read["vat_id"] == OTHER_SUPPLIER_VAT
    response = api_for(world.admin).post(invoice_url(other, "/validate"))
    assert response.status_code == 200, response.content
    assert response.json()["counterparty"]["vat_id"] == OTHER_SUPPLIER_VAT  # not Atelier Dupont's FR40303265045


def test_it_does_not_let_a_standard_user_decide_on_an_invoice_they_cannot_see(world, api_for):
    original = validated_original(world, api_for)
    copy = arrive(world.standard, world.folder, "copie.pdf", due=date(2024, 4, 12))
    api = api_for(world.standard)
    assert_error(api.get(invoice_url(original)), 404, "not_found")
    response = api.post(invoice_url(copy, "/duplicate"), {"decision": "replace", "confirm": True})
    assert response.status_code in (403, 404), response.content
    original.refresh_from_db()
    assert original.document_id != copy.document_id


# --- deletion -------------------------------------------------------------------------------------------------

def test_it_lets_an_admin_delete_an_invoice_and_keeps_its_document(world, api_for):
    invoice = arrive(world.standard, world.folder)
    api = api_for(world.admin)
    api.post(invoice_url(invoice, "/validate"))
    response = api.delete(invoice_url(invoice))
    assert response.status_code == 204, response.content
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert Document.objects.filter(pk=invoice.document_id).exists()
    deleted = InvoiceEvent.objects.get(action="deleted")
    assert (deleted.invoice_number, deleted.actor, deleted.changes["status"]) == ("FA-2024-0117", world.admin,
                                                                                  "unpaid")
    assert_error(api.get(invoice_url(invoice)), 404, "not_found")


def test_it_reimports_the_document_into_a_new_pending_invoice(world, api_for):
    invoice = arrive(world.admin, world.folder)
    api = api_for(world.admin)
    api.post(invoice_url(invoice, "/validate"))
    response = api.delete(invoice_url(invoice) + "?reimport=true")
    assert response.status_code == 204, response.content
    fresh = Invoice.objects.get(document_id=invoice.document_id)
    assert fresh.pk != invoice.pk and fresh.status == "pending_review" and fresh.number == "FA-2024-0117"
    assert fresh.duplicate == "" and not fresh.number_locked
    # The way to change a validated number: it can be corrected again now.
    response = api.patch(invoice_url(fresh), {"number": "FA-2024-0171"})
    assert response.status_code == 200, response.content
    assert InvoiceEvent.objects.get(action="deleted").changes["reason"] == "reimport"


def test_it_cannot_reimport_an_invoice_without_a_document(world, api_for):
    invoice = typed(world.folder, world.admin, "VTE-1")
    assert_error(api_for(world.admin).delete(invoice_url(invoice) + "?reimport=true"), 409, "no_document")
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_it_lets_a_standard_user_delete_their_own_pending_invoice(world, api_for):
    invoice = arrive(world.standard, world.folder)
    response = api_for(world.standard).delete(invoice_url(invoice))
    assert response.status_code == 204, response.content
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert Document.objects.filter(pk=invoice.document_id).exists()


def test_it_forbids_a_standard_user_to_delete_their_validated_invoice(world, api_for):
    invoice = arrive(world.standard, world.folder)
    api_for(world.admin).post(invoice_url(invoice, "/validate"))
    assert_error(api_for(world.standard).delete(invoice_url(invoice)), 403, "forbidden")
    assert_error(api_for(world.standard).delete(invoice_url(invoice) + "?reimport=true"), 403, "forbidden")
    assert Invoice.objects.filter(pk=invoice.pk, status="unpaid").exists()


def test_it_forbids_an_approver_to_delete_an_invoice(world, api_for):
    invoice = arrive(world.admin, world.folder)
    assert_error(api_for(world.approver).delete(invoice_url(invoice)), 403, "forbidden")
    assert Invoice.objects.filter(pk=invoice.pk).exists()


# --- typed in by API ------------------------------------------------------------------------------------------

NEW_SALE = {"direction": "sales", "number": "VTE-2024-001", "counterparty_name": "Hôtel du Lac",
            "total_excl_tax": "1 000,00", "total_tax": "200,00", "total_incl_tax": "1 200,00",
            "issue_date": "01/03/2024", "due_date": "2024-03-31"}


def test_it_creates_an_invoice_validated_at_once(world, api_for):
    response = api_for(world.admin).post(invoices_url(world.folder.pk), NEW_SALE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["direction"], body["source"], body["number_locked"]) == (
        "unpaid", "sales", "manual", True)
    assert body["counterparty"]["name"] == "Hôtel du Lac" and body["document_id"] is None
    assert (body["total_incl_tax"], body["issue_date"], body["due_date"]) == ("1200.00", "2024-03-01", "2024-03-31")
    events = api_for(world.admin).get(invoice_url(body["id"], "/events")).json()
    assert [(e["action"], e["actor"]) for e in events] == [("created", "admin@client.example"),
                                                           ("validated", "admin@client.example")]


def test_it_refuses_the_same_number_for_the_same_counterparty_twice(world, api_for):
    api = api_for(world.admin)
    assert api.post(invoices_url(world.folder.pk), NEW_SALE).status_code == 201
    body = assert_error(api.post(invoices_url(world.folder.pk), {**NEW_SALE, "number": "vte 2024/1"}), 409,
                        "duplicate")
    assert body["errors"][0]["field"] == "number"
    assert Invoice.objects.count() == 1 and InvoiceEvent.objects.filter(action="created").count() == 1
    # Another customer may have the same number.
    assert api.post(invoices_url(world.folder.pk), {**NEW_SALE, "counterparty_name": "Garage Petit"}).status_code == 201


def test_it_keeps_a_created_invoice_pending_with_validate_false(world, api_for):
    response = api_for(world.admin).post(invoices_url(world.folder.pk), {**NEW_SALE, "validate": False})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_review" and body["number_locked"] is False and body["validated_at"] is None


def test_it_creates_nothing_when_a_created_invoice_cannot_be_validated(world, api_for):
    payload = {k: v for k, v in NEW_SALE.items() if k != "due_date"}
    body = assert_error(api_for(world.admin).post(invoices_url(world.folder.pk), payload), 422, "missing_fields")
    assert "date d'échéance" in body["detail"]
    assert not Invoice.objects.exists() and not InvoiceEvent.objects.exists()


def test_it_refuses_a_created_invoice_with_bad_or_missing_values(world, api_for):
    api = api_for(world.admin)
    body = assert_error(api.post(invoices_url(world.folder.pk), {**NEW_SALE, "total_incl_tax": "beaucoup"}), 422,
                        "invalid_amount")
    assert body["errors"][0]["field"] == "total_incl_tax"
    payload = {k: v for k, v in NEW_SALE.items() if k != "number"}
    body = assert_error(api.post(invoices_url(world.folder.pk), payload), 422, "validation_error")
    assert body["errors"][0]["field"] == "number"
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_answers_404_to_people_creating_in_a_folder_they_cannot_open(world, api_for, persona):
    assert_error(api_for(getattr(world, persona)).post(invoices_url(world.folder.pk), NEW_SALE), 404, "not_found")
    assert not Invoice.objects.exists()


def test_it_shows_a_standard_user_the_invoice_they_typed(world, api_for):
    api = api_for(world.standard)
    response = api.post(invoices_url(world.folder.pk), {**NEW_SALE, "direction": "purchases", "validate": False})
    assert response.status_code == 201, response.content
    assert numbers(listed(api, world.folder)) == ["VTE-2024-001"]
    assert Invoice.objects.get().submitted_by == world.standard_member


# --- files attached in bulk -----------------------------------------------------------------------------------

def attach(api, folder, files, **fields):
    data = {"files": files, **{k: str(v).lower() if isinstance(v, bool) else v for k, v in fields.items()}}
    return api.client.post(f"/api/v1/folders/{folder.pk}/invoices/attach", data=data, **api.headers)


def three_files():
    return [SimpleUploadedFile("VTE-2024-001.pdf", make_pdf(tag="named")),
            SimpleUploadedFile("scan.pdf", invoice_pdf(number="VTE-2024-002", seller=BUYER_AS_SELLER)),
            SimpleUploadedFile("rien.pdf", make_pdf(tag="nothing"))]



def two_sales(world):
    return (typed(world.folder, world.admin, "VTE-2024-001"),
            typed(world.folder, world.admin, "VTE-2024-002", name="Hôtel du Lac"))


def test_it_proposes_an_invoice_for_each_file_without_attaching(world, api_for):
    first, second = two_sales(world)
    response = attach(api_for(world.admin), world.folder, three_files())
    assert response.status_code == 200, response.content
    rows = response.json()
    assert [(r["filename"], r["invoice_id"], r["number"], r["reason"], r["applied"]) for r in rows] == [
        ("VTE-2024-001.pdf", first.pk, "VTE-2024-001", "filename", False),
        ("scan.pdf", second.pk, "VTE-2024-002", "text", False),
        ("rien.pdf", None, None, "", False)]
    assert all(r["document_id"] for r in rows)  # the files are kept either way
    first.refresh_from_db(), second.refresh_from_db()
    assert first.document_id is None and second.document_id is None
    assert Document.objects.filter(status="attached").count() == 3


def test_it_attaches_the_proposed_files_with_apply(world, api_for):
    first, second = two_sales(world)
    api = api_for(world.admin)
    rows = attach(api, world.folder, three_files(), apply=True, direction="sales").json()
    assert [r["applied"] for r in rows] == [True, True, False]
    first.refresh_from_db(), second.refresh_from_db()
    assert first.document_id == rows[0]["document_id"] and second.document_id == rows[1]["document_id"]
    assert api.get(invoice_url(first)).json()["document_id"] == rows[0]["document_id"]
    events = api.get(invoice_url(first, "/events")).json()
    assert (events[-1]["action"], events[-1]["actor"]) == ("document_attached", "admin@client.example")
    # An invoice with its file is no longer a candidate.
    again = attach(api, world.folder, [SimpleUploadedFile("VTE-2024-001-bis.pdf", make_pdf(tag="bis"))],
                   apply=True).json()
    assert (again[0]["invoice_id"], again[0]["applied"]) == (None, False)


def test_it_reports_a_refused_file_and_goes_on_with_the_others(world, api_for):
    first, _second = two_sales(world)
    files = [SimpleUploadedFile("vide.pdf", b""), SimpleUploadedFile("VTE-2024-001.pdf", make_pdf(tag="ok"))]
    response = attach(api_for(world.admin), world.folder, files, apply=True)
    assert response.status_code == 200, response.content
    refused, accepted = response.json()
    assert (refused["filename"], refused["reason"], refused["applied"], refused["document_id"]) == (
        "vide.pdf", "refused", False, None)
    assert "vide" in refused["error"]
    assert (accepted["invoice_id"], accepted["applied"]) == (first.pk, True)


def test_it_matches_only_invoices_of_the_direction_asked(world, api_for):
    two_sales(world)
    rows = attach(api_for(world.admin), world.folder, [SimpleUploadedFile("VTE-2024-001.pdf", make_pdf(tag="x"))],
                  direction="purchases").json()
    assert (rows[0]["invoice_id"], rows[0]["reason"]) == (None, "")


def test_it_needs_files_to_attach(world, api_for):
    response = api_for(world.admin).client.post(f"/api/v1/folders/{world.folder.pk}/invoices/attach",
                                                data={"apply": "true"}, **api_for(world.admin).headers)
    body = assert_error(response, 422, "validation_error")
    assert body["errors"][0]["field"] == "files"


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_it_answers_404_to_people_attaching_in_a_folder_they_cannot_open(world, api_for, persona):
    two_sales(world)
    response = attach(api_for(getattr(world, persona)), world.folder, three_files(), apply=True)
    assert_error(response, 404, "not_found")
    assert not Document.objects.exists()


def test_it_attaches_for_a_standard_user_only_to_their_own_invoices(world, api_for):
    two_sales(world)  # the admin's
    rows = attach(api_for(world.standard), world.folder, three_files(), apply=True).json()
    assert [r["invoice_id"] for r in rows] == [None, None, None]
    assert not Invoice.objects.filter(document__isnull=False).exists()


# --- access restriction on receivables ------------------------------------------------------------------------

@pytest.fixture
def restricted(world):
    """Two customers' validated sales, one of them followed by the approver; a pending sale of the other, a
    validated purchase and a standard user's own pending purchase."""
    world.folder.restrict_receivables = True
    world.folder.save()
    typed(world.folder, world.admin, "VTE-A-1", name="Client Alpha")
    typed(world.folder, world.admin, "VTE-B-1", name="Client Beta")
    typed(world.folder, world.admin, "VTE-B-2", name="Client Beta", validate=False)
    typed(world.folder, world.admin, "ACH-1", name="Fournisseur Gamma", direction="purchases")
    arrive(world.standard, world.folder, "mien.pdf", number="ACH-2024-900")
    Counterparty.objects.get(name="Client Alpha").assigned_to.add(world.approver_member)
    return world


def test_it_shows_an_approver_only_the_receivables_of_their_customers(restricted, api_for):
    api = api_for(restricted.approver)
    assert sorted(numbers(listed(api, restricted.folder))) == ["ACH-1", "ACH-2024-900", "VTE-A-1", "VTE-B-2"]
    assert numbers(listed(api, restricted.folder, "?direction=sales&status=unpaid")) == ["VTE-A-1"]
    hidden = Invoice.objects.get(number="VTE-B-1")
    assert_error(api.get(invoice_url(hidden)), 404, "not_found")
    assert_error(api.patch(invoice_url(hidden), {"due_date": "2024-06-30"}), 404, "not_found")
    # A pending sale of the other customer stays visible so that it can be validated; then it is out of reach.
    pending = Invoice.objects.get(number="VTE-B-2")
    assert api.post(invoice_url(pending, "/validate")).status_code == 200
    assert_error(api.get(invoice_url(pending)), 404, "not_found")


@pytest.mark.parametrize("persona", ["admin", "owner", "collaborator"])
def test_it_shows_admins_and_staff_every_receivable_despite_the_restriction(restricted, api_for, persona):
    body = listed(api_for(getattr(restricted, persona)), restricted.folder)
    assert sorted(numbers(body)) == ["ACH-1", "ACH-2024-900", "VTE-A-1", "VTE-B-1", "VTE-B-2"]


def test_it_shows_a_standard_user_only_their_own_under_the_restriction(restricted, api_for):
    assert numbers(listed(api_for(restricted.standard), restricted.folder)) == ["ACH-2024-900"]


def test_it_shows_the_receivables_of_a_customer_once_assigned(restricted, api_for):
    Counterparty.objects.get(name="Client Beta").assigned_to.add(restricted.approver_member)
    body = listed(api_for(restricted.approver), restricted.folder, "?direction=sales")
    assert sorted(numbers(body)) == ["VTE-A-1", "VTE-B-1", "VTE-B-2"]
