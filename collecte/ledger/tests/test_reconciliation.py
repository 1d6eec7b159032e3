"""Reconciliation ("rapprochement") through the actions: accepting a suggestion pays the invoice and closes its
forecast entry, several invoices in one transfer, partial payments, credit notes offsetting an invoice, ambiguous
lines left to a person, wrong allocations refused, automatic reconciliation on import when the folder allows it,
turned-down suggestions not proposed again, and everything undone."""
from datetime import date
from decimal import Decimal as D

import pytest

from collecte.ledger import actions, banking, reconcile
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import BankAccount, BankTransaction, ForecastEntry, Invoice, InvoiceEvent, Reconciliation
from collecte.ledger.tests.test_statements import ACCOUNT, camt, entry, stmt, tx_details
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]
PAYER_IBAN = "FR7610107001011234567890129"


def sale(world, number, total, name="Boulangerie Dupain", kind="invoice", due="2026-12-01", folder=None):
    values = {"number": number, "counterparty_name": name, "total_incl_tax": total, "issue_date": "2026-11-01",
              "due_date": due if kind == "invoice" else "", "kind": kind}
    return actions.create_invoice(folder or world.folder, "sales", world.admin, values)


def purchase(world, number, total, name="Fournil Grossiste"):
    return actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": number, "counterparty_name": name, "total_incl_tax": total, "issue_date": "2026-11-01",
        "due_date": "2026-12-01"})


def bank_tx(world, amount, label="", name="", iban="", day=date(2026, 12, 2), account=None, bank_id=None):
    account = account or (BankAccount.objects.filter(folder=world.folder).first()
                          or banking.add_account(world.folder, "Courant", ACCOUNT))
    return BankTransaction.objects.create(
        folder=world.folder, account=account, bank_id=bank_id or f"{label}{amount}{day}", booking_date=day,
        amount=D(amount), currency="EUR", label=label, counterparty_name=name, counterparty_iban=iban)


def suggestions(tx):
    return reconcile.suggestions_for(tx, reconcile.matcher_for(tx.folder_id, tx.currency))


def fresh(invoice):
    return Invoice.objects.get(pk=invoice.pk)


def test_accepting_a_suggestion_pays_the_invoice_closes_its_forecast_and_can_be_undone(world):
    invoice = sale(world, "FA-2026-0042", "1200.00")
    sale(world, "FA-2026-0043", "1200.00")
    tx = bank_tx(world, "1200.00", "VIR SEPA BOULANGERIE DUPAIN FACTURE FA-2026-0042")
    found = suggestions(tx)
    assert found[0].invoice_ids == [invoice.pk] and reconcile.is_unambiguous(found)

    reconcile.reconcile(tx, found[0].allocations, world.approver)
    invoice = fresh(invoice)
    assert (invoice.status, invoice.amount_paid, invoice.paid_date) == ("paid", D("1200.00"), date(2026, 12, 2))
    assert ForecastEntry.objects.get(invoice=invoice).status == ForecastEntry.Status.CLOSED
    assert BankTransaction.objects.get(pk=tx.pk).status == "reconciled"
    event = InvoiceEvent.objects.filter(invoice=invoice, action="reconciled").get()
    assert event.actor == world.approver and event.changes["status"] == ["unpaid", "paid"]
    assert suggestions(BankTransaction.objects.get(pk=tx.pk)) == []  # nothing to suggest once reconciled

    assert reconcile.unreconcile(tx, world.approver) == 1
    invoice = fresh(invoice)
    assert (invoice.status, invoice.amount_paid, invoice.paid_date) == ("unpaid", D("0.00"), None)
    assert ForecastEntry.objects.get(invoice=invoice).status == ForecastEntry.Status.OPEN
    assert BankTransaction.objects.get(pk=tx.pk).status == "open" and not Reconciliation.objects.exists()
    assert InvoiceEvent.objects.filter(invoice=invoice, action="unreconciled").exists()


def test_one_transfer_pays_several_invoices(world):
    first, second = sale(world, "FA-2026-0101", "300.00"), sale(world, "FA-2026-0102", "450.50")
    sale(world, "FA-2026-0103", "99.00")
    tx = bank_tx(world, "750.50", "VIR BOULANGERIE DUPAIN FA-2026-0101 FA-2026-0102")
    top = suggestions(tx)[0]
    assert sorted(top.invoice_ids) == [first.pk, second.pk]
    reconcile.reconcile(tx, top.allocations, world.admin)
    assert {fresh(first).status, fresh(second).status} == {"paid"}
    assert Reconciliation.objects.filter(transaction=tx).count() == 2


