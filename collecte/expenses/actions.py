"""State changes of expense receipts and reports: the web views, the API and the worker all call these (and only
these). Who may see or act on what is decided by collecte.tenancy.access; the rules here are about the report's
state and about separation of duties (nobody decides on their own report).

Refusals are raised as ExpenseError with a French sentence for the person and a stable code for scripts.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collecte.intake.models import InboundMessage
from collecte.ledger.actions import read_amount, read_date
from collecte.tenancy.access import may_create_expense_reports
from collecte.tenancy.models import IntakeAddress

from . import notify
from .errors import ExpenseError
from .models import ExpenseReceipt, ExpenseReport, ExpenseReportEvent, ReceiptUpload

Event = ExpenseReportEvent.Action
MAX_ID = 2 ** 63  # ids are 64-bit signed integers: a larger one names no row (and the database would fail on it)
RECEIPT_FIELDS = ("date", "merchant", "total_incl_tax", "total_tax", "currency", "category", "description")
# Receipt fields parsed the way the review parses invoice fields (French amounts and dates), under those names.
LEDGER_NAMES = {"date": "issue_date", "merchant": "counterparty_name", "total_incl_tax": "total_incl_tax",
                "total_tax": "total_tax", "currency": "currency"}


def _lock(report: ExpenseReport) -> ExpenseReport:
    """Take the report's row for the rest of the transaction and reload it, so that an approver and the employee
    acting at once act one after the other, each on what the other left."""
    ExpenseReport.objects.select_for_update().filter(pk=report.pk).values_list("pk", flat=True).first()
    report.refresh_from_db()
    return report


def _record(report, user, action, comment="", **details):
    return ExpenseReportEvent.objects.create(report=report, actor=user if getattr(user, "pk", None) else None,
                                             action=action, comment=comment, details=details)


def _not_allowed():
    return ExpenseError(_("Vous n'êtes pas autorisé à créer des notes de frais dans ce dossier : demandez-le à un "
                          "administrateur du dossier."), "not_allowed", status=403)


# --- receipts: from the personal address, or uploaded on the expenses page --------------------------------------

def receipt_from_document(document) -> ExpenseReceipt | None:
    """The receipt a document read by extraction becomes (once per document), when it came to a folder user's
    personal address or was uploaded as a receipt, and that user may create expense reports. None otherwise:
    the document then becomes a pending purchase invoice as it always did, so nothing is lost."""
    existing = ExpenseReceipt.objects.filter(document=document).select_related("report").first()
    if existing is not None:
        # A receipt already booked by an approved report whose invoice was deleted and its document read again
        # ("supprimer et réimporter"): the document becomes a pending invoice, as that action promises.
        booked = existing.report is not None and existing.report.status == ExpenseReport.Status.APPROVED
        return None if booked else existing
    member = _expense_member(document)
    if member is None or not may_create_expense_reports(member):
        return None
    data = document.extraction or {}
    currency = (data.get("currency") or document.folder.base_currency or "EUR")[:3].upper()
    receipt, _created = ExpenseReceipt.objects.get_or_create(document=document, defaults=dict(
        folder_id=document.folder_id, member=member, date=read_date(data.get("issue_date")),
        merchant=((data.get("seller") or {}).get("name") or "")[:200],
        number=(data.get("invoice_number") or "")[:100], total_incl_tax=_read_amount(data.get("total_incl_tax")),
        total_tax=_read_amount(data.get("total_tax")), currency=currency))
    return receipt


def _expense_member(document):
    """Whose receipt the document is: the owner of the personal address it was mailed to, or the person who
    uploaded it on the expenses page."""
    message = document.message
    if message is None:
        return None
    if message.address_id and message.address.module == IntakeAddress.Module.PERSONAL:
        return message.address.member
    upload = ReceiptUpload.objects.filter(message_id=message.pk).select_related("member").first()
    return upload.member if upload else None


def _read_amount(value):
    """A read amount as the ledger reads it; a negative one is left for the employee to type (a receipt is spent)."""
    amount = read_amount(value)
    return amount if amount is None or amount >= 0 else None


def upload_receipt(folder_access, uploaded, source=InboundMessage.Source.UPLOAD) -> InboundMessage:
    """Store one uploaded file through the normal intake (stored durably, de-duplicated, read by extraction) and
    mark it as the uploader's receipt. The mark is written in the same transaction as the message, before its
    processing is queued (on commit), so the worker always finds it."""
    from collecte.intake import actions as intake

    if not folder_access.can_create_expense_reports:
        raise _not_allowed()
    try:
        with transaction.atomic():
            message = intake.upload_file(folder_access, IntakeAddress.Module.PURCHASES, uploaded, source=source)
            ReceiptUpload.objects.create(message=message, member=folder_access.member)
    except intake.IntakeError as error:
        raise ExpenseError(error.message, error.code, "file", error.status) from None
    return message


@transaction.atomic
def update_receipt(receipt: ExpenseReceipt, user, changes: dict) -> ExpenseReceipt:
    """The employee corrects what extraction read; "" clears a field. Locked once its report is submitted."""
    typed = parse_receipt_changes(changes)
    if receipt.report_id:
        _lock(receipt.report)
    receipt.refresh_from_db()
    if receipt.report_id and not receipt.report.is_editable:
        raise ExpenseError(_("Ce justificatif fait partie d'une note de frais soumise ou approuvée : il ne peut plus "
                             "être modifié."), "receipt_locked", status=409)
    for name, value in typed.items():
        setattr(receipt, name, value)
    if not receipt.currency:
        receipt.currency = receipt.folder.base_currency or "EUR"
    _check_amounts(receipt)
    receipt.save()
    return receipt


def parse_receipt_changes(changes: dict) -> dict:
    """Strings from a form or JSON -> typed values; unknown fields are refused by name."""
    from collecte.ledger.actions import parse_changes
    from collecte.ledger.errors import LedgerError

    typed = {}
    for name, raw in changes.items():
        if name not in RECEIPT_FIELDS:
            raise ExpenseError(_("Ce champ ne peut pas être modifié : %(field)s.") % {"field": name},
                               "unknown_field", name)
        value = "" if raw is None else str(raw).strip()
        if name in LEDGER_NAMES:
            try:
                parsed = parse_changes({LEDGER_NAMES[name]: value})[LEDGER_NAMES[name]]
            except LedgerError as error:
                raise ExpenseError(error.message, error.code, name) from None
            typed[name] = parsed if parsed is not None or name in ("date", "total_incl_tax", "total_tax") else ""
        elif name == "category":
            if value not in ExpenseReceipt.Category.values:
                raise ExpenseError(_("Catégorie inconnue : choisissez-en une dans la liste."), "invalid_category",
                                   name)
            typed[name] = value
        else:
            typed[name] = value
    if "merchant" in typed:
        typed["merchant"] = typed["merchant"][:200]
    if "description" in typed:
        typed["description"] = typed["description"][:300]
    return typed


def _check_amounts(receipt):
    if receipt.total_incl_tax is not None and receipt.total_incl_tax < 0:
        raise ExpenseError(_("Le montant TTC d'une dépense est positif."), "negative_amount", "total_incl_tax")
    if receipt.total_tax is not None and receipt.total_tax < 0:
        raise ExpenseError(_("La TVA d'une dépense est positive ou nulle."), "negative_amount", "total_tax")
    if None not in (receipt.total_tax, receipt.total_incl_tax) and receipt.total_tax > receipt.total_incl_tax:
        raise ExpenseError(_("La TVA ne peut pas dépasser le montant TTC."), "tax_above_total", "total_tax")


# --- reports: the employee's side ------------------------------------------------------------------------------

def _own_unassigned(member, receipt_ids):
    """The member's own receipts not yet in a report, locked; any other id is refused as a whole."""
    ids = {int(pk) for pk in receipt_ids}
    if not ids:
        raise ExpenseError(_("Sélectionnez au moins un justificatif."), "no_receipts", "receipt_ids")
    receipts = list(ExpenseReceipt.objects.select_for_update().filter(
        pk__in={pk for pk in ids if 0 < pk < MAX_ID}, member=member, status=ExpenseReceipt.Status.UNASSIGNED))
    if len(receipts) != len(ids):
        raise ExpenseError(_("Certains justificatifs choisis ne sont pas disponibles : ils sont déjà dans une note "
                             "de frais ou ne sont pas les vôtres."), "receipt_unavailable", "receipt_ids")
    return receipts


