"""Invoices: the review queue and lists, one invoice, its changes, validation, duplicate decisions, deletion,
invoices typed in by API, and attaching files to invoices in bulk."""
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from collecte.ledger import actions
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import SALES, Invoice
from collecte.ledger.queries import folder_today, search_invoices, store_and_propose
from collecte.tenancy import access

from .errors import ApiError, ErrorOut
from .lookups import folder_access, visible_invoice

router = Router(tags=["invoices"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut, 422: ErrorOut}
Direction = Literal["purchases", "sales"]
MAX_PAGE = 200
MAX_ATTACH = 500


@contextmanager
def ledger_errors():
    """A refusal of collecte.ledger.actions: a conflict with the invoice's state (409) or a bad value (422)."""
    try:
        yield
    except LedgerError as error:
        status = error.status if error.status != 400 else 422
        errors = [{"field": error.field, "message": error.message, "type": error.code}] if error.field else None
        raise ApiError(status, error.message, error.code, errors) from None


class CounterpartyOut(Schema):
    id: int
    name: str
    vat_id: str
    siren: str
    iban: str


class InvoiceOut(Schema):
    id: int
    folder_id: int
    direction: str
    kind: Invoice.Kind
    status: Invoice.Status
    number: str
    number_locked: bool = Field(description="true once validated: the number can no longer change")
    counterparty: CounterpartyOut | None
    counterparty_read: dict = Field(description="what extraction read about the counterparty (name, vat_id…)")
    currency: str
    total_excl_tax: Decimal | None
    total_tax: Decimal | None
    total_incl_tax: Decimal | None
    amount_paid: Decimal
    account: str = Field(description="expense (6…) or revenue (7…) account of the folder's chart; '' = its default")
    issue_date: date | None
    due_date: date | None
    document_id: int | None
    linked_document_ids: list[int]
    source: str
    confidence: float | None
    warnings: list[str]
    duplicate: str = Field(description="'' | same_number (\"déjà importée\") | near (same counterparty, amount "
                                       "and date)")
    duplicate_of: int | None
    validated_at: datetime | None
    created_at: datetime


class InvoicePage(Schema):
    items: list[InvoiceOut]
    count: int


class EventOut(Schema):
    action: str
    actor: str | None
    at: datetime
    changes: dict


def invoice_out(invoice):
    cp = invoice.counterparty
    return {
        "id": invoice.pk, "folder_id": invoice.folder_id, "direction": invoice.direction, "kind": invoice.kind,
        "status": invoice.status, "number": invoice.number, "number_locked": invoice.number_locked,
        "counterparty": ({"id": cp.pk, "name": cp.name, "vat_id": cp.vat_id, "siren": cp.siren, "iban": cp.iban}
                         if cp else None),
        "counterparty_read": invoice.counterparty_read or {}, "currency": invoice.currency,
        "total_excl_tax": invoice.total_excl_tax, "total_tax": invoice.total_tax,
        "total_incl_tax": invoice.total_incl_tax, "amount_paid": invoice.amount_paid,
        "account": invoice.account,
        "issue_date": invoice.issue_date, "due_date": invoice.due_date, "document_id": invoice.document_id,
        "linked_document_ids": [d.pk for d in invoice.linked_documents.all()], "source": invoice.source,
        "confidence": invoice.confidence, "warnings": invoice.warnings or [], "duplicate": invoice.duplicate,
        "duplicate_of": invoice.duplicate_of_id, "validated_at": invoice.validated_at,
        "created_at": invoice.created_at}


def _fresh(invoice_id):
    return Invoice.objects.select_related("counterparty").prefetch_related("linked_documents").get(pk=invoice_id)


@router.get("/folders/{folder_id}/invoices", response={200: InvoicePage, **READ_ERRORS},
            summary="Factures du dossier")
def list_invoices(request, folder_id: int, status: Invoice.Status | None = None, direction: Direction | None = None,
                  overdue: bool = False, q: str | None = None, limit: int = Query(50, ge=1, le=MAX_PAGE),
                  offset: int = Query(0, ge=0)):
    """Pending ones oldest first (the review queue's order), the others newest first. A standard user sees only
    what they submitted; with the folder's access restriction on, receivables of assigned customers only."""
    reach = folder_access(request, folder_id)
    found = access.visible_invoices(reach)
    if status:
        found = found.filter(status=status)
    if direction:
        found = found.filter(direction=direction)
    if overdue:
        found = found.filter(status__in=Invoice.OPEN, due_date__lt=folder_today(reach.folder))
    found = search_invoices(found, q)
    order = ("created_at", "pk") if status == Invoice.Status.PENDING_REVIEW else ("-created_at", "-pk")
    page = found.select_related("counterparty").prefetch_related("linked_documents").order_by(*order)
    return {"items": [invoice_out(i) for i in page[offset:offset + limit]], "count": found.count()}


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, **READ_ERRORS}, summary="Une facture")
def get_invoice(request, invoice_id: int):
    _access, invoice = visible_invoice(request, invoice_id)
    return invoice_out(_fresh(invoice.pk))


