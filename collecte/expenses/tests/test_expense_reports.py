"""Expense reports in the web UI: a receipt mailed to a standard user's personal address becomes their receipt (not
a pending invoice), is grouped into a report with their employee code, submitted, rejected with a comment, corrected,
submitted again and approved; the approval books validated purchase invoices. Standard users see only their own,
outsiders nothing, nobody decides on their own report, and a member without the right keeps today's behaviour."""
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collecte.expenses import actions
from collecte.expenses.errors import ExpenseError
from collecte.expenses.models import ExpenseReceipt, ExpenseReport, ExpenseReportEvent
from collecte.ledger.models import ForecastEntry, Invoice
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import make_pdf, media  # noqa: F401

from .helpers import allow_expenses, mail_receipt, receipt_pdf, upload_receipt

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def post_receipt(client, receipt, **fields):
    """The receipt's row of fields as the table posts it (prefixed by the receipt's id)."""
    values = {"date": "", "merchant": "", "total_incl_tax": "", "total_tax": "", "currency": "EUR", "category": "",
              "description": "", **fields}
    return client.post(reverse("expense-receipt-edit", args=[receipt.pk]),
                       {f"r{receipt.pk}-{k}": v for k, v in values.items()})


def decide(client, report, decision, comment=""):
    return client.post(reverse("expense-report-decide", args=[report.pk]), {"decision": decision, "comment": comment})


def submit(client, report):
    return client.post(reverse("expense-report-submit", args=[report.pk]), follow=True)


def test_it_takes_a_report_from_the_personal_address_to_validated_purchases(world, client_for):
    member = allow_expenses(world.standard_member)
    mail_receipt(member, filename="hotel.pdf")
    mail_receipt(member, filename="hotel-2.pdf", number="H-2024-312", net=D("50.00"))
    assert not Invoice.objects.exists()  # receipts, not pending purchase invoices
    receipts = list(ExpenseReceipt.objects.order_by("pk"))
    assert [(r.member, r.merchant, r.total_incl_tax, r.status) for r in receipts] == [
        (member, "Hôtel du Parc SARL", D("120.00"), "unassigned"), (member, "Hôtel du Parc SARL", D("60.00"),
                                                                     "unassigned")]
    employee = client_for(world.standard)
    page = html(employee.get(reverse("expenses", args=[world.folder.pk])))
    assert "hotel.pdf" in page and "Créer une note de frais" in page and "Notes de frais" in page

    created = employee.post(reverse("expense-report-create", args=[world.folder.pk]),
                            {"receipts": [r.pk for r in receipts], "title": "Lyon, mars"})
    report = ExpenseReport.objects.get()
    assert created["Location"] == reverse("expense-report", args=[report.pk])
    assert (report.member, report.title, report.status) == (member, "Lyon, mars", "draft")

    refused = html(submit(employee, report))
    assert "Indiquez votre code salarié avant de soumettre la note de frais" in refused
    employee.post(reverse("expense-report-edit", args=[report.pk]), {"title": "Lyon, mars", "employee_code": "E-042"})
    submit(employee, report)
    report.refresh_from_db()
    assert (report.status, report.employee_code) == ("submitted", "E-042")
    assert post_receipt(employee, receipts[0], total_incl_tax="1").status_code == 422  # locked while submitted

    approver = client_for(world.approver)
    queue = html(approver.get(reverse("expenses", args=[world.folder.pk])))
    assert "À approuver" in queue and "Lyon, mars" in queue and "E-042" in queue
    no_reason = decide(approver, report, "reject")
    assert no_reason.status_code == 422 and "Indiquez le motif du rejet" in html(no_reason)
    decide(approver, report, "reject", "La TVA de l'hôtel est fausse.")
    report.refresh_from_db()
    assert (report.status, report.decided_by) == ("rejected", world.approver)

    shown = html(employee.get(reverse("expense-report", args=[report.pk])))
    assert "La TVA de l'hôtel est fausse." in shown and "Soumettre à nouveau" in shown
    fixed = post_receipt(employee, receipts[1], date="12/03/2024", merchant="Hôtel du Parc SARL",
                         total_incl_tax="60,00", total_tax="5,45", category="lodging")
    assert fixed.status_code == 302
    submit(employee, report)
    approved = decide(approver, report, "approve", "OK")
    assert approved.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.decision_comment) == ("approved", "OK")

    invoices = list(Invoice.objects.order_by("number"))
    assert [(i.number, i.source, i.direction, i.status, i.total_incl_tax) for i in invoices] == [
        (f"NDF-{report.pk}-1", "expense", "purchases", "unpaid", D("120.00")),
        (f"NDF-{report.pk}-2", "expense", "purchases", "unpaid", D("60.00"))]
    assert invoices[1].total_tax == D("5.45") and invoices[1].counterparty.name == "Hôtel du Parc SARL"
    assert {i.document_id for i in invoices} == {r.document_id for r in receipts}
    assert all(i.submitted_by == member and i.validated_by == world.approver for i in invoices)
    assert ForecastEntry.objects.filter(invoice__in=invoices).count() == 2
    assert sorted(ExpenseReceipt.objects.values_list("invoice__number", flat=True)) == [i.number for i in invoices]
    assert list(report.events.values_list("action", flat=True)) == [
        "created", "changed", "submitted", "rejected", "submitted", "approved"]

    twice = decide(client_for(world.admin), report, "approve")
    assert twice.status_code == 409 and "déjà approuvée" in html(twice)
    assert Invoice.objects.count() == 2


