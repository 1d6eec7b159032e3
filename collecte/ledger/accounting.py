"""Journal entries from validated invoices, written as the French FEC and as a plain CSV (pure: no database).

`journal_entries` turns `ExportInvoice`s into one balanced `Entry` per invoice; `write_fec` writes them as the
"fichier des écritures comptables" of article A47 A-1 of the Livre des procédures fiscales (the 18 mandatory
columns, tab or pipe separated, dates AAAAMMJJ, decimal comma), `write_csv` as a `;` CSV for a spreadsheet.

Accounts (`default_chart`): the PCG's 401/411 collective accounts, with the counterparty as auxiliary account
(CompAuxNum, "401DUPONT"); VAT sub-accounts are the PCG account followed by the rate times ten on three digits, so
the rate can be read in the number: 44566200 = deductible 20 %, 44566055 = deductible 5,5 %, 44571021 = collected
2,1 %; 44566 and 44571 themselves are the generic accounts for what no single rate explains.

Amounts are booked to the cent and every entry balances by construction: the expense (or revenue) line is the total
including tax minus the VAT, never the document's own excl. total. An invoice in another currency than the folder's is
booked only with an `exchange_rate` (given by the caller, e.g. from the payment): we never guess one. FEC content
(account labels, entry labels) stays in French whatever the UI language: the file is for the French tax office.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from collecte.lib import spreadsheet

PURCHASES, SALES = "purchases", "sales"
INVOICE, CREDIT_NOTE = "invoice", "credit_note"
SUPPLIER, CUSTOMER, EXPENSE, REVENUE = "supplier", "customer", "expense", "revenue"
VAT_DEDUCTIBLE, VAT_COLLECTED, BANK, OTHER = "vat_deductible", "vat_collected", "bank", "other"

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FRENCH_VAT_RATES = tuple(Decimal(rate) for rate in ("20", "10", "5.5", "2.1", "0"))
# Per-line rounding makes the total VAT differ from total excl. x rate by up to half a cent per line: we accept
# 2 cents plus 0.01 % of the expected VAT (a long invoice has many lines: 2 € on 20,000 € of VAT), and take the
# closest rate. Looser would hide a small part at another rate in a large invoice.
VAT_TOLERANCE, VAT_TOLERANCE_SHARE = Decimal("0.02"), Decimal("0.0001")
DEFAULT_ACCOUNTS = {PURCHASES: "606", SALES: "706"}  # 606, not 607: general purchases that touch no stock
DEFAULT_JOURNALS = {PURCHASES: ("AC", "Journal des achats"), SALES: ("VT", "Journal des ventes")}

FEC_COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
               "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
               "ValidDate", "Montantdevise", "Idevise")
FEC_SEPARATORS = ("\t", "|")      # the two separators A47 A-1 allows for a delimited file
FEC_ENCODING = "iso-8859-15"      # one of the encodings A47 A-1 names (with ASCII and EBCDIC); it has € and œ
CSV_COLUMNS = ("Journal", "Date", "Pièce", "Compte", "Libellé compte", "Tiers", "Libellé", "Débit", "Crédit")

LEGAL_FORMS = frozenset("SA SAS SASU SARL EURL SCI SNC SCP SCM SCOP SELARL SELAS SELAFA EI EIRL GIE".split())
AUX_KEY_LENGTH = 8
# Letters NFKD does not split into a base letter and an accent.
LIGATURES = str.maketrans({"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "ß": "ss", "Ø": "O", "ø": "o", "Ł": "L",
                           "ł": "l", "Đ": "D", "đ": "d", "Ĳ": "IJ", "ĳ": "ij"})
ACCOUNT_NUMBER = re.compile(r"^\d{3}[0-9A-Z]*$")  # the FEC wants the first three characters to be PCG digits


@dataclass(frozen=True)
class Account:
    number: str
    label: str
    kind: str                       # supplier, customer, expense, revenue, vat_deductible, vat_collected, bank, other
    vat_rate: Decimal | None = None  # VAT accounts: the rate they hold; None for the generic one


@dataclass(frozen=True)
class ExportInvoice:
    invoice_id: int
    direction: str                  # "purchases" | "sales"
    kind: str                       # "invoice" | "credit_note"
    number: str
    issue_date: date
    validated_on: date
    counterparty_name: str
    counterparty_account: str       # auxiliary account ("401DUPONT"); "" -> derived from the name
    account: str                    # expense (6…) or revenue (7…) account; "" -> DEFAULT_ACCOUNTS
    total_excl_tax: Decimal | None
    total_tax: Decimal | None
    total_incl_tax: Decimal
    currency: str
    base_currency: str
    document_ref: str = ""          # PieceRef; defaults to the number
    lettering: str = ""             # EcritureLet once fully paid, with lettering_date
    lettering_date: date | None = None
    exchange_rate: Decimal | None = None  # base currency per unit of `currency`; none: a foreign invoice is skipped


@dataclass(frozen=True)
class ExportWarning:
    invoice_id: int
    code: str       # for machines: foreign_currency_skipped, mixed_vat_rates, no_vat_account, amounts_missing, ...
    message: str    # for the person who can fix the invoice


@dataclass(frozen=True)
class Line:
    account: str                    # CompteNum: the collective 401/411 on a counterparty line
    account_label: str
    label: str                      # EcritureLib
    debit: Decimal
    credit: Decimal
    aux_account: str = ""           # CompAuxNum
    aux_label: str = ""
    lettering: str = ""
    lettering_date: date | None = None
    currency_amount: Decimal | None = None  # Montantdevise, for an invoice in another currency
    currency: str = ""


@dataclass(frozen=True)
class Entry:
    journal_code: str
    journal_label: str
    number: str                     # EcritureNum: per journal, chronological, without gaps
    entry_date: date
    piece_ref: str
    piece_date: date
    valid_date: date
    invoice_id: int
    lines: tuple[Line, ...]

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def vat_account_number(base: str, rate: Decimal) -> str:
    return f"{base}{int(rate * 10):03d}"


def default_chart() -> list[Account]:
    """A minimal plan comptable for a small French company."""
    expenses = [("601", "Achats stockés - Matières premières"), ("604", "Achats d'études et prestations de services"),
                ("606", "Achats non stockés de matières et fournitures"),
                ("6061", "Fournitures non stockables (eau, énergie)"),
                ("6063", "Fournitures d'entretien et de petit équipement"), ("6064", "Fournitures administratives"),
                ("607", "Achats de marchandises"), ("611", "Sous-traitance générale"), ("613", "Locations"),
                ("615", "Entretien et réparations"), ("616", "Primes d'assurances"),
                ("622", "Rémunérations d'intermédiaires et honoraires"),
                ("623", "Publicité, publications, relations publiques"), ("624", "Transports de biens"),
                ("625", "Déplacements, missions et réceptions"), ("6251", "Voyages et déplacements"),
                ("6256", "Missions"), ("626", "Frais postaux et de télécommunications"),
                ("627", "Services bancaires et assimilés")]
    revenues = [("706", "Prestations de services"), ("707", "Ventes de marchandises"),
                ("708", "Produits des activités annexes")]
    chart = [Account("401", "Fournisseurs", SUPPLIER), Account("411", "Clients", CUSTOMER),
             Account("512", "Banque", BANK)]
    chart += [Account(number, label, EXPENSE) for number, label in expenses]
    chart += [Account(number, label, REVENUE) for number, label in revenues]
    for base, kind, label, short in (("44566", VAT_DEDUCTIBLE, "TVA sur autres biens et services", "TVA déductible"),
                                     ("44571", VAT_COLLECTED, "TVA collectée", "TVA collectée")):
        chart.append(Account(base, label, kind))
        chart += [Account(vat_account_number(base, rate), f"{short} {_percent(rate)} %", kind, rate)
                  for rate in FRENCH_VAT_RATES if rate]
    return chart


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}".replace(".", ",")


# --- counterparties and rates ---------------------------------------------------------------------------------------

def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.translate(LIGATURES)).encode("ascii", "ignore").decode()


def _name_words(name: str) -> list[str]:
    """Upper-case ASCII words of a name, legal forms dropped ("S.A.R.L." too: dots go before splitting)."""
    ascii_name = _ascii(name or "").upper()
    words = re.findall(r"[A-Z0-9]+", ascii_name.replace(".", ""))
    return [word for word in words if word not in LEGAL_FORMS] or words


def subaccount_for(prefix: str, name: str, taken: set[str]) -> str:
    """`prefix` + up to 8 letters and digits of the name, with a numeric suffix when `taken` (upper-case accounts)
    has it already. `taken` is not changed: the caller adds the result."""
    base = "".join(_name_words(name))[:AUX_KEY_LENGTH] or "DIVERS"
    candidate, suffix = prefix + base, 1
    while candidate in taken:
        candidate = prefix + base[:AUX_KEY_LENGTH - len(str(suffix))] + str(suffix)
        suffix += 1
    return candidate


def vat_rate_of(excl: Decimal | None, tax: Decimal | None, rates=FRENCH_VAT_RATES) -> Decimal | None:
    """The rate that explains `tax` on `excl` within VAT_TOLERANCE (+ VAT_TOLERANCE_SHARE of the expected VAT), the
    closest one if several do; None when none does (mixed rates) or two are equally close (tiny amounts)."""
    if excl is None or tax is None or excl == 0 or (tax != 0 and (tax > 0) != (excl > 0)):
        return None
    excl, tax = abs(excl), abs(tax)
    close = []
    for rate in rates:
        expected = excl * rate / 100
        gap = abs(tax - expected)
        if gap <= VAT_TOLERANCE + expected * VAT_TOLERANCE_SHARE:
            close.append((gap, rate))
    close.sort()
    if not close or (len(close) > 1 and close[0][0] == close[1][0]):
        return None
    return close[0][1]


class _Chart:
    def __init__(self, accounts: list[Account]):
        self.by_number = {account.number: account for account in accounts}
        self.collective = {}
        self.vat = {}
        for account in accounts:
            if account.kind in (SUPPLIER, CUSTOMER):
                self.collective.setdefault(account.kind, account)
            if account.kind in (VAT_DEDUCTIBLE, VAT_COLLECTED):
                self.vat.setdefault((account.kind, account.vat_rate), account)
        if len(self.collective) < 2 or (VAT_DEDUCTIBLE, None) not in self.vat or (VAT_COLLECTED, None) not in self.vat:
            raise ValueError("The chart needs 401/411-like accounts and generic deductible and collected VAT accounts.")
        self.rates = tuple(sorted(set(FRENCH_VAT_RATES) | {rate for _kind, rate in self.vat if rate is not None}))

    def label(self, number: str) -> str | None:
        """The account's label, else that of its closest parent ("62261" is a "622"), else None."""
        for length in range(len(number), 2, -1):
            if account := self.by_number.get(number[:length]):
                return account.label
        return None


