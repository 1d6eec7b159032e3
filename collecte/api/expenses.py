"""Expense reports: an employee's receipts (uploaded here or mailed to their personal address), their reports, and
the approvers' decisions. The same actions as the web pages (collecte.expenses.actions)."""
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from collecte.expenses import actions
from collecte.expenses.errors import ExpenseError
from collecte.expenses.models import ExpenseReceipt, ExpenseReport
from collecte.intake.models import InboundMessage
from collecte.tenancy import access

from .errors import ApiError, ErrorOut, not_found

router = Router(tags=["expenses"])
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut, 422: ErrorOut}


@contextmanager
def expense_errors(forbidden):
    """A refusal of the actions keeps its status and code; a 403 of the access layer gets `forbidden`, a sentence
    saying which right is missing (the generic one speaks of administrators)."""
    try:
        yield
    except ExpenseError as error:
        errors = [{"field": error.field, "message": error.message, "type": error.code}] if error.field else None
        raise ApiError(error.status, error.message, error.code, errors) from None
    except PermissionDenied:
        raise ApiError(403, forbidden, "forbidden") from None


def _not_allowed_to_create():
    return _("Vous n'êtes pas autorisé à créer des notes de frais dans ce dossier : demandez-le à un administrateur "
             "du dossier.")


def _expense_folder(request, folder_id, create=False):
    try:
        with expense_errors(_not_allowed_to_create()):
            return access.get_expense_access(request.auth, folder_id, create=create)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None


def _receipt(request, receipt_id, edit=False):
    try:
        with expense_errors(_("Seul l'employé modifie ses justificatifs.")):
            return access.get_expense_receipt_for_user(request.auth, receipt_id, edit=edit)
    except Http404:
        raise not_found(_("Justificatif introuvable.")) from None


def _report(request, report_id, edit=False, decide=False):
    forbidden = (_("Seuls les approbateurs et les administrateurs du dossier approuvent ou rejettent les notes de "
                   "frais.") if decide else _("Seul l'employé modifie et soumet sa note de frais."))
    try:
        with expense_errors(forbidden):
            return access.get_expense_report_for_user(request.auth, report_id, edit=edit, decide=decide)
    except Http404:
        raise not_found(_("Note de frais introuvable.")) from None


# --- receipts -----------------------------------------------------------------------------------------------------

class ReceiptOut(Schema):
    id: int
    folder_id: int
    member_id: int
    document_id: int
    filename: str
    status: ExpenseReceipt.Status
    report_id: int | None
    date: date | None
    merchant: str
    number: str = Field(description="the receipt's own number, as read")
    total_incl_tax: Decimal | None
    total_tax: Decimal | None
    currency: str
    category: str
    description: str
    invoice_id: int | None = Field(description="the validated purchase invoice it became once approved")


def receipt_out(receipt):
    return {"id": receipt.pk, "folder_id": receipt.folder_id, "member_id": receipt.member_id,
            "document_id": receipt.document_id, "filename": receipt.document.filename, "status": receipt.status,
            "report_id": receipt.report_id, "date": receipt.date, "merchant": receipt.merchant,
            "number": receipt.number, "total_incl_tax": receipt.total_incl_tax, "total_tax": receipt.total_tax,
            "currency": receipt.currency, "category": receipt.category, "description": receipt.description,
            "invoice_id": receipt.invoice_id}


class ReceiptUploadOut(Schema):
    message_id: int
    status: InboundMessage.Status = Field(description="'received' while the worker is on it")
    status_reason: str
    receipts: list[ReceiptOut] = Field(description="empty until the worker has read the file")


class ReceiptIn(Schema):
    date: str | None = Field(None, description="YYYY-MM-DD or DD/MM/YYYY; empty clears it")
    merchant: str | None = Field(None, max_length=200)
    total_incl_tax: str | None = Field(None, description="1234.56 or 1234,56")
    total_tax: str | None = None
    currency: str | None = Field(None, description="three letters; empty means the folder's currency")
    category: ExpenseReceipt.Category | None = None
    description: str | None = Field(None, max_length=300)


