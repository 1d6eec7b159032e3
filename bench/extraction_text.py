#!/usr/bin/env python
"""Text path (--no-xml) over ../shared/corpus: PDFs with ground truth (the embedded XML via each folder's _manifest.csv
gt_file columns; invoice2data PDFs via their .json), per-field accuracy counted per file and per distinct invoice
(invoice_key), per language (lang_guess), and time per document (p50, p95). Values are compared normalised (amounts
as decimals, dates as dates, ids without spaces, upper case).

Many corpus PDFs are test-suite renderings whose page shows values that differ from their embedded XML (the XML is
the ground truth: other dates, numbers or totals; "[Seller name]" placeholders). A field counts as "page disagrees"
when the ground-truth value is not on the page in any usual formatting (amounts with either decimal separator and any
thousands separator, dates numeric or written in fr/en/de/es/it/nl, ids with or without spaces; a due date also counts
as shown when the page states payment terms). Two figures are printed per field: over all documents, and over the
documents whose page shows the truth (the honest figure for a text reader). A credit note's amounts compare by
absolute value (printed negative, XML positive, or the reverse, is a sign convention, not a misreading); seller names
compare without a trailing legal form and punctuation ("Au bon moulin SARL" = "AU BON MOULIN").

Usage: .venv/bin/python bench/extraction_text.py [-v] [--strict]
  -v        list every miss, marked "[page disagrees]" when the truth is not on the page
  --strict  exit 1 when a goal is missed (on the documents whose page shows the truth)"""
import csv
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pypdfium2 as pdfium  # noqa: E402
from babel.dates import get_month_names  # noqa: E402

from collecte.extraction.registry import Options, UnreadableDocument, extract  # noqa: E402
from collecte.extraction.tests.test_corpus_einvoice import (  # noqa: E402
    CORPUS, norm_amount, norm_date, norm_text,
)

FIELDS = ("number", "issue_date", "due_date", "currency", "total_excl_tax", "total_tax", "total_incl_tax",
          "seller", "seller_vat_id", "iban")
MANIFEST_COLUMNS = {"total_tax": "vat_amount"}
GOALS = {"number": 0.97, "issue_date": 0.97, "total_incl_tax": 0.97, "currency": 0.97}
DEFAULT_GOAL = 0.93
P50_GOAL_MS = 150
LANGS = ("fr", "en", "de", "es", "it", "nl")
CURRENCY_SIGNS = {"EUR": ("€",), "USD": ("$",), "GBP": ("£",), "INR": ("₹", "RS.", "INR"), "JPY": ("¥",)}


def manifest_docs():
    for folder in ("zugferd-corpus", "mustang-testresources"):
        manifest = CORPUS / folder / "_manifest.csv"
        if not manifest.exists():
            continue
        with manifest.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["kind"] != "pdf" or not row.get("gt_file") or "/fail/" in f"/{row['path']}":
                    continue
                want = {f: row.get(MANIFEST_COLUMNS.get(f, f), "") for f in FIELDS}
                credit = row.get("type_code") in ("381", "261", "396", "532")
                yield CORPUS / folder / row["path"], row.get("lang_guess") or "?", row.get("invoice_key"), want, credit


def invoice2data_docs():
    manifest = CORPUS / "invoice2data" / "_manifest.csv"
    if not manifest.exists():
        return
    with manifest.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pdf = CORPUS / "invoice2data" / row["path"]
            gt = pdf.with_suffix(".json")
            if row["kind"] != "pdf" or not gt.exists():
                continue
            data = json.loads(gt.read_text())
            data = data[0] if isinstance(data, list) else data
            want = {"number": data.get("invoice_number", ""), "issue_date": data.get("date", ""),
                    "currency": data.get("currency", ""), "total_incl_tax": data.get("amount", ""),
                    "total_excl_tax": data.get("amount_untaxed", ""), "due_date": data.get("date_due", ""),
                    "seller_vat_id": data.get("vat", "")}
            yield pdf, row.get("lang_guess") or "?", None, want, False


def normalise(name, value):
    if value in (None, ""):
        return None
    if name.startswith("total"):
        return norm_amount(value)
    if name.endswith("date"):
        return norm_date(str(value))
    return norm_text(value)


def got_values(r):
    return {"number": r.invoice_number, "issue_date": r.issue_date, "due_date": r.due_date, "currency": r.currency,
            "total_excl_tax": r.total_excl_tax, "total_tax": r.total_tax, "total_incl_tax": r.total_incl_tax,
            "seller": r.seller.name, "seller_vat_id": r.seller.vat_id, "iban": r.seller.iban}


# ---- does the page show the ground truth? ---------------------------------------------------------------------------

def page_text(data: bytes, max_pages: int = 5) -> str:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return ""
    try:
        out = []
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(out)
    finally:
        pdf.close()


