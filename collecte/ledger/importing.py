"""Read a CSV or XLSX table of invoices into a preview: canonical columns, cleaned values and French errors.

Pure: bytes in, dataclasses out, no ORM. Nothing here raises on bad input; every problem becomes a message for the
person who uploaded the file. Values of valid rows are normalised for the app's parser (amounts "1234.56", dates
ISO "2024-03-31", currency "EUR", kind "invoice" / "credit_note"); a bad value is kept as written so the preview
can show it next to its error.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterator

from django.utils.translation import gettext as _, gettext_noop

from .attach import number_key

MAX_ROWS = 10_000
CENT = Decimal("0.01")
REQUIRED = ("number", "counterparty_name", "total_incl_tax", "issue_date")
IGNORED = "_ignored"  # headers that look like ours but are not ("taux TVA" is no tax amount)

# Aliases are compared after _normalise (lower case, no accents, punctuation as spaces). A header takes the field
# of its longest alias found in it as a whole word sequence, so "N° TVA" is the VAT id and "Montant TVA" the tax.
ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("numero", "n facture", "no facture", "num facture", "numero de facture", "numero facture",
               "facture", "invoice number", "invoice no", "number", "ref", "reference", "piece"),
    "counterparty_name": ("tiers", "client", "fournisseur", "raison sociale", "nom", "customer", "supplier",
                          "counterparty", "name"),
    "counterparty_vat_id": ("tva intracommunautaire", "tva intracom", "n tva", "no tva", "numero de tva",
                            "numero tva", "vat", "vat id", "vat number", "vat no"),
    "kind": ("type", "nature", "kind", "type de facture", "type facture",
             "type de document", "type document", "type de piece", "type piece"),
    "currency": ("devise", "currency", "monnaie"),
    "total_excl_tax": ("ht", "montant ht", "total ht", "net", "total excl tax", "amount excl", "amount excl tax"),
    "total_tax": ("tva", "montant tva", "total tva", "tax", "taxes", "total tax", "vat amount"),
    "total_incl_tax": ("ttc", "montant ttc", "total ttc", "montant", "total", "amount", "total incl tax",
                       "amount incl tax", "net a payer"),
    "issue_date": ("date", "date facture", "date de facture", "date d emission", "date emission", "issue date",
                   "invoice date"),
    "due_date": ("echeance", "date d echeance", "date echeance", "due date", "due"),
    IGNORED: ("taux", "taux tva", "taux de tva", "vat rate", "tax rate"),
}

LABELS = {  # how a missing column is named in the file-level error, translated when used
    "number": gettext_noop("numéro"), "counterparty_name": gettext_noop("tiers"),
    "total_incl_tax": gettext_noop("montant TTC"), "issue_date": gettext_noop("date"),
}

KINDS = {
    "invoice": ("facture", "invoice", "fa", "f", "fac"),
    "credit_note": ("avoir", "av", "a", "credit note", "credit", "note de credit", "avoir client"),
}
KIND_BY_WORD = {word: kind for kind, words in KINDS.items() for word in words}


@dataclass
class ImportRow:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    columns: dict[str, str] = field(default_factory=dict)
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.errors]


class FileProblem(ValueError):
    """The whole file is unusable; the message is for the user."""


def read_invoice_table(data: bytes, filename: str) -> ImportPreview:
    try:
        lines = _read_lines(data, filename)
        return _preview(lines)
    except FileProblem as problem:
        return ImportPreview(errors=[str(problem)])


# --- Reading the file into (line number, cells) -------------------------------------------------------------------

def _read_lines(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """Non-empty lines as (1-based line number, cleaned cells), header first, at most MAX_ROWS + 1 data lines."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("Le format Excel 97-2003 (.xls) n'est pas pris en charge : enregistrez le fichier "
                            "en .xlsx ou en .csv."))
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(_decode(data))
    kept = []
    with contextlib.closing(rows):  # stop reading (and close the workbook) as soon as the file is too long
        for line, cells in rows:
            cells = [_clean_cell(cell) for cell in cells]
            if any(cells):
                kept.append((line, cells))
                if len(kept) > MAX_ROWS + 1:
                    break
    return kept


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    unreadable = _("Le fichier Excel est illisible ou endommagé.")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # zipfile, XML and openpyxl errors alike: the user can only re-export the file
        raise FileProblem(unreadable) from err
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some generators write a wrong <dimension>, which would cut rows off
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_cell_text(value) for value in values]
    except Exception as err:
        raise FileProblem(unreadable) from err
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):  # bool included
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))  # an invoice number typed as 1042 must not become "1042.00"
        # repr() is the shortest text giving back the same float: 0.1 + 0.2 reads "0.30000000000000004" -> 0.30
        return str(Decimal(repr(value)).quantize(CENT, ROUND_HALF_UP))
    return str(value)