def test_a_member_without_the_right_keeps_pending_invoices_and_cannot_create(world, client_for):
    mail_receipt(world.standard_member)
    assert not ExpenseReceipt.objects.exists()
    invoice = Invoice.objects.get()
    assert (invoice.status, invoice.direction, invoice.submitted_by) == ("pending_review", "purchases",
                                                                         world.standard_member)
    client = client_for(world.standard)
    page = html(client.get(reverse("expenses", args=[world.folder.pk])))
    assert "Vous n'êtes pas autorisé à créer des notes de frais" in page
    upload = client.post(reverse("expense-upload", args=[world.folder.pk]),
                         {"files": [SimpleUploadedFile("t.pdf", receipt_pdf())]})
    assert upload.status_code == 403
    assert client.post(reverse("expense-report-create", args=[world.folder.pk]), {"receipts": []}).status_code == 403


def test_nobody_decides_on_their_own_report(world, client_for):
    receipt = upload_receipt(world.approver, world.folder)
    assert receipt.member == world.approver_member  # approvers create reports for themselves
    report = actions.create_report(_access(world.approver, world), world.approver, [receipt.pk])
    actions.update_report(report, world.approver, employee_code="A-1")
    actions.submit_report(report, world.approver)
    own = decide(client_for(world.approver), report, "approve")
    assert own.status_code == 403 and ExpenseReport.objects.get().status == "submitted"
    assert decide(client_for(world.owner), report, "approve").status_code == 302  # firm staff may
    assert ExpenseReport.objects.get().status == "approved"


def test_a_standard_user_sees_only_their_own_and_cannot_decide(world, client_for):
    allow_expenses(world.standard_member, "E-1")
    theirs = upload_receipt(world.admin, world.folder, number="A-9")
    admin_report = actions.create_report(_access(world.admin, world), world.admin, [theirs.pk])
    mine = upload_receipt(world.standard, world.folder, number="S-1")
    my_report = actions.create_report(_access(world.standard, world), world.standard, [mine.pk])
    actions.submit_report(my_report, world.standard)
    client = client_for(world.standard)
    page = html(client.get(reverse("expenses", args=[world.folder.pk])))
    assert "À approuver" not in page and str(admin_report) not in page
    assert client.get(reverse("expense-report", args=[admin_report.pk])).status_code == 404
    assert post_receipt(client, theirs, merchant="x").status_code == 404
    with pytest.raises(ExpenseError) as unavailable:  # someone else's receipt reads as unavailable
        actions.create_report(_access(world.standard, world), world.standard, [theirs.pk])
    assert unavailable.value.code == "receipt_unavailable"
    assert decide(client, my_report, "approve").status_code == 403
    # An approver sees every report but edits nobody's receipts.
    approver = client_for(world.approver)
    assert approver.get(reverse("expense-report", args=[my_report.pk])).status_code == 200
    assert post_receipt(approver, mine, merchant="x").status_code == 403