def _fold(text: str) -> str:
    text = "".join(unicodedata.normalize("NFKD", c)[:1] or c for c in text).lower()
    return re.sub(r"[\s\u00a0\u202f\u2009\u2007]+", " ", text)


_MONTHS = None


def _month_names():
    global _MONTHS
    if _MONTHS is None:
        _MONTHS = defaultdict(set)
        for lang in LANGS:
            for width in ("wide", "abbreviated"):
                for context in ("format", "stand-alone"):
                    for number, name in get_month_names(width, context=context, locale=lang).items():
                        _MONTHS[number].add(_fold(name).rstrip("."))
    return _MONTHS


def date_forms(d: date) -> list[str]:
    forms = []
    for dd in {f"{d.day:02d}", str(d.day)}:
        for mm in {f"{d.month:02d}", str(d.month)}:
            for yy in (str(d.year), f"{d.year % 100:02d}"):
                for sep in "./-":
                    forms += [f"{dd}{sep}{mm}{sep}{yy}", f"{mm}{sep}{dd}{sep}{yy}"]
            forms += [f"{d.year}-{mm}-{dd}", f"{d.year}/{mm}/{dd}", f"{d.year}.{mm}.{dd}"]
        for name in _month_names()[d.month]:
            forms += [f"{dd} {name} {d.year}", f"{dd}. {name} {d.year}", f"{dd} {name}. {d.year}",
                      f"{name} {dd}, {d.year}", f"{name} {dd} {d.year}", f"{dd}-{name}-{d.year}",
                      f"{dd} de {name} de {d.year}", f"{dd}er {name} {d.year}", f"{dd}{_th(d.day)} {name} {d.year}"]
    return forms


