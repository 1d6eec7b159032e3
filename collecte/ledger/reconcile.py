"""Reconciliation ("rapprochement"): the edge around the pure matcher of collecte.ledger.matching.

A person (or, when the folder allows it, the import itself for unambiguous lines) accepts a suggestion or an edited
set of allocations; the invoices' paid amounts and statuses follow, and through the review's domain event their
forecast entries and the customer figures. Everything can be undone: undoing a transaction's reconciliation puts
every invoice it touched back as it was and keeps the history in the invoices' events.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from . import effects
from .errors import LedgerError
from .matching import BankLine, Matcher, OpenItem, Suggestion, is_unambiguous
from .models import BankTransaction, Invoice, InvoiceEvent, Reconciliation
from .queries import change_stamp

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
SUGGESTIONS = 5
MAX_ID = 2 ** 63  # ids are 64-bit signed integers


# --- from rows to the matcher's dataclasses ------------------------------------------------------------------------

def open_invoices(folder_id, currency=None):
    """Validated invoices with money still to settle: unpaid or partly paid invoices, available credit notes."""
    rows = Invoice.objects.filter(folder_id=folder_id, total_incl_tax__isnull=False,
                                  status__in=(*Invoice.OPEN, Invoice.Status.CREDIT_AVAILABLE))
    return rows.filter(currency=currency) if currency else rows


def open_items(invoices) -> list[OpenItem]:
    rows = invoices.values_list("pk", "direction", "kind", "number", "counterparty__name", "counterparty_read",
                                "counterparty__iban", "total_incl_tax", "amount_paid", "due_date", "issue_date")
    return [OpenItem(pk, direction, kind, number, name or (read or {}).get("name") or "",
                     iban or (read or {}).get("iban") or None, abs(total) - (paid or 0), due, issued)
            for pk, direction, kind, number, name, read, iban, total, paid, due, issued in rows.iterator(2000)]


def bank_line(tx: BankTransaction) -> BankLine:
    return BankLine(tx.pk, tx.booking_date, tx.amount, tx.label, tx.counterparty_name or None,
                    tx.counterparty_iban or None, tx.reference or None)


def matcher_for(folder_id, currency) -> Matcher:
    return Matcher(open_items(open_invoices(folder_id, currency)))


_MATCHERS: OrderedDict = OrderedDict()  # (scope, change stamp) -> Matcher, this process's most recent ones
MATCHERS_KEPT = 4


def cached_matcher(invoices, scope) -> Matcher:
    """The matcher over `invoices` (open ones, one folder and currency), built again only when they changed: a
    reconciliation page of a folder with 20,000 open invoices would otherwise index them all on every request.
    `scope` names what the queryset holds (folder, currency, and whose view); queries.change_stamp says when they
    changed. A stale matcher could only suggest an invoice reconcile() then refuses, never apply one."""
    key = (scope, change_stamp(invoices))
    if key in _MATCHERS:
        _MATCHERS.move_to_end(key)
        return _MATCHERS[key]
    matcher = _MATCHERS[key] = Matcher(open_items(invoices))
    while len(_MATCHERS) > MATCHERS_KEPT:
        _MATCHERS.popitem(last=False)
    return matcher


def suggestions_for(tx: BankTransaction, matcher: Matcher, limit=SUGGESTIONS) -> list[Suggestion]:
    """Ranked suggestions for an open transaction, without the sets a person turned down for it."""
    if tx.status != BankTransaction.Status.OPEN:
        return []
    turned_down = {tuple(ids) for ids in tx.rejected or []}
    found = matcher.suggest(bank_line(tx), limit=limit + len(turned_down))
    kept = [s for s in found if tuple(sorted(s.invoice_ids)) not in turned_down]
    if found and kept and kept[0] is not found[0]:
        kept[0].auto_ok = False  # the best one was turned down: never apply the next one without asking
    return kept[:limit]


def applied(suggestion: Suggestion) -> dict[int, Decimal]:
    """A suggestion's allocations as reconcile() takes them: what each invoice or credit note has settled."""
    return {invoice_id: abs(amount) for invoice_id, amount in suggestion.allocations.items()}


