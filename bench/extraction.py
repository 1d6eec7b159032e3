#!/usr/bin/env python
"""Extraction benchmark (issue 4, "Benchmark"): the XML, text and OCR paths over ../shared/corpus, field by field
against the ground truth, through the public entry point `collecte.extraction.registry.extract`.

- XML path: `Options()` on every e-invoice XML and every PDF with embedded XML that the corpus test reads
  (collecte/extraction/tests/test_corpus_einvoice.py: its rows, normalisation and manifest-fault rule).
- text path: `Options(use_xml=False, use_ocr=False)` on the PDFs with ground truth (the embedded XML through each
  folder's _manifest.csv gt_file columns, invoice2data PDFs through their .json), as bench/extraction_text.py.
- OCR path: the same PDFs rasterised by collecte.extraction.scan (150 dpi, skew +0.8°/-0.8° alternately, slight
  grain, seed = the document's index: no text layer left), then `Options(use_xml=False)`, so the registry falls
  through to OCR. Run over a process pool (--jobs), each worker single-threaded (OMP_THREAD_LIMIT=1).

For the text and OCR paths the "page disagrees" rule is bench/extraction_text.py's (imported from it, so both
benchmarks judge alike): many corpus PDFs are test renderings whose page shows other values than their embedded XML;
a field whose ground-truth value is not on the page (in any usual formatting) is counted in A (all documents) but not
in S (documents whose page shows the truth), and the goals are judged on S. A credit note's amounts compare by
absolute value. The XML path is judged on all its documents.

Per distinct invoice (invoice_key column; a file without one counts alone): an invoice counts as right for a field
when every one of its files that has ground truth for that field is right.

Goals are printed next to the figures, not asserted: the benchmark exits 0 unless it crashes (2 when it cannot run),
or 1 with --strict-xml when the XML path is below 100 % on some field.

Usage: .venv/bin/python bench/extraction.py [--jobs N] [--ocr-limit N] [--strict-xml] [-v]
"""
import os

os.environ["OMP_THREAD_LIMIT"] = "1"  # before anything loads tesseract (here or in the pool's workers)

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

OCR_DPI = 150
OCR_SKEW = 0.8
OCR_NOISE = 0.02
XML_GOAL = 1.0
TEXT_P50_GOAL_MS = 150
OCR_PAGE_GOAL_S = 2.0
OCR_GOALS = {"number": 0.90, "issue_date": 0.90, "total_incl_tax": 0.90}


# ---- one OCR document, in a pool worker ----------------------------------------------------------------------------

def warm_up():
    """Pool initializer: OCR one blank scanned page, so that loading tesseract and its three languages (about half a
    second, once per process) is not counted in the first document's time."""
    import io

    import pypdfium2 as pdfium

    from collecte.extraction.registry import Options, extract
    from collecte.extraction.scan import rasterise

    blank = pdfium.PdfDocument.new()
    blank.new_page(200, 200)
    buf = io.BytesIO()
    blank.save(buf)
    try:
        extract(rasterise(buf.getvalue(), noise=0), "warm-up.pdf", Options(use_xml=False))
    except Exception:  # the benchmark proper will show what goes wrong
        pass


def ocr_one(index: int, path: str) -> dict:
    from collecte.extraction.registry import Options, UnreadableDocument, extract
    from collecte.extraction.scan import rasterise
    from extraction_text import got_values

    out = {"index": index, "pages": 0, "raster_s": 0.0, "wall_s": 0.0, "cpu_s": 0.0, "got": {}, "source": None,
           "credit": False, "warnings": [], "error": None}
    try:
        data = Path(path).read_bytes()
        start = time.perf_counter()
        scanned = rasterise(data, dpi=OCR_DPI, skew_degrees=OCR_SKEW if index % 2 == 0 else -OCR_SKEW,
                            noise=OCR_NOISE, seed=index)
        out["raster_s"] = time.perf_counter() - start
        import pypdfium2 as pdfium
        out["pages"] = len(pdfium.PdfDocument(scanned))
        start, cpu = time.perf_counter(), time.process_time()
        try:
            result = extract(scanned, Path(path).name, Options(use_xml=False))
        except UnreadableDocument as err:
            result = None
            out["warnings"] = [f"unreadable: {err}"]
        out["wall_s"] = time.perf_counter() - start
        out["cpu_s"] = time.process_time() - cpu
        if result is not None:
            out.update(got=got_values(result), source=result.source, credit=result.document_type == "credit_note",
                       warnings=list(result.warnings))
    except Exception:  # a crash in the extractor on one document: a miss, shown, not the end of the benchmark
        out["error"] = traceback.format_exc(limit=3)
    return out