def _th(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def amount_forms(value: Decimal) -> list[str]:
    value = abs(value)
    forms = set()
    for v in {value.quantize(Decimal("0.01")), value}:
        text = format(v, "f")
        whole, _, frac = text.partition(".")
        grouped = f"{int(whole):,}"
        for thousands in (",", ".", " ", "'", ""):
            for point in (".", ","):
                if thousands == point or not frac:
                    continue
                forms.add(grouped.replace(",", thousands) + point + frac)
        if not frac:  # a whole amount shown without decimals: only next to a currency
            for cur in ("€", "eur", "$", "usd", "£"):
                forms |= {f"{grouped} {cur}", f"{whole} {cur}", f"{cur} {whole}", f"{cur}{whole}", f"{whole},-"}
    return sorted(forms)


TERMS = re.compile(r"(?:\d{1,3}\s*(?:jours|days|tagen|tage|dias|giorni|dagen)|net\s*\d{1,3}|a reception|upon receipt|"
                   r"on receipt|sofort)")


def page_shows(name: str, want, text: str, folded: str, alnum: str) -> bool:
    if name in ("issue_date", "due_date"):
        if not isinstance(want, date):
            return False
        if any(re.search(r"(?<![\d])" + re.escape(f) + r"(?!\d)", folded) for f in date_forms(want)):
            return True
        return name == "due_date" and bool(TERMS.search(folded))
    if name.startswith("total"):
        if not isinstance(want, Decimal):
            return False
        return any(re.search(r"(?<![\d.,])" + re.escape(f) + r"(?!\d|[.,]\d)", folded) for f in amount_forms(want))
    if name == "currency":
        return want.lower() in folded or any(s.lower() in folded for s in CURRENCY_SIGNS.get(want, ()))
    if name == "seller":
        return re.sub(r"[^A-Z0-9]", "", want) in alnum
    return re.sub(r"[^A-Z0-9]", "", want) in alnum  # number, VAT id, IBAN


LEGAL_FORMS = re.compile(r"[\s,]+(?:GMBH(?:\s*&\s*CO\.?\s*KG)?|AG|KG|OHG|UG|SARL|S\.A\.R\.L\.|SAS|SASU|SA|EURL|LTD\.?|"
                         r"LIMITED|LLC|INC\.?|B\.V\.|BV|N\.V\.|NV|S\.R\.L\.|SRL|S\.P\.A\.|SPA|PLC)\s*$")


def _name_key(value: str) -> str:
    return re.sub(r"[^A-Z0-9ÄÖÜ]", "", LEGAL_FORMS.sub("", str(value).upper()))


def same(name, want, got, credit, want_raw=None, got_raw=None):
    if got == want:
        return True
    if name == "seller" and got_raw:  # "Au bon moulin SARL" for the XML's "AU BON MOULIN": the legal form is optional
        return _name_key(got_raw) == _name_key(want_raw)
    if credit and isinstance(want, Decimal) and isinstance(got, Decimal):
        return abs(got) == abs(want)
    return False


# ---- the table -----------------------------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.right = self.total = 0
        self.keys: dict[str, bool] = {}

    def add(self, ok: bool, key: str):
        self.right += ok
        self.total += 1
        self.keys[key] = self.keys.get(key, True) and ok

    def file(self) -> str:
        return f"{self.right:>4}/{self.total:<4}{self.right / self.total:>6.1%}" if self.total else f"{'-':>16}"

    def invoice(self) -> str:
        n = len(self.keys)
        return f"{sum(self.keys.values()):>4}/{n:<4}{sum(self.keys.values()) / n:>6.1%}" if n else f"{'-':>16}"

    def rate(self) -> float | None:
        return self.right / self.total if self.total else None

    def short(self) -> str:
        return f"{self.right}/{self.total}" if self.total else "-"


def main():
    verbose = "-v" in sys.argv
    strict = "--strict" in sys.argv
    docs = list(manifest_docs()) + list(invoice2data_docs())
    if not docs:
        print(f"no corpus at {CORPUS}")
        return 0
    everything = defaultdict(Tally)
    shown = defaultdict(Tally)
    lang_all = defaultdict(lambda: defaultdict(Tally))
    lang_shown = defaultdict(lambda: defaultdict(Tally))
    disagree = defaultdict(int)
    times, misses = [], []
    for path, lang, key, want_raw, credit in docs:
        data = path.read_bytes()
        start = time.perf_counter()
        try:
            result = extract(data, path.name, Options(use_xml=False, use_ocr=False))
        except UnreadableDocument:
            result = None
        times.append((time.perf_counter() - start) * 1000)
        got = got_values(result) if result else {}
        credit = credit or bool(result and result.document_type == "credit_note")
        text = page_text(data)
        folded = _fold(text)
        alnum = re.sub(r"[^A-Z0-9]", "", text.upper())
        key = key or str(path)
        for name in FIELDS:
            want = normalise(name, want_raw.get(name))
            if want is None:
                continue
            value = normalise(name, got.get(name))
            ok = same(name, want, value, credit, want_raw.get(name), got.get(name))
            on_page = page_shows(name, want, text, folded, alnum)
            everything[name].add(ok, key)
            lang_all[lang][name].add(ok, key)
            if on_page:
                shown[name].add(ok, key)
                lang_shown[lang][name].add(ok, key)
            else:
                disagree[name] += 1
            if not ok:
                mark = "" if on_page else "  [page disagrees]"
                misses.append(f"  {path.relative_to(CORPUS)} {name}: want {want!r} got {value!r}{mark}")
    if verbose:
        print("\n".join(sorted(misses, key=lambda m: (m.split(": want")[0].rsplit(" ", 1)[1], m))))
    langs = sorted(lang_all, key=lambda lang: -sum(t.total for t in lang_all[lang].values()))
    print(f"Text path (--no-xml): {len(docs)} PDFs with ground truth, "
          f"{len({k for t in everything.values() for k in t.keys})} distinct invoices")
    print("A = all documents; S = documents whose page shows the ground-truth value (the XML's value is not printed "
          "on the page for the others: 'page disagrees').")
    print(f"{'field':<15}{'A per file':>16}{'A per invoice':>17}{'S per file':>17}{'S per invoice':>17}"
          f"{'disagree':>9}{'goal':>6}  status")
    failed = []
    for name in FIELDS:
        if not everything[name].total:
            continue
        goal = GOALS.get(name, DEFAULT_GOAL)
        rate = shown[name].rate()
        status = "PASS" if rate is not None and rate >= goal else "FAIL"
        if status == "FAIL":
            failed.append(name)
        print(f"{name:<15}{everything[name].file():>16} {everything[name].invoice():>16} {shown[name].file():>16} "
              f"{shown[name].invoice():>16}{disagree[name]:>9}{goal:>6.0%}  {status}")
    for title, table in (("S (page shows truth)", lang_shown), ("A (all)", lang_all)):
        print(f"\nper language (lang_guess), {title}, right/total per file:")
        print(f"{'field':<15}" + "".join(f"{lang:>10}" for lang in langs))
        for name in FIELDS:
            if everything[name].total:
                print(f"{name:<15}" + "".join(f"{table[lang][name].short():>10}" for lang in langs))
    q = statistics.quantiles(times, n=20)
    p50 = statistics.median(times)
    print(f"\ntime per document: p50 {p50:.1f} ms, p95 {q[18]:.1f} ms (goal p50 <= {P50_GOAL_MS} ms) "
          f"{'PASS' if p50 <= P50_GOAL_MS else 'FAIL'}")
    summary = {"bench": "extraction_text", "docs": len(docs), "p50_ms": round(p50, 1), "p95_ms": round(q[18], 1),
               "all": {n: everything[n].rate() and round(everything[n].rate(), 4) for n in FIELDS},
               "page_shows_truth": {n: shown[n].rate() and round(shown[n].rate(), 4) for n in FIELDS},
               "failed": failed + (["p50"] if p50 > P50_GOAL_MS else [])}
    print(json.dumps(summary))
    return 1 if strict and summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