@router.get("/invoices/{invoice_id}/events", response={200: list[EventOut], **READ_ERRORS},
            summary="Historique d'une facture")
def invoice_events(request, invoice_id: int):
    """Who extracted, changed, validated, deleted what and when."""
    _access, invoice = visible_invoice(request, invoice_id)
    return [{"action": e.action, "actor": e.actor.email if e.actor else None, "at": e.at, "changes": e.changes}
            for e in invoice.events.select_related("actor").order_by("at", "pk")]


class InvoiceChanges(Schema):
    kind: Invoice.Kind | None = None
    number: str | None = Field(None, max_length=100, description="refused (409 number_locked) once validated")
    counterparty_id: int | None = Field(None, description="an existing counterparty of the folder")
    counterparty_name: str | None = Field(None, max_length=200)
    counterparty_vat_id: str | None = Field(None, max_length=30)
    currency: str | None = Field(None, max_length=3)
    total_excl_tax: str | None = Field(None, max_length=30, description="1234.56 or 1 234,56")
    total_tax: str | None = Field(None, max_length=30)
    total_incl_tax: str | None = Field(None, max_length=30)
    issue_date: str | None = Field(None, max_length=10, description="YYYY-MM-DD or DD/MM/YYYY")
    due_date: str | None = Field(None, max_length=10)
    account: str | None = Field(None, max_length=20, description="an account of the folder's chart (422 otherwise)")


@router.patch("/invoices/{invoice_id}", response={200: InvoiceOut, **WRITE_ERRORS}, summary="Modifier une facture")
def patch_invoice(request, invoice_id: int, payload: InvoiceChanges):
    """Only the fields sent change; an empty string clears one. The number of a validated invoice is locked:
    409 `number_locked` (delete the invoice and import its document again: `DELETE …?reimport=true`)."""
    reach, invoice = visible_invoice(request, invoice_id)
    changes = payload.dict(exclude_unset=True)
    with ledger_errors():
        actions.update_invoice(invoice, request.auth, changes, counterparties=access.visible_counterparties(reach))
    return invoice_out(_fresh(invoice.pk))


@router.post("/invoices/{invoice_id}/validate", response={200: InvoiceOut, **WRITE_ERRORS},
             summary="Valider une facture")
def validate_invoice(request, invoice_id: int):
    """The number locks; an invoice becomes unpaid, a credit note available. 422 `missing_fields` names what is
    missing; 409 `duplicate_undecided` while a "déjà importée" warning waits for a decision."""
    _access, invoice = visible_invoice(request, invoice_id)
    with ledger_errors():
        actions.validate_invoice(invoice, request.auth)
    return invoice_out(_fresh(invoice.pk))


class RejectIn(Schema):
    reason: str = Field("", max_length=1000)


@router.post("/invoices/{invoice_id}/reject", response={200: InvoiceOut, **WRITE_ERRORS},
             summary="Rejeter une facture")
def reject_invoice(request, invoice_id: int, payload: RejectIn):
    _access, invoice = visible_invoice(request, invoice_id)
    with ledger_errors():
        actions.reject_invoice(invoice, request.auth, payload.reason)
    return invoice_out(_fresh(invoice.pk))


class DuplicateIn(Schema):
    decision: Literal["link", "replace", "keep_both"] = Field(
        description="link: the new document joins the existing invoice; replace: it becomes the existing invoice's "
                    "document (the old one stays linked); keep_both: they really differ")
    confirm: bool = Field(False, description="replace when the file names differ needs confirm=true")