@router.get("/folders/{folder_id}/expense-receipts", response={200: list[ReceiptOut], **READ_ERRORS},
            summary="Justificatifs de dépense")
def list_receipts(request, folder_id: int, status: ExpenseReceipt.Status | None = None):
    """A standard user sees their own receipts; approvers, admins and firm staff every receipt of the folder."""
    found = access.visible_expense_receipts(_expense_folder(request, folder_id)).select_related("document")
    if status:
        found = found.filter(status=status)
    return [receipt_out(r) for r in found]


@router.post("/folders/{folder_id}/expense-receipts", response={201: ReceiptUploadOut, **WRITE_ERRORS,
                                                                413: ErrorOut},
             summary="Déposer un justificatif")
def upload_receipt(request, folder_id: int, file: File[UploadedFile]):
    """Multipart `file`. It goes through the normal intake (stored, de-duplicated, read) and becomes the caller's
    receipt. 403 for someone not allowed to create expense reports."""
    reach = _expense_folder(request, folder_id, create=True)
    with expense_errors(_not_allowed_to_create()):
        message = actions.upload_receipt(reach, file, source=InboundMessage.Source.API)
    message.refresh_from_db()  # the worker may already be done (it runs inline in tests and small setups)
    receipts = ExpenseReceipt.objects.filter(document__message=message).select_related("document")
    return Status(201, {"message_id": message.pk, "status": message.status, "status_reason": message.status_reason,
                        "receipts": [receipt_out(r) for r in receipts]})


@router.get("/expense-receipts/{receipt_id}", response={200: ReceiptOut, **READ_ERRORS}, summary="Un justificatif")
def get_receipt(request, receipt_id: int):
    return receipt_out(_receipt(request, receipt_id)[1])


@router.patch("/expense-receipts/{receipt_id}", response={200: ReceiptOut, **WRITE_ERRORS},
              summary="Corriger un justificatif")
def update_receipt(request, receipt_id: int, payload: ReceiptIn):
    """Only the fields sent change. Locked (409 `receipt_locked`) once its report is submitted."""
    _reach, receipt = _receipt(request, receipt_id, edit=True)
    with expense_errors(_("Seul l'employé modifie ses justificatifs.")):
        actions.update_receipt(receipt, request.auth, payload.dict(exclude_unset=True))
    return receipt_out(receipt)


# --- reports ------------------------------------------------------------------------------------------------------

class TotalOut(Schema):
    currency: str
    total_incl_tax: Decimal


class EventOut(Schema):
    action: str
    actor: str | None
    comment: str
    at: datetime


class ReportOut(Schema):
    id: int
    folder_id: int
    member_id: int
    employee: str
    employee_code: str
    title: str
    status: ExpenseReport.Status
    submitted_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decision_comment: str
    totals: list[TotalOut]
    receipts: list[ReceiptOut]
    events: list[EventOut]


def _name(user):
    return (user.get_full_name() or user.email) if user else None


def report_out(report):
    report = ExpenseReport.objects.select_related("member__user", "decided_by").get(pk=report.pk)
    receipts = report.receipts.select_related("document").order_by("date", "pk")
    return {"id": report.pk, "folder_id": report.folder_id, "member_id": report.member_id,
            "employee": _name(report.member.user), "employee_code": report.employee_code, "title": report.title,
            "status": report.status, "submitted_at": report.submitted_at, "decided_at": report.decided_at,
            "decided_by": _name(report.decided_by), "decision_comment": report.decision_comment,
            "totals": [{"currency": c, "total_incl_tax": t} for c, t in report.totals()],
            "receipts": [receipt_out(r) for r in receipts],
            "events": [{"action": e.action, "actor": _name(e.actor), "comment": e.comment, "at": e.at}
                       for e in report.events.select_related("actor")]}


