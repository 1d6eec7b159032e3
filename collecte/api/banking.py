"""Bank accounts, statement imports and transactions of a folder."""
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
import json
from dataclasses import fields

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from collecte.ledger import banking
from collecte.ledger.statements import CsvMapping
from collecte.tenancy import access

from .errors import ApiError, ErrorOut, not_found
from .invoices import ledger_errors

router = Router(tags=["bank"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class AccountOut(Schema):
    id: int
    name: str
    iban: str
    currency: str
    balance: Decimal | None
    balance_date: date | None


class AccountIn(Schema):
    name: str
    iban: str
    currency: str = "EUR"


class ImportOut(Schema):
    id: int
    filename: str
    file_format: str
    period_start: date | None
    period_end: date | None
    created: int
    already_there: int
    auto_reconciled: int | None
    warnings: list[str]
    imported_at: datetime


class TransactionOut(Schema):
    id: int
    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    label: str
    counterparty_name: str
    counterparty_iban: str
    reference: str


class TransactionPage(Schema):
    items: list[TransactionOut]
    count: int


def _bank(request, folder_id, manage=False):
    try:
        return access.get_bank_access(request.auth, folder_id, manage=manage)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None


def _account(request, account_id):
    try:
        return access.get_bank_account_for_user(request.auth, account_id)
    except Http404:
        raise not_found(_("Compte bancaire introuvable.")) from None


@router.get("/folders/{folder_id}/bank-accounts", response={200: list[AccountOut], **ERRORS},
            summary="Comptes bancaires du dossier")
def list_accounts(request, folder_id: int):
    return list(_bank(request, folder_id).folder.bank_accounts.all())


@router.post("/folders/{folder_id}/bank-accounts", response={201: AccountOut, **ERRORS, 409: ErrorOut,
                                                             422: ErrorOut},
             summary="Ajouter un compte bancaire")
def add_account(request, folder_id: int, payload: AccountIn):
    """IBAN checked (422 `invalid_iban`); the same IBAN twice → 409. Admins and firm staff."""
    reach = _bank(request, folder_id, manage=True)
    with ledger_errors():
        account = banking.add_account(reach.folder, payload.name, payload.iban, payload.currency)
    return Status(201, account)


@router.post("/bank-accounts/{account_id}/statements", response={201: ImportOut, **ERRORS, 409: ErrorOut,
                                                                  422: ErrorOut},
             summary="Importer un relevé")
def import_statement(request, account_id: int, file: File[UploadedFile], mapping: Form[str] = ""):
    """Multipart `file`: CAMT.053, OFX or CSV. A CSV is read with `mapping` when given (JSON: which header holds
    `date`, `label`, `amount` or `debit` and `credit`, optionally `value_date`, `counterparty`, `reference`,
    `delimiter`, `date_format` (strftime, default %d/%m/%Y), `decimal_comma` (default true), `skip_lines`), which is
    then saved for the account; else with the saved one; else the columns are guessed from the header, and 422
    `csv_mapping_needed` when they cannot be. Lines already imported (same bank id, or same line) are counted in
    `already_there`, never created twice. An unreadable file → 422 `unreadable_statement` with a sentence naming
    the line or element; another account's statement → 409. With the folder's automatic reconciliation on,
    `auto_reconciled` says how many lines were reconciled (null when a large statement is left to the worker)."""
    _reach, account = _account(request, account_id)
    with ledger_errors():
        record = banking.import_statement(account, file.read(), file.name, request.auth,
                                          mapping=_mapping(mapping, account.currency) if mapping else None)
    return Status(201, record)


def _mapping(raw: str, currency: str) -> CsvMapping:
    try:
        given = json.loads(raw)
        allowed = {f.name for f in fields(CsvMapping)}
        if not isinstance(given, dict) or not set(given) <= allowed:
            raise ValueError(sorted(set(given) - allowed) if isinstance(given, dict) else "not an object")
        wrong = sorted(name for name, value in given.items() if not _fits(name, value))
        if wrong:  # the parser would fail on them with a TypeError (a 500), or read "no" as true
            raise ValueError(wrong)
        return CsvMapping(**{"currency": currency, **given})
    except (ValueError, TypeError) as error:
        raise ApiError(422, _("Correspondance de colonnes invalide : un objet JSON avec date, label et amount (ou "
                              "debit et credit) est attendu (%(error)s).") % {"error": error}, "invalid_mapping") \
            from None


def _fits(name, value) -> bool:
    """A mapping value of the type CsvMapping holds: column names and the date format are text (a column name
    may be left out with null), the delimiter one character, decimal_comma a boolean, skip_lines 0 to 50."""
    if name == "decimal_comma":
        return isinstance(value, bool)
    if name == "skip_lines":
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 50
    if name == "delimiter":
        return value is None or (isinstance(value, str) and len(value) == 1)
    if name in ("date", "label", "date_format"):
        return isinstance(value, str) and bool(value.strip())
    return value is None or isinstance(value, str)


@router.get("/bank-accounts/{account_id}/csv-mapping", response={200: dict, **ERRORS},
            summary="Colonnes CSV enregistrées pour ce compte")
def csv_mapping(request, account_id: int):
    """The CSV mapping saved by the last import that gave one (empty object when none)."""
    _reach, account = _account(request, account_id)
    return account.csv_mapping or {}


@router.get("/bank-accounts/{account_id}/transactions", response={200: TransactionPage, **ERRORS},
            summary="Opérations d'un compte")
def list_transactions(request, account_id: int, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    _reach, account = _account(request, account_id)
    found = account.transactions.all()
    return {"items": list(found[offset:offset + limit]), "count": found.count()}
