"""Supplier memory (issue 4, item 7): what a person's corrections teach about one supplier's invoices.

When someone corrects a field, we look for the corrected value on the page and remember how to find it again: the
label printed before it (same line) or above it, else its box on the page; for dates whether the supplier writes the
month first; its usual currency; and the accounts chosen for it. The next invoice of the same supplier (found by VAT
id, SIREN, IBAN or name) is read with those hints, which win over the generic rules.

Pure: `learn` and `apply` work on an ExtractionResult with its page lines and a plain dict (stored as JSON by the
edge); nothing here touches the database.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .page import AMOUNT_FIELDS, DATE_FIELDS, find_value, text_at
from .parties import name_key
from .pdftext.fields import Span, parse_amount, parse_date, parse_number
from .pdftext.layout import Line, Word, bbox_of
from .pdftext.parse import find_dates, fold
from .result import ExtractionResult, Party

LEARNABLE = ("invoice_number",) + DATE_FIELDS + AMOUNT_FIELDS
LEARNED_CONFIDENCE = 0.9
MAX_LABEL_WORDS = 4


def supplier_keys(party: Party) -> list[str]:
    """Keys naming a counterparty, strongest first."""
    keys = []
    if party.vat_id:
        keys.append(f"vat:{party.vat_id}")
    if party.siren:
        keys.append(f"siren:{party.siren}")
    if party.iban:
        keys.append(f"iban:{party.iban}")
    if name_key(party.name):
        keys.append(f"name:{name_key(party.name)}")
    return keys


# ---- learning ------------------------------------------------------------------------------------------------------

def learn(result: ExtractionResult, corrected: dict, previous: dict | None = None) -> dict:
    """The memory after a person validated `corrected` (field -> value, typed: str, date, Decimal) on this result."""
    memory = {"fields": {}, "month_first": None, "currency": None, "accounts": {}}
    if previous:
        memory.update({k: v for k, v in previous.items() if k in memory})
        memory["fields"] = dict(previous.get("fields") or {})
    lines = result.page_lines
    for field, value in corrected.items():
        if field == "currency" and value:
            memory["currency"] = value
        elif field == "accounts" and isinstance(value, dict):
            memory["accounts"].update(value)
        elif field in LEARNABLE and value not in (None, "") and lines:
            places = find_value(lines, field, value)
            if not places:
                continue
            words = places[-1] if field in AMOUNT_FIELDS else places[0]
            memory["fields"][field] = _hint_for(lines, words)
            if field in DATE_FIELDS:
                memory["month_first"] = _month_first(words, value, memory["month_first"])
    return memory


def _hint_for(lines: list[Line], value_words: list[Word]) -> dict:
    first = value_words[0]
    line = next(line for line in lines if first in line.words)
    before = [w for w in line.words if w.x1 <= first.x0 + 0.5]
    label_words = []
    for word in reversed(before):  # the words just left of the value, up to a wide gap
        anchor = label_words[0] if label_words else first
        if anchor.x0 - word.x1 > 4 * max(anchor.height, word.height) or len(label_words) >= MAX_LABEL_WORDS:
            break
        label_words.insert(0, word)
    label = _label_text(label_words)
    if label:
        return {"label": label, "where": "right", "page": first.page, "bbox": bbox_of(value_words)["bbox"]}
    above = _label_above(lines, line, value_words)
    if above:
        return {"label": above, "where": "below", "page": first.page, "bbox": bbox_of(value_words)["bbox"]}
    return {"label": None, "where": "box", "page": first.page, "bbox": bbox_of(value_words)["bbox"]}


def _label_text(words: list[Word]) -> str | None:
    text = fold(" ".join(w.text for w in words)).strip(" :.#")
    # A label has letters; a run of other values ("12/03/2024 FA-17") is not one.
    return text if re.search(r"[a-z]{2}", text) else None


def _label_above(lines, line, value_words) -> str | None:
    x0, x1 = value_words[0].x0, value_words[-1].x1
    index = lines.index(line)
    for previous in reversed(lines[max(0, index - 2):index]):
        if previous.page != line.page or line.top - previous.bottom > 3 * line.height:
            break
        words = [w for w in previous.words if w.x1 > x0 - 10 and w.x0 < x1 + 10]
        label = _label_text(words[:MAX_LABEL_WORDS])
        if label:
            return label
    return None


def _month_first(words: list[Word], value: date, previous: bool | None) -> bool | None:
    text = " ".join(w.text for w in words)
    day_first = any(d == value for d, *_ in find_dates(text, False))
    month_first = any(d == value for d, *_ in find_dates(text, True))
    if month_first and not day_first:
        return True
    if day_first and not month_first:
        return False
    return previous


# ---- applying ------------------------------------------------------------------------------------------------------

def apply(result: ExtractionResult, memory: dict) -> None:
    """Read the fields this supplier's memory knows where to find; those it finds win and are marked as learned."""
    lines = result.page_lines
    month_first = memory.get("month_first")
    for field, hint in (memory.get("fields") or {}).items():
        if field not in LEARNABLE or not lines:
            continue
        found = _read_by_hint(lines, field, hint, bool(month_first))
        if found is None:
            continue
        value, words = found
        setattr(result, field, value)
        result.confidence[field] = LEARNED_CONFIDENCE
        result.positions[field] = bbox_of(words)
        if field not in result.learned:
            result.learned.append(field)
        if field == "total_incl_tax" and "amount_due" not in (memory.get("fields") or {}):
            result.amount_due = value
    if month_first:
        _reread_dates_month_first(result)
    if memory.get("currency") and (result.currency is None or result.confidence.get("currency", 0) < 0.8):
        result.currency = memory["currency"]
        result.confidence["currency"] = LEARNED_CONFIDENCE
        result.learned.append("currency")