def _join(report, receipts):
    ExpenseReceipt.objects.filter(pk__in=[r.pk for r in receipts]).update(
        report=report, status=ExpenseReceipt.Status.IN_REPORT, updated_at=timezone.now())


@transaction.atomic
def create_report(folder_access, user, receipt_ids, title="") -> ExpenseReport:
    """A draft report of the person's own unassigned receipts; their employee code is copied from their folder
    profile (editable until submission)."""
    member = folder_access.member
    if not folder_access.can_create_expense_reports:
        raise _not_allowed()
    receipts = _own_unassigned(member, receipt_ids)
    report = ExpenseReport.objects.create(folder=folder_access.folder, member=member, title=title.strip()[:200],
                                          employee_code=member.employee_code, created_by=user)
    _join(report, receipts)
    _record(report, user, Event.CREATED, receipts=sorted(r.pk for r in receipts))
    return report


def _editable(report):
    if not report.is_editable:
        raise ExpenseError(_("Cette note de frais est %(status)s : elle ne peut plus être modifiée.")
                           % {"status": report.get_status_display().lower()}, "not_editable", status=409)


@transaction.atomic
def update_report(report: ExpenseReport, user, title=None, employee_code=None) -> ExpenseReport:
    _lock(report)
    _editable(report)
    changes = {}
    if title is not None and title.strip()[:200] != report.title:
        report.title = changes["title"] = title.strip()[:200]
    if employee_code is not None and employee_code.strip()[:32] != report.employee_code:
        report.employee_code = changes["employee_code"] = employee_code.strip()[:32]
    if changes:
        report.save()
        _record(report, user, Event.CHANGED, **changes)
    return report


