"""Value parsers for the text layer: amounts with either decimal separator, dates (numeric and with month names in
fr/en/de/es/it/nl), currencies, VAT ids, SIREN/SIRET and IBAN (checked with python-stdnum and schwifty)."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.dates import get_month_names
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren, siret as fr_siret

LANGS = ("fr", "en", "de", "es", "it", "nl")


def fold(text: str) -> str:
    """Lower case without accents, one char per char (offsets stay valid)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[:1] or ch
        low = base.lower()
        out.append(low if len(low) == 1 else base)
    return "".join(out)


# ---- amounts -------------------------------------------------------------------------------------------------------

_SEP = r"[ .,'\u2019\u202f\u00a0]"
AMOUNT_RE = re.compile(
    r"(?<![\w.,/:-])(?P<neg>[-\u2212]\s?)?(?P<pre>[€$£]|EUR|USD|GBP|CHF)?\s?"
    r"(?P<num>\d{1,3}(?:" + _SEP + r"\d{3})+(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)"
    r"(?P<minus>-)?(?!\d)(?!\s?%)(?![.,]\d)(?!/\d)(?!\.\d)"
)


def to_decimal(num: str) -> Decimal | None:
    """'1.234,56' / '1,234.56' / "1'234.56" / '1 234,56' / '1234' -> Decimal."""
    raw = num.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2019", "'")
    last_dot, last_comma = raw.rfind("."), raw.rfind(",")
    decimal_at = max(last_dot, last_comma)
    if decimal_at >= 0:
        tail = raw[decimal_at + 1:]
        seps = {c for c in raw if c in ".,' "}
        # A lone separator followed by exactly three digits is a thousands separator ("1.234", "1,234").
        if len(tail) == 3 and len(seps) == 1 and raw.count(raw[decimal_at]) >= 1 and " " not in seps and \
                "'" not in seps:
            decimal_at = -1
        elif raw.count(raw[decimal_at]) > 1:
            decimal_at = -1  # "1.234.567" : thousands only
    if decimal_at >= 0:
        whole, frac = raw[:decimal_at], raw[decimal_at + 1:]
    else:
        whole, frac = raw, ""
    whole = re.sub(r"[ .,']", "", whole)
    try:
        return Decimal(f"{whole}.{frac}" if frac else whole)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[tuple[Decimal, int, int]]:
    """(value, start, end) of each amount in text, left to right; percentages and dates skipped."""
    out = []
    for m in AMOUNT_RE.finditer(text):
        value = to_decimal(m.group("num"))
        if value is None:
            continue
        if m.group("neg") or m.group("minus"):
            value = -value
        out.append((value, m.start(), m.end()))
    return out


def decimals_of(value: Decimal) -> int:
    return max(-value.as_tuple().exponent, 0)


# ---- dates ---------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def month_table() -> dict[str, int]:
    table: dict[str, int] = {}
    for lang in LANGS:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context=context, locale=lang).items():
                    key = fold(name).rstrip(".")
                    if len(key) >= 3:
                        table.setdefault(key, number)
    table.update({"sept": 9, "mrz": 3, "maerz": 3, "juil": 7, "fevr": 2})
    return table


_MONTHS = None
NUMERIC_DATE = re.compile(
    r"(?<!\d)(?:(?P<y1>(?:19|20)\d\d)[-./](?P<m1>\d{1,2})[-./](?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})[./-](?P<m2>\d{1,2})[./-](?P<y2>(?:19|20)?\d\d))(?![\d])"
)


def _named_date_re():
    global _MONTHS
    if _MONTHS is None:
        names = sorted(month_table(), key=len, reverse=True)
        alt = "|".join(re.escape(n) for n in names)
        _MONTHS = re.compile(
            r"(?<![a-z])(?:(?P<d>\d{1,2})(?:er|st|nd|rd|th|\.|º)?\s*(?:de\s+)?(?P<m>" + alt + r")\.?,?\s*(?:de\s+)?"
            r"(?P<y>(?:19|20)\d\d)|(?P<m2>" + alt + r")\.?\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?\s?,?\s+(?P<y2>(?:19|20)\d\d))"
            r"(?![a-z\d])")
    return _MONTHS