def test_a_receipt_extraction_could_not_read_waits_for_its_fields(world, client_for):
    allow_expenses(world.standard_member, "E-1")
    client = client_for(world.standard)
    nothing = client.post(reverse("expense-upload", args=[world.folder.pk]), {})
    assert nothing.status_code == 422 and "Choisissez au moins un justificatif à déposer." in html(nothing)
    client.post(reverse("expense-upload", args=[world.folder.pk]),
                {"files": [SimpleUploadedFile("photo.pdf", make_pdf(tag="blank receipt"))]})
    receipt = ExpenseReceipt.objects.get()
    assert (receipt.date, receipt.merchant, receipt.total_incl_tax) == (None, "", None)
    report = actions.create_report(_access(world.standard, world), world.standard, [receipt.pk])
    incomplete = html(submit(client, report))
    assert "Complétez la date, le commerçant et le montant TTC de chaque justificatif : « photo.pdf »" in incomplete
    bad = post_receipt(client, receipt, date="31/02/2024", total_incl_tax="douze")
    assert bad.status_code == 422 and "Date invalide" in html(bad)
    post_receipt(client, receipt, date="2024-03-02", merchant="Taxi Bleu", total_incl_tax="23,50")
    submit(client, report)
    assert ExpenseReport.objects.get().status == "submitted"


def test_it_refuses_an_empty_report_and_a_rejection_without_comment(world, client_for):
    allow_expenses(world.standard_member, "E-1")
    receipt = upload_receipt(world.standard, world.folder)
    report = actions.create_report(_access(world.standard, world), world.standard, [receipt.pk])
    client = client_for(world.standard)
    client.post(reverse("expense-report-receipts", args=[report.pk]), {"remove": receipt.pk})
    assert ExpenseReceipt.objects.get().status == "unassigned"
    assert "Ajoutez au moins un justificatif avant de soumettre" in html(submit(client, report))
    client.post(reverse("expense-report-receipts", args=[report.pk]), {"receipts": [receipt.pk]})
    submit(client, report)
    with pytest.raises(ExpenseError) as no_comment:
        actions.reject_report(report, world.approver, "   ")
    assert (no_comment.value.code, no_comment.value.field) == ("comment_required", "comment")
    assert not ExpenseReportEvent.objects.filter(action="rejected").exists()


def test_it_hides_everything_from_outsiders(world, client_for):
    allow_expenses(world.standard_member, "E-1")
    receipt = upload_receipt(world.standard, world.folder)
    report = actions.create_report(_access(world.standard, world), world.standard, [receipt.pk])
    for persona in ("outsider", "unassigned"):
        client = client_for(getattr(world, persona))
        assert client.get(reverse("expenses", args=[world.folder.pk])).status_code == 404
        assert client.get(reverse("expense-report", args=[report.pk])).status_code == 404
        for name, target in (("expense-upload", world.folder.pk), ("expense-report-create", world.folder.pk),
                             ("expense-receipt-edit", receipt.pk), ("expense-report-edit", report.pk),
                             ("expense-report-receipts", report.pk), ("expense-report-submit", report.pk),
                             ("expense-report-decide", report.pk)):
            assert client.post(reverse(name, args=[target]), {"decision": "approve"}).status_code == 404, name
    assert ExpenseReport.objects.get().status == "draft"