# --- reconciling ---------------------------------------------------------------------------------------------------

def open_amount(invoice) -> Decimal:
    """What is left to settle; totals are compared as positive amounts (some sources sign credit notes)."""
    return invoice.total_incl_tax.copy_abs() - invoice.amount_paid


def _effect_sign(invoice) -> int:
    """+1 when settling the invoice brings money in (a sale, a supplier's credit note), -1 when it takes money out."""
    return 1 if (invoice.direction == "sales") != invoice.is_credit_note else -1


def _lock_transaction(tx) -> BankTransaction:
    return BankTransaction.objects.select_for_update().get(pk=tx.pk)


def _clean_allocations(allocations) -> dict[int, Decimal]:
    cleaned = {}
    for invoice_id, amount in allocations.items():
        try:
            value = Decimal(str(amount)).quantize(CENT)
        except ArithmeticError:
            raise LedgerError(_("Montant invalide."), "invalid_amount", "allocations") from None
        if not value.is_finite() or value <= 0:
            raise LedgerError(_("Chaque montant rapproché doit être positif."), "invalid_amount", "allocations")
        if not 0 < int(invoice_id) < MAX_ID:  # beyond the id column: no such invoice (the database would fail)
            raise LedgerError(_("Une des factures n'existe pas dans ce dossier."), "invalid_invoice", "allocations",
                              status=404)
        cleaned[int(invoice_id)] = value
    if not cleaned:
        raise LedgerError(_("Choisissez au moins une facture."), "no_invoice", "allocations")
    return cleaned


def _invoices_to_settle(tx, allocations, invoices) -> list[Invoice]:
    """The invoices, locked, from what the caller may see: all must be open, of the folder and its currency."""
    # Locked in id order, so two reconciliations sharing invoices cannot wait on each other (deadlock).
    found = {i.pk: i for i in invoices.select_for_update().filter(pk__in=list(allocations), folder_id=tx.folder_id)
             .order_by("pk")}
    if set(found) != set(allocations):
        raise LedgerError(_("Une des factures n'existe pas dans ce dossier."), "invalid_invoice", "allocations",
                          status=404)
    for invoice in found.values():
        if invoice.status not in (*Invoice.OPEN, Invoice.Status.CREDIT_AVAILABLE):
            raise LedgerError(_("La facture %(number)s n'est plus à régler.") % {"number": invoice.number},
                              "not_open", "allocations", status=409)
        if invoice.currency != tx.currency:
            raise LedgerError(_("La facture %(number)s est en %(currency)s, le mouvement en %(tx)s.")
                              % {"number": invoice.number, "currency": invoice.currency, "tx": tx.currency},
                              "other_currency", "allocations", status=409)
        left = open_amount(invoice)
        if allocations[invoice.pk] > left:
            raise LedgerError(_("La facture %(number)s n'a plus que %(due)s à régler.")
                              % {"number": invoice.number, "due": left}, "over_allocation",
                              "allocations", status=409)
    return list(found.values())


def _check_total(tx, settled: list[Invoice], allocations):
    """The invoices may explain the transaction or part of it (a bank fee, a rounding), never more, never the
    other way round: a payment out does not settle a sales invoice."""
    total = sum(_effect_sign(i) * allocations[i.pk] for i in settled)
    if total == 0 or (total > 0) != (tx.amount > 0) or total.copy_abs() > tx.amount.copy_abs():
        raise LedgerError(_("Les factures choisies (%(total)s) ne correspondent pas au mouvement de %(amount)s.")
                          % {"total": total, "amount": tx.amount}, "amount_mismatch", "allocations", status=409)


