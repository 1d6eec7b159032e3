"""Rapprochement: each open bank transaction with its ranked suggestions; accept, edit, turn down, set aside, undo."""
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collecte.ledger import reconcile
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import BankTransaction
from collecte.ledger.queries import bank_transactions, open_invoices_by_number, proposals_for
from collecte.tenancy import access

PER_PAGE = 20
STATUSES = [("open", BankTransaction.Status.OPEN.label), ("reconciled", BankTransaction.Status.RECONCILED.label),
            ("ignored", BankTransaction.Status.IGNORED.label)]


@login_required
def reconciliation(request, folder_id):
    folder_access = access.get_bank_access(request.user, folder_id)
    status = request.GET.get("status") if request.GET.get("status") in dict(STATUSES) else "open"
    accounts = list(folder_access.folder.bank_accounts.all())
    account_id = next((a.pk for a in accounts if str(a.pk) == request.GET.get("account")), None)
    rows = bank_transactions(folder_access, status, account_id)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    transactions = list(page.object_list)
    proposals = proposals_for(folder_access, transactions) if status == "open" else {}
    if status == "reconciled":
        _attach_reconciliations(folder_access, transactions)
    counts = {key: bank_transactions(folder_access, key, account_id).count() for key, _label in STATUSES}
    return render(request, "web/reconciliation.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "reconciliation", "status": status,
        "statuses": [(key, label, counts[key]) for key, label in STATUSES], "accounts": accounts,
        "account_id": account_id, "page": page, "rows": [(tx, proposals.get(tx.pk, [])) for tx in transactions],
        "here": request.get_full_path()})


def _attach_reconciliations(folder_access, transactions):
    """Each reconciled line with the invoices it settled; those the user may not see are only counted."""
    visible = set(access.visible_invoices(folder_access).filter(
        reconciliations__transaction__in=transactions).values_list("pk", flat=True))
    for tx in transactions:
        rows = list(tx.reconciliations.select_related("invoice__counterparty").order_by("invoice__number"))
        tx.settled = [r for r in rows if r.invoice_id in visible]
        tx.hidden = len(rows) - len(tx.settled)
        tx.difference = tx.amount.copy_abs() - sum((r.amount for r in rows if not r.invoice.is_credit_note),
                                                   Decimal(0)) + sum((r.amount for r in rows
                                                                      if r.invoice.is_credit_note), Decimal(0))


def _back(request, tx):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("reconciliation", args=[tx.folder_id]))


def _allocations(request, folder_access, tx):
    """What the person accepts: the suggestion's invoices with their (possibly edited) amounts, plus any invoice
    they name by number, each given what is left of the transaction up to its open amount."""
    allocations = {}
    for raw in request.POST.getlist("invoice"):
        if not raw.isdigit():
            continue
        try:
            allocations[int(raw)] = Decimal(request.POST.get(f"amount-{raw}", "").replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise LedgerError(_("Montant invalide."), "invalid_amount", "allocations") from None
        if not allocations[int(raw)].is_finite():  # NaN would fail the sums below
            raise LedgerError(_("Montant invalide."), "invalid_amount", "allocations")
    named = open_invoices_by_number(folder_access, request.POST.get("numbers", ""), tx.currency)
    if request.POST.get("numbers", "").strip() and not named:
        raise LedgerError(_("Aucune facture à régler ne porte ce numéro."), "invalid_invoice", "numbers",
                          status=404)
    left = tx.amount.copy_abs() - sum(allocations.values(), Decimal(0))
    for invoice in named:
        if invoice.pk not in allocations and left > 0:
            allocations[invoice.pk] = min(reconcile.open_amount(invoice), left)
            left -= allocations[invoice.pk]
    return allocations


def _transaction(request, transaction_id):
    return access.get_bank_transaction_for_user(request.user, transaction_id)


@login_required
@require_POST
def reconcile_transaction(request, transaction_id):
    folder_access, tx = _transaction(request, transaction_id)
    try:
        rows = reconcile.reconcile(tx, _allocations(request, folder_access, tx), request.user,
                                   invoices=access.visible_invoices(folder_access))
    except LedgerError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Mouvement rapproché de %(n)s facture(s).") % {"n": len(rows)})
    return _back(request, tx)


@login_required
@require_POST
def turn_down_suggestion(request, transaction_id):
    _folder_access, tx = _transaction(request, transaction_id)
    reconcile.turn_down(tx, [i for i in request.POST.getlist("invoice") if i.isdigit()], request.user)
    messages.info(request, _("Suggestion écartée : elle ne sera plus proposée pour ce mouvement."))
    return _back(request, tx)


@login_required
@require_POST
def set_aside(request, transaction_id):
    _folder_access, tx = _transaction(request, transaction_id)
    try:
        reconcile.set_ignored(tx, request.POST.get("ignored") != "0", request.user)
    except LedgerError as error:
        messages.error(request, error.message)
    return _back(request, tx)


@login_required
@require_POST
def undo(request, transaction_id):
    folder_access, tx = _transaction(request, transaction_id)
    hidden = tx.reconciliations.exclude(invoice__in=access.visible_invoices(folder_access).values("pk")).exists()
    if hidden:
        messages.error(request, _("Ce rapprochement concerne une facture que vous ne voyez pas : un administrateur "
                                  "peut l'annuler."))
        return _back(request, tx)
    try:
        count = reconcile.unreconcile(tx, request.user)
    except LedgerError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Rapprochement annulé : %(n)s facture(s) de nouveau à régler.") % {"n": count})
    return _back(request, tx)