def _decode(data: bytes) -> str:
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(_("Ce fichier n'est ni un CSV ni un classeur Excel (.xlsx)."))
    encodings = ("utf-16",) if data.startswith((b"\xff\xfe", b"\xfe\xff")) else ("utf-8-sig", "cp1252")
    for encoding in encodings:  # cp1252: what Excel France writes for "CSV (séparateur : point-virgule)"
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileProblem(_("L'encodage du fichier n'est pas reconnu : enregistrez-le en CSV UTF-8."))


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    first_line = 1
    try:
        for cells in reader:
            yield first_line, cells
            first_line = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as err:
        raise FileProblem(_("Le fichier CSV est mal formé (ligne %(line)d).") % {"line": reader.line_num}) from err


def _sniff_delimiter(text: str) -> str:
    """The delimiter is read on the header line: data lines hold decimal commas ("1 234,56") that would mislead."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    header = re.sub(r'"[^"]*"', "", header)
    counts = {delimiter: header.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])  # ties go to ";" (French Excel), then tab
    return best if counts[best] else ","


def _clean_cell(cell: str) -> str:
    return re.sub(r"\s+", " ", cell).strip()  # \s covers the no-break and thin spaces of French exports


# --- Header -------------------------------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _header_score(header: str, alias: str) -> tuple[int, int] | None:
    """(1, 0) for the header itself, (0, alias length) when the alias's words appear consecutively in it."""
    if header == alias:
        return (1, 0)  # two exact headers ("Client", "Fournisseur") tie, so the leftmost wins
    return (0, len(alias)) if f" {alias} " in f" {header} " else None


def _claims(header: str) -> list[tuple[tuple[int, int], str]]:
    """Every field this header could be, each with its best alias score."""
    best: dict[str, tuple[int, int]] = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            score = _header_score(header, alias)
            if score and score > best.get(name, (0, 0)):
                best[name] = score
    return [(score, name) for name, score in best.items()]


def match_columns(headers: list[str]) -> dict[str, int]:
    """Canonical field -> column index, handing out the best (header, field) matches first: "N° facture" keeps
    the number over "Type facture", which then falls back to the kind. On a tie the leftmost column wins."""
    claims = sorted(((score, -index, name) for index, header in enumerate(headers)
                     for score, name in _claims(_normalise(header))), reverse=True)
    columns: dict[str, int] = {}
    taken: set[int] = set()
    for _score, negative_index, name in claims:
        index = -negative_index
        if index in taken or name in columns:
            continue
        taken.add(index)
        if name != IGNORED:
            columns[name] = index
    return dict(sorted(columns.items(), key=lambda item: item[1]))


# --- Rows ---------------------------------------------------------------------------------------------------------

def _preview(lines: list[tuple[int, list[str]]]) -> ImportPreview:
    if not lines:
        raise FileProblem(_("Le fichier est vide."))
    headers, body = lines[0][1], lines[1:]
    indexes = match_columns(headers)
    if not indexes:
        raise FileProblem(_("Aucun en-tête reconnu : la première ligne doit nommer les colonnes "
                            "(numéro, tiers, montant TTC, date…)."))
    columns = {name: headers[index] for name, index in indexes.items()}
    missing = [_(LABELS[name]) for name in REQUIRED if name not in indexes]
    if missing:
        return ImportPreview(columns, errors=[_("Colonnes manquantes : %(names)s.") % {"names": ", ".join(missing)}])
    if len(body) > MAX_ROWS:
        return ImportPreview(columns, errors=[
            _("Le fichier compte plus de %(max)s lignes : découpez-le en plusieurs fichiers.") % {"max": "10 000"}])
    rows = [_parse_row(line, cells, indexes, columns) for line, cells in body]
    _flag_repeated_numbers(rows)
    return ImportPreview(columns, rows)


def _parse_row(line: int, cells: list[str], indexes: dict[str, int], columns: dict[str, str]) -> ImportRow:
    raw = {name: cells[index] for name, index in indexes.items() if index < len(cells) and cells[index]}
    row, parsed, problems = ImportRow(line, dict(raw)), {}, []
    for name in REQUIRED:
        if name not in raw:
            problems.append(_("la colonne « %(column)s » est vide") % {"column": columns[name]})
    for name, text in raw.items():
        try:
            parsed[name] = row.values[name] = CLEANERS.get(name, str)(text)
        except ValueError as err:  # the value stays as written, for the preview to show it
            problems.append(_("%(problem)s (colonne « %(column)s »)") % {"problem": err, "column": columns[name]})
    problems += _cross_checks(parsed, raw)
    row.errors = [_("Ligne %(line)d : %(problem)s.") % {"line": line, "problem": p} for p in problems]
    return row