@transaction.atomic
def add_receipts(report: ExpenseReport, user, receipt_ids) -> ExpenseReport:
    _lock(report)
    _editable(report)
    receipts = _own_unassigned(report.member, receipt_ids)
    _join(report, receipts)
    _record(report, user, Event.RECEIPT_ADDED, receipts=sorted(r.pk for r in receipts))
    return report


@transaction.atomic
def remove_receipt(report: ExpenseReport, user, receipt_id) -> ExpenseReport:
    """The receipt goes back to the employee's unassigned receipts (never deleted: its document stays)."""
    _lock(report)
    _editable(report)
    if not 0 < int(receipt_id) < MAX_ID or not ExpenseReceipt.objects.filter(pk=receipt_id, report=report).update(
            report=None, status=ExpenseReceipt.Status.UNASSIGNED, updated_at=timezone.now()):
        raise ExpenseError(_("Ce justificatif ne fait pas partie de cette note de frais."), "not_in_report",
                           "receipt_id", status=404)
    _record(report, user, Event.RECEIPT_REMOVED, receipts=[int(receipt_id)])
    return report


@transaction.atomic
def submit_report(report: ExpenseReport, user) -> ExpenseReport:
    """Send the report to the approvers. It needs the employee code, at least one receipt, and each receipt's
    date, merchant and amount (they become the purchase invoice's date, supplier and total)."""
    _lock(report)
    _editable(report)
    if not may_create_expense_reports(report.member):
        raise _not_allowed()
    if not report.employee_code.strip():
        raise ExpenseError(_("Indiquez votre code salarié avant de soumettre la note de frais : il permet au "
                             "cabinet de vous rembourser."), "employee_code_required", "employee_code")
    receipts = list(report.receipts.select_related("document"))
    if not receipts:
        raise ExpenseError(_("Ajoutez au moins un justificatif avant de soumettre la note de frais."),
                           "no_receipts", "receipt_ids")
    incomplete = [r for r in receipts if r.date is None or not r.merchant or not r.total_incl_tax]
    if incomplete:
        names = ", ".join(f"« {r.document.filename} »" for r in incomplete)
        raise ExpenseError(_("Complétez la date, le commerçant et le montant TTC de chaque justificatif : "
                             "%(receipts)s.") % {"receipts": names}, "incomplete_receipts", "receipts")
    report.status, report.submitted_at = ExpenseReport.Status.SUBMITTED, timezone.now()
    report.decision_comment = ""  # the last rejection's reason stays in the history
    report.save()
    _record(report, user, Event.SUBMITTED, receipts=sorted(r.pk for r in receipts))
    notify.report_submitted(report)
    return report