def _apply_payment(invoice: Invoice, delta: Decimal, day, user, tx, action, automatic=False):
    """Move the invoice's paid amount by `delta` and set its status from it; the domain event follows."""
    before = {"amount_paid": str(invoice.amount_paid), "status": invoice.status}
    invoice.amount_paid = (invoice.amount_paid + delta).quantize(CENT)
    invoice.status, invoice.paid_date = _status_after(invoice, day)
    invoice.save(update_fields=["amount_paid", "status", "paid_date", "updated_at"])
    changes = {"amount_paid": [before["amount_paid"], str(invoice.amount_paid)]}
    if before["status"] != invoice.status:
        changes["status"] = [before["status"], invoice.status]
    InvoiceEvent.objects.create(
        folder_id=invoice.folder_id, invoice=invoice, invoice_number=invoice.number,
        actor=user if getattr(user, "pk", None) else None, action=action,
        changes={**changes, "transaction": tx.pk, "date": str(tx.booking_date), "label": tx.label[:140],
                 "automatic": automatic})
    effects.invoice_changed(invoice, user, changes)


def _status_after(invoice, day):
    total = invoice.total_incl_tax.copy_abs()
    if invoice.is_credit_note:
        used = invoice.amount_paid >= total
        return (Invoice.Status.CREDIT_USED if used else Invoice.Status.CREDIT_AVAILABLE), (day if used else None)
    if invoice.amount_paid >= total:
        return Invoice.Status.PAID, invoice.paid_date if invoice.status == Invoice.Status.PAID else day
    if invoice.amount_paid > 0:
        return Invoice.Status.PARTIALLY_PAID, None
    return Invoice.Status.UNPAID, None


def _last_payment_day(invoice):
    """The day the invoice was fully paid is its latest payment's, whatever the order lines are reconciled in."""
    return (Reconciliation.objects.filter(invoice=invoice).order_by("-transaction__booking_date")
            .values_list("transaction__booking_date", flat=True).first())


@transaction.atomic
def reconcile(tx: BankTransaction, allocations: dict, user, invoices=None, automatic=False) -> list[Reconciliation]:
    """Settle invoices with an open transaction. `allocations` maps invoice ids to the amount applied, positive
    for credit notes too (the matcher's suggestions sign them: see applied());
    `invoices` is the queryset the caller may see (tenancy), the folder's invoices by default."""
    tx = _lock_transaction(tx)
    if tx.status != BankTransaction.Status.OPEN:
        raise LedgerError(_("Ce mouvement est déjà rapproché ou classé sans facture."), "not_open", status=409)
    allocations = _clean_allocations(allocations)
    settled = _invoices_to_settle(tx, allocations, invoices if invoices is not None else Invoice.objects.all())
    _check_total(tx, settled, allocations)
    rows = []
    for invoice in sorted(settled, key=lambda i: i.pk):
        rows.append(Reconciliation.objects.create(
            folder_id=tx.folder_id, transaction=tx, invoice=invoice, amount=allocations[invoice.pk],
            automatic=automatic, created_by=user if getattr(user, "pk", None) else None))
        _apply_payment(invoice, allocations[invoice.pk], _last_payment_day(invoice), user, tx,
                       InvoiceEvent.Action.RECONCILED, automatic)
    tx.status = BankTransaction.Status.RECONCILED
    tx.save(update_fields=["status"])
    return rows


@transaction.atomic
def unreconcile(tx: BankTransaction, user) -> int:
    """Undo a transaction's reconciliation (or its "sans facture" mark): its invoices are owed again."""
    tx = _lock_transaction(tx)
    rows = list(Reconciliation.objects.filter(transaction=tx).order_by("invoice_id"))  # locks in id order
    if not rows and tx.status != BankTransaction.Status.IGNORED:
        raise LedgerError(_("Ce mouvement n'est pas rapproché."), "not_reconciled", status=409)
    for row in rows:
        invoice = Invoice.objects.select_for_update().get(pk=row.invoice_id)
        row.delete()
        _apply_payment(invoice, -row.amount, None, user, tx, InvoiceEvent.Action.UNRECONCILED)
    tx.status = BankTransaction.Status.OPEN
    tx.save(update_fields=["status"])
    return len(rows)


