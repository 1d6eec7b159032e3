"""Expense reports through the API: the same flow as the web pages (upload, report, submit, reject with a comment,
resubmit, approve into validated purchases), with the error contract and every denial."""
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collecte.api.tests.conftest import api_for  # noqa: F401
from collecte.api.tests.helpers import assert_error
from collecte.expenses.models import ExpenseReceipt, ExpenseReport
from collecte.ledger.models import Invoice
from collecte.web.tests.intake_helpers import media  # noqa: F401

from .helpers import allow_expenses, mail_receipt, receipt_pdf, upload_receipt

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def upload(api, folder, content=None, filename="hotel.pdf"):
    return api.client.post(f"/api/v1/folders/{folder.pk}/expense-receipts",
                           {"file": SimpleUploadedFile(filename, content or receipt_pdf())}, **api.headers)


def post_empty(api, path):
    """A POST without any body, as `curl -X POST` sends it (the test client would send an empty multipart form)."""
    return api.client.post(path, data="", content_type="application/json", **api.headers)


def test_it_takes_a_report_through_approval(world, api_for):
    allow_expenses(world.standard_member)
    employee, approver = api_for(world.standard), api_for(world.approver)
    uploaded = upload(employee, world.folder)
    assert uploaded.status_code == 201, uploaded.content
    [receipt] = uploaded.json()["receipts"]
    assert (receipt["merchant"], receipt["total_incl_tax"], receipt["date"]) == ("Hôtel du Parc SARL", "120.00",
                                                                                 "2024-03-12")
    patched = employee.patch(f"/api/v1/expense-receipts/{receipt['id']}", {"category": "lodging",
                                                                          "description": "Nuit du 12"})
    assert patched.json()["category"] == "lodging"
    assert_error(employee.patch(f"/api/v1/expense-receipts/{receipt['id']}", {"total_tax": "200"}), 422,
                 "tax_above_total")

    created = employee.post(f"/api/v1/folders/{world.folder.pk}/expense-reports",
                            {"receipt_ids": [receipt["id"]], "title": "Lyon"})
    assert created.status_code == 201, created.content
    report = created.json()
    assert (report["status"], report["totals"]) == ("draft", [{"currency": "EUR", "total_incl_tax": "120.00"}])
    base = f"/api/v1/expense-reports/{report['id']}"
    body = assert_error(employee.post(f"{base}/submit"), 422, "employee_code_required")
    assert "code salarié" in body["detail"]
    employee.patch(base, {"employee_code": "E-042"})
    assert employee.post(f"{base}/submit").json()["status"] == "submitted"

    assert_error(approver.post(f"{base}/reject", {"comment": ""}), 422, "comment_required")
    rejected = approver.post(f"{base}/reject", {"comment": "Il manque la taxe de séjour."})
    assert rejected.json()["decision_comment"] == "Il manque la taxe de séjour."
    assert employee.get(base).json()["decision_comment"] == "Il manque la taxe de séjour."
    employee.patch(f"/api/v1/expense-receipts/{receipt['id']}", {"total_incl_tax": "122,40"})
    employee.post(f"{base}/submit")
    approved = approver.post(f"{base}/approve", {"comment": ""})
    assert approved.status_code == 200, approved.content
    done = approved.json()
    assert done["status"] == "approved" and done["receipts"][0]["invoice_id"]
    invoice = Invoice.objects.get(pk=done["receipts"][0]["invoice_id"])
    assert (invoice.source, invoice.status, invoice.total_incl_tax) == ("expense", "unpaid", D("122.40"))
    assert invoice.document_id == ExpenseReceipt.objects.get().document_id and hasattr(invoice, "forecast")
    assert_error(post_empty(approver, f"{base}/approve"), 409, "already_approved")
    assert_error(employee.patch(f"/api/v1/expense-receipts/{receipt['id']}", {"merchant": "x"}), 409,
                 "receipt_locked")


def test_it_lists_only_what_each_persona_may_see(world, api_for):
    allow_expenses(world.standard_member, "E-1")
    mail_receipt(world.standard_member)
    admins = upload_receipt(world.admin, world.folder, number="A-1")
    employee = api_for(world.standard)
    mine = employee.get(f"/api/v1/folders/{world.folder.pk}/expense-receipts").json()
    assert [r["member_id"] for r in mine] == [world.standard_member.pk]
    assert len(api_for(world.approver).get(f"/api/v1/folders/{world.folder.pk}/expense-receipts").json()) == 2
    assert_error(employee.get(f"/api/v1/expense-receipts/{admins.pk}"), 404, "not_found")
    assert_error(employee.post(f"/api/v1/folders/{world.folder.pk}/expense-reports", {"receipt_ids": [admins.pk]}),
                 422, "receipt_unavailable")
    assert_error(api_for(world.approver).patch(f"/api/v1/expense-receipts/{admins.pk}", {"merchant": "x"}), 403,
                 "forbidden")


