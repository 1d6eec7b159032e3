"""Finding a known value on the page: where an e-invoice's fields are printed (so the review screen can light them up),
whether the page shows the XML's value at all (the cross-check), and where a corrected value was (supplier memory).

Values are looked for in every usual printed form: an invoice number as a whole token, a date in either numeric
convention or with a month name, an amount with either decimal separator (and without its sign: credit notes often
print positive amounts under a "credit note" title).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .pdftext.fields import Span
from .pdftext.layout import Line, Word, bbox_of
from .pdftext.parse import find_amounts, find_dates

DATE_FIELDS = ("issue_date", "due_date")
AMOUNT_FIELDS = ("total_excl_tax", "total_tax", "total_incl_tax", "amount_due", "prepaid")
TOKEN_EDGES = " :;,.#()[]"


def _token_key(text: str) -> str:
    return re.sub(r"\s+", "", text.strip(TOKEN_EDGES)).upper()


def find_value(lines: list[Line], field: str, value) -> list[list[Word]]:
    """Every place (a list of words) where `value` of `field` is printed, in reading order."""
    if value in (None, ""):
        return []
    if field in DATE_FIELDS:
        return _find_dates(lines, value)
    if field in AMOUNT_FIELDS:
        return _find_amounts(lines, Decimal(value))
    return _find_token(lines, str(value))


def _find_token(lines, value: str) -> list[list[Word]]:
    wanted = _token_key(value)
    if not wanted:
        return []
    places = []
    for line in lines:
        words = line.words
        for i in range(len(words)):
            joined = ""
            for j in range(i, min(i + 9, len(words))):  # "FA 2024 001", IBANs in groups of four
                joined += _token_key(words[j].text)
                if joined == wanted or (j == i and _ends_with_token(words[i].text, value)):
                    places.append(words[i:j + 1])
                    break
                if len(joined) >= len(wanted):
                    break
    return places


def _ends_with_token(text: str, value: str) -> bool:
    """"N°FA-001" or "Nr.:4711" holds the number glued to its label."""
    key, wanted = _token_key(text), _token_key(value)
    return len(wanted) >= 3 and key.endswith(wanted) and not key[-len(wanted) - 1:-len(wanted)].isalnum()


def _find_dates(lines, value: date) -> list[list[Word]]:
    places = []
    for line in lines:
        span = Span(line.words)
        hits = {(s, e) for month_first in (False, True) for d, s, e in find_dates(span.text, month_first) if d == value}
        places.extend(span.words_in(s, e) for s, e in sorted(hits))
    return places


def _find_amounts(lines, value: Decimal) -> list[list[Word]]:
    places = []
    for line in lines:
        span = Span(line.words)
        places.extend(span.words_in(s, e) for found, s, e in find_amounts(span.text) if abs(found) == abs(value))
    return places


def position(words: list[Word]) -> dict:
    return bbox_of(words)


def text_at(lines: list[Line], pos: dict | None) -> str | None:
    """The words printed inside a position's box (what the page shows there)."""
    if not pos:
        return None
    x0, top, x1, bottom = pos["bbox"]
    words = [w for line in lines for w in line.words if w.page == pos["page"] and w.x0 >= x0 - 0.5
             and w.x1 <= x1 + 0.5 and w.top >= top - 0.5 and w.bottom <= bottom + 0.5]
    return " ".join(w.text for w in words) or None