@transaction.atomic
def turn_down(tx: BankTransaction, invoice_ids, user=None) -> None:
    """A person says this suggestion is wrong: it is not proposed again for this transaction."""
    tx = _lock_transaction(tx)
    ids = sorted({int(i) for i in invoice_ids})
    if ids and ids not in tx.rejected:
        tx.rejected = [*tx.rejected, ids]
        tx.save(update_fields=["rejected"])


@transaction.atomic
def set_ignored(tx: BankTransaction, ignored: bool, user=None) -> BankTransaction:
    """A movement no invoice explains (bank fees, salaries, taxes): out of the list to reconcile, and back."""
    tx = _lock_transaction(tx)
    if ignored and tx.status == BankTransaction.Status.OPEN:
        tx.status = BankTransaction.Status.IGNORED
    elif not ignored and tx.status == BankTransaction.Status.IGNORED:
        tx.status = BankTransaction.Status.OPEN
    else:
        raise LedgerError(_("Ce mouvement est déjà rapproché."), "not_open", status=409)
    tx.save(update_fields=["status"])
    return tx


# --- automatic reconciliation ---------------------------------------------------------------------------------------

@dataclass
class AutoResult:
    examined: int = 0
    reconciled: int = 0


def auto_reconcile(transactions, folder_id, currency, user=None) -> AutoResult:
    """Apply the suggestions the matcher calls unambiguous, to open transactions only, once per invoice: an invoice
    one line has settled is not offered to the next (two payments of one invoice are left to a person)."""
    matcher, used, result = matcher_for(folder_id, currency), set(), AutoResult()
    for tx in transactions.filter(status=BankTransaction.Status.OPEN).order_by("booking_date", "pk").iterator(500):
        result.examined += 1
        suggestions = suggestions_for(tx, matcher)
        if not is_unambiguous(suggestions) or used & set(suggestions[0].invoice_ids):
            continue
        top = suggestions[0]
        try:
            reconcile(tx, applied(top), user, automatic=True)
        except LedgerError as error:  # an invoice changed since the matcher was built: a person will see it
            log.info("transaction %s not reconciled automatically: %s", tx.pk, error.code)
            continue
        used |= set(top.invoice_ids)
        result.reconciled += 1
    return result


def auto_reconcile_statement(record) -> AutoResult:
    account = record.account
    if not account.folder.auto_reconcile:
        return AutoResult()
    return auto_reconcile(BankTransaction.objects.filter(statement=record), account.folder_id, account.currency)


def follow_total(invoice, user=None, changes=None) -> None:
    """Effect of invoice_changed, first in the list: a paid or partly paid invoice whose total a person corrects is
    paid, partly paid or owed again according to what the bank already settled."""
    if "total_incl_tax" not in (changes or {}) or not invoice.is_validated or invoice.total_incl_tax is None:
        return
    if not invoice.amount_paid:
        return
    last = (Reconciliation.objects.filter(invoice=invoice).order_by("-transaction__booking_date")
            .values_list("transaction__booking_date", flat=True).first())
    status, paid_date = _status_after(invoice, last)
    if (status, paid_date) != (invoice.status, invoice.paid_date):
        changes["status"] = [invoice.status, status]
        invoice.status, invoice.paid_date = status, paid_date
        Invoice.objects.filter(pk=invoice.pk).update(status=status, paid_date=paid_date)


# --- the invoice leaves the ledger ----------------------------------------------------------------------------------

def release_transactions(invoice, user=None) -> None:
    """Effect of invoice_removed: the transactions that settled it are to reconcile again (their other invoices
    stay settled; a person sees the line back in the list)."""
    tx_ids = list(Reconciliation.objects.filter(invoice=invoice).values_list("transaction_id", flat=True))
    Reconciliation.objects.filter(invoice=invoice).delete()
    alone = BankTransaction.objects.filter(pk__in=tx_ids).exclude(reconciliations__isnull=False)
    alone.update(status=BankTransaction.Status.OPEN)

