"""Issue 6's "done when", from the demo: its validated sale is in the forecast; importing the statement the demo
writes reconciles it (by hand, or automatically when the folder allows it), and the customer's figures and the
aging follow."""
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.urls import reverse

from collecte.accounts.models import User
from collecte.ledger import banking, kpis, reconcile
from collecte.ledger.demo import CUSTOMER, SALE_NUMBER
from collecte.ledger.models import BankAccount, ForecastEntry, Invoice
from collecte.tenancy.access import get_folder_access
from collecte.tenancy.management.commands.demo import build_demo
from collecte.tenancy.models import ClientFolder
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


@pytest.fixture
def demo():
    data = build_demo()
    folder = ClientFolder.objects.get(pk=data["folders"][0]["id"])
    approver = User.objects.get(email=next(u["email"] for u in data["users"] if u["role"] == "approver"))
    return data, folder, approver


def test_the_demo_sale_is_paid_by_the_demo_statement(demo, client_for):
    data, folder, approver = demo
    sale = Invoice.objects.get(folder=folder, number=SALE_NUMBER)
    assert sale.status == "unpaid" and ForecastEntry.objects.get(invoice=sale).amount == D("1440.00")
    reach = get_folder_access(approver, folder.pk)
    before = kpis.analytics(reach)
    assert before.totals.amount_overdue == D("1440.00") and before.aging.bucket("1_30").amount == D("1440.00")

    account = BankAccount.objects.get(folder=folder)
    record = banking.import_statement(account, Path(data["folders"][0]["sample_statement"]).read_bytes(),
                                      "demo.xml", approver)
    assert record.created == 2
    payment = account.transactions.get(amount=D("1440.00"))
    found = reconcile.suggestions_for(payment, reconcile.matcher_for(folder.pk, "EUR"))
    assert found[0].invoice_ids == [sale.pk] and reconcile.is_unambiguous(found)
    reconcile.reconcile(payment, reconcile.applied(found[0]), approver)

    sale.refresh_from_db()
    assert sale.status == "paid" and ForecastEntry.objects.get(invoice=sale).status == "closed"
    after = kpis.analytics(reach)
    assert after.totals.amount_due == D("0.00") and after.aging.total_amount == D("0.00")
    assert after.totals.average_payment_delay == D("40.0")  # issued 40 days before the statement's day
    page = html(client_for(approver).get(reverse("customer-list", args=[folder.pk])))
    assert CUSTOMER in page and "40 j" in page


def test_with_automatic_reconciliation_the_import_pays_it(demo):
    data, folder, approver = demo
    ClientFolder.objects.filter(pk=folder.pk).update(auto_reconcile=True)
    account = BankAccount.objects.select_related("folder").get(folder=folder)
    record = banking.import_statement(account, Path(data["folders"][0]["sample_statement"]).read_bytes(),
                                      "demo.xml", approver)
    assert record.auto_reconciled == 1  # the payment; the bank fee stays for a person to set aside
    assert Invoice.objects.get(folder=folder, number=SALE_NUMBER).status == "paid"
    assert build_demo()["folders"][0]["id"] == folder.pk  # run again: nothing created twice
    assert Invoice.objects.filter(folder=folder, number=SALE_NUMBER).count() == 1


def test_a_demo_expense_report_is_approved_and_the_fec_export_balances(demo):
    """The demo's standard user may create expense reports: a receipt uploaded, a report submitted, the approver
    approves; the year's FEC (the demo sale and the approved expense) balances, with the 18 columns."""
    from datetime import timedelta

    from collecte.expenses import actions as expenses
    from collecte.expenses.tests.helpers import upload_receipt
    from collecte.ledger.exports import build_export
    from collecte.ledger.queries import folder_today

    data, folder, approver = demo
    employee = User.objects.get(email=next(u["email"] for u in data["users"] if u["role"] == "standard"))
    receipt = upload_receipt(employee, folder, number="H-2026-77", issue=folder_today(folder) - timedelta(days=3))
    report = expenses.create_report(get_folder_access(employee, folder.pk), employee, [receipt.pk], "Déplacement")
    assert report.employee_code == "E-STA"
    expenses.submit_report(report, employee)
    expenses.approve_report(report, approver)
    bought = Invoice.objects.get(folder=folder, source="expense")
    assert bought.status == "unpaid" and bought.total_incl_tax == D("120.00")

    today = folder_today(folder)
    export = build_export(get_folder_access(approver, folder.pk), today - timedelta(days=365), today)
    assert export.invoice_count == 2 and export.balanced and export.debit == D("1560.00")  # 1440 + 120
    lines = export.fec_bytes().decode("iso-8859-15").splitlines()
    assert all(len(line.split("\t")) == 18 for line in lines)
    assert sum(len(e.lines) for e in export.entries) == len(lines) - 1