def test_the_folder_tabs_lead_to_the_expenses_page_for_every_folder_user(world, client_for):
    for persona in ("owner", "collaborator", "admin", "approver", "standard"):
        page = client_for(getattr(world, persona)).get(reverse("expenses", args=[world.folder.pk]))
        assert page.status_code == 200, persona
        assert reverse("expenses", args=[world.folder.pk]) in html(page)


def _access(user, world):
    from collecte.tenancy import access

    return access.get_folder_access(user, world.folder.pk)


def test_an_approved_receipt_whose_invoice_is_read_again_becomes_a_pending_invoice(world):
    """"Supprimer et réimporter" on an expense invoice reads its document again: nothing accepted is lost, so the
    receipt (already booked) does not swallow the document a second time."""
    from collecte.ledger import actions as ledger

    member = allow_expenses(world.standard_member, "E-7")
    receipt = upload_receipt(world.standard, world.folder)
    report = actions.create_report(_access(world.standard, world), world.standard, [receipt.pk])
    actions.submit_report(report, world.standard)
    actions.approve_report(report, world.approver)
    booked = Invoice.objects.get()
    ledger.delete_and_reimport(booked, world.admin)
    again = Invoice.objects.get()
    assert (again.document_id, again.status, again.submitted_by) == (receipt.document_id, "pending_review", member)


def test_an_id_beyond_any_row_reads_as_unavailable(world, client_for):
    allow_expenses(world.standard_member, "E-1")
    receipt = upload_receipt(world.standard, world.folder)
    report = actions.create_report(_access(world.standard, world), world.standard, [receipt.pk])
    client = client_for(world.standard)
    huge = "9" * 30
    created = client.post(reverse("expense-report-create", args=[world.folder.pk]), {"receipts": [huge]})
    assert created.status_code == 302 and ExpenseReport.objects.count() == 1
    for posted in ({"receipts": [huge]}, {"remove": huge}):
        answer = client.post(reverse("expense-report-receipts", args=[report.pk]), posted)
        assert answer.status_code == 302, posted
    assert ExpenseReceipt.objects.get().report_id == report.pk


def test_approvers_hear_of_a_report_and_the_employee_of_the_decision(world, product_mail,
                                                                      django_capture_on_commit_callbacks):
    """Through the product's mail (the outbox here): the folder's admin and approver get the report to decide, with
    its link; the employee gets the rejection with its reason, then the approval. A refused action sends nothing."""
    from collecte.outbound.models import OutboxMessage
    from collecte.tenancy.access import get_folder_access

    allow_expenses(world.standard_member, "E-042")
    receipt = upload_receipt(world.standard, world.folder)
    report = actions.create_report(get_folder_access(world.standard, world.folder.pk), world.standard, [receipt.pk],
                                   "Salon de Lyon")
    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        actions.submit_report(report, world.standard)
    sent = {m.to: m for m in OutboxMessage.objects.all()}
    assert set(sent) == {world.admin.email, world.approver.email}
    mail = sent[world.approver.email]
    assert "Note de frais à approuver" in mail.subject and "Stan Standard" in mail.subject
    assert f"/expense-reports/{report.pk}/" in mail.body and "E-042" in mail.body and "120,00" in mail.body

    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ExpenseError):
            actions.reject_report(report, world.approver, "")  # refused: no comment, no mail
        actions.reject_report(report, world.approver, "Il manque la facture de l'hôtel.")
    rejected = OutboxMessage.objects.get()
    assert rejected.to == world.standard.email and "rejetée" in rejected.subject
    assert "Il manque la facture de l'hôtel." in rejected.body

    OutboxMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        actions.submit_report(report, world.standard)
        actions.approve_report(report, world.admin)
    assert "approuvée" in OutboxMessage.objects.get(to=world.standard.email).subject
