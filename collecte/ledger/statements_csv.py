"""CSV statements as French banks export them: a preamble, then a header row, amounts like "1 234,56" in one
signed column or in separate Débit / Crédit columns, and total rows mixed in.

A `CsvMapping` says which header holds what; `guess_csv_mapping` proposes one from the usual French and English
headers, which the user confirms and the app saves for the account. Line numbers in errors are the ones a person
sees when opening the file in a text editor (1-based, preamble included).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from .statements import CsvMapping, Statement, StatementError, Transaction, clean_iban, dedupe, with_bank_ids

DELIMITERS = ";,\t"
HEADER_SCAN = 40  # preambles (account name, IBAN, balance, export date) rarely exceed a dozen lines
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
# Matched on normalised text. A balance row can carry a real date, so it is recognised by its wording alone; a
# "total" only where the date cell holds no date, since "TOTAL ENERGIES" is also a petrol station.
BALANCE_ROW = re.compile(r"^(ancien|nouveau) solde\b|^solde (au|a|final|initial|de debut|de fin|de cloture|"
                         r"d ouverture|crediteur|debiteur|precedent|disponible)\b")
TOTAL_ROW = re.compile(r"^(sous )?(total|totaux)\b|^solde\b")
IBAN_IN_TEXT = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b")

# Compared after _normalise (lower case, no accents, punctuation as spaces). A header takes the field of its
# longest alias found in it as whole words, so "Date de valeur" is the value date, not the booking date; among
# headers of one field, the longest alias wins, so "Libellé opération" beats "Libellé court".
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "date operation", "date de l operation", "date d operation", "date op", "dateop",
             "date comptable", "date de comptabilisation", "booking date", "transaction date", "operation date",
             "settlement date", "date transaction", "date de transaction"),
    "value_date": ("date valeur", "date de valeur", "dateval", "date val", "value date", "valeur"),
    "label": ("libelle", "libelle operation", "libelle de l operation", "libelle simplifie", "libelle complet",
              "detail de l ecriture", "details", "detail", "description", "label", "memo", "intitule",
              "nature de l operation", "nature operation", "wording"),
    "amount": ("montant", "montant operation", "montant de l operation", "montant eur", "montant euros",
               "montant en euros", "amount", "total amount", "somme"),
    "debit": ("debit", "debits", "debit eur", "debit euros", "montant debit", "retrait", "sortie", "debit amount"),
    "credit": ("credit", "credits", "credit eur", "credit euros", "montant credit", "versement", "entree",
               "credit amount"),
    "counterparty": ("tiers", "beneficiaire", "contrepartie", "counterparty", "counterparty name", "payee",
                     "emetteur beneficiaire", "nom du tiers"),
    "reference": ("reference", "ref", "numero d operation", "n operation", "n d operation", "no operation",
                  "numero operation", "transaction id", "reference de l operation"),
}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")  # Excel on Windows saves "CSV (séparateur : point-virgule)" so
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _sniff(line: str) -> str:
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to ";", the French Excel default
    return best if counts[best] else ";"


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def csv_preview(data: bytes, skip_lines: int = 0, rows: int = 3) -> tuple[str, list[str], list[list[str]]]:
    """(delimiter, header cells, a few rows) of the first non-blank line after `skip_lines`: what a person sees to
    say which column holds what."""
    lines = [line for line in _decode(data).split("\n")[max(skip_lines, 0):] if line.strip()]
    if not lines:
        return ";", [], []
    delimiter = _sniff(lines[0])
    return delimiter, _split(lines[0], delimiter), [_split(line, delimiter) for line in lines[1:rows + 1]]


# --- reading with a mapping -----------------------------------------------------------------------------------

def parse_csv(data: bytes, mapping: CsvMapping) -> Statement:
    lines = _decode(data).split("\n")
    skip = max(mapping.skip_lines, 0)
    while skip < len(lines) and not lines[skip].strip():
        skip += 1  # blank lines between the preamble and the header
    if skip >= len(lines):
        raise StatementError(_("Le fichier ne contient aucune ligne d'en-tête après les %(n)d ligne(s) ignorée(s).")
                             % {"n": mapping.skip_lines})
    delimiter = mapping.delimiter or _sniff(lines[skip])
    reader = csv.reader(io.StringIO("\n".join(lines[skip:])), delimiter=delimiter)
    try:
        header = next(reader)
        columns = _columns(header, mapping, skip + 1)
        warnings: list[str] = []
        transactions = _rows(reader, columns, mapping, skip)
    except csv.Error as err:
        line = skip + reader.line_num
        raise StatementError(_("Ligne %(line)d : le CSV est mal formé (%(error)s).") % {"line": line, "error": err},
                             line=line) from err
    iban = _preamble_iban(lines[:skip], warnings)
    dates = [tx.booking_date for tx in transactions]
    transactions = with_bank_ids(transactions, iban, warnings)
    return Statement(iban, mapping.currency.upper(), None, None, min(dates, default=None), max(dates, default=None),
                     transactions, dedupe(warnings))


def _columns(header: list[str], mapping: CsvMapping, line: int) -> dict[str, int]:
    """Index of each mapped column; a missing one is the user's mapping error, named with the headers we saw."""
    found = {_normalise(cell): i for i, cell in reversed(list(enumerate(header)))}
    wanted = {key: getattr(mapping, key) for key in ("date", "label", "amount", "debit", "credit", "value_date",
                                                      "counterparty", "reference")}
    columns = {}
    for key, name in wanted.items():
        if not name:
            continue
        if _normalise(name) not in found:
            raise StatementError(_("Ligne %(line)d : colonne « %(name)s » introuvable dans l'en-tête (colonnes "
                                   "trouvées : %(header)s).")
                                 % {"line": line, "name": name, "header": ", ".join(c for c in header if c.strip())},
                                 line=line)
        columns[key] = found[_normalise(name)]
    if "amount" not in columns and not ({"debit", "credit"} & columns.keys()):
        raise StatementError(_("La correspondance des colonnes doit indiquer le montant, ou le débit et le crédit."))
    return columns


