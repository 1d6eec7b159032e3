"""Read bank statements (CAMT.053, OFX, CSV) into dataclasses: the pure core of statement import.

Bytes in, a `Statement` out, no ORM. A file we cannot read raises `StatementError` with a French sentence naming the
line or element; anything we can read but had to skip or doubt becomes a warning on the statement. Amounts are
signed from the account holder's side: positive is money in (credit), negative money out (debit).

The formats live in `statements_camt`, `statements_ofx` and `statements_csv`; they share the types and helpers here.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


@dataclass(frozen=True)
class Transaction:
    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    label: str
    counterparty_name: str | None
    counterparty_iban: str | None
    reference: str | None
    bank_id: str


@dataclass
class Statement:
    account_iban: str | None
    currency: str | None
    opening_balance: Decimal | None
    closing_balance: Decimal | None
    period_start: date | None
    period_end: date | None
    transactions: list[Transaction] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class StatementError(ValueError):
    """The file cannot be read; `message` is for the person who uploaded it, `line`/`element` point into the file."""

    def __init__(self, message, line=None, element=None):
        super().__init__(message)
        self.message, self.line, self.element = message, line, element


@dataclass(kw_only=True)  # keywords only: the optional amount columns sit between the required ones
class CsvMapping:
    """Which CSV columns (by header text, compared without case or accents) hold what; saved per bank account."""

    date: str
    amount: str | None = None
    debit: str | None = None
    credit: str | None = None
    label: str
    value_date: str | None = None
    counterparty: str | None = None
    reference: str | None = None
    delimiter: str | None = None
    date_format: str = "%d/%m/%Y"
    decimal_comma: bool = True
    skip_lines: int = 0
    currency: str = "EUR"


# --- entry points ---------------------------------------------------------------------------------------------

def detect_format(data: bytes, filename: str = "") -> str:
    """Sniff the content first (banks name files freely), the file name only to break ties."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if not head:
        raise StatementError(_("Le fichier est vide."))
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head or b"<?OFX" in head:
        return "ofx"
    if head.startswith(b"%PDF"):
        raise StatementError(_("Les relevés PDF ne sont pas lisibles ici : exportez le relevé depuis votre banque "
                               "au format CAMT.053 (XML), OFX ou CSV."))
    if head.startswith(b"PK\x03\x04"):
        raise StatementError(_("Ce fichier est une archive ou un classeur Excel : décompressez-le, ou enregistrez "
                               "le classeur en CSV."))
    if head.startswith(b"<"):
        return "camt053"  # any other XML: parse_camt053 says precisely what it is instead
    if head.startswith(b":20:") or b"\n:20:" in head[:200]:
        raise StatementError(_("Le format MT940 n'est pas pris en charge : exportez le relevé en CAMT.053, OFX ou "
                               "CSV."))
    if b"\x00" in head:
        raise StatementError(_("Ce fichier n'est ni un relevé CAMT.053, ni un OFX, ni un CSV."))
    if filename.lower().endswith((".ofx", ".qfx")):
        raise StatementError(_("Le fichier porte l'extension .ofx mais ne contient pas de balise <OFX>."))
    return "csv"


def parse_statement(data: bytes, filename: str = "", mapping: CsvMapping | None = None) -> Statement:
    kind = detect_format(data, filename)
    if kind == "camt053":
        return parse_camt053(data)
    if kind == "ofx":
        return parse_ofx(data)
    mapping = mapping or guess_csv_mapping(data)
    if mapping is None:
        raise StatementError(_("Les colonnes de ce CSV ne sont pas reconnues : indiquez quelle colonne contient la "
                               "date, le libellé et le montant (ou le débit et le crédit)."))
    return parse_csv(data, mapping)


def parse_camt053(data: bytes) -> Statement:
    from .statements_camt import parse_camt053 as parse  # the format modules import this one's types

    return parse(data)


def parse_ofx(data: bytes) -> Statement:
    from .statements_ofx import parse_ofx as parse

    return parse(data)


def parse_csv(data: bytes, mapping: CsvMapping) -> Statement:
    from .statements_csv import parse_csv as parse

    return parse(data, mapping)


