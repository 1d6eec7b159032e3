"""The accounting export's edge: the folder's chart of accounts, counterparty sub-accounts, the validated invoices as
`accounting.ExportInvoice`s, and the expense or revenue account proposed for an invoice.

`accounting` is pure (entries, FEC, CSV); this module reads and writes the database for it. The web views and the
API both call `build_export`, `chart_for`, `propose_account`; the chart's editing lives in `chart.py`.
"""
from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from collecte.tenancy import access

from . import accounting
from .errors import LedgerError
from .models import PURCHASES, SALES, Counterparty, Invoice, LedgerAccount

# Accounts a person may choose for an invoice's expense or revenue line: a fixed asset bought (2183…) or a
# re-invoiced cost is booked to an "other" account; a VAT, bank or third-party account never is.
USABLE_KINDS = {PURCHASES: (LedgerAccount.Kind.EXPENSE, LedgerAccount.Kind.OTHER),
                SALES: (LedgerAccount.Kind.REVENUE, LedgerAccount.Kind.OTHER)}
MAIN_KIND = {PURCHASES: LedgerAccount.Kind.EXPENSE, SALES: LedgerAccount.Kind.REVENUE}
DEFAULT_FLAGGED = {"401", "411", "512", *accounting.DEFAULT_ACCOUNTS.values()}
# A first financial year may run longer than twelve months (up to about 24 in practice); a longer period is a
# mistake in the dates, and would build a very large file.
MAX_PERIOD = timedelta(days=731)
NO_SIREN_NAME = "SANSSIREN"


# --- who may export and read the chart ---------------------------------------------------------------------------

# Who may export and read the chart: collecte.tenancy.access (tenancy is checked in one place).
get_accounting_access = access.get_accounting_access
get_ledger_account_for_user = access.get_ledger_account_for_user


def export_is_partial(folder_access) -> bool:
    """With the folder's access restriction on, a non-admin's export holds only the receivables they see."""
    return folder_access.folder.restrict_receivables and not folder_access.can_manage


# --- the chart ------------------------------------------------------------------------------------------------------

def seed_chart(folder) -> None:
    """The default chart, once: ignore_conflicts makes two first uses at once (two tabs, the API) harmless."""
    LedgerAccount.objects.bulk_create(
        [LedgerAccount(folder=folder, number=a.number, label=a.label, kind=a.kind, vat_rate=a.vat_rate,
                       is_default=a.number in DEFAULT_FLAGGED) for a in accounting.default_chart()],
        ignore_conflicts=True)


def chart_rows(folder):
    """The folder's LedgerAccount rows, seeded on first use; defaults first so that they win in `accounting`."""
    rows = list(LedgerAccount.objects.filter(folder=folder).order_by("-is_default", "number"))
    if not rows:
        seed_chart(folder)
        rows = list(LedgerAccount.objects.filter(folder=folder).order_by("-is_default", "number"))
    return rows


def as_account(row: LedgerAccount) -> accounting.Account:
    return accounting.Account(row.number, row.label, row.kind, row.vat_rate)


def chart_for(folder) -> list[accounting.Account]:
    return [as_account(row) for row in chart_rows(folder)]


def default_account(rows, direction) -> str:
    """The expense (purchases) or revenue (sales) account proposed when nothing better is known."""
    kind = MAIN_KIND[direction]
    of_kind = [row for row in rows if row.kind == kind]
    chosen = (next((row for row in of_kind if row.is_default), None)
              or next((row for row in of_kind if row.number == accounting.DEFAULT_ACCOUNTS[direction]), None)
              or (of_kind[0] if of_kind else None))
    return chosen.number if chosen else accounting.DEFAULT_ACCOUNTS[direction]


def usable_accounts(rows, direction):
    return [row for row in rows if row.kind in USABLE_KINDS[direction]]


def clean_account_number(raw) -> str:
    return re.sub(r"\s", "", str(raw or "")).upper()


def check_invoice_account(folder, direction, number) -> str:
    """The number an invoice may carry as its expense or revenue account: one of the folder's chart, of a usable
    kind. A typo would otherwise reach the accountant's books as an unknown account."""
    number = clean_account_number(number)
    rows = chart_rows(folder)
    found = next((row for row in rows if row.number == number), None)
    if found is None:
        raise LedgerError(_("Le compte %(number)s n'est pas dans le plan comptable du dossier : choisissez-en un de la "
                            "liste, ou demandez à un administrateur de l'ajouter.") % {"number": number},
                          "unknown_account", "account")
    if found.kind not in USABLE_KINDS[direction]:
        expected = _("de charge") if direction == PURCHASES else _("de produit")
        raise LedgerError(_("Le compte %(number)s (%(kind)s) ne peut pas recevoir le montant d'une facture : "
                            "choisissez un compte %(expected)s.")
                          % {"number": number, "kind": found.get_kind_display(), "expected": expected},
                          "wrong_account_kind", "account")
    return number