def test_it_refuses_decisions_to_standard_users_and_on_ones_own_report(world, api_for):
    allow_expenses(world.standard_member, "E-1")
    approver, employee = api_for(world.approver), api_for(world.standard)
    [receipt] = upload(approver, world.folder).json()["receipts"]
    own = approver.post(f"/api/v1/folders/{world.folder.pk}/expense-reports", {"receipt_ids": [receipt["id"]]}).json()
    approver.patch(f"/api/v1/expense-reports/{own['id']}", {"employee_code": "A-7"})
    approver.post(f"/api/v1/expense-reports/{own['id']}/submit")
    body = assert_error(post_empty(approver, f"/api/v1/expense-reports/{own['id']}/approve"), 403, "own_report")
    assert "propre note de frais" in body["detail"]
    [theirs] = upload(employee, world.folder, receipt_pdf(number="S-2")).json()["receipts"]
    report = employee.post(f"/api/v1/folders/{world.folder.pk}/expense-reports",
                           {"receipt_ids": [theirs["id"]]}).json()
    employee.post(f"/api/v1/expense-reports/{report['id']}/submit")
    body = assert_error(post_empty(employee, f"/api/v1/expense-reports/{report['id']}/approve"), 403, "forbidden")
    assert "approbateurs" in body["detail"]
    assert_error(employee.get(f"/api/v1/expense-reports/{own['id']}"), 404, "not_found")
    assert ExpenseReport.objects.filter(status="approved").count() == 0


def test_a_member_without_the_right_cannot_create(world, api_for):
    employee = api_for(world.standard)
    body = assert_error(upload(employee, world.folder), 403, "forbidden")
    assert "pas autorisé à créer des notes de frais" in body["detail"]
    assert_error(employee.post(f"/api/v1/folders/{world.folder.pk}/expense-reports", {"receipt_ids": [1]}), 403,
                 "forbidden")
    assert employee.get(f"/api/v1/folders/{world.folder.pk}/expense-reports").json() == []


def test_it_answers_404_to_outsiders_everywhere(world, api_for):
    allow_expenses(world.standard_member, "E-1")
    receipt = upload_receipt(world.standard, world.folder)
    report = api_for(world.standard).post(f"/api/v1/folders/{world.folder.pk}/expense-reports",
                                          {"receipt_ids": [receipt.pk]}).json()
    outsider = api_for(world.outsider)
    folder = f"/api/v1/folders/{world.folder.pk}"
    assert_error(upload(outsider, world.folder), 404, "not_found")
    for method, path, body in (("get", f"{folder}/expense-receipts", None), ("get", f"{folder}/expense-reports", None),
                               ("post", f"{folder}/expense-reports", {"receipt_ids": [receipt.pk]}),
                               ("get", f"/api/v1/expense-receipts/{receipt.pk}", None),
                               ("patch", f"/api/v1/expense-receipts/{receipt.pk}", {"merchant": "x"}),
                               ("get", f"/api/v1/expense-reports/{report['id']}", None),
                               ("patch", f"/api/v1/expense-reports/{report['id']}", {"title": "x"}),
                               ("post", f"/api/v1/expense-reports/{report['id']}/submit", None),
                               ("post", f"/api/v1/expense-reports/{report['id']}/approve", {}),
                               ("post", f"/api/v1/expense-reports/{report['id']}/reject", {"comment": "non"})):
        assert_error(outsider.request(method, path, body), 404, "not_found")
    assert ExpenseReport.objects.get().status == "draft"


def test_it_documents_the_endpoints(world, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/folders/{folder_id}/expense-receipts", "/api/v1/expense-receipts/{receipt_id}",
            "/api/v1/folders/{folder_id}/expense-reports", "/api/v1/expense-reports/{report_id}",
            "/api/v1/expense-reports/{report_id}/submit", "/api/v1/expense-reports/{report_id}/approve",
            "/api/v1/expense-reports/{report_id}/reject"} <= set(paths)
