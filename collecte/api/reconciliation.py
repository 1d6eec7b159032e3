"""Reconciliation ("rapprochement"): a folder's bank transactions by status, the suggestions for one, reconcile,
undo, turn a suggestion down, set a line aside. Approvers, admins and firm staff, as for the bank."""
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status

from collecte.ledger import reconcile
from collecte.ledger.queries import bank_transactions, proposals_for
from collecte.tenancy import access

from .errors import ApiError, ErrorOut, not_found
from .invoices import ledger_errors

router = Router(tags=["reconciliation"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
STATUSES = ("open", "reconciled", "ignored")


class SettledOut(Schema):
    invoice_id: int
    number: str
    amount: Decimal
    automatic: bool
    created_at: datetime


class BankTransactionOut(Schema):
    id: int
    account_id: int
    booking_date: date
    amount: Decimal
    currency: str
    label: str
    counterparty_name: str
    counterparty_iban: str
    reference: str
    status: str
    reconciliations: list[SettledOut] = []


class TransactionList(Schema):
    items: list[BankTransactionOut]
    count: int


class AllocationOut(Schema):
    invoice_id: int
    number: str
    counterparty: str
    kind: str
    amount_due: Decimal
    amount: Decimal


class SuggestionOut(Schema):
    invoice_ids: list[int]
    allocations: list[AllocationOut]
    score: float
    reasons: list[str]
    partial: bool
    automatic: bool  # what the folder's automatic reconciliation would apply without asking


class AllocationIn(Schema):
    invoice_id: int
    amount: Decimal


class ReconcileIn(Schema):
    allocations: list[AllocationIn]


class InvoiceIdsIn(Schema):
    invoice_ids: list[int]


class SetAsideIn(Schema):
    ignored: bool = True


class UndoneOut(Schema):
    invoices: int


def _folder(request, folder_id):
    try:
        return access.get_bank_access(request.auth, folder_id)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None


def _transaction(request, transaction_id):
    try:
        return access.get_bank_transaction_for_user(request.auth, transaction_id)
    except Http404:
        raise not_found(_("Mouvement bancaire introuvable.")) from None


def _out(tx, visible_ids):
    rows = [r for r in tx.reconciliations.select_related("invoice") if r.invoice_id in visible_ids]
    tx.reconciliations_out = [SettledOut(invoice_id=r.invoice_id, number=r.invoice.number, amount=r.amount,
                                         automatic=r.automatic, created_at=r.created_at) for r in rows]
    return BankTransactionOut(
        id=tx.pk, account_id=tx.account_id, booking_date=tx.booking_date, amount=tx.amount, currency=tx.currency,
        label=tx.label, counterparty_name=tx.counterparty_name, counterparty_iban=tx.counterparty_iban,
        reference=tx.reference, status=tx.status, reconciliations=tx.reconciliations_out)


def _visible_ids(folder_access, transactions):
    return set(access.visible_invoices(folder_access).filter(reconciliations__transaction__in=transactions)
               .values_list("pk", flat=True))


@router.get("/folders/{folder_id}/bank-transactions", response={200: TransactionList, **ERRORS, 422: ErrorOut},
            summary="Mouvements bancaires à rapprocher, rapprochés ou sans facture")
def list_transactions(request, folder_id: int, status: str = "open", account_id: int | None = None,
                      limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    reach = _folder(request, folder_id)
    if status not in STATUSES:
        raise ApiError(422, _("Statut inconnu : open, reconciled ou ignored."), "invalid_status")
    rows = bank_transactions(reach, status, account_id)
    page = list(rows[offset:offset + limit])
    visible = _visible_ids(reach, page)
    return {"items": [_out(tx, visible) for tx in page], "count": rows.count()}


@router.get("/bank-transactions/{transaction_id}", response={200: BankTransactionOut, **ERRORS},
            summary="Un mouvement bancaire et ce qu'il règle")
def get_transaction(request, transaction_id: int):
    reach, tx = _transaction(request, transaction_id)
    return _out(tx, _visible_ids(reach, [tx]))


@router.get("/bank-transactions/{transaction_id}/suggestions", response={200: list[SuggestionOut], **ERRORS},
            summary="Factures suggérées pour un mouvement")
def suggestions(request, transaction_id: int, limit: int = Query(5, ge=1, le=20)):
    """Ranked, best first, from the open invoices the user sees: invoice numbers in the label or reference, exact
    amount, the payer's IBAN or name, dates near the due date; several invoices in one transfer, partial payments,
    credit notes offsetting invoices. Empty once the line is reconciled or set aside."""
    reach, tx = _transaction(request, transaction_id)
    proposals = proposals_for(reach, [tx], limit)[tx.pk]
    first_auto = reconcile.is_unambiguous([p.suggestion for p in proposals])
    return [SuggestionOut(
        invoice_ids=sorted(p.suggestion.invoice_ids), score=p.suggestion.score, reasons=p.suggestion.reasons,
        partial=p.suggestion.partial, automatic=first_auto and index == 0,
        allocations=[AllocationOut(invoice_id=i.pk, number=i.number, counterparty=i.counterparty_name, kind=i.kind,
                                   amount_due=reconcile.open_amount(i), amount=amount) for i, amount in p.lines])
        for index, p in enumerate(proposals)]


@router.post("/bank-transactions/{transaction_id}/reconcile", response={201: BankTransactionOut, **ERRORS,
                                                                       409: ErrorOut, 422: ErrorOut},
             summary="Rapprocher un mouvement de factures")
def reconcile_transaction(request, transaction_id: int, payload: ReconcileIn):
    """`allocations`: what the transaction settles of each invoice or credit note, positive. Together they may
    explain the whole amount or part of it (a bank fee), never more nor the other way: 409 `amount_mismatch`;
    more than an invoice's open amount: 409 `over_allocation`; a line already reconciled: 409 `not_open`."""
    reach, tx = _transaction(request, transaction_id)
    allocations = {}
    for row in payload.allocations:
        allocations[row.invoice_id] = allocations.get(row.invoice_id, 0) + row.amount
    with ledger_errors():
        reconcile.reconcile(tx, allocations, request.auth, invoices=access.visible_invoices(reach))
    tx.refresh_from_db()
    return Status(201, _out(tx, _visible_ids(reach, [tx])))


@router.post("/bank-transactions/{transaction_id}/unreconcile", response={200: UndoneOut, **ERRORS, 409: ErrorOut},
             summary="Annuler un rapprochement")
def unreconcile(request, transaction_id: int):
    """Every invoice the line settled is owed again (its status and forecast entry follow); a line set aside
    comes back to reconcile. Refused (403) when it settled an invoice the user may not see."""
    reach, tx = _transaction(request, transaction_id)
    if tx.reconciliations.exclude(invoice__in=access.visible_invoices(reach).values("pk")).exists():
        raise ApiError(403, _("Ce rapprochement concerne une facture que vous ne voyez pas."), "forbidden")
    with ledger_errors():
        count = reconcile.unreconcile(tx, request.auth)
    return {"invoices": count}


@router.post("/bank-transactions/{transaction_id}/turn-down", response={204: None, **ERRORS},
             summary="Écarter une suggestion")
def turn_down(request, transaction_id: int, payload: InvoiceIdsIn):
    _reach, tx = _transaction(request, transaction_id)
    reconcile.turn_down(tx, payload.invoice_ids, request.auth)
    return Status(204, None)


@router.post("/bank-transactions/{transaction_id}/set-aside", response={200: BankTransactionOut, **ERRORS,
                                                                       409: ErrorOut},
             summary="Classer un mouvement sans facture (ou l'en sortir)")
def set_aside(request, transaction_id: int, payload: SetAsideIn):
    reach, tx = _transaction(request, transaction_id)
    with ledger_errors():
        tx = reconcile.set_ignored(tx, payload.ignored, request.auth)
    return _out(tx, set())