# --- counterparty sub-accounts (401DUPONT / 411MOREAU) ------------------------------------------------------------

def collective_prefixes(rows) -> dict[str, str]:
    """{direction: collective account number}: 401 and 411 unless the chart says otherwise."""
    def first(kind, fallback):
        return next((row.number for row in rows if row.kind == kind), fallback)

    return {PURCHASES: first(LedgerAccount.Kind.SUPPLIER, "401"), SALES: first(LedgerAccount.Kind.CUSTOMER, "411")}


def aux_account(number: str, direction: str, prefixes: dict) -> str:
    """The counterparty's sub-account for one direction. A counterparty that is both supplier and customer keeps one
    stored number (from its first role); the other direction mirrors it under the other collective account
    (401DUPONT <-> 411DUPONT), so both stay stable and name the same company. A number that starts with neither
    prefix is someone's own scheme and is used as it is."""
    other = SALES if direction == PURCHASES else PURCHASES
    if number.startswith(prefixes[other]) and not number.startswith(prefixes[direction]):
        return prefixes[direction] + number[len(prefixes[other]):]
    return number


def _as_supplier_key(number: str, prefixes: dict) -> str:
    """A stored number in its supplier form, so that 401X and 411X count as one name when choosing a new one."""
    return aux_account(number.upper(), PURCHASES, prefixes)


def ensure_subaccounts(folder, counterparties) -> None:
    """Give each counterparty without a sub-account a stable one, saved on it: the same counterparty keeps its
    number from one export to the next, and two counterparties never share one. Serialized per folder (its row is
    locked) so that two exports at once cannot hand the same number to two new counterparties."""
    from collecte.tenancy.models import ClientFolder

    missing = [c for c in counterparties if c is not None and not c.account_number]
    if not missing:
        return
    prefixes = collective_prefixes(chart_rows(folder))
    with transaction.atomic():
        ClientFolder.objects.select_for_update().filter(pk=folder.pk).values_list("pk", flat=True).first()
        numbers = Counterparty.objects.filter(folder=folder).exclude(account_number="")
        taken = {_as_supplier_key(n, prefixes) for n in numbers.values_list("account_number", flat=True)}
        assigned = {}
        for party in Counterparty.objects.filter(pk__in=[c.pk for c in missing], account_number="").order_by(
                "name", "pk"):
            key = accounting.subaccount_for(prefixes[PURCHASES], party.name, taken)
            taken.add(key)
            direction = PURCHASES if party.is_supplier or not party.is_customer else SALES
            assigned[party.pk] = aux_account(key, direction, prefixes)
            Counterparty.objects.filter(pk=party.pk, account_number="").update(account_number=assigned[party.pk])
    for party in missing:
        party.account_number = assigned.get(party.pk) or Counterparty.objects.get(pk=party.pk).account_number


def set_subaccount(counterparty, raw) -> Counterparty:
    """A folder admin's own sub-account for a counterparty: letters and digits, unique in the folder. Blank gives
    it back to the export, which derives one from the name."""
    number = clean_account_number(raw)
    if number and not re.fullmatch(r"[0-9A-Z]{1,20}", number):
        raise LedgerError(_("Un compte auxiliaire ne contient que des lettres et des chiffres (20 au plus), par "
                            "exemple 401DUPONT."), "invalid_account", "account_number")
    prefixes = collective_prefixes(chart_rows(counterparty.folder))
    if number:
        others = (Counterparty.objects.filter(folder_id=counterparty.folder_id).exclude(pk=counterparty.pk)
                  .exclude(account_number="").values_list("account_number", flat=True))
        if _as_supplier_key(number, prefixes) in {_as_supplier_key(n, prefixes) for n in others}:
            raise LedgerError(_("Le compte auxiliaire %(number)s est déjà celui d'un autre tiers du dossier.")
                              % {"number": number}, "duplicate_account", "account_number", status=409)
    counterparty.account_number = number
    counterparty.save(update_fields=["account_number", "name_key"])
    return counterparty


# --- the export ----------------------------------------------------------------------------------------------------

@dataclass
class Export:
    start: date
    end: date
    direction: str | None
    entries: list
    warnings: list
    filename: str
    siren_missing: bool
    partial: bool
    invoice_count: int = 0
    debit: Decimal = field(default=accounting.ZERO)
    credit: Decimal = field(default=accounting.ZERO)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit and accounting.is_balanced(self.entries)

    @property
    def line_count(self) -> int:
        return sum(len(entry.lines) for entry in self.entries)

    def fec_bytes(self) -> bytes:
        return accounting.encode_fec(accounting.write_fec(self.entries))

    def csv_text(self) -> str:
        return "\ufeff" + accounting.write_csv(self.entries)  # a BOM: Excel in France then reads UTF-8


