"""The accounting export (FEC, CSV, summary) of a folder's validated invoices, and its chart of accounts."""
from datetime import date
from decimal import Decimal
from typing import Literal

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from collecte.ledger import chart, exports
from collecte.ledger.accounting import FEC_ENCODING
from collecte.ledger.models import LedgerAccount

from .errors import ErrorOut, not_found
from .invoices import ledger_errors
from .lookups import visible_invoice

router = Router(tags=["accounting"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {**ERRORS, 409: ErrorOut, 422: ErrorOut}
Direction = Literal["purchases", "sales"]
FILE_RESPONSE = {"200": {"description": "the file", "content": {"text/plain": {}, "text/csv": {}}}}


def _reach(request, folder_id, manage=False):
    try:
        return exports.get_accounting_access(request.auth, folder_id, manage=manage)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None


def _ledger_account(request, account_id, manage=False):
    try:
        return exports.get_ledger_account_for_user(request.auth, account_id, manage=manage)
    except Http404:
        raise not_found(_("Compte introuvable.")) from None


def _export(request, folder_id, start, end, direction):
    reach = _reach(request, folder_id)
    with ledger_errors():
        return reach, exports.build_export(reach, start, end, direction)


# --- exports ---------------------------------------------------------------------------------------------------------

class WarningOut(Schema):
    invoice_id: int
    code: str
    message: str


class SummaryOut(Schema):
    start: date
    end: date
    direction: str | None
    invoices: int
    entries: int
    lines: int
    debit: Decimal
    credit: Decimal
    balanced: bool
    currency: str
    filename: str = Field(description="the FEC's name: <SIREN>FEC<closing date>.txt (SANSSIREN without a SIREN)")
    siren_missing: bool
    partial: bool = Field(description="true when the folder's access restriction hides receivables from the caller")
    warnings: list[WarningOut]


PERIOD_DOC = ("Validated invoices and credit notes whose issue date is within [start, end] (default: the current "
              "calendar year; 24 months at most). Approvers, admins and firm staff; 403 for a standard user.")


@router.get("/folders/{folder_id}/exports/summary", response={200: SummaryOut, **WRITE_ERRORS},
            summary="Résumé de l'export comptable", description=PERIOD_DOC)
def export_summary(request, folder_id: int, start: date | None = None, end: date | None = None,
                   direction: Direction | None = None):
    reach, export = _export(request, folder_id, start, end, direction)
    return {"start": export.start, "end": export.end, "direction": export.direction,
            "invoices": export.invoice_count, "entries": len(export.entries), "lines": export.line_count,
            "debit": export.debit, "credit": export.credit, "balanced": export.balanced,
            "currency": reach.folder.base_currency, "filename": export.filename,
            "siren_missing": export.siren_missing, "partial": export.partial,
            "warnings": [{"invoice_id": w.invoice_id, "code": w.code, "message": w.message}
                         for w in export.warnings]}


@router.get("/folders/{folder_id}/exports/fec", response={**WRITE_ERRORS}, openapi_extra={"responses": FILE_RESPONSE},
            summary="FEC (fichier des écritures comptables)")
def export_fec(request, folder_id: int, start: date | None = None, end: date | None = None,
               direction: Direction | None = None):
    """The 18 columns of article A47 A-1 of the LPF, tab-separated, ISO 8859-15, CRLF; the file name in
    Content-Disposition. Warnings (foreign currency not exported, mixed rates…) are in `exports/summary`."""
    _reach_, export = _export(request, folder_id, start, end, direction)
    response = HttpResponse(export.fec_bytes(), content_type=f"text/plain; charset={FEC_ENCODING}")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@router.get("/folders/{folder_id}/exports/csv", response={**WRITE_ERRORS}, openapi_extra={"responses": FILE_RESPONSE},
            summary="Écritures comptables en CSV")
def export_csv(request, folder_id: int, start: date | None = None, end: date | None = None,
               direction: Direction | None = None):
    """`;`-separated, UTF-8 with a BOM, French headers, dates and decimal comma (for a spreadsheet)."""
    reach, export = _export(request, folder_id, start, end, direction)
    response = HttpResponse(export.csv_text(), content_type="text/csv; charset=utf-8")
    name = f"ecritures-{reach.folder.slug}-{export.start:%Y%m%d}-{export.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the chart of accounts ---------------------------------------------------------------------------------------

class LedgerAccountOut(Schema):
    id: int
    number: str
    label: str
    kind: LedgerAccount.Kind
    vat_rate: Decimal | None
    is_default: bool


class LedgerAccountIn(Schema):
    number: str = Field(max_length=20, description="three PCG digits first: 6064, 44566200, 2183…")
    label: str = Field(max_length=120)
    kind: LedgerAccount.Kind
    vat_rate: Decimal | None = Field(None, description="VAT accounts only: 20, 5.5…")


class LedgerAccountChanges(Schema):
    label: str | None = Field(None, max_length=120)
    kind: LedgerAccount.Kind | None = None
    vat_rate: Decimal | None = None
    is_default: bool | None = None


@router.get("/folders/{folder_id}/accounts", response={200: list[LedgerAccountOut], **ERRORS},
            summary="Plan comptable du dossier")
def list_ledger_accounts(request, folder_id: int):
    """Seeded with a minimal French chart on first use. Approvers read it; admins and firm staff edit it."""
    return sorted(exports.chart_rows(_reach(request, folder_id).folder), key=lambda row: row.number)


@router.post("/folders/{folder_id}/accounts", response={201: LedgerAccountOut, **WRITE_ERRORS},
             summary="Ajouter un compte")
def add_ledger_account(request, folder_id: int, payload: LedgerAccountIn):
    """409 `duplicate_account` when the number exists; 422 `wrong_account_kind` when the number does not fit the
    kind (an expense account is a 6…)."""
    reach = _reach(request, folder_id, manage=True)
    with ledger_errors():
        account = chart.add_account(reach.folder, payload.number, payload.label, payload.kind, payload.vat_rate)
    return Status(201, account)


@router.patch("/accounts/{account_id}", response={200: LedgerAccountOut, **WRITE_ERRORS},
              summary="Modifier un compte")
def patch_ledger_account(request, account_id: int, payload: LedgerAccountChanges):
    """Label, kind, rate, default for its kind; the number never changes. 409 `required_account` when the chart
    would lose its last account of a kind the export needs."""
    _reach_, account = _ledger_account(request, account_id, manage=True)
    changes = payload.dict(exclude_unset=True)
    with ledger_errors():
        return chart.update_account(account, changes.get("label"), changes.get("kind"),
                                    changes.get("vat_rate", ...), changes.get("is_default"))


@router.delete("/accounts/{account_id}", response={204: None, **WRITE_ERRORS}, summary="Supprimer un compte")
def delete_ledger_account(request, account_id: int):
    """409 `account_in_use` while invoices are booked to it; 409 `required_account` for the last one of a kind the
    export needs."""
    _reach_, account = _ledger_account(request, account_id, manage=True)
    with ledger_errors():
        chart.delete_account(account)
    return Status(204, None)


class ProposalOut(Schema):
    number: str
    label: str
    source: str = Field(description="memory (supplier memory) | history (its last validated invoice) | default")


@router.get("/invoices/{invoice_id}/account-proposal", response={200: ProposalOut, **ERRORS},
            summary="Compte proposé pour une facture")
def account_proposal(request, invoice_id: int):
    """The expense or revenue account the review proposes for this invoice; set it with PATCH /invoices/{id}."""
    _access, invoice = visible_invoice(request, invoice_id)
    proposal = exports.account_proposal(invoice)
    labels = {row.number: row.label for row in exports.chart_rows(invoice.folder)}
    return {"number": proposal.number, "label": labels.get(proposal.number, ""), "source": proposal.source}
