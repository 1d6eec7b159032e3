"""Editing a folder's chart of accounts ("plan comptable"): folder admins add, rename, re-kind and delete accounts.

The web views and the API call these. Two rules keep every export possible: the chart always keeps the accounts the
export cannot do without (the 401/411 collective accounts, the generic deductible and collected VAT accounts, one
expense and one revenue account), and an account that invoices are booked to is not deleted.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from . import accounting
from .errors import LedgerError
from .exports import chart_rows, clean_account_number
from .models import Invoice, LedgerAccount

K = LedgerAccount.Kind
VAT_KINDS = (K.VAT_DEDUCTIBLE, K.VAT_COLLECTED)
# The PCG class or account each kind belongs to: an expense account is a 6…, a revenue one a 7…
KIND_PREFIXES = {K.SUPPLIER: ("40",), K.CUSTOMER: ("41",), K.EXPENSE: ("6",), K.REVENUE: ("7",),
                 K.VAT_DEDUCTIBLE: ("4456",), K.VAT_COLLECTED: ("4457",), K.BANK: ("5",), K.OTHER: ("",)}
# (kind, needs a generic account without a rate) the export needs at least one of.
REQUIRED = ((K.SUPPLIER, False), (K.CUSTOMER, False), (K.VAT_DEDUCTIBLE, True), (K.VAT_COLLECTED, True),
            (K.EXPENSE, False), (K.REVENUE, False))


def _missing_required(rows) -> list[str]:
    """Labels of the kinds the chart would lack: a generic VAT account is one without a rate."""
    missing = []
    for kind, generic in REQUIRED:
        if not any(row.kind == kind and (not generic or row.vat_rate is None) for row in rows):
            label = K(kind).label
            missing.append(_("%(kind)s (compte sans taux)") % {"kind": label} if generic else str(label))
    return missing


def _refuse_if_incomplete(rows, code):
    missing = _missing_required(rows)
    if missing:
        raise LedgerError(_("Le plan comptable doit garder au moins un compte de chacune de ces natures : %(kinds)s.")
                          % {"kinds": ", ".join(missing)}, code, "kind", status=409)


def _checked(number, label, kind, vat_rate):
    """(number, label, kind, rate) typed and checked, or a LedgerError on the field at fault."""
    if kind not in K.values:
        raise LedgerError(_("Nature de compte inconnue."), "invalid_kind", "kind")
    if not accounting.ACCOUNT_NUMBER.match(number) or len(number) > 20:
        raise LedgerError(_("Un numéro de compte commence par trois chiffres du plan comptable, suivis de chiffres "
                            "ou de lettres (20 caractères au plus), par exemple 6064."), "invalid_account", "number")
    if not number.startswith(KIND_PREFIXES[kind]):
        raise LedgerError(_("Le compte %(number)s ne peut pas être de nature « %(kind)s » : un tel compte commence "
                            "par %(prefix)s.") % {"number": number, "kind": K(kind).label,
                                                  "prefix": _(" ou ").join(KIND_PREFIXES[kind])},
                          "wrong_account_kind", "kind")
    label = " ".join(str(label or "").split())
    if not label or len(label) > 120:
        raise LedgerError(_("Indiquez un intitulé (120 caractères au plus)."), "invalid_label", "label")
    return number, label, kind, _rate(kind, vat_rate)


def _rate(kind, raw):
    if raw in (None, ""):
        return None
    if kind not in VAT_KINDS:
        raise LedgerError(_("Seul un compte de TVA porte un taux."), "invalid_rate", "vat_rate")
    try:
        rate = Decimal(str(raw).replace(",", ".").replace("%", "").strip())
    except InvalidOperation:
        rate = None
    if rate is None or not rate.is_finite() or not 0 <= rate < 100 or rate != rate.quantize(Decimal("0.01")):
        raise LedgerError(_("Taux de TVA invalide (exemple : 5,5)."), "invalid_rate", "vat_rate")
    return rate.quantize(Decimal("0.01"))


@transaction.atomic
def add_account(folder, number, label, kind, vat_rate=None) -> LedgerAccount:
    chart_rows(folder)  # seeded first: an added account never stands in for the default chart
    number, label, kind, rate = _checked(clean_account_number(number), label, kind, vat_rate)
    if LedgerAccount.objects.filter(folder=folder, number=number).exists():
        raise LedgerError(_("Le compte %(number)s existe déjà dans ce plan comptable.") % {"number": number},
                          "duplicate_account", "number", status=409)
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(folder=folder, number=number, label=label, kind=kind, vat_rate=rate)
    except IntegrityError:  # the same number added at the same moment by someone else
        raise LedgerError(_("Le compte %(number)s existe déjà dans ce plan comptable.") % {"number": number},
                          "duplicate_account", "number", status=409) from None


def _lock_chart(folder):
    """The folder's accounts, locked: two admins removing the last two expense accounts at once leave one."""
    return list(LedgerAccount.objects.select_for_update().filter(folder=folder).order_by("number"))


@transaction.atomic
def update_account(account: LedgerAccount, label=None, kind=None, vat_rate=..., is_default=None) -> LedgerAccount:
    """Label, kind, rate and "default for its kind" change; the number does not (invoices and exports know the
    account by it: add a new account instead). Only the arguments given change (`vat_rate=None` clears it)."""
    rows = _lock_chart(account.folder)
    account = next(row for row in rows if row.pk == account.pk)
    kind = kind or account.kind
    if vat_rate is ...:
        vat_rate = account.vat_rate if kind in VAT_KINDS else None
    _number, label, kind, rate = _checked(account.number, account.label if label is None else label, kind, vat_rate)
    account.label, account.kind, account.vat_rate = label, kind, rate
    _refuse_if_incomplete(rows, "required_account")
    if is_default is not None:
        account.is_default = bool(is_default)
    if account.is_default:
        LedgerAccount.objects.filter(folder=account.folder, kind=kind, is_default=True).exclude(
            pk=account.pk).update(is_default=False)
    account.save()
    return account


def invoices_using(account: LedgerAccount):
    """Invoices booked to this account (rejected ones are not booked anywhere)."""
    return Invoice.objects.filter(folder_id=account.folder_id, account=account.number).exclude(
        status=Invoice.Status.REJECTED)


def usage_counts(folder, invoices=None) -> dict[str, int]:
    """{account number: invoices booked to it}, for the chart's page; `invoices`: those the reader may see (a count
    must not tell of receivables the folder's access restriction hides from them)."""
    rows = ((invoices if invoices is not None else Invoice.objects.filter(folder=folder)).exclude(account="")
            .exclude(status=Invoice.Status.REJECTED).order_by().values("account").annotate(n=Count("pk")))
    return {row["account"]: row["n"] for row in rows}


@transaction.atomic
def delete_account(account: LedgerAccount) -> None:
    rows = _lock_chart(account.folder)
    used = invoices_using(account).count()
    if used:
        raise LedgerError(_("Le compte %(number)s est utilisé par %(count)s facture(s) : changez leur compte avant de "
                            "le supprimer.") % {"number": account.number, "count": used}, "account_in_use",
                          status=409)
    _refuse_if_incomplete([row for row in rows if row.pk != account.pk], "required_account")
    LedgerAccount.objects.filter(pk=account.pk).delete()