# --- reports: the approver's side ------------------------------------------------------------------------------

def _decidable(report, user):
    """Separation of duties: nobody approves or rejects their own report, whatever their role."""
    if report.member.user_id == getattr(user, "pk", None):
        raise ExpenseError(_("Vous ne pouvez pas décider de votre propre note de frais : un autre approbateur ou "
                             "administrateur du dossier doit le faire."), "own_report", status=403)
    if report.status == ExpenseReport.Status.APPROVED:
        raise ExpenseError(_("Cette note de frais est déjà approuvée."), "already_approved", status=409)
    if report.status != ExpenseReport.Status.SUBMITTED:
        raise ExpenseError(_("Seule une note de frais soumise peut être approuvée ou rejetée."), "not_submitted",
                           status=409)


def _decide(report, user, status, comment):
    report.status, report.decided_at, report.decided_by = status, timezone.now(), user
    report.decision_comment = comment
    report.save()
    notify.report_decided(report)


@transaction.atomic
def reject_report(report: ExpenseReport, user, comment) -> ExpenseReport:
    """Back to the employee with the reason, who corrects the report and submits it again."""
    _lock(report)
    _decidable(report, user)
    comment = (comment or "").strip()[:2000]
    if not comment:
        raise ExpenseError(_("Indiquez le motif du rejet : il est montré à l'employé pour qu'il corrige sa note de "
                             "frais."), "comment_required", "comment")
    _decide(report, user, ExpenseReport.Status.REJECTED, comment)
    _record(report, user, Event.REJECTED, comment)
    return report


@transaction.atomic
def approve_report(report: ExpenseReport, user, comment="") -> ExpenseReport:
    """Each receipt becomes a validated purchase invoice (source "expense") with its document attached, all or
    nothing: a receipt the ledger refuses leaves the whole report submitted."""
    _lock(report)
    _decidable(report, user)
    comment = (comment or "").strip()[:2000]
    invoices = _book(report, user)
    _decide(report, user, ExpenseReport.Status.APPROVED, comment)
    _record(report, user, Event.APPROVED, comment, invoices=[i.pk for i in invoices])
    return report


def _book(report, user):
    from collecte.ledger import actions as ledger
    from collecte.ledger.errors import LedgerError
    from collecte.ledger.models import PURCHASES, Invoice

    # The expense is owed to the employee from the day it is approved.
    due = timezone.now().astimezone(ZoneInfo(report.folder.timezone)).date()
    invoices = []
    for n, receipt in enumerate(report.receipts.select_related("document").order_by("date", "pk"), start=1):
        try:
            invoice = ledger.create_invoice(report.folder, PURCHASES, user, _invoice_values(report, receipt, n, due),
                                            member=report.member, source=Invoice.Source.EXPENSE)
            ledger.attach_document(invoice, receipt.document, user)
        except LedgerError as error:
            raise ExpenseError(_("Le justificatif « %(name)s » ne peut pas devenir une facture d'achat : "
                                 "%(reason)s") % {"name": receipt.document.filename, "reason": error.message},
                               error.code, status=409) from None
        ExpenseReceipt.objects.filter(pk=receipt.pk).update(invoice=invoice, updated_at=timezone.now())
        invoices.append(invoice)
    return invoices


def _invoice_values(report, receipt, n, due):
    """NDF-<report>-<n>: unique in the folder and traceable to the report (a till receipt's own number is
    often absent or not unique; it stays on the receipt)."""
    excl = receipt.total_excl_tax
    return {"number": f"NDF-{report.pk}-{n}", "counterparty_name": receipt.merchant,
            "issue_date": receipt.date.isoformat(), "due_date": due.isoformat(),
            "total_incl_tax": str(receipt.total_incl_tax),
            "total_tax": "" if receipt.total_tax is None else str(receipt.total_tax),
            "total_excl_tax": "" if excl is None else str(excl), "currency": receipt.currency}