class ReportIn(Schema):
    receipt_ids: list[int] = Field(description="the caller's own receipts not yet in a report")
    title: str = Field("", max_length=200)


class ReportChangeIn(Schema):
    title: str | None = Field(None, max_length=200)
    employee_code: str | None = Field(None, max_length=32)
    add_receipt_ids: list[int] = []
    remove_receipt_ids: list[int] = []


class DecisionIn(Schema):
    comment: str = Field("", max_length=2000)


@router.get("/folders/{folder_id}/expense-reports", response={200: list[ReportOut], **READ_ERRORS},
            summary="Notes de frais")
def list_reports(request, folder_id: int, status: ExpenseReport.Status | None = None):
    """Newest first. A standard user sees their own; approvers, admins and firm staff all of the folder's."""
    found = access.visible_expense_reports(_expense_folder(request, folder_id))
    if status:
        found = found.filter(status=status)
    return [report_out(r) for r in found[:200]]


@router.post("/folders/{folder_id}/expense-reports", response={201: ReportOut, **WRITE_ERRORS},
             summary="Créer une note de frais")
def create_report(request, folder_id: int, payload: ReportIn):
    """A draft of the caller's own unassigned receipts, with the employee code of their folder profile."""
    reach = _expense_folder(request, folder_id, create=True)
    with expense_errors(_not_allowed_to_create()):
        report = actions.create_report(reach, request.auth, payload.receipt_ids, payload.title)
    return Status(201, report_out(report))


@router.get("/expense-reports/{report_id}", response={200: ReportOut, **READ_ERRORS}, summary="Une note de frais")
def get_report(request, report_id: int):
    return report_out(_report(request, report_id)[1])


@router.patch("/expense-reports/{report_id}", response={200: ReportOut, **WRITE_ERRORS},
              summary="Modifier une note de frais")
def update_report(request, report_id: int, payload: ReportChangeIn):
    """While draft or rejected: title, employee code, receipts added or taken back out."""
    _reach, report = _report(request, report_id, edit=True)
    with expense_errors(_("Seul l'employé modifie et soumet sa note de frais.")):
        actions.update_report(report, request.auth, payload.title, payload.employee_code)
        if payload.add_receipt_ids:
            actions.add_receipts(report, request.auth, payload.add_receipt_ids)
        for receipt_id in payload.remove_receipt_ids:
            actions.remove_receipt(report, request.auth, receipt_id)
    return report_out(report)


@router.post("/expense-reports/{report_id}/submit", response={200: ReportOut, **WRITE_ERRORS},
             summary="Soumettre une note de frais")
def submit_report(request, report_id: int):
    """422 `employee_code_required`, `no_receipts` or `incomplete_receipts` say what is missing."""
    _reach, report = _report(request, report_id, edit=True)
    with expense_errors(_not_allowed_to_create()):
        actions.submit_report(report, request.auth)
    return report_out(report)


@router.post("/expense-reports/{report_id}/approve", response={200: ReportOut, **WRITE_ERRORS},
             summary="Approuver une note de frais")
def approve_report(request, report_id: int, payload: DecisionIn | None = None):
    """Each receipt becomes a validated purchase invoice (source `expense`, its document attached). Nobody
    approves their own report (403 `own_report`); a report already approved → 409 `already_approved`."""
    _reach, report = _report(request, report_id, decide=True)
    with expense_errors(""):
        actions.approve_report(report, request.auth, payload.comment if payload else "")
    return report_out(report)


@router.post("/expense-reports/{report_id}/reject", response={200: ReportOut, **WRITE_ERRORS},
             summary="Rejeter une note de frais")
def reject_report(request, report_id: int, payload: DecisionIn):
    """The comment is required (422 `comment_required`): the employee reads it, corrects and submits again."""
    _reach, report = _report(request, report_id, decide=True)
    with expense_errors(""):
        actions.reject_report(report, request.auth, payload.comment)
    return report_out(report)
