"""Candidates for each field: a label found on a line, its value on the same line to its right or in the same column
on the lines below; then the best joint choice of the totals by arithmetic consistency."""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal

from .layout import Word, bbox_of
from .parse import find_amounts, find_dates, fold

BELOW_LINES = 3
NUMBER_FILLER = {"nr", "nr.", "no", "no.", "n°", "nº", "n", "number", "nummer", "num", "numero", "#", ":", "-", "de",
                 "du", "of", "vom", ".", "no:", "nr:", "n°:", "(380)", "(381)", "id"}
NUMBER_TOKEN = re.compile(r"^[#:]*([A-Za-z0-9][A-Za-z0-9\-/._#]*[A-Za-z0-9]|\d)[:,;.]*$")


@dataclass
class Span:
    """Words read as one string, with the char offset of each word."""
    words: list[Word]

    def __post_init__(self):
        self.text = " ".join(w.text for w in self.words)
        self.folded = fold(self.text)
        self.offsets, pos = [], 0
        for w in self.words:
            self.offsets.append((pos, pos + len(w.text)))
            pos += len(w.text) + 1

    def words_in(self, start: int, end: int) -> list[Word]:
        return [w for w, (s, e) in zip(self.words, self.offsets) if s < end and e > start] or self.words[:1]

    def tail(self, start: int) -> "Span | None":
        """The words from char offset `start` on; a word cut by `start` ("n°562044387") keeps its right part."""
        rest = []
        for w, (s, e) in zip(self.words, self.offsets):
            if s >= start:
                rest.append(w)
            elif e > start:
                cut = start - s
                x = w.x0 + (w.x1 - w.x0) * cut / max(len(w.text), 1)
                rest.append(Word(w.text[cut:], w.page, x, w.top, w.x1, w.bottom))
        return Span(rest) if rest else None


@dataclass
class Candidate:
    value: object
    score: float
    words: list[Word]
    line: int

    @property
    def position(self) -> dict:
        return bbox_of(self.words)


def label_hits(spans: list[Span], patterns, kinds=None) -> list[tuple[float, int, int, int]]:
    """(weight, line index, start, end) of each label match; the longest match wins where they overlap. With
    `kinds` ({kind: patterns}), matches of all kinds compete and only those of the kind `patterns` names are kept."""
    groups = kinds or {"_": patterns}
    wanted = patterns if kinds else "_"
    hits = []
    for index, span in enumerate(spans):
        taken: list[tuple[int, int]] = []
        found = []
        for kind, group in groups.items():
            for weight, regex in group:
                for m in regex.finditer(span.folded):
                    found.append((weight, m.start(), m.end(), kind))
        for weight, start, end, kind in sorted(found, key=lambda f: (-(f[2] - f[1]), -f[0])):
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            if kind == wanted:
                hits.append((weight, index, start, end))
    return hits


def below(spans: list[Span], index: int, label_words: list[Word], lines: int = BELOW_LINES) -> list[Span]:
    """Runs of words in the label's column on the next lines."""
    x0 = min(w.x0 for w in label_words) - 4
    x1 = max(w.x1 for w in label_words) + 4
    # A value right-aligned under a left-aligned header may start past the header's end: the column reaches on to
    # the next word of the header row (or a few characters further).
    base = spans[index].words[0]
    after = [w.x0 for w in spans[index].words if w.x0 > x1 - 3]
    x1 = max(x1, min([x1 + 3 * base.height] + [a - 2 for a in after]))
    out = []
    for j in range(index + 1, min(index + 1 + lines, len(spans))):
        span = spans[j]
        if span.words[0].page != base.page or span.words[0].top - base.bottom > base.height * max(4, 1.6 * lines):
            break
        column = [w for w in span.words if w.x1 >= x0 and w.x0 <= x1]
        if column:
            out.append((j, Span(column)))
    return out


