#!/usr/bin/env python
"""Text path (--no-xml) over ../shared/corpus: PDFs with ground truth (the embedded XML via each folder's _manifest.csv
gt_file columns; invoice2data PDFs via their .json), per-field accuracy, per language (lang_guess), and time per
document (p50, p95). Values are compared normalised (amounts as decimals, dates as dates, ids without spaces, upper
case). Usage: .venv/bin/python bench/extraction_text.py [-v]"""
import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collecte.extraction.registry import Options, UnreadableDocument, extract  # noqa: E402
from collecte.extraction.tests.test_corpus_einvoice import (  # noqa: E402
    CORPUS, norm_amount, norm_date, norm_text,
)

FIELDS = ("number", "issue_date", "due_date", "currency", "total_excl_tax", "total_tax", "total_incl_tax",
          "seller", "seller_vat_id", "iban")
MANIFEST_COLUMNS = {"total_tax": "vat_amount"}
GOALS = {"number": 0.97, "issue_date": 0.97, "total_incl_tax": 0.97, "currency": 0.97}


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
                yield CORPUS / folder / row["path"], row.get("lang_guess") or "?", row.get("invoice_key"), want


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
            yield pdf, row.get("lang_guess") or "?", None, want


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


def main():
    verbose = "-v" in sys.argv
    docs = list(manifest_docs()) + list(invoice2data_docs())
    if not docs:
        print(f"no corpus at {CORPUS}")
        return
    per_field = defaultdict(lambda: [0, 0])
    per_lang = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    per_key = defaultdict(dict)
    times = []
    for path, lang, key, want_raw in docs:
        data = path.read_bytes()
        start = time.perf_counter()
        try:
            result = extract(data, path.name, Options(use_xml=False, use_ocr=False))
        except UnreadableDocument:
            result = None
        times.append((time.perf_counter() - start) * 1000)
        got = got_values(result) if result else {}
        for name in FIELDS:
            want = normalise(name, want_raw.get(name))
            if want is None:
                continue
            ok = normalise(name, got.get(name)) == want
            per_field[name][0] += ok
            per_field[name][1] += 1
            per_lang[lang][name][0] += ok
            per_lang[lang][name][1] += 1
            k = key or str(path)
            per_key[name][k] = per_key[name].get(k, True) and ok
            if verbose and not ok:
                print(f"  {path.relative_to(CORPUS)} {name}: want {want!r} got {normalise(name, got.get(name))!r}")
    print(f"Text path (--no-xml): {len(docs)} PDFs with ground truth")
    print(f"{'field':<16}{'per file':>16}{'per invoice':>18}{'goal':>7}   " + "  ".join(f"{l:>9}" for l in per_lang))
    for name in FIELDS:
        right, total = per_field[name]
        if not total:
            continue
        keys = per_key[name]
        langs = "  ".join(f"{_pct(per_lang[l][name]):>9}" for l in per_lang)
        print(f"{name:<16}{right:>5}/{total:<4}{right / total:>7.1%}{sum(keys.values()):>7}/{len(keys):<4}"
              f"{sum(keys.values()) / len(keys):>7.1%}{GOALS.get(name, 0.93):>7.0%}   {langs}")
    q = statistics.quantiles(times, n=20)
    print(f"time per document: p50 {statistics.median(times):.1f} ms, p95 {q[18]:.1f} ms (goal p50 <= 150 ms)")


def _pct(pair):
    right, total = pair
    return f"{right}/{total}" if total else "-"


if __name__ == "__main__":
    main()