@router.post("/invoices/{invoice_id}/duplicate", response={200: InvoiceOut, **WRITE_ERRORS},
             summary="Décider d'un doublon")
def decide_duplicate(request, invoice_id: int, payload: DuplicateIn):
    """Answers with the invoice that remains: the existing one after link or replace, this one after keep_both.
    409 `confirmation_required` for a replace between different file names without confirm."""
    reach, invoice = visible_invoice(request, invoice_id)
    with ledger_errors():
        shown = actions.resolve_duplicate(invoice, request.auth, payload.decision, confirm=payload.confirm,
                                          visible=access.visible_invoices(reach))
    return invoice_out(_fresh(shown.pk))


@router.delete("/invoices/{invoice_id}", response={204: None, **WRITE_ERRORS}, summary="Supprimer une facture")
def delete_invoice(request, invoice_id: int, reimport: bool = False):
    """The document stays in the folder. With `reimport=true` it is read again into a new pending invoice: the way
    to change a validated number. Admins, or the person who submitted a still pending invoice."""
    _access, invoice = visible_invoice(request, invoice_id, manage=True)
    with ledger_errors():
        if reimport:
            actions.delete_and_reimport(invoice, request.auth)
        else:
            actions.delete_invoice(invoice, request.auth)
    return Status(204, None)


class InvoiceIn(InvoiceChanges):
    direction: Direction
    number: str = Field(max_length=100)
    counterparty_name: str | None = Field(None, max_length=200)
    total_incl_tax: str = Field(max_length=30)
    issue_date: str = Field(max_length=10)
    validate_now: bool = Field(True, alias="validate", description="validate at once (default)")


@router.post("/folders/{folder_id}/invoices", response={201: InvoiceOut, **WRITE_ERRORS},
             summary="Saisir une facture")
def create_invoice(request, folder_id: int, payload: InvoiceIn):
    """An invoice without a document (typed, or from another system), validated at once unless `validate` is
    false. 409 `duplicate` when the folder has that number for that counterparty already."""
    found = folder_access(request, folder_id)
    values = payload.dict(exclude_unset=True, exclude={"direction", "validate_now"}, by_alias=False)
    with ledger_errors():
        invoice = actions.create_invoice(found.folder, payload.direction, request.auth, values, member=found.member,
                                         validate=payload.validate_now,
                                         counterparties=access.visible_counterparties(found))
    return Status(201, invoice_out(_fresh(invoice.pk)))


class AttachOut(Schema):
    filename: str
    document_id: int | None
    invoice_id: int | None
    number: str | None
    reason: str = Field(description="filename | text | ambiguous | '' (nothing found) | refused")
    applied: bool
    error: str | None = None


@router.post("/folders/{folder_id}/invoices/attach", response={200: list[AttachOut], **WRITE_ERRORS},
             summary="Joindre des fichiers aux factures")
def attach_files(request, folder_id: int, files: File[list[UploadedFile]], direction: Form[Direction] = SALES,
                 apply: Form[bool] = False):
    """Multipart `files` (up to 500). Each file is matched to an invoice without a document by the number found in
    its name, else in its text. With `apply=false` (default) nothing is attached: the answer is the proposals to
    check. With `apply=true` the unambiguous proposals are attached at once. Files are kept either way."""
    found = folder_access(request, folder_id)
    if len(files) > MAX_ATTACH:
        raise ApiError(422, f"{MAX_ATTACH} fichiers au plus à la fois.", "too_many_files")
    proposed, refused = store_and_propose(found, direction, [(file.name, file.read()) for file in files])
    out = [{"filename": name, "document_id": None, "invoice_id": None, "number": None, "reason": "refused",
            "applied": False, "error": message} for name, message in refused]
    for document, proposal in proposed:
        applied = False
        if apply and proposal.invoice_id:
            invoice = access.visible_invoices(found).get(pk=proposal.invoice_id)  # candidates were visible ones
            actions.attach_document(invoice, document, request.auth)
            applied = True
        out.append({"filename": document.filename, "document_id": document.pk, "invoice_id": proposal.invoice_id,
                    "number": proposal.number, "reason": proposal.reason, "applied": applied})
    return out
