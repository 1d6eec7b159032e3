"""The XML path over the public corpus in ../shared/corpus, field by field against each folder's `_manifest.csv`.

Skipped when the corpus is absent. The manifest "has not been checked by hand; the XML is the ground truth": where a
manifest value is known to be wrong (see KNOWN_MANIFEST_FAULTS), the row is counted apart, not bent into the reader.
Run with -s to see the per-field accuracy table.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from collecte.extraction.registry import UnreadableDocument, extract

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"
FOLDERS = ("zugferd-corpus", "mustang-testresources", "en16931-examples", "xrechnung-testsuite")
FIELDS = ("type_code", "number", "issue_date", "due_date", "seller", "buyer", "seller_vat_id", "currency",
          "total_excl_tax", "vat_amount", "total_incl_tax", "amount_due", "iban")
AMOUNTS = {"total_excl_tax", "vat_amount", "total_incl_tax", "amount_due"}
FLOOR = 0.99

# Mismatches checked by hand against the XML and found to be the manifest's fault, as rules (not file lists):
# - seller_vat_id: the manifest takes the first PartyTaxScheme/CompanyID whatever its TaxScheme, so it holds the
#   seller's tax registration (BT-32: German Steuernummer "201/113/40209" with scheme FC, Swedish "Godkänd för
#   F-skatt" with scheme TAX, XRechnung 01.04a's "12/345/67890" with scheme "???") where the VAT id (BT-31) belongs.
#   Such a row is counted apart when the manifest value equals the tax registration the reader found.
def manifest_fault(name, want, result):
    if name == "seller_vat_id" and result.seller.tax_id and norm_text(result.seller.tax_id) == want:
        return "manifest holds the seller's non-VAT tax registration (BT-32), not the VAT id (BT-31)"
    return None


def manifest_rows():
    rows = []
    for folder in FOLDERS:
        manifest = CORPUS / folder / "_manifest.csv"
        if not manifest.exists():
            continue
        with manifest.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                syntax = row.get("xml_syntax") or ""
                if not row.get("gt_file") and row["kind"] != "xml":
                    continue  # a PDF without embedded XML: not the XML path
                if syntax.startswith(("other:", "UNPARSEABLE")) or not syntax:
                    continue  # FatturaPA, Order-X, unparseable: not EN 16931 e-invoices
                if "/fail/" in f"/{row['path']}":
                    continue  # deliberately wrong files (SOURCES.md)
                rows.append((folder, row))
    return rows


def norm_amount(value):
    try:
        return Decimal(str(value).replace(" ", "")).normalize() if value not in (None, "") else None
    except InvalidOperation:
        return str(value)


def norm_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    raw = value.strip()
    try:
        return date.fromisoformat(raw[:10]) if "-" in raw else date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return raw


def norm_text(value):
    return "".join(str(value).split()).upper() if value not in (None, "") else None


def got_values(result) -> dict:
    sign = -1 if "negative_invoice_as_credit_note" in result.warnings else 1  # manifest keeps the raw signs
    def amt(v):
        return norm_amount(v * sign) if v is not None else None
    return {
        "type_code": norm_text(result.type_code),
        "number": norm_text(result.invoice_number),
        "issue_date": result.issue_date,
        "due_date": result.due_date,
        "seller": norm_text(result.seller.name),
        "buyer": norm_text(result.buyer.name),
        "seller_vat_id": norm_text(result.seller.vat_id),
        "currency": norm_text(result.currency),
        "total_excl_tax": amt(result.total_excl_tax),
        "vat_amount": amt(result.total_tax),
        "total_incl_tax": amt(result.total_incl_tax),
        "amount_due": amt(result.amount_due),
        "iban": norm_text(result.seller.iban),
    }


def expected_values(row) -> dict:
    out = {}
    for name in FIELDS:
        raw = row.get(name, "")
        if raw in ("", None):
            continue
        if name in AMOUNTS:
            out[name] = norm_amount(raw)
        elif name in ("issue_date", "due_date"):
            out[name] = norm_date(raw)
        else:
            out[name] = norm_text(raw)
    return out


ROWS = manifest_rows()


@pytest.mark.skipif(not ROWS, reason="../shared/corpus is absent")
def test_it_reads_the_corpus_einvoices_field_by_field():
    hits, totals, failures, unreadable, faults = defaultdict(int), defaultdict(int), [], [], []
    for folder, row in ROWS:
        path = CORPUS / folder / row["path"]
        try:
            result = extract(path.read_bytes(), str(path))
        except UnreadableDocument as err:
            unreadable.append(f"{folder}/{row['path']}: {err}")
            continue
        if result.source is None:
            unreadable.append(f"{folder}/{row['path']}: no e-invoice read ({result.warnings})")
            continue
        got = got_values(result)
        for name, want in expected_values(row).items():
            totals[name] += 1
            if got[name] == want:
                hits[name] += 1
            elif fault := manifest_fault(name, want, result):
                totals[name] -= 1
                faults.append(f"{folder}/{row['path']} {name}: not counted, {fault}")
            else:
                failures.append(f"{folder}/{row['path']} {name}: manifest {want!r}, read {got[name]!r}")

    # Printed, so visible with -s.
    print(f"\nE-invoice XML path over the corpus: {len(ROWS)} files, {len(unreadable)} unreadable")
    print(f"{'field':<16}{'right':>7}{'of':>6}{'accuracy':>10}")
    for name in FIELDS:
        if totals[name]:
            print(f"{name:<16}{hits[name]:>7}{totals[name]:>6}{hits[name] / totals[name]:>10.2%}")
    print(f"{len(failures)} mismatches, {len(faults)} manifest faults set apart:")
    for line in unreadable + failures + faults:
        print("  ", line)
    assert not unreadable
    low = {n: hits[n] / totals[n] for n in FIELDS if totals[n] and hits[n] / totals[n] < FLOOR}
    assert not low, f"fields under {FLOOR:.0%}: {low}"