def _read_by_hint(lines, field, hint, month_first):
    if hint.get("label"):
        for index, line in enumerate(lines):
            if line.page != hint.get("page", line.page) and field != "invoice_number":
                continue
            span = Span(line.words)
            at = span.folded.find(hint["label"])
            if at < 0:
                continue
            label_words = span.words_in(at, at + len(hint["label"]))
            if hint["where"] == "right":
                rest = [w for w in line.words if w.x0 >= label_words[-1].x1 - 0.5]
                found = _parse(field, rest, month_first)
            else:
                found = _below(lines, index, label_words, field, month_first)
            if found is not None:
                return found
    return _in_box(lines, field, hint, month_first)


def _below(lines, index, label_words, field, month_first):
    x0, x1 = label_words[0].x0, label_words[-1].x1
    for line in lines[index + 1:index + 3]:
        words = [w for w in line.words if w.x1 > x0 - 20 and w.x0 < x1 + 60]
        found = _parse(field, words, month_first)
        if found is not None:
            return found
    return None


def _in_box(lines, field, hint, month_first):
    x0, top, x1, bottom = hint["bbox"]
    margin = 6
    words = [w for line in lines for w in line.words if w.page == hint["page"] and w.x1 > x0 - margin
             and w.x0 < x1 + margin and w.bottom > top - margin and w.top < bottom + margin]
    return _parse(field, words, month_first)


def _parse(field, words: list[Word], month_first: bool):
    """The text path's own parsers, on the words the hint points at."""
    if not words:
        return None
    span = Span(words)
    if field in DATE_FIELDS:
        return parse_date(span, month_first)
    if field in AMOUNT_FIELDS:
        found = parse_amount(span)
        return (Decimal(found[0]), found[1]) if found else None
    return parse_number(span)


def _reread_dates_month_first(result: ExtractionResult) -> None:
    for field in DATE_FIELDS:
        if field in result.learned:
            continue
        shown = text_at(result.page_lines, result.positions.get(field))
        found = find_dates(shown, True) if shown else []
        if found and found[0][0] != getattr(result, field):
            setattr(result, field, found[0][0])
            result.learned.append(field)