def _rows(reader, columns: dict[str, int], mapping: CsvMapping, skip: int) -> list[Transaction]:
    transactions: list[Transaction] = []
    for row in reader:
        line = skip + reader.line_num
        cell = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        if not any(c.strip() for c in row):
            continue
        texts = [_normalise(row[0]), _normalise(cell["label"]), _normalise(cell["date"])]
        summary = any(BALANCE_ROW.match(t) for t in texts) or (
            not _looks_like_date(cell["date"]) and any(TOTAL_ROW.match(t) for t in texts))
        if not cell["date"]:
            if cell["label"] and not _has_amount(cell) and transactions:
                # a long label wrapped onto the next row by the bank: it belongs to the movement above
                last = transactions.pop()
                transactions.append(_replace_label(last, f"{last.label} {cell['label']}"))
            elif _has_amount(cell) and not summary:  # a movement without its date is never dropped silently
                raise StatementError(_("Ligne %(line)d : un montant sans date d'opération.") % {"line": line},
                                     line=line)
            continue
        if summary:
            continue
        transactions.append(_transaction(cell, mapping, line))
    return transactions


def _transaction(cell: dict[str, str], mapping: CsvMapping, line: int) -> Transaction:
    booked = _date(cell["date"], mapping.date_format, line)
    value = _date(cell["value_date"], mapping.date_format, line) if cell.get("value_date") else None
    if "amount" in cell and cell["amount"]:
        amount = _amount(cell["amount"], mapping.decimal_comma, line)
    elif cell.get("debit") or cell.get("credit"):
        # some banks write debits already negative: the column says the direction, not the sign
        debit = abs(_amount(cell["debit"], mapping.decimal_comma, line)) if cell.get("debit") else Decimal(0)
        credit = abs(_amount(cell["credit"], mapping.decimal_comma, line)) if cell.get("credit") else Decimal(0)
        amount = credit - debit
    else:
        raise StatementError(_("Ligne %(line)d : montant manquant.") % {"line": line}, line=line)
    name = cell.get("counterparty") or None
    label = " ".join(cell["label"].split()) or name or ""
    return Transaction(booked, value, amount, mapping.currency.upper(), label, name, None,
                       cell.get("reference") or None, "")


def _replace_label(tx: Transaction, label: str) -> Transaction:
    return replace(tx, label=" ".join(label.split()))


def _has_amount(cell: dict[str, str]) -> bool:
    return any(cell.get(k) for k in ("amount", "debit", "credit"))


