"""The PDF text-layer extractor over invoice PDFs generated in code (invoice_pdfs.py)."""
import json
from datetime import date
from decimal import Decimal

from django.core.management import call_command

from collecte.extraction.pdftext import NO_TEXT_LAYER, read_text_pdf
from collecte.extraction.pdftext.parse import find_amounts, find_dates, to_decimal
from collecte.extraction.registry import Options, extract

from . import invoice_pdfs as gen
from .einvoice_fixtures import blank_pdf


def test_amounts_with_either_decimal_separator():
    assert to_decimal("1.234,56") == to_decimal("1,234.56") == to_decimal("1 234,56") == Decimal("1234.56")
    assert to_decimal("1'234.56") == to_decimal("1\u202f234,56") == Decimal("1234.56")
    assert [a for a, *_ in find_amounts("MwSt 19 % 95,00 EUR")] == [Decimal("95.00")]
    assert [a for a, *_ in find_amounts("€1,234.56")] == [Decimal("1234.56")]


def test_dates_numeric_and_with_month_names():
    got = [d for d, *_ in find_dates("12/03/2024 08.10.2015 2024-03-12 05-03-24 3. Oktober 2023 1er février 2024")]
    assert got == [date(2024, 3, 12), date(2015, 10, 8), date(2024, 3, 12), date(2024, 3, 5), date(2023, 10, 3),
                   date(2024, 2, 1)]


def test_french_label_left_value_right():
    r = read_text_pdf(gen.french_label_left(), "fr.pdf")
    assert r.source == "pdf-text" and r.document_type == "invoice"
    assert r.invoice_number == "FA-2024-0117" and r.issue_date == date(2024, 3, 12)
    assert (r.total_excl_tax, r.total_tax, r.total_incl_tax) == (Decimal("1000.00"), Decimal("200.00"),
                                                                 Decimal("1200.00"))
    assert r.currency == "EUR" and r.due_date == date(2024, 4, 30)  # 30 jours fin de mois
    assert r.seller.vat_id == "FR40303265045" and r.seller.siren == "303265045"
    assert r.seller.iban == "FR7630006000011234567890189"
    assert r.seller.name == "ATELIER DUPONT SARL"
    assert r.positions["total_incl_tax"]["page"] == 1 and len(r.positions["total_incl_tax"]["bbox"]) == 4
    assert r.confidence["total_incl_tax"] > 0.8 and not r.warnings


def test_english_labels_above_values():
    r = read_text_pdf(gen.english_label_above())
    assert r.invoice_number == "INV-88231"
    assert r.issue_date == date(2024, 3, 5) and r.due_date == date(2024, 4, 4)
    assert r.currency == "USD" and r.total_incl_tax == Decimal("1481.47") and r.total_tax == Decimal("246.91")
    assert r.seller.vat_id == "GB980780684"
    x0, top, x1, bottom = r.positions["invoice_number"]["bbox"]
    assert 45 < x0 < 55 and 160 < top < 176  # top-left origin, points


def test_german_two_vat_rates_and_payment_terms():
    r = read_text_pdf(gen.german_two_rates())
    assert r.invoice_number == "RE-2024/0042" and r.issue_date == date(2024, 2, 1)
    assert r.total_excl_tax == Decimal("1500.00") and r.total_tax == Decimal("130.00")
    assert r.total_incl_tax == Decimal("1630.00") and r.currency == "EUR"
    assert r.due_date == date(2024, 2, 15)
    assert r.seller.vat_id == "DE136695976" and r.seller.name == "Bäckerei Müller GmbH"
    assert r.seller.iban == "DE88200800000970375700"


def test_credit_note():
    r = read_text_pdf(gen.french_credit_note())
    assert r.document_type == "credit_note" and r.invoice_number == "AV-2024-003"
    assert r.issue_date == date(2024, 4, 15) and r.total_incl_tax == Decimal("120.00")


def test_inconsistent_totals_lower_confidence_and_warn():
    r = read_text_pdf(gen.inconsistent_totals())
    assert any(w.startswith("totals_inconsistent") for w in r.warnings)
    assert r.confidence["total_incl_tax"] < 0.8


def test_registry_uses_text_layer_with_no_xml_and_warns_on_scans(tmp_path, capsys):
    r = extract(gen.german_two_rates(), "de.pdf", Options(use_xml=False))
    assert r.source == "pdf-text"
    scan = extract(blank_pdf(), "scan.pdf", Options(use_xml=False, use_ocr=False))
    assert scan.source is None and scan.warnings == [NO_TEXT_LAYER]
    (tmp_path / "fr.pdf").write_bytes(gen.french_label_left())
    call_command("extract", str(tmp_path / "fr.pdf"), "--json", "--no-xml")
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "pdf-text" and out["total_incl_tax"] == "1200.00"