def _cross_checks(parsed: dict[str, str], raw: dict[str, str]) -> list[str]:
    """Checks between fields, on values that parsed only (a bad date already has its own error)."""
    problems = []
    due, issue = parsed.get("due_date"), parsed.get("issue_date")
    if due and issue and due < issue:  # ISO dates compare as text
        problems.append(_("l'échéance (%(due)s) précède la date de facture (%(issue)s)")
                        % {"due": raw["due_date"], "issue": raw["issue_date"]})
    names = ("total_excl_tax", "total_tax", "total_incl_tax")
    if all(name in parsed for name in names):
        excl, tax, incl = (Decimal(parsed[name]) for name in names)
        if abs(excl + tax - incl) > CENT:
            problems.append(_("HT (%(excl)s) + TVA (%(tax)s) ne font pas le TTC (%(incl)s)")
                            % {"excl": excl, "tax": tax, "incl": incl})
    return problems


def _flag_repeated_numbers(rows: list[ImportRow]) -> None:
    first_line: dict[tuple[str, str], int] = {}
    for row in rows:
        number, name = row.values.get("number"), row.values.get("counterparty_name")
        if not number or not name:
            continue
        key = (number_key(number) or number.casefold(), _normalise(name))
        if key in first_line:
            row.errors.append(_("Ligne %(line)d : même numéro que la ligne %(first)d.")
                              % {"line": row.line, "first": first_line[key]})
        else:
            first_line[key] = row.line


# --- Values -------------------------------------------------------------------------------------------------------

def clean_amount(text: str) -> str:
    """ "1 234,56 €", "1,234.56", "1.234,56", "(12,00)", "-12" -> "1234.56", "-12.00", ... """
    compact = re.sub(r"[\s'’]|€|EUR|\$|£", "", text, flags=re.IGNORECASE).replace("−", "-")
    negative = compact.startswith("-") or compact.endswith("-") or (compact[:1], compact[-1:]) == ("(", ")")
    digits = compact.strip("-()+")
    if not re.fullmatch(r"\d[\d.,]*", digits or "x") or digits[-1] in ".,":
        raise ValueError(_("« %(value)s » n'est pas un montant") % {"value": text})
    decimal_sep = _decimal_separator(digits)
    whole, _sep, cents = digits.rpartition(decimal_sep) if decimal_sep else (digits, "", "")
    if len(cents) > 2:
        raise ValueError(_("montant « %(value)s » ambigu : plus de deux chiffres après la virgule")
                         % {"value": text})
    whole = whole.replace(".", "").replace(",", "")
    try:
        amount = Decimal(f"{whole}.{cents or '0'}")
    except InvalidOperation as err:
        raise ValueError(_("« %(value)s » n'est pas un montant") % {"value": text}) from err
    return str((-amount if negative and amount else amount).quantize(CENT))


def _decimal_separator(digits: str) -> str:
    """The last of "." and "," is the decimal separator when both appear; a lone one repeated is a thousands one."""
    if "." in digits and "," in digits:
        return "." if digits.rfind(".") > digits.rfind(",") else ","
    for sep in (",", "."):
        if digits.count(sep) == 1:
            return sep
    return ""


TIME_SUFFIX = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # "2024-03-01 00:00:00" from pandas and the like
DATE_FORMS = [(re.compile(pattern + TIME_SUFFIX), century) for pattern, century in (
    (r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})", 0),
    (r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})", 0),
    (r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{2})", 2000),
)]


def clean_date(text: str) -> str:
    for pattern, century in DATE_FORMS:
        match = pattern.fullmatch(text.strip())
        if match:
            year = int(match["y"]) + century
            try:
                return dt.date(year, int(match["m"]), int(match["d"])).isoformat()
            except ValueError as err:
                raise ValueError(_("la date « %(value)s » n'existe pas") % {"value": text}) from err
    raise ValueError(_("« %(value)s » n'est pas une date (attendu JJ/MM/AAAA)") % {"value": text})


def clean_currency(text: str) -> str:
    code = {"€": "EUR", "£": "GBP"}.get(text.strip(), text.strip().upper())
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(_("« %(value)s » n'est pas un code de devise à trois lettres") % {"value": text})
    return code


def clean_kind(text: str) -> str:
    kind = KIND_BY_WORD.get(_normalise(text))
    if not kind:
        raise ValueError(_("type « %(value)s » inconnu (attendu facture ou avoir)") % {"value": text})
    return kind


def clean_vat_id(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text).upper()


CLEANERS = {
    "total_excl_tax": clean_amount, "total_tax": clean_amount, "total_incl_tax": clean_amount,
    "issue_date": clean_date, "due_date": clean_date, "currency": clean_currency, "kind": clean_kind,
    "counterparty_vat_id": clean_vat_id,
}