def _cents(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else Decimal(amount).quantize(CENT, ROUND_HALF_UP)


def _counterparty_accounts(invoices: list[ExportInvoice], chart: _Chart) -> dict[int, str]:
    """Each invoice's auxiliary account: its own, else the one another invoice gives the same name, else derived."""
    known, taken = {}, set()
    for invoice in invoices:
        if account := _clean(invoice.counterparty_account).upper():
            known.setdefault((invoice.direction, " ".join(_name_words(invoice.counterparty_name))), account)
            taken.add(account)
    result = {}
    for invoice in invoices:
        key = (invoice.direction, " ".join(_name_words(invoice.counterparty_name)))
        account = _clean(invoice.counterparty_account).upper() or known.get(key)
        if not account:
            prefix = chart.collective[SUPPLIER if invoice.direction == PURCHASES else CUSTOMER].number
            account = known[key] = subaccount_for(prefix, invoice.counterparty_name, taken)
            taken.add(account)
        result[invoice.invoice_id] = account
    return result


# --- entries --------------------------------------------------------------------------------------------------------

def journal_entries(invoices, chart: list[Account] | None = None,
                    journals=DEFAULT_JOURNALS) -> tuple[list[Entry], list[ExportWarning]]:
    """One balanced entry per invoice, numbered per journal in the order of issue date (then number, then id)."""
    for invoice in invoices:
        if invoice.direction not in (PURCHASES, SALES) or invoice.kind not in (INVOICE, CREDIT_NOTE):
            raise ValueError(f"invoice {invoice.invoice_id}: unknown direction or kind")
    accounts = _Chart(chart if chart is not None else default_chart())
    ordered = sorted(invoices, key=lambda i: (i.issue_date, journals[i.direction][0], i.number, i.invoice_id))
    aux = _counterparty_accounts(ordered, accounts)
    entries, warnings, counters = [], [], {}
    for invoice in ordered:
        lines = _lines(invoice, accounts, aux[invoice.invoice_id], warnings)
        if not lines:
            continue
        code, journal_label = journals[invoice.direction]
        counters[code] = counters.get(code, 0) + 1
        entries.append(Entry(code, journal_label, f"{code}{counters[code]:06d}", invoice.issue_date,
                             invoice.document_ref or invoice.number, invoice.issue_date, invoice.validated_on,
                             invoice.invoice_id, lines))
    return entries, warnings


def is_balanced(entries: list[Entry]) -> bool:
    return all(entry.debit == entry.credit for entry in entries)


def _amounts(invoice: ExportInvoice, warn) -> tuple[Decimal, Decimal, Decimal | None]:
    """(incl, tax, excl) in the invoice's currency, a missing amount completed from the two others. A credit note
    may come with negative totals or positive ones: both mean the same, its kind already reverses the sides."""
    incl, tax, excl = _cents(invoice.total_incl_tax), _cents(invoice.total_tax), _cents(invoice.total_excl_tax)
    if invoice.kind == CREDIT_NOTE and incl < 0:
        incl, tax, excl = -incl, (None if tax is None else -tax), (None if excl is None else -excl)
    if tax is None and excl is None:
        warn("amounts_missing", _("Facture %(number)s : ni HT ni TVA connus, tout le TTC est passé en charge ou "
                                  "produit, sans TVA.") % {"number": invoice.number})
        return incl, ZERO, None
    if tax is None:
        tax = incl - excl
    elif excl is None:
        excl = incl - tax
    elif excl + tax != incl:
        warn("totals_disagree", _("Facture %(number)s : HT + TVA ne font pas le TTC ; le HT est passé comme TTC "
                                  "moins TVA.") % {"number": invoice.number})
    return incl, tax, excl


def _lines(invoice: ExportInvoice, chart: _Chart, aux_account: str, warnings: list) -> tuple[Line, ...]:
    def warn(code, message):
        warnings.append(ExportWarning(invoice.invoice_id, code, message))

    foreign = invoice.currency.upper() != invoice.base_currency.upper()
    if foreign and not invoice.exchange_rate:
        warn("foreign_currency_skipped", _("Facture %(number)s en %(currency)s non exportée : aucun taux de change "
                                           "vers %(base)s n'est connu.")
             % {"number": invoice.number, "currency": invoice.currency, "base": invoice.base_currency})
        return ()
    incl, tax, excl = _amounts(invoice, warn)
    vat = _vat_account(invoice, chart, excl, tax, warn)
    main_number, main_label = _main_account(invoice, chart, warn)
    if foreign:
        warn("foreign_currency_converted", _("Facture %(number)s en %(currency)s convertie au taux %(rate)s ; "
                                             "vérifiez-le.")
             % {"number": invoice.number, "currency": invoice.currency, "rate": invoice.exchange_rate})
        base_incl, base_tax = _cents(incl * invoice.exchange_rate), _cents(tax * invoice.exchange_rate)
    else:
        base_incl, base_tax = incl, tax
    collective = chart.collective[SUPPLIER if invoice.direction == PURCHASES else CUSTOMER]
    what = "Avoir" if invoice.kind == CREDIT_NOTE else "Facture"
    label = f"{what} {invoice.number} {invoice.counterparty_name}".strip()
    party = Line(collective.number, collective.label, label, ZERO, ZERO, aux_account, invoice.counterparty_name,
                 invoice.lettering, invoice.lettering_date if invoice.lettering else None)
    main = Line(main_number, main_label, label, ZERO, ZERO)
    vat_line = Line(vat.number, vat.label, label, ZERO, ZERO) if vat else None
    # (line, signed amount with debit positive, amount in the invoice's currency) for a purchase invoice, in the
    # order accountants read it; a sale is its mirror image, and a credit note reverses either.
    parts = [(main, base_incl - base_tax, incl - tax), (vat_line, base_tax, tax), (party, -base_incl, incl)]
    sign = 1
    if invoice.direction == SALES:
        parts, sign = [parts[2], parts[0], parts[1]], -1
    if invoice.kind == CREDIT_NOTE:
        sign = -sign
    lines = []
    for template, amount, in_currency in parts:
        if template is not None and amount != 0:
            amount *= sign
            lines.append(replace(template, debit=max(amount, ZERO), credit=max(-amount, ZERO),
                                 currency_amount=abs(in_currency) if foreign else None,
                                 currency=invoice.currency.upper() if foreign else ""))
    if not lines:
        warn("zero_amount", _("Facture %(number)s : montant nul, aucune écriture.") % {"number": invoice.number})
    return tuple(lines)


def _vat_account(invoice, chart: _Chart, excl, tax, warn) -> Account | None:
    if tax == 0:
        return None
    kind = VAT_DEDUCTIBLE if invoice.direction == PURCHASES else VAT_COLLECTED
    rate = vat_rate_of(excl, tax, chart.rates)
    if rate is None:
        warn("mixed_vat_rates", _("Facture %(number)s : la TVA ne correspond pas à un taux unique ; elle est passée "
                                  "au compte de TVA général.") % {"number": invoice.number})
    elif (kind, rate) not in chart.vat:
        warn("no_vat_account", _("Facture %(number)s : aucun compte de TVA à %(rate)s %% ; la TVA est passée au "
                                 "compte général.") % {"number": invoice.number, "rate": _percent(rate)})
    return chart.vat.get((kind, rate)) or chart.vat[(kind, None)]


def _main_account(invoice, chart: _Chart, warn) -> tuple[str, str]:
    default = DEFAULT_ACCOUNTS[invoice.direction]
    number = _clean(invoice.account).upper() or default
    if not ACCOUNT_NUMBER.match(number):
        warn("invalid_account", _("Facture %(number)s : le compte « %(account)s » ne commence pas par trois chiffres "
                                  "du plan comptable ; le compte %(default)s est utilisé.")
             % {"number": invoice.number, "account": number, "default": default})
        number = default
    label = chart.label(number)
    if label is None:
        warn("unknown_account", _("Facture %(number)s : le compte %(account)s n'est pas dans le plan comptable.")
             % {"number": invoice.number, "account": number})
    return number, label or number


# --- writing --------------------------------------------------------------------------------------------------------

def _clean(value, unsafe=r"[\x00-\x1f\x7f|]") -> str:
    """A field without control characters (tab, line breaks) or pipes: the FEC has one record per line, and its
    separator cannot occur in a field (A47 A-1 knows no quoting)."""
    return " ".join(re.sub(unsafe, " ", str(value or "")).split())


def _fec_date(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def _amount(amount: Decimal | None) -> str:
    return "" if amount is None else f"{_cents(amount):f}".replace(".", ",")


def write_fec(entries: list[Entry], sep: str = "\t") -> str:
    """The FEC text: the header, then one record per line in the entries' (chronological) order, CRLF-terminated.
    Encode it with `encode_fec`."""
    if sep not in FEC_SEPARATORS:
        raise ValueError("The FEC separator is a tab or a pipe.")
    records = [sep.join(FEC_COLUMNS)]
    for entry in entries:
        for line in entry.lines:
            fields = (entry.journal_code, entry.journal_label, entry.number, _fec_date(entry.entry_date),
                      line.account, line.account_label, line.aux_account, line.aux_label, entry.piece_ref,
                      _fec_date(entry.piece_date), line.label, _amount(line.debit), _amount(line.credit),
                      line.lettering, _fec_date(line.lettering_date), _fec_date(entry.valid_date),
                      _amount(line.currency_amount), line.currency)
            records.append(sep.join(_clean(field) for field in fields))
    return "\r\n".join(records) + "\r\n"


def _latin9_fallback(error: UnicodeEncodeError):
    return "".join(_ascii(char) or "?" for char in error.object[error.start:error.end]), error.end


codecs.register_error("collecte_fec", _latin9_fallback)


def encode_fec(text: str) -> bytes:
    """ISO 8859-15 bytes; a character it lacks becomes its unaccented form ("Ł" -> "L"), else "?"."""
    return text.encode(FEC_ENCODING, errors="collecte_fec")


def fec_filename(siren: str, closing_date: date) -> str:
    """`<SIREN>FEC<AAAAMMJJ>.txt`, the closing date of the financial year."""
    digits = "".join((siren or "").split())
    if not re.fullmatch(r"\d{9}", digits):
        raise ValueError("A SIREN has nine digits.")
    return f"{digits}FEC{_fec_date(closing_date)}.txt"


def as_text_cell(value) -> str:
    """Text made inert for a spreadsheet (OWASP's CSV injection advice: a leading quote)."""
    return spreadsheet.as_text_cell(_clean(value, r"[\x00-\x1f\x7f]"))  # the csv module quotes the rest


def write_csv(entries: list[Entry]) -> str:
    """A `;` CSV with French headers, dates and decimal comma; the counterparty's sub-account as its line's account."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        party = next((line.aux_label for line in entry.lines if line.aux_account), "")
        for line in entry.lines:
            writer.writerow([as_text_cell(entry.journal_code), entry.entry_date.strftime("%d/%m/%Y"),
                             as_text_cell(entry.piece_ref), as_text_cell(line.aux_account or line.account),
                             as_text_cell(line.aux_label if line.aux_account else line.account_label),
                             as_text_cell(party), as_text_cell(line.label), _amount(line.debit),
                             _amount(line.credit)])
    return out.getvalue()