def default_period(folder) -> tuple[date, date]:
    """The current calendar year in the folder's time zone: the FEC is one financial year's file, and most small
    French companies close on 31 December."""
    from .queries import folder_today

    year = folder_today(folder).year
    return date(year, 1, 1), date(year, 12, 31)


def parse_day(raw) -> date | None:
    value = str(raw or "").strip()
    if not value:
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    try:
        return date(int(m[3]), int(m[2]), int(m[1])) if m else date.fromisoformat(value)
    except ValueError:
        raise LedgerError(_("Date invalide : JJ/MM/AAAA ou AAAA-MM-JJ."), "invalid_date") from None


def check_period(folder, start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for, a missing bound taken from the default one."""
    default_start, default_end = default_period(folder)
    start, end = start or default_start, end or default_end
    if start > end:
        raise LedgerError(_("La date de début est après la date de fin."), "invalid_period", "start")
    if end - start > MAX_PERIOD:
        raise LedgerError(_("La période couvre plus de 24 mois : un FEC couvre un exercice."), "invalid_period",
                          "end")
    return start, end


def fec_name(folder, end: date) -> str:
    """`<SIREN>FEC<closing date>.txt`; without a SIREN, SANSSIREN in its place (the file is still usable; the
    person is told to fill the SIREN in before sending it to the tax office)."""
    try:
        return accounting.fec_filename(folder.siren, end)
    except ValueError:
        return f"{NO_SIREN_NAME}FEC{end:%Y%m%d}.txt"


def lettering_code(invoice_id: int) -> str:
    """A stable EcritureLet code per invoice: its id in letters (A…Z, at least three of them)."""
    letters, n = "", invoice_id
    while n:
        n, digit = divmod(n, 26)
        letters = chr(ord("A") + digit) + letters
    return letters.rjust(3, "A")


def validated_invoices(folder_access, start, end, direction=None):
    found = (access.visible_invoices(folder_access)
             .filter(status__in=Invoice.VALIDATED, issue_date__gte=start, issue_date__lte=end)
             .select_related("counterparty"))
    return found.filter(direction=direction) if direction else found


def export_invoices(folder_access, start, end, direction=None) -> list[accounting.ExportInvoice]:
    """The validated invoices the user sees, issued within [start, end], as the pure module's input. Assigns the
    sub-accounts their counterparties still lack."""
    folder = folder_access.folder
    rows = chart_rows(folder)
    prefixes = collective_prefixes(rows)
    defaults = {d: default_account(rows, d) for d in (PURCHASES, SALES)}
    invoices = list(validated_invoices(folder_access, start, end, direction).order_by("issue_date", "pk"))
    # select_related gives each invoice its own copy of the counterparty: the numbers are read back by id.
    parties = list({i.counterparty_id: i.counterparty for i in invoices if i.counterparty_id}.values())
    ensure_subaccounts(folder, parties)
    numbers = {party.pk: party.account_number for party in parties}
    zone = zoneinfo.ZoneInfo(folder.timezone or "Europe/Paris")
    return [_export_invoice(i, folder, numbers, prefixes, defaults, zone) for i in invoices]


def _export_invoice(invoice, folder, numbers, prefixes, defaults, zone) -> accounting.ExportInvoice:
    party = invoice.counterparty
    settled = invoice.status in (Invoice.Status.PAID, Invoice.Status.CREDIT_USED) and invoice.paid_date
    return accounting.ExportInvoice(
        invoice_id=invoice.pk, direction=invoice.direction, kind=invoice.kind, number=invoice.number,
        issue_date=invoice.issue_date, validated_on=invoice.validated_at.astimezone(zone).date(),
        counterparty_name=party.name if party else invoice.counterparty_name,
        counterparty_account=aux_account(numbers[party.pk], invoice.direction, prefixes) if party else "",
        account=invoice.account or defaults[invoice.direction], total_excl_tax=invoice.total_excl_tax,
        total_tax=invoice.total_tax, total_incl_tax=invoice.total_incl_tax, currency=invoice.currency,
        base_currency=folder.base_currency or "EUR",
        lettering=lettering_code(invoice.pk) if settled else "", lettering_date=invoice.paid_date if settled else None)


def build_export(folder_access, start=None, end=None, direction=None) -> Export:
    """Entries, warnings, totals and the FEC file name for a period (default: the current calendar year)."""
    folder = folder_access.folder
    if direction not in (None, "", PURCHASES, SALES):
        raise LedgerError(_("Sens inconnu : purchases ou sales."), "invalid_direction", "direction")
    start, end = check_period(folder, start, end)
    invoices = export_invoices(folder_access, start, end, direction or None)
    entries, warnings = accounting.journal_entries(invoices, chart_for(folder))
    return Export(start=start, end=end, direction=direction or None, entries=entries, warnings=warnings,
                  filename=fec_name(folder, end), siren_missing=not re.fullmatch(r"\d{9}", folder.siren or ""),
                  partial=export_is_partial(folder_access), invoice_count=len(invoices),
                  debit=sum((e.debit for e in entries), accounting.ZERO),
                  credit=sum((e.credit for e in entries), accounting.ZERO))


# --- the account proposed for an invoice, and the memory of the chosen one -------------------------------------

@dataclass(frozen=True)
class Proposal:
    number: str
    source: str  # "memory" (the supplier memory), "history" (its last validated invoice), "default" (the chart's)


def _party_of(invoice):
    from collecte.extraction.result import Party

    if invoice.counterparty_id:
        c = invoice.counterparty
        return Party(name=c.name, vat_id=c.vat_id or None, siren=c.siren or None, iban=c.iban or None)
    read = invoice.counterparty_read or {}
    return Party(**{k: read.get(k) or None for k in ("name", "vat_id", "siren", "iban")})


def _memory_account(invoice) -> str | None:
    from collecte.extraction.memory import supplier_keys
    from collecte.intake.models import SupplierMemory

    keys = supplier_keys(_party_of(invoice))
    if not keys:
        return None
    rows = {m.key: m.hints for m in SupplierMemory.objects.filter(folder_id=invoice.folder_id,
                                                                  direction=invoice.direction, key__in=keys)}
    for key in keys:
        found = ((rows.get(key) or {}).get("accounts") or {}).get(invoice.direction)
        if found:
            return found
    return None


def _history_account(invoice) -> str | None:
    if not invoice.counterparty_id:
        return None
    return (Invoice.objects.filter(folder_id=invoice.folder_id, direction=invoice.direction,
                                   counterparty_id=invoice.counterparty_id, status__in=Invoice.VALIDATED)
            .exclude(account="").exclude(pk=invoice.pk).order_by("-validated_at", "-pk")
            .values_list("account", flat=True).first())


def account_proposal(invoice) -> Proposal:
    """What the review pre-fills when the invoice has no account yet: what the supplier memory remembers for this
    counterparty, else the account of its last validated invoice, else the chart's default. A remembered account
    since removed from the chart is passed over."""
    rows = chart_rows(invoice.folder)
    usable = {row.number for row in usable_accounts(rows, invoice.direction)}
    for source, find in (("memory", _memory_account), ("history", _history_account)):
        number = find(invoice)
        if number and number in usable:
            return Proposal(number, source)
    return Proposal(default_account(rows, invoice.direction), "default")


def propose_account(invoice) -> str:
    return account_proposal(invoice).number


def remember_account(invoice) -> None:
    """Write the invoice's account into its counterparty's supplier memory (hints["accounts"][direction]), under
    every key naming it (VAT id, SIREN, IBAN, name), as learn_from_correction does for the other hints: the next
    invoice is found by whichever key it shows. A key without a row gets one, with the hints the others hold."""
    from collecte.extraction.memory import supplier_keys
    from collecte.intake.models import SupplierMemory

    if not invoice.account or not invoice.counterparty_id:
        return
    keys = supplier_keys(_party_of(invoice))
    if not keys:
        return
    where = {"folder_id": invoice.folder_id, "direction": invoice.direction}
    with transaction.atomic():
        rows = {m.key: m for m in SupplierMemory.objects.select_for_update().filter(**where, key__in=keys)}
        shared = next((rows[k].hints for k in keys if k in rows), {})
        for key in keys:
            row = rows.get(key) or SupplierMemory.objects.get_or_create(**where, key=key,
                                                                        defaults={"hints": dict(shared)})[0]
            accounts = dict(row.hints.get("accounts") or {})
            if accounts.get(invoice.direction) == invoice.account and key in rows:
                continue
            accounts[invoice.direction] = invoice.account
            row.hints = {**row.hints, "accounts": accounts}
            row.save(update_fields=["hints", "updated_at"])


def remember_validated(invoice, user) -> None:
    """effects.ON_VALIDATED: an invoice validated without an account (by the API, an import) gets the proposed one
    now, so that its entry never changes with later proposals; the account is remembered for the next invoice,
    unless it is only the chart's default (a default learnt would outlive a change of the folder's default)."""
    if not invoice.account:
        proposal = account_proposal(invoice)
        invoice.account = proposal.number
        Invoice.objects.filter(pk=invoice.pk).update(account=proposal.number)
        if proposal.source == "default":
            return
    remember_account(invoice)


def remember_changed(invoice, user, changes) -> None:
    """effects.ON_CHANGED: only a change of account or counterparty teaches something new."""
    if changes.keys() & {"account", "counterparty"}:
        remember_account(invoice)
