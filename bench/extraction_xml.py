#!/usr/bin/env python
"""XML path over ../shared/corpus: per-field accuracy against each folder's _manifest.csv, counted per file and per
distinct invoice (invoice_key), and time per document (p50, p95). Usage: .venv/bin/python bench/extraction_xml.py"""
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collecte.extraction.registry import extract  # noqa: E402
from collecte.extraction.tests.test_corpus_einvoice import (  # noqa: E402
    CORPUS, FIELDS, ROWS, expected_values, got_values, manifest_fault,
)


def main():
    if not ROWS:
        print(f"no corpus at {CORPUS}")
        return
    per_file = defaultdict(lambda: [0, 0])
    per_key = defaultdict(dict)  # field -> invoice_key -> all right so far
    times = []
    for folder, row in ROWS:
        data = (CORPUS / folder / row["path"]).read_bytes()
        start = time.perf_counter()
        result = extract(data, row["path"])
        times.append((time.perf_counter() - start) * 1000)
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


if __name__ == "__main__":
    main()