def test_a_partial_payment_leaves_the_rest_due_and_in_the_forecast(world):
    invoice = sale(world, "FA-2026-0200", "1000.00")
    tx = bank_tx(world, "400.00", "ACOMPTE FA-2026-0200")
    top = suggestions(tx)[0]
    assert top.partial and top.allocations == {invoice.pk: D("400.00")}
    assert not reconcile.is_unambiguous([top])  # a partial payment is never applied without a person
    reconcile.reconcile(tx, top.allocations, world.admin)
    invoice = fresh(invoice)
    assert (invoice.status, invoice.amount_paid, invoice.paid_date) == ("partially_paid", D("400.00"), None)
    assert ForecastEntry.objects.get(invoice=invoice).amount == D("600.00")
    rest = bank_tx(world, "600.00", "SOLDE FA-2026-0200", bank_id="rest")
    reconcile.reconcile(rest, {invoice.pk: "600.00"}, world.admin)
    assert (fresh(invoice).status, fresh(invoice).paid_date) == ("paid", date(2026, 12, 2))
    reconcile.unreconcile(tx, world.admin)  # undoing the first payment only: partly paid again
    assert (fresh(invoice).status, fresh(invoice).amount_paid) == ("partially_paid", D("600.00"))


def test_a_credit_note_offsets_an_invoice_in_the_same_transfer(world):
    invoice = sale(world, "FA-2026-0300", "1000.00")
    credit = sale(world, "AV-2026-0007", "200.00", kind="credit_note")
    tx = bank_tx(world, "800.00", "VIR DUPAIN FA-2026-0300 AV-2026-0007")
    top = suggestions(tx)[0]
    assert sorted(top.invoice_ids) == sorted([invoice.pk, credit.pk])
    reconcile.reconcile(tx, reconcile.applied(top), world.admin)
    assert (fresh(invoice).status, fresh(credit).status) == ("paid", "credit_used")
    reconcile.unreconcile(tx, world.admin)
    assert (fresh(invoice).status, fresh(credit).status) == ("unpaid", "credit_available")


def test_an_ambiguous_line_is_suggested_but_never_applied_alone(world):
    sale(world, "FA-2026-0401", "250.00", name="Traiteur Alpha")
    sale(world, "FA-2026-0402", "250.00", name="Traiteur Beta")
    tx = bank_tx(world, "250.00", "VIREMENT RECU")
    found = suggestions(tx)
    assert len(found) == 2 and not reconcile.is_unambiguous(found)
    world.folder.auto_reconcile = True
    world.folder.save()
    assert reconcile.auto_reconcile(BankTransaction.objects.all(), world.folder.pk, "EUR").reconciled == 0


def test_wrong_allocations_are_refused_with_a_reason(world):
    invoice = sale(world, "FA-2026-0500", "100.00")
    bill = purchase(world, "ACH-2026-77", "100.00")
    foreign = sale(world, "FA-2026-0501", "100.00", folder=world.other_folder)
    tx = bank_tx(world, "100.00", "VIR")
    cases = [({invoice.pk: "150.00"}, "over_allocation"), ({bill.pk: "100.00"}, "amount_mismatch"),
             ({foreign.pk: "100.00"}, "invalid_invoice"), ({invoice.pk: "-5"}, "invalid_amount"),
             ({}, "no_invoice"), ({invoice.pk: "abc"}, "invalid_amount")]
    for allocations, code in cases:
        with pytest.raises(LedgerError) as refused:
            reconcile.reconcile(tx, allocations, world.admin)
        assert refused.value.code == code, allocations
    pending = actions.create_invoice(world.folder, "sales", world.admin, {
        "number": "FA-2026-0502", "counterparty_name": "X", "total_incl_tax": "100", "issue_date": "2026-11-01",
        "due_date": "2026-12-01"}, validate=False)
    with pytest.raises(LedgerError) as not_validated:
        reconcile.reconcile(tx, {pending.pk: "100"}, world.admin)
    assert not_validated.value.code == "not_open"
    reconcile.reconcile(tx, {invoice.pk: "90.00"}, world.admin)  # a 10.00 difference (bank fee) may stay
    with pytest.raises(LedgerError) as twice:
        reconcile.reconcile(tx, {invoice.pk: "10.00"}, world.admin)
    assert twice.value.code == "not_open"


def test_a_turned_down_suggestion_is_not_proposed_again_and_a_line_can_be_set_aside(world):
    invoice = sale(world, "FA-2026-0600", "70.00")
    tx = bank_tx(world, "70.00", "VIR FA-2026-0600")
    reconcile.turn_down(tx, [invoice.pk])
    assert [s.invoice_ids for s in suggestions(BankTransaction.objects.get(pk=tx.pk))] == []
    fee = bank_tx(world, "-12.00", "FRAIS TENUE DE COMPTE", bank_id="fee")
    reconcile.set_ignored(fee, True)
    assert BankTransaction.objects.get(pk=fee.pk).status == "ignored"
    with pytest.raises(LedgerError):
        reconcile.reconcile(fee, {invoice.pk: "12"}, world.admin)
    reconcile.set_ignored(fee, False)
    assert BankTransaction.objects.get(pk=fee.pk).status == "open"