def _looks_like_date(raw: str) -> bool:
    return bool(re.match(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}", raw))


def _date(raw: str, fmt: str, line: int) -> date:
    text = raw.strip()
    if " " not in fmt and " " in text:
        text = text.split(" ", 1)[0]  # "15/03/2024 00:00" from spreadsheets that turned dates into datetimes
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        raise StatementError(_("Ligne %(line)d : date « %(raw)s » illisible (format attendu : %(fmt)s).")
                             % {"line": line, "raw": raw, "fmt": _human(fmt)}, line=line) from None


def _human(fmt: str) -> str:
    return fmt.replace("%d", "JJ").replace("%m", "MM").replace("%Y", "AAAA").replace("%y", "AA")


def _amount(raw: str, decimal_comma: bool, line: int) -> Decimal:
    """'1 234,56', '-12,00', '12,00 €', '1.234,56', '(12,00)' and '12,00-' (trailing sign, some mainframes)."""
    text = re.sub(r"[\s\u00a0\u202f']|€|EUR", "", raw, flags=re.I)
    negative = text.startswith("(") and text.endswith(")") or text.endswith("-")
    text = text.strip("()").rstrip("-")
    if decimal_comma:
        if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", text):
            text = text.replace(".", "")
        if text.count(",") <= 1 and "." not in text:
            text = text.replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    if not re.fullmatch(r"[+-]?(\d+(\.\d+)?|\.\d+)", text):
        raise StatementError(_("Ligne %(line)d : montant « %(raw)s » illisible.") % {"line": line, "raw": raw},
                             line=line)
    value = Decimal(text)
    return -value if negative else value


def _preamble_iban(lines: list[str], warnings: list[str]) -> str | None:
    """Banks print the account's IBAN above the table; take it when it checks out, it scopes de-duplication."""
    for line in lines:
        match = IBAN_IN_TEXT.search(line.upper())
        if match:
            return clean_iban(match.group(1), warnings, _("Compte du relevé"))
    return None


# --- guessing a mapping ---------------------------------------------------------------------------------------

def guess_csv_mapping(data: bytes) -> CsvMapping | None:
    """The first line naming a date, a label and an amount (or debit/credit) is the header; lines above it are
    the preamble. Date format and decimal separator come from the rows below."""
    lines = _decode(data).split("\n")
    for index, line in enumerate(lines[:HEADER_SCAN]):
        if not line.strip():
            continue
        delimiter = _sniff(line)
        header = _split(line, delimiter)
        chosen = _match_header(header)
        if "date" in chosen and "label" in chosen and ("amount" in chosen or {"debit", "credit"} <= chosen.keys()):
            if "amount" in chosen:
                chosen.pop("debit", None), chosen.pop("credit", None)
            samples = [_split(row, delimiter) for row in lines[index + 1:index + 51] if row.strip()]
            return CsvMapping(**chosen, delimiter=delimiter, skip_lines=index,
                              date_format=_guess_date_format(samples, header.index(chosen["date"])),
                              decimal_comma=_guess_decimal_comma(samples, header, chosen))
    return None


def _match_header(header: list[str]) -> dict[str, str]:
    best: dict[str, tuple[int, str]] = {}
    for cell in header:
        padded = f" {_normalise(cell)} "
        hits = [(len(alias), key) for key, aliases in ALIASES.items() for alias in aliases
                if f" {alias} " in padded]
        if not hits:
            continue
        length, key = max(hits)
        if key not in best or length > best[key][0]:
            best[key] = (length, cell)
    return {key: cell for key, (_length, cell) in best.items()}


def _guess_date_format(samples: list[list[str]], column: int) -> str:
    values = [row[column].strip().split(" ")[0] for row in samples if column < len(row) and row[column].strip()]
    values = [v for v in values if _looks_like_date(v)]
    for fmt in DATE_FORMATS:
        try:
            for value in values:
                datetime.strptime(value, fmt)
            return fmt
        except ValueError:
            continue
    return DATE_FORMATS[0]


def _guess_decimal_comma(samples: list[list[str]], header: list[str], chosen: dict[str, str]) -> bool:
    columns = [header.index(chosen[k]) for k in ("amount", "debit", "credit") if k in chosen]
    values = [row[i] for row in samples for i in columns if i < len(row) and row[i].strip()]
    if any(re.search(r",\d{1,2}\s*(€|EUR)?-?$", v) for v in values):
        return True
    return not any(re.search(r"\.\d{1,2}\s*-?$", v) for v in values)
