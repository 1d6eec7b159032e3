"""Words and lines from a PDF's text layer (pypdfium2), with positions.

Coordinates are PDF points with the origin at the TOP-LEFT of the page (y grows downwards), so that a review screen
can draw boxes directly: bbox = (x0, top, x1, bottom). Pages are numbered from 1.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from collecte.lib.pdfium import serialised

SPACES = {0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x202F, 0x2009, 0x2007, 0x00, 0xFFFE, 0x02}
GAP_FACTOR = 0.2  # a horizontal gap wider than this * char height splits a word
SEGMENT_GAP = 1.6  # a gap wider than this * line height splits a line into segments (columns)


@dataclass
class Word:
    text: str
    page: int
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    page: int
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def height(self) -> float:
        return max(w.height for w in self.words)


def bbox_of(words: list[Word]) -> dict:
    return {
        "page": words[0].page,
        "bbox": [round(min(w.x0 for w in words), 1), round(min(w.top for w in words), 1),
                 round(max(w.x1 for w in words), 1), round(max(w.bottom for w in words), 1)],
    }


def _page_chars(textpage, page_height: float):
    """(char, x0, top, x1, bottom) per char, top-left origin; whitespace as None boxes."""
    out, high = [], None
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        if 0xD800 <= code < 0xDC00:  # UTF-16 high surrogate: joined with the low one that follows
            high = code
            continue
        if 0xDC00 <= code < 0xE000:
            if high is None:
                continue
            code, high = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00), None
        if code in SPACES or code < 0x20:
            # pdfium "generated" spaces guess word gaps; our own gap rule decides for those.
            if not (code == 0x20 and pdfium_c.FPDFText_IsGenerated(textpage, i) == 1):
                out.append(None)
            continue
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        out.append((chr(code), left, page_height - top, right, page_height - bottom))
    return out


def _words(chars, page_no: int) -> list[Word]:
    words, current = [], []

    def flush():
        if current:
            words.append(Word("".join(c[0] for c in current), page_no, min(c[1] for c in current),
                              min(c[2] for c in current), max(c[3] for c in current), max(c[4] for c in current)))
            current.clear()

    for ch in chars:
        if ch is None:
            flush()
            continue
        if current:
            prev = current[-1]
            height = max(prev[4] - prev[2], 1.0)
            same_line = abs((prev[2] + prev[4]) / 2 - (ch[2] + ch[4]) / 2) < height * 0.5
            gap = ch[1] - prev[3]
            if not same_line or gap > height * GAP_FACTOR or gap < -height:
                flush()
        current.append(ch)
    flush()
    return words


def _lines(words: list[Word], page_no: int) -> list[Line]:
    """Words grouped into lines by vertical middle proximity, then split into column segments by wide gaps."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.middle, w.x0)):
        if rows:
            last = rows[-1]
            ref = sum(w.middle for w in last) / len(last)
            if abs(word.middle - ref) < min(word.height, last[0].height) * 0.45:
                last.append(word)
                continue
        rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: w.x0)
        lines.append(Line(page_no, row))
    return lines


def segments(line: Line) -> list[list[Word]]:
    out = [[line.words[0]]]
    for prev, word in zip(line.words, line.words[1:]):
        if word.x0 - prev.x1 > line.height * SEGMENT_GAP:
            out.append([])
        out[-1].append(word)
    return out


@serialised
def read_lines(data: bytes, max_pages: int = 5) -> tuple[list[Line], int]:
    """All lines of the first `max_pages` pages, in reading order; and the page count."""
    pdf = pdfium.PdfDocument(data)
    try:
        lines = []
        count = len(pdf)
        for index in range(min(count, max_pages)):
            page = pdf[index]
            textpage = page.get_textpage()
            try:
                chars = _page_chars(textpage, page.get_height())
            finally:
                textpage.close()
                page.close()
            lines.extend(_lines(_words(chars, index + 1), index + 1))
        return lines, count
    finally:
        pdf.close()