def test_deleting_a_reconciled_invoice_puts_its_transaction_back_to_reconcile(world):
    invoice = sale(world, "FA-2026-0700", "55.00")
    tx = bank_tx(world, "55.00", "VIR FA-2026-0700")
    reconcile.reconcile(tx, {invoice.pk: "55.00"}, world.admin)
    actions.delete_invoice(fresh(invoice), world.admin)
    assert BankTransaction.objects.get(pk=tx.pk).status == "open" and not Reconciliation.objects.exists()


def statement_paying(*lines):
    """A CAMT.053 statement of ACCOUNT whose credit lines carry a payer, an IBAN and remittance text."""
    entries = [entry(amount, "CRDT", booked="2026-12-02", value="2026-12-02", ref=f"R{i}",
                     details=[tx_details(debtor=(name, iban), ustrd=[text])])
               for i, (amount, name, iban, text) in enumerate(lines)]
    return camt(stmt(entries, start="2026-12-01", end="2026-12-03"))


def test_the_import_reconciles_unambiguous_lines_when_the_folder_allows_it(world):
    paid = sale(world, "FA-2026-0800", "480.00", name="Epicerie Fine")
    other = sale(world, "FA-2026-0801", "480.00", name="Epicerie Fine")
    account = BankAccount.objects.create(folder=world.folder, name="Courant", iban=ACCOUNT)
    data = statement_paying(("480.00", "EPICERIE FINE", PAYER_IBAN, "FACTURE FA-2026-0800"),
                            ("480.00", "INCONNU", "", "VIREMENT"))
    record = banking.import_statement(account, data, "decembre.xml", world.admin)
    assert record.auto_reconciled is None and fresh(paid).status == "unpaid"  # the setting is off

    BankTransaction.objects.all().delete()
    world.folder.auto_reconcile = True
    world.folder.save()
    account.refresh_from_db()
    record = banking.import_statement(account, data, "decembre.xml", world.admin)
    assert record.auto_reconciled == 1
    assert (fresh(paid).status, fresh(other).status) == ("paid", "unpaid")
    row = Reconciliation.objects.get()
    assert row.automatic and row.invoice_id == paid.pk and row.created_by is None


def test_correcting_the_total_of_a_partly_paid_invoice_settles_it(world):
    invoice = sale(world, "FA-2026-0900", "500.00")
    tx = bank_tx(world, "450.00", "VIR FA-2026-0900")
    reconcile.reconcile(tx, {invoice.pk: "450.00"}, world.admin)
    assert fresh(invoice).status == "partially_paid"
    actions.update_invoice(fresh(invoice), world.admin, {"total_incl_tax": "450.00"})  # the invoice was wrong
    invoice = fresh(invoice)
    assert (invoice.status, invoice.paid_date) == ("paid", date(2026, 12, 2))
    assert ForecastEntry.objects.get(invoice=invoice).status == ForecastEntry.Status.CLOSED
    actions.update_invoice(invoice, world.admin, {"total_incl_tax": "600.00"})
    assert (fresh(invoice).status, fresh(invoice).paid_date) == ("partially_paid", None)
    assert ForecastEntry.objects.get(invoice=invoice).amount == D("150.00")


def test_a_signed_credit_note_partly_used_forecasts_what_is_left(world):
    """Some sources sign credit notes (-200.00): what is left after part of it was used is 200 - 50, not 250."""
    invoice = sale(world, "FA-2026-0310", "1000.00")
    credit = sale(world, "AV-2026-0008", "-200.00", kind="credit_note")
    tx = bank_tx(world, "950.00", "VIR DUPAIN FA-2026-0310")
    reconcile.reconcile(tx, {invoice.pk: "1000.00", credit.pk: "50.00"}, world.admin)
    assert (fresh(credit).status, fresh(credit).amount_paid) == ("credit_available", D("50.00"))
    assert ForecastEntry.objects.get(invoice=credit).amount == D("-150.00")
    reconcile.unreconcile(tx, world.admin)
    assert ForecastEntry.objects.get(invoice=credit).amount == D("-200.00")


def test_the_payment_date_is_the_last_payments_whatever_the_order_they_are_reconciled_in(world):
    invoice = sale(world, "FA-2026-0210", "100.00")
    late = bank_tx(world, "40.00", "SOLDE FA-2026-0210", day=date(2026, 12, 10), bank_id="late")
    early = bank_tx(world, "60.00", "ACOMPTE FA-2026-0210", day=date(2026, 12, 2), bank_id="early")
    reconcile.reconcile(late, {invoice.pk: "40.00"}, world.admin)
    reconcile.reconcile(early, {invoice.pk: "60.00"}, world.admin)
    assert (fresh(invoice).status, fresh(invoice).paid_date) == ("paid", date(2026, 12, 10))