def near_values(spans, patterns, parser, kinds=None, reject=None, rows=1, reject_before=None,
                more=None) -> list[Candidate]:
    """For each label hit, the first value the parser finds right of it, else in its column below. `reject` (a regex
    on the folded text right after the label) drops look-alike labels ("TVA intracom", "USt-IdNr"); `reject_before`
    (on the text before it) drops labels preceded by a qualifier ("inkl. MwSt"). `more` (Span -> [(value, words)])
    gives the further values on the label's line, as weaker candidates ("USt. 19 % 198,00 37,62": base, then tax)."""
    out = []
    for weight, index, start, end in label_hits(spans, patterns, kinds):
        if reject is not None and reject.match(spans[index].folded[end:]):
            continue
        if reject_before is not None and reject_before.search(spans[index].folded[:start]):
            continue
        span = spans[index]
        label_words = span.words_in(start, end)
        right = span.tail(end)
        got = parser(right) if right else None
        if got:
            value, words = got[:2]
            gap = words[0].x0 - label_words[-1].x1
            factor = (1.0 if gap < span.words[0].height * 12 else 0.85) * (got[2] if len(got) > 2 else 1.0)
            out.append(Candidate(value, weight * factor, words, index))
            if more is not None:
                for extra, extra_words in more(right)[1:3]:
                    if extra_words[0].x0 > words[-1].x0:
                        out.append(Candidate(extra, weight * factor * 0.7, extra_words, index))
            continue
        found = []
        for j, column in below(spans, index, label_words, rows + 2 if rows > 1 else BELOW_LINES):
            got = parser(column)
            if got:
                # A column header over several rows ("Nettobetrag" over one row per VAT rate, then the sum): every
                # row is a candidate when `rows` > 1, the arithmetic choice picks the consistent one; a row that is
                # the sum of the rows above it is the column's total.
                quality = got[2] if len(got) > 2 else 1.0
                score = weight * (0.8 - 0.02 * len(found)) * quality
                if len(found) >= 2 and isinstance(got[0], Decimal) and \
                        abs(sum(found) - got[0]) <= Decimal("0.01") * len(found):
                    score = weight * 0.9 * quality
                out.append(Candidate(got[0], score, got[1], j))
                found.append(got[0])
                if len(found) >= rows:
                    break
    return out


# ---- parsers: Span -> (value, words) | None --------------------------------------------------------------------

def parse_amount(span: Span):
    """The first amount with decimals; else the first whole number, with a lower weight (ids, counts, rates)."""
    found = find_amounts(span.text)
    if not found:
        return None
    for value, start, end in found:
        if value.as_tuple().exponent < 0:
            return value, span.words_in(start, end), 1.0
    value, start, end = found[0]
    return value, span.words_in(start, end), 0.4


AMOUNT_STOP = re.compile(r"[^\W\d_]{3,}")
AMOUNT_FILLER = {"von", "vom", "of", "on", "sur", "de", "du", "eur", "usd", "gbp", "chf", "auf", "base", "basis"}


def amounts_right(span: Span):
    """The amounts with decimals on a label's line, left to right, up to the next word that reads like another label."""
    out = []
    stop = len(span.text)
    for word, (start, _end) in zip(span.words, span.offsets):
        if AMOUNT_STOP.fullmatch(word.text.strip(".:*()")) and fold(word.text.strip(".:*()")) not in AMOUNT_FILLER \
                and start > 0:
            stop = start
            break
    for value, start, end in find_amounts(span.text[:stop]):
        if value.as_tuple().exponent < 0:
            out.append((value, span.words_in(start, end)))
    return out


def parse_date(span: Span, month_first: bool = False):
    found = find_dates(span.text, month_first)
    if not found:
        return None
    value, start, end = found[0]
    return value, span.words_in(start, end)


def date_parser(month_first: bool):
    """parse_date with the document's convention for "a/b/yyyy" (month first on US documents)."""
    return lambda span: parse_date(span, month_first)