def guess_csv_mapping(data: bytes) -> CsvMapping | None:
    from .statements_csv import guess_csv_mapping as guess

    return guess(data)


# --- helpers shared by the three formats ----------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _valid_iban(compact: str) -> bool:
    try:
        IBAN(compact)
    except SchwiftyException:
        return False
    return True


def clean_iban(raw: str | None, warnings: list[str], where: str) -> str | None:
    """Compact upper-case IBAN, or None with a warning: a wrong IBAN would mislead counterparty matching."""
    if not raw or not raw.strip():
        return None
    compact = re.sub(r"[\s-]", "", raw).upper()
    if _valid_iban(compact):
        return compact
    warnings.append(_("%(where)s : IBAN « %(iban)s » invalide, ignoré.") % {"where": where, "iban": raw.strip()})
    return None


def join_label(*parts: str | None) -> str:
    """Join the readable texts, dropping a part already contained in another (banks often repeat the name)."""
    kept: list[str] = []
    for part in parts:
        part = " ".join((part or "").split())
        if not part:
            continue
        low = part.casefold()
        if any(low in other.casefold() for other in kept):
            continue
        kept = [other for other in kept if other.casefold() not in low]
        kept.append(part)
    return " · ".join(kept)


def with_bank_ids(transactions: list[Transaction], account: str | None, warnings: list[str]) -> list[Transaction]:
    """Give each transaction without a usable bank id a hash of what the bank shows. The occurrence index keeps two
    identical lines distinct (two coffees the same day) while staying the same when the file is imported again
    or overlaps an earlier statement. A bank id repeated within one statement is no id (some banks number
    per day), so those lines are hashed too."""
    repeated = {i for i, n in Counter(tx.bank_id for tx in transactions if tx.bank_id).items() if n > 1}
    if repeated:
        warnings.append(_("Identifiants d'opération en double dans le relevé (%(ids)s) : ces opérations sont "
                          "reconnues par leur date, montant et libellé.") % {"ids": ", ".join(sorted(repeated)[:5])})
    seen: Counter = Counter()
    out = []
    for tx in transactions:
        if tx.bank_id and tx.bank_id not in repeated:
            out.append(tx)
            continue
        amount = format(tx.amount.normalize(), "f")  # 12.3 and 12.30 are the same movement
        key = (account or "", tx.booking_date.isoformat(), amount, " ".join(tx.label.casefold().split()))
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("|".join((*key, str(occurrence))).encode()).hexdigest()[:32]
        out.append(replace(tx, bank_id="h-" + digest))
    return out


def dedupe(warnings: list[str]) -> list[str]:
    return list(dict.fromkeys(warnings))


def check_balances(opening, closing, transactions, currency, warnings: list[str]) -> None:
    """A missing page or a skipped entry shows as balances that do not add up; say so rather than guess."""
    if opening is None or closing is None or any(tx.currency != currency for tx in transactions):
        return
    total = sum((tx.amount for tx in transactions), Decimal(0))
    if opening + total != closing:
        warnings.append(_("Le solde d'ouverture (%(opening)s) plus les opérations (%(total)s) ne donne pas le solde "
                          "de clôture (%(closing)s) : le relevé est peut-être incomplet.")
                        % {"opening": opening, "total": total, "closing": closing})


def combine(parts: list[Statement], warnings: list[str]) -> Statement:
    """Several Stmt (days of one account, or several accounts in one export) read as one list of movements."""
    first = parts[0]
    accounts = list(dict.fromkeys(p.account_iban for p in parts))
    transactions = [tx for p in parts for tx in p.transactions]
    starts = [p.period_start for p in parts if p.period_start]
    ends = [p.period_end for p in parts if p.period_end]
    combined = Statement(first.account_iban, first.currency, first.opening_balance, parts[-1].closing_balance,
                         min(starts, default=None), max(ends, default=None))
    if len(accounts) > 1:
        warnings.append(_("Le fichier contient des relevés de plusieurs comptes (%(accounts)s) : leurs opérations "
                          "sont réunies et les soldes ignorés.")
                        % {"accounts": ", ".join(a or "?" for a in accounts)})
        combined.opening_balance = combined.closing_balance = None
    combined.transactions = transactions
    combined.warnings = dedupe(warnings)
    return combined