# ---- tallies -------------------------------------------------------------------------------------------------------

from extraction_text import Tally as _TextTally  # noqa: E402


class Tally(_TextTally):
    """Right/total per file, and per distinct invoice (right when all its files are right)."""

    def rate(self):
        return self.right / self.total if self.total else None

    def key_rate(self):
        return sum(self.keys.values()) / len(self.keys) if self.keys else None

    def file(self) -> str:
        return f"{self.right:>4}/{self.total:<4}{self.rate():>7.1%}" if self.total else f"{'-':>16}"

    def invoice(self) -> str:
        n = len(self.keys)
        return f"{sum(self.keys.values()):>4}/{n:<4}{self.key_rate():>7.1%}" if n else f"{'-':>16}"

    def short(self) -> str:
        return f"{self.right}/{self.total}" if self.total else "-"


class PathScore:
    def __init__(self, name: str, fields):
        self.name = name
        self.fields = tuple(fields)
        self.all = defaultdict(Tally)      # field -> Tally over all documents
        self.shown = defaultdict(Tally)    # field -> Tally over documents whose page shows the truth
        self.lang = defaultdict(lambda: defaultdict(Tally))  # lang -> field -> Tally (shown, or all for XML)
        self.disagree = Counter()
        self.misses: list[str] = []
        self.times_ms: list[float] = []
        self.docs = 0


def quantiles(values):
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=20, method="inclusive")[18]


def pct(rate):
    return f"{rate:.1%}" if rate is not None else "-"


# ---- the three paths -----------------------------------------------------------------------------------------------

def xml_path() -> PathScore:
    from collecte.extraction.registry import UnreadableDocument, extract
    from collecte.extraction.tests import test_corpus_einvoice as gt

    score = PathScore("XML", gt.FIELDS)
    for folder, row in gt.ROWS:
        data = (gt.CORPUS / folder / row["path"]).read_bytes()
        start = time.perf_counter()
        try:
            result = extract(data, row["path"])
        except UnreadableDocument:
            result = None
        score.times_ms.append((time.perf_counter() - start) * 1000)
        score.docs += 1
        got = gt.got_values(result) if result is not None else {}
        key = row.get("invoice_key") or f"{folder}/{row['path']}"
        lang = row.get("lang_guess") or ("xml" if row["kind"] == "xml" else "?")
        for name, want in gt.expected_values(row).items():
            value = got.get(name)
            if value != want and result is not None and gt.manifest_fault(name, want, result):
                continue  # the manifest's own mistake (see test_corpus_einvoice.manifest_fault)
            ok = value == want
            score.all[name].add(ok, key)
            score.shown[name].add(ok, key)
            score.lang[lang][name].add(ok, key)
            if not ok:
                score.misses.append(f"  {folder}/{row['path']} {name}: want {want!r} got {value!r}")
    return score


def text_docs():
    import extraction_text as tx
    return list(tx.manifest_docs()) + list(tx.invoice2data_docs())


def page_facts(data: bytes):
    import extraction_text as tx
    text = tx.page_text(data)
    return text, tx._fold(text), re.sub(r"[^A-Z0-9]", "", text.upper())


def score_doc(score: PathScore, doc, facts, got: dict, credit: bool):
    import extraction_text as tx
    path, lang, key, want_raw, credit_gt = doc
    key = key or str(path)
    text, folded, alnum = facts
    for name in tx.FIELDS:
        want = tx.normalise(name, want_raw.get(name))
        if want is None:
            continue
        value = tx.normalise(name, got.get(name))
        ok = tx.same(name, want, value, credit or credit_gt, want_raw.get(name), got.get(name))
        on_page = tx.page_shows(name, want, text, folded, alnum)
        score.all[name].add(ok, key)
        if on_page:
            score.shown[name].add(ok, key)
            score.lang[lang][name].add(ok, key)
        else:
            score.disagree[name] += 1
        if not ok:
            mark = "" if on_page else "  [page disagrees]"
            score.misses.append(f"  {path.relative_to(CORPUS)} {name}: want {want!r} got {value!r}{mark}")