def _make(y: int, m: int, d: int) -> date | None:
    if y < 100:
        y += 2000
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, month_first: bool = False) -> list[tuple[date, int, int]]:
    """(date, start, end) in text. Numeric forms are day-first unless `month_first` (US English)."""
    out = []
    for m in NUMERIC_DATE.finditer(text):
        if m.group("y1"):
            value = _make(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
        else:
            a, b, y = int(m.group("d2")), int(m.group("m2")), int(m.group("y2"))
            value = _make(y, a, b) if month_first and "/" in m.group(0) else _make(y, b, a)
            if value is None:
                value = _make(y, a, b)
        if value:
            out.append((value, m.start(), m.end()))
    folded = fold(text)
    for m in _named_date_re().finditer(folded):
        table = month_table()
        if m.group("m"):
            value = _make(int(m.group("y")), table[m.group("m")], int(m.group("d")))
        else:
            value = _make(int(m.group("y2")), table[m.group("m2")], int(m.group("d2")))
        if value:
            out.append((value, m.start(), m.end()))
    out.sort(key=lambda t: t[1])
    return out


# ---- currency ------------------------------------------------------------------------------------------------------

CURRENCY_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "zł": "PLN", "kr": None}
ISO_CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "INR",
                  "CNY", "RON", "BGN")
CURRENCY_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(ISO_CURRENCIES) + r")(?![A-Za-z])|([€$£¥₹])")


def find_currencies(text: str) -> list[str]:
    out = []
    for m in CURRENCY_RE.finditer(text):
        out.append(m.group(1) or CURRENCY_SYMBOLS[m.group(2)])
    return out


# ---- identifiers ---------------------------------------------------------------------------------------------------

VAT_RE = re.compile(r"(?<![A-Z0-9])((?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|GR|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|"
                    r"SK|XI|CHE|GB)[\s.-]?[0-9A-Z](?:[0-9A-Z]|[\s.-](?=\d)){6,16})")
IBAN_RE = re.compile(r"(?<![A-Z0-9])([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{2,4}){3,8})")
SIREN_RE = re.compile(r"(?<!\d)(\d{3}\s?\d{3}\s?\d{3}(?:\s?\d{5})?)(?!\d)")


def find_vat_ids(text: str) -> list[tuple[str, bool, int, int]]:
    """(compact id, checksum valid, start, end). Format-plausible ids with a wrong check digit are kept, flagged."""
    out = []
    for m in VAT_RE.finditer(text.upper()):
        raw = re.sub(r"[\s.-]", "", m.group(1))
        for candidate in _prefixes(raw, 8):
            try:
                compact = eu_vat.compact(candidate)
            except Exception:  # noqa: BLE001 - stdnum raises several ValidationError kinds
                continue
            if eu_vat.is_valid(compact):
                out.append((compact, True, m.start(), m.end()))
                break
        else:
            if re.fullmatch(r"(DE\d{9}|FR[0-9A-Z]{2}\d{9}|ATU\d{8}|NL\d{9}B\d\d|BE[01]\d{9}|IT\d{11}|ES[0-9A-Z]\d{7}"
                            r"[0-9A-Z]|GB\d{9}|DK\d{8}|LU\d{8}|PL\d{10}|SE\d{12})", raw):
                out.append((raw, False, m.start(), m.end()))
    return out


def _prefixes(raw: str, shortest: int):
    for n in range(len(raw), shortest - 1, -1):
        yield raw[:n]


def find_ibans(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in IBAN_RE.finditer(text.upper()):
        raw = m.group(1).replace(" ", "")
        for candidate in _prefixes(raw, 15):
            try:
                out.append((str(IBAN(candidate).compact), m.start(), m.end()))
                break
            except SchwiftyException:
                continue
    return out


IBAN_PRINTED_RE = re.compile(r"IBAN[\s.:-]*(?:NR\.?|NO\.?)?[\s.:]*([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{1,4}){3,8})(?![A-Z0-9])")


def find_printed_ibans(text: str) -> list[tuple[str, int, int]]:
    """IBANs right after an "IBAN" label that fail the check digits or the country length: kept, to be flagged."""
    return [(m.group(1).replace(" ", ""), m.start(1), m.end(1)) for m in IBAN_PRINTED_RE.finditer(text.upper())]


def find_siren(text: str) -> list[tuple[str, str | None, int, int]]:
    """(siren, siret or None, start, end), checksum-valid only."""
    out = []
    for m in SIREN_RE.finditer(text):
        digits = m.group(1).replace(" ", "")
        if len(digits) == 14 and fr_siret.is_valid(digits):
            out.append((digits[:9], digits, m.start(), m.end()))
        elif len(digits) == 9 and fr_siren.is_valid(digits):
            out.append((digits, None, m.start(), m.end()))
    return out
