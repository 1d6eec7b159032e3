"""Propose which invoice each PDF of a bulk upload belongs to, from its file name first, then from its text.

Pure: no ORM. Numbers are compared as runs of letters and digits ("FA-2024-0012" is FA, 2024, 12), so a number
matches when all its runs appear one after the other in the file name or text. That keeps "12" from matching
inside "2024-0012" by accident, and a minimum key length keeps short numbers from matching any date or amount.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from collecte.lib.pdfium import serialised

MIN_KEY_LENGTH = 3  # "12" or "A1" would match half the files of a folder
RUN = re.compile(r"[A-Za-z]+|\d+")

FILENAME, TEXT, NONE, AMBIGUOUS = "filename", "text", "", "ambiguous"


@dataclass
class Candidate:
    invoice_id: int
    number: str


@dataclass
class Proposal:
    filename: str
    invoice_id: int | None
    number: str | None
    reason: str  # FILENAME | TEXT | NONE | AMBIGUOUS
    alternatives: list[int] = field(default_factory=list)


def number_key(number: str | None) -> str:
    """An invoice number as the ledger compares it (duplicates, matching): letters and digits only, upper case,
    leading zeros of each digit run dropped ("FA-2024-001" and "fa 2024/1" are the same number written
    differently). collecte.ledger.models re-exports it."""
    if not number:
        return ""
    parts = re.findall(r"[A-Za-z]+|\d+", number.upper())
    return "".join(p.lstrip("0") or "0" if p.isdigit() else p for p in parts)[:100]


def runs(text: str) -> tuple[str, ...]:
    """Letter and digit runs, upper case, digit runs compared by value (leading zeros dropped)."""
    return tuple(p.lstrip("0") or "0" if p.isdigit() else p for p in RUN.findall(text.upper()))


@dataclass
class Match:
    ids: list[int]  # invoices whose number is the longest found; more than one means ambiguous
    numbers: dict[int, str]


class NumberIndex:
    """Invoice numbers by their runs, so a file is searched by looking up each short slice of its own runs."""

    def __init__(self, candidates: list[Candidate]):
        self.ids_by_runs: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self.numbers: dict[int, str] = {}
        for candidate in candidates:
            key = runs(candidate.number)
            if len("".join(key)) >= MIN_KEY_LENGTH:
                self.ids_by_runs[key].append(candidate.invoice_id)
                self.numbers[candidate.invoice_id] = candidate.number
        self.max_runs = max((len(key) for key in self.ids_by_runs), default=0)

    def search(self, text: str) -> Match | None:
        """The invoices with the longest number found in text, or None."""
        found, best_length = [], 0
        tokens = runs(text)
        for start in range(len(tokens)):
            for end in range(start + 1, min(len(tokens), start + self.max_runs) + 1):
                ids = self.ids_by_runs.get(tokens[start:end])
                if not ids:
                    continue
                length = sum(len(token) for token in tokens[start:end])
                if length > best_length:
                    found, best_length = [], length
                if length == best_length:
                    found.extend(i for i in ids if i not in found)
        return Match(found, self.numbers) if found else None


def propose(files: list[tuple[str, str]], candidates: list[Candidate]) -> list[Proposal]:
    """One proposal per (filename, text) in order; an invoice is never proposed for two files."""
    index = NumberIndex(candidates)
    proposals = [_propose_one(filename, text, index) for filename, text in files]
    _give_each_invoice_once(proposals)
    return proposals


def _propose_one(filename: str, text: str, index: NumberIndex) -> Proposal:
    by_name = index.search(filename)
    if by_name and len(by_name.ids) == 1:
        return _chosen(filename, by_name, FILENAME)
    by_text = index.search(text) if text else None
    if by_name:  # several invoices fit the name: the text may tell which one
        if by_text and len(by_text.ids) == 1 and by_text.ids[0] in by_name.ids:
            return _chosen(filename, by_text, TEXT)
        return Proposal(filename, None, None, AMBIGUOUS, list(by_name.ids))
    if by_text and len(by_text.ids) == 1:
        return _chosen(filename, by_text, TEXT)
    if by_text:
        return Proposal(filename, None, None, AMBIGUOUS, list(by_text.ids))
    return Proposal(filename, None, None, NONE, [])


def _chosen(filename: str, match: Match, reason: str) -> Proposal:
    invoice_id = match.ids[0]
    return Proposal(filename, invoice_id, match.numbers[invoice_id], reason, [])


def _give_each_invoice_once(proposals: list[Proposal]) -> None:
    """A file named after the invoice beats a file that only mentions it in its text; otherwise the first wins.
    The losers keep the invoice as an alternative so the person can still pick it."""
    claimants: dict[int, list[Proposal]] = defaultdict(list)
    for proposal in proposals:
        if proposal.invoice_id is not None:
            claimants[proposal.invoice_id].append(proposal)
    for invoice_id, claims in claimants.items():
        if len(claims) < 2:
            continue
        winner = next((p for p in claims if p.reason == FILENAME), claims[0])
        for loser in claims:
            if loser is not winner:
                loser.invoice_id, loser.number, loser.reason, loser.alternatives = None, None, NONE, [invoice_id]


@serialised
def pdf_text(data: bytes, max_pages: int = 2) -> str:
    """The text layer of the first pages, "" when there is none or the file is not a readable PDF."""
    if b"%PDF" not in data[:1024]:
        return ""
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
    except Exception:  # broken, encrypted or truncated: the file is still attachable, just not by its text
        return ""
    try:
        return "\n".join(_page_text(pdf, number) for number in range(min(len(pdf), max_pages)))
    except Exception:
        return ""
    finally:
        pdf.close()


def _page_text(pdf, number: int) -> str:
    page = pdf[number]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