def text_path(docs, facts) -> tuple[PathScore, int]:
    from collecte.extraction.registry import Options, UnreadableDocument, extract
    import extraction_text as tx

    score, no_source = PathScore("text", tx.FIELDS), 0
    for doc in docs:
        data = doc[0].read_bytes()
        start = time.perf_counter()
        try:
            result = extract(data, doc[0].name, Options(use_xml=False, use_ocr=False))
        except UnreadableDocument:
            result = None
        score.times_ms.append((time.perf_counter() - start) * 1000)
        score.docs += 1
        no_source += result is None or result.source is None
        got = tx.got_values(result) if result is not None else {}
        score_doc(score, doc, facts[doc[0]], got, bool(result and result.document_type == "credit_note"))
    return score, no_source


def ocr_selection(docs, limit):
    """Indexes of the documents to OCR: all of them, or with --ocr-limit the first file of each distinct invoice
    first (in corpus order), then the other files, so that a small limit still spreads over many invoices."""
    seen, first, rest = set(), [], []
    for index, (path, _lang, key, _want, _credit) in enumerate(docs):
        k = key or str(path)
        (rest if k in seen else first).append(index)
        seen.add(k)
    order = first + rest
    return sorted(order if limit is None else order[:limit])


def ocr_path(docs, facts, selection, jobs):
    import extraction_text as tx
    score = PathScore("OCR", tx.FIELDS)
    runs = []
    if not selection:
        return score, runs
    done, step = 0, max(1, len(selection) // 10)
    # spawn: each worker starts clean (no tesseract state forked from this process) and inherits OMP_THREAD_LIMIT=1.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=warm_up) as pool:
        futures = [pool.submit(ocr_one, i, str(docs[i][0])) for i in selection]
        for future in as_completed(futures):
            runs.append(future.result())
            done += 1
            if done % step == 0 or done == len(selection):
                print(f"  OCR {done}/{len(selection)} documents", file=sys.stderr, flush=True)
    runs.sort(key=lambda r: r["index"])
    for run in runs:
        doc = docs[run["index"]]
        score.docs += 1
        score.times_ms.append(run["wall_s"] * 1000)
        score_doc(score, doc, facts[doc[0]], run["got"], run["credit"])
    return score, runs


# ---- printing ------------------------------------------------------------------------------------------------------

def print_accuracy(score: PathScore, goals: dict, default_goal, judged_on_shown: bool) -> list[str]:
    """The per-field table; returns the fields below their goal."""
    below = []
    fields = [f for f in score.fields if score.all[f].total]
    if judged_on_shown:
        print(f"{'field':<15}{'A per file':>16}{'A per invoice':>17}{'S per file':>17}{'S per invoice':>17}"
              f"{'disagree':>9}{'goal':>6}  status (on S per file)")
    else:
        print(f"{'field':<15}{'per file':>16}{'per invoice':>17}{'goal':>6}  status (per file)")
    for name in fields:
        goal = goals.get(name, default_goal)
        tally = score.shown[name] if judged_on_shown else score.all[name]
        rate = tally.rate()
        if goal is None:
            status = ""
        elif rate is not None and rate >= goal:
            status = "PASS"
        else:
            status = "FAIL"
            below.append(name)
        goal_text = f"{goal:>6.0%}" if goal is not None else f"{'-':>6}"
        if judged_on_shown:
            print(f"{name:<15}{score.all[name].file():>16} {score.all[name].invoice():>16} "
                  f"{score.shown[name].file():>16} {score.shown[name].invoice():>16}{score.disagree[name]:>9}"
                  f"{goal_text}  {status}")
        else:
            print(f"{name:<15}{score.all[name].file():>16} {score.all[name].invoice():>16}{goal_text}  {status}")
    return below


def print_languages(score: PathScore, what: str):
    langs = sorted(score.lang, key=lambda lang: -sum(t.total for t in score.lang[lang].values()))
    fields = [f for f in score.fields if score.all[f].total]
    print(f"  per language (lang_guess), {what}, right/total per file:")
    print(f"  {'field':<15}" + "".join(f"{lang:>10}" for lang in langs))
    for name in fields:
        print(f"  {name:<15}" + "".join(f"{score.lang[lang][name].short():>10}" for lang in langs))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="OCR worker processes (default: cores)")
    parser.add_argument("--ocr-limit", type=int, default=None,
                        help="OCR at most N documents (default: every PDF with ground truth; 0 skips OCR)")
    parser.add_argument("--strict-xml", action="store_true", help="exit 1 when the XML path is below 100 %% anywhere")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)

    sys.stdout.reconfigure(line_buffering=True)  # the stderr progress lines land in order in CI logs
    if not CORPUS.is_dir():
        print(f"extraction benchmark: no corpus at {CORPUS}, skipped")
        return 0
    wall = time.perf_counter()
    print(f"Extraction benchmark over {CORPUS}")
    print("Per invoice = per distinct invoice_key: an invoice counts as right for a field when every one of its files "
          "with ground truth for that field is right (a file without invoice_key counts alone).")

    # XML path
    xml = xml_path()
    print(f"\n== XML path: Options() on {xml.docs} e-invoice XMLs and PDFs with embedded XML "
          f"(goal {XML_GOAL:.0%} on every field the XML carries)")
    xml_below = print_accuracy(xml, {}, XML_GOAL, judged_on_shown=False)
    print_languages(xml, "all documents ('xml' = standalone XML)")
    if args.verbose and xml.misses:
        print("\n".join(xml.misses))

    # text path
    import extraction_text as tx
    docs = text_docs()
    facts = {doc[0]: page_facts(doc[0].read_bytes()) for doc in docs}
    text, text_no_source = text_path(docs, facts)
    keys = len({doc[2] or str(doc[0]) for doc in docs})
    print(f"\n== text path: Options(use_xml=False, use_ocr=False) on {text.docs} PDFs with ground truth "
          f"({keys} distinct invoices)")
    print("A = all documents; S = documents whose page shows the ground-truth value; disagree = documents whose page "
          "does not show it (rule of bench/extraction_text.py). Goals judged on S per file.")
    text_below = print_accuracy(text, tx.GOALS, tx.DEFAULT_GOAL, judged_on_shown=True)
    print_languages(text, "S")
    if text_no_source:
        print(f"  {text_no_source} text results had source None (no text read): counted as misses")
    if args.verbose and text.misses:
        print("\n".join(text.misses))

    # OCR path
    selection = ocr_selection(docs, args.ocr_limit)
    jobs = max(1, args.jobs)
    ocr_start = time.perf_counter()
    ocr, runs = ocr_path(docs, facts, selection, jobs)
    ocr_wall = time.perf_counter() - ocr_start
    pages = sum(r["pages"] for r in runs)
    print(f"\n== OCR path: {len(runs)} of {len(docs)} PDFs rasterised ({pages} pages, {OCR_DPI} dpi, skew "
          f"±{OCR_SKEW}°, noise {OCR_NOISE}, no text layer) then Options(use_xml=False); {jobs} worker processes, "
          f"OMP_THREAD_LIMIT=1, {ocr_wall:.0f} s wall")
    ocr_below = []
    if runs:
        print("A/S as for the text path (S from the original PDF's page). Goals judged on S per file.")
        ocr_below = print_accuracy(ocr, OCR_GOALS, None, judged_on_shown=True)
        print_languages(ocr, "S")
        no_source = [r for r in runs if r["source"] is None]
        errors = [r for r in runs if r["error"]]
        reasons = Counter(w.split(":")[0] for r in no_source for w in (r["warnings"] or ["(no warning)"]))
        print(f"  OCR results had source None for {len(no_source)} of {len(runs)} documents (counted as misses)"
              + ("; warnings: " + ", ".join(f"{w} ×{n}" for w, n in reasons.most_common()) if reasons else ""))
        for r in errors[:5]:
            print(f"  OCR crashed on {docs[r['index']][0].relative_to(CORPUS)} (counted as misses):\n{r['error']}")
        if len(errors) > 5:
            print(f"  ... and {len(errors) - 5} more OCR crashes")
        if args.verbose and ocr.misses:
            print("\n".join(ocr.misses))
    else:
        print("  OCR path not run (--ocr-limit 0)")

    # time
    rows = [("XML path, per document", [t for t in xml.times_ms], None),
            ("text path, per document", text.times_ms, f"p50 <= {TEXT_P50_GOAL_MS} ms"),
            ("OCR path, per document", ocr.times_ms, None),
            ("OCR, per page (wall)", [r["wall_s"] * 1000 / r["pages"] for r in runs if r["pages"]], None),
            ("OCR, per page (CPU)", [r["cpu_s"] * 1000 / r["pages"] for r in runs if r["pages"]],
             f"p50 <= {OCR_PAGE_GOAL_S * 1000:.0f} ms on one core"),
            ("rasterise, per page", [r["raster_s"] * 1000 / r["pages"] for r in runs if r["pages"]], None)]
    print(f"\n== time{'':<24}{'p50':>10}{'p95':>10}   goal")
    print("(OCR workers are single-threaded, so a worker's CPU time is its time on one core; wall time also counts "
          "waiting for a core when the machine is busy)")
    time_fail = []
    figures = {}
    for label, values, goal in rows:
        p50, p95 = quantiles(values)
        figures[label] = (p50, p95)
        if p50 is None:
            print(f"{label:<31}{'-':>10}{'-':>10}")
            continue
        status = ""
        if goal:
            limit = TEXT_P50_GOAL_MS if label.startswith("text") else OCR_PAGE_GOAL_S * 1000
            status = "PASS" if p50 <= limit else "FAIL"
            if status == "FAIL":
                time_fail.append(label)
        print(f"{label:<31}{p50:>8.1f}ms{p95:>8.1f}ms   {goal or ''} {status}")
    if runs:
        total_pages = sum(r["pages"] for r in runs)
        mean = sum(r["wall_s"] for r in runs) / total_pages if total_pages else 0
        print(f"OCR mean per page: {mean:.2f} s wall ({sum(r['cpu_s'] for r in runs) / max(1, total_pages):.2f} s "
              f"CPU) over {total_pages} pages; the OCR reader reads at most its first pages (MAX_PAGES)")

    # goals
    print("\n== goals (issue 4)")
    print(f"XML path 100 % on every field it carries: {'PASS' if not xml_below else 'FAIL: ' + ', '.join(xml_below)}")
    print(f"text path >= 97 % number/issue date/total incl/currency, >= 93 % due date/excl/tax/seller/seller VAT/"
          f"IBAN (on S): {'PASS' if not text_below else 'FAIL: ' + ', '.join(text_below)}")
    if runs:
        print(f"OCR path >= 90 % number/issue date/total incl (on S): "
              f"{'PASS' if not ocr_below else 'FAIL: ' + ', '.join(ocr_below)}")
    else:
        print("OCR path: not run")
    print(f"time: text p50 <= {TEXT_P50_GOAL_MS} ms, OCR <= {OCR_PAGE_GOAL_S:.0f} s per page: "
          f"{'PASS' if not time_fail else 'FAIL: ' + ', '.join(time_fail)}")
    elapsed = time.perf_counter() - wall
    print(f"benchmark wall time {elapsed:.0f} s")

    def rates(score, shown):
        table = score.shown if shown else score.all
        return {f: (round(table[f].rate(), 4) if table[f].rate() is not None else None)
                for f in score.fields if score.all[f].total}

    summary = {"bench": "extraction", "wall_s": round(elapsed, 1), "jobs": jobs,
               "xml": {"docs": xml.docs, "per_file": rates(xml, False)},
               "text": {"docs": text.docs, "all": rates(text, False), "page_shows_truth": rates(text, True)},
               "ocr": {"docs": len(runs), "pages": pages, "source_none": sum(r["source"] is None for r in runs),
                       "all": rates(ocr, False), "page_shows_truth": rates(ocr, True)},
               "p50_ms": {label: (round(v[0], 1) if v[0] is not None else None) for label, v in figures.items()},
               "failed": [f"xml:{f}" for f in xml_below] + [f"text:{f}" for f in text_below]
               + [f"ocr:{f}" for f in ocr_below] + time_fail}
    print(json.dumps(summary, ensure_ascii=False))
    if args.strict_xml and xml_below:
        print(f"--strict-xml: the XML path is below 100 % on {', '.join(xml_below)}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        raise
    except Exception:
        traceback.print_exc()
        print("BENCHMARK ERROR: the extraction benchmark crashed")
        sys.exit(2)