# A colon or bar as OCR often reads it between a label and its value ("Nummer ij GS-11", "No | 42").
OCR_COLON = re.compile(r"[ijl|!;:.,'Il]{1,2}")


def parse_number(span: Span):
    for word, (start, end) in zip(span.words, span.offsets):
        token = word.text
        if fold(token).strip(":.") in NUMBER_FILLER or token in (":", "#", "-") or OCR_COLON.fullmatch(token):
            continue
        m = NUMBER_TOKEN.match(token)
        if not m or not any(c.isdigit() for c in m.group(1)) or len(m.group(1)) > 30:
            return None
        if any(s <= start < e for _d, s, e in find_dates(span.text)):
            return None  # a date ("Beitragsrechnung 24. Januar 2014"), not a number
        return m.group(1), [word]
    return None


# ---- joint choice of the totals ---------------------------------------------------------------------------------

def _tolerance(n_vat_lines: int) -> Decimal:
    return Decimal("0.01") * max(n_vat_lines, 1) + Decimal("0.001")


def choose_totals(excl: list[Candidate], tax: list[Candidate], incl: list[Candidate], spans=None):
    """The (excl, tax, incl) triple with the best score; +2 when excl + tax = incl. Returns (triple, consistent)."""
    excl = sorted(excl, key=lambda c: -c.score)
    tax = sorted(tax + _tax_sums(tax, spans), key=lambda c: -c.score)
    incl = _rank_incl(incl)
    best, best_score, consistent = (None, None, None), -1.0, False
    for e, t, i in itertools.product(excl[:8] + [None], tax[:10] + [None], incl[:8] + [None]):
        score = sum(c.score for c in (e, t, i) if c)
        ok = False
        if e and t and i:
            n = len(t.value) if isinstance(t.value, tuple) else 1
            ok = abs(e.value + _tv(t) - i.value) <= _tolerance(n)
            score += 3 if ok else -0.5
        elif e and i and not t:
            ok = e.value == i.value  # no VAT (exempt, reverse charge)
            score += 0.5 if ok else -0.2
        if score > best_score:
            best, best_score, consistent = (e, t, i), score, ok
    return best, consistent


def _tv(candidate: Candidate) -> Decimal:
    return sum(candidate.value) if isinstance(candidate.value, tuple) else candidate.value


RATE = re.compile(r"\d{1,2}(?:[.,]\d{1,2})?\s?%")


def _tax_sums(tax: list[Candidate], spans: list[Span] | None = None) -> list[Candidate]:
    """Several VAT lines (one per rate) summed, as extra candidates. With the lines' text known, only lines that show
    a rate ("USt. 7 % 275,00 19,25") take part, and each of their amounts may be the tax (base and tax share a line)."""
    lines: dict[int, list[Candidate]] = {}
    for c in tax:
        if not isinstance(c.value, tuple):
            lines.setdefault(c.line, []).append(c)
    if spans is not None:
        rated = {k: v for k, v in lines.items() if RATE.search(spans[k].text)}
        if 2 <= len(rated) <= 4:
            combos = itertools.islice(itertools.product(*rated.values()), 256)
            return [Candidate(tuple(c.value for c in parts), sum(c.score for c in parts) / len(parts),
                              [w for c in parts for w in c.words], parts[0].line) for parts in combos]
    firsts = [v[0] for v in lines.values()]
    if len(firsts) < 2 or len(firsts) > 4:
        return []
    return [Candidate(tuple(c.value for c in firsts), sum(c.score for c in firsts) / len(firsts),
                      [w for c in firsts for w in c.words], firsts[0].line)]


def _rank_incl(incl: list[Candidate]) -> list[Candidate]:
    """The largest amounts near a total label get a small bonus."""
    if not incl:
        return incl
    top = max(abs(c.value) for c in incl)
    for c in incl:
        if abs(c.value) == top:
            c.score += 0.3
    return sorted(incl, key=lambda c: -c.score)
