"""XML against the page (issue 4, item 6): when an e-invoice has a visual part, the page is read too.

The XML always wins; the page only adds two things: the position of each XML field where the page prints it (so the
review screen can light it up), and a warning when the page shows something else for the number, a date or a total
("the XML says 2014-10-08, the page shows 08.10.2015"). To avoid crying wolf when the text reader misreads, a
disagreement is reported only when the XML's value is printed nowhere on the page in any usual form.
"""
from __future__ import annotations

from .page import AMOUNT_FIELDS, find_value, position, text_at
from .result import ExtractionResult, format_amount

CHECKED = ("invoice_number", "issue_date", "due_date", "total_excl_tax", "total_tax", "total_incl_tax")
LOCATED = CHECKED + ("amount_due",)
PARTY_FIELDS = ("vat_id", "iban", "siren")


def cross_check(xml: ExtractionResult, page: ExtractionResult) -> None:
    lines = page.page_lines
    if not lines:
        return
    for field in LOCATED:
        value = getattr(xml, field)
        places = find_value(lines, field, value)
        if places:
            # Totals are printed in the lines and again at the bottom: the last place is the total's own.
            xml.positions.setdefault(field, position(places[-1] if field in AMOUNT_FIELDS else places[0]))
            continue
        shown = getattr(page, field)
        if field not in CHECKED or value is None or shown is None or _same(field, value, shown):
            continue
        shown_text = text_at(lines, page.positions.get(field)) or str(shown)
        xml.warn(f"cross_check_{field}: the XML says {_show(field, value)}, the page shows {shown_text}")
    for role in ("seller", "buyer"):
        for field in PARTY_FIELDS:
            value = getattr(getattr(xml, role), field)
            places = find_value(lines, field, value)
            if places:
                xml.positions.setdefault(f"{role}.{field}", position(places[0]))
    seller_name = xml.seller.name
    if seller_name and "seller.name" not in xml.positions:
        places = find_value(lines, "name", seller_name.split()[0]) if len(seller_name.split()[0]) > 3 else []
        if places:
            xml.positions["seller.name"] = position(places[0])


def _same(field, a, b) -> bool:
    if field in AMOUNT_FIELDS:
        return abs(a) == abs(b)
    if field == "invoice_number":
        return str(a).replace(" ", "").upper() == str(b).replace(" ", "").upper()
    return a == b


def _show(field, value) -> str:
    if field in AMOUNT_FIELDS:
        return format_amount(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
