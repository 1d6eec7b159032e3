#!/usr/bin/env python
"""XML path over ../shared/corpus: per-field accuracy against each folder's _manifest.csv, counted per file and per
distinct invoice (invoice_key), time per document (p50, p95), and the EN 16931 schematron outcome: how many documents
are valid / invalid / not_run, the schematron's own time per document (p50, p95; the one-off XSLT compilations are
counted apart) and the rules that fail most. Usage: .venv/bin/python bench/extraction_xml.py"""
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collecte.extraction.einvoice import validation  # noqa: E402
from collecte.extraction.registry import extract  # noqa: E402
from collecte.extraction.tests.test_corpus_einvoice import (  # noqa: E402
    CORPUS, FIELDS, ROWS, expected_values, got_values, manifest_fault,
)


def _timed(record, function, minus=None):
    """`function` that appends its time in ms to `record`, less what `minus` recorded meanwhile."""
    def wrapper(*args, **kwargs):
        start, before = time.perf_counter(), sum(minus or ())
        try:
            return function(*args, **kwargs)
        finally:
            record.append((time.perf_counter() - start) * 1000 - (sum(minus or ()) - before))
    return wrapper


def main():
    if not ROWS:
        print(f"no corpus at {CORPUS}")
        return
    schematron_ms, compile_ms = [], []
    # validate() looks schematron() up at each call. A profile's first document also pays its XSLT's compilation,
    # which is counted apart.
    validation._SAXON._compile = _timed(compile_ms, validation._SAXON._compile)
    validation.schematron = _timed(schematron_ms, validation.schematron, minus=compile_ms)
    outcomes, rules, reasons = Counter(), Counter(), Counter()
    per_file = defaultdict(lambda: [0, 0])
    per_key = defaultdict(dict)  # field -> invoice_key -> all right so far
    times = []
    for folder, row in ROWS:
        data = (CORPUS / folder / row["path"]).read_bytes()
        start = time.perf_counter()
        result = extract(data, row["path"])
        times.append((time.perf_counter() - start) * 1000)
        if result.validation:
            outcomes[result.validation["schematron"]] += 1
            rules.update({e.split(":", 1)[0] for e in result.validation.get("schematron_errors", [])})
            reasons.update(e.split(":", 1)[1].strip()[:60] for e in result.validation["errors"]
                           if e.startswith("schematron not run"))
        else:
            outcomes["no e-invoice"] += 1
        got = got_values(result)
        for name, want in expected_values(row).items():
            if got[name] != want and manifest_fault(name, want, result):
                continue
            ok = got[name] == want
            per_file[name][0] += ok
            per_file[name][1] += 1
            key = row.get("invoice_key") or row["path"]
            per_key[name][key] = per_key[name].get(key, True) and ok
    print(f"XML path: {len(ROWS)} documents")
    print(f"{'field':<16}{'per file':>18}{'per invoice':>18}")
    for name in FIELDS:
        right, total = per_file[name]
        if total:
            keys = per_key[name]
            print(f"{name:<16}{right:>7}/{total:<4}{right / total:>7.1%}"
                  f"{sum(keys.values()):>7}/{len(keys):<4}{sum(keys.values()) / len(keys):>7.1%}")
    q = statistics.quantiles(times, n=20)
    print(f"time per document: p50 {statistics.median(times):.1f} ms, p95 {q[18]:.1f} ms")
    print("schematron: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    if schematron_ms:
        qs = statistics.quantiles(schematron_ms, n=20) if len(schematron_ms) > 1 else schematron_ms * 19
        print(f"schematron time per document: p50 {statistics.median(schematron_ms):.1f} ms, p95 {qs[18]:.1f} ms, "
              f"max {max(schematron_ms):.1f} ms; {len(compile_ms)} XSLT compiled once in "
              f"{sum(compile_ms) / 1000:.1f} s")
    for reason, n in reasons.most_common(5):
        print(f"  not run x{n}: {reason}")
    print("most failed rules (documents): " + ", ".join(f"{r} {n}" for r, n in rules.most_common(12)))


if __name__ == "__main__":
    main()
