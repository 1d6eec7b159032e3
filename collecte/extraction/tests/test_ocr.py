"""OCR path: the generated invoices (fr/en/de layouts) rasterised like scans (noise, skew) and photographed (skew,
uneven light), read by real tesseract. Also the registry order, the command's --jobs and progress bar."""
import io
import json

import pytest
from django.core.management import call_command

from collecte.extraction import ocr
from collecte.extraction.registry import Options, extract
from collecte.extraction.scan import photo, rasterise
from collecte.extraction.tests.invoice_pdfs import french_label_left, layout_fixtures

pytestmark = pytest.mark.skipif(not ocr.available(), reason="tesseract data (fra, eng, deu) is not installed")

HEADLINE = ("invoice_number", "issue_date", "total_incl_tax")
# One of each language and layout kind: OCR costs about a second per page, the text tests cover every combination.
SAMPLE = [f for i, f in enumerate(layout_fixtures()) if i % 3 == 0]


def compare(result, expected, fields):
    got = {"invoice_number": result.invoice_number, "issue_date": result.issue_date,
           "total_incl_tax": result.total_incl_tax, "currency": result.currency, "due_date": result.due_date,
           "total_excl_tax": result.total_excl_tax, "total_tax": result.total_tax}
    return {f: (got[f], expected[f]) for f in fields if got[f] != expected[f]}


@pytest.mark.parametrize("name,pdf,expected", SAMPLE, ids=[s[0] for s in SAMPLE])
def test_a_scan_is_read_by_ocr_with_positions(name, pdf, expected):
    scan = rasterise(pdf, dpi=150, skew_degrees=0.8, noise=0.02, seed=len(name))
    result = extract(scan, f"{name}.pdf")
    assert result.source == "ocr", result.warnings
    assert compare(result, expected, HEADLINE) == {}
    for field in HEADLINE:
        assert result.positions[field]["page"] == 1 and len(result.positions[field]["bbox"]) == 4
        assert 0 < result.confidence[field] < 1  # never as sure as a text layer


def test_ocr_boxes_land_where_the_text_layer_puts_them():
    pdf = french_label_left()
    text = extract(pdf, "f.pdf", Options(use_xml=False))
    scanned = extract(rasterise(pdf, dpi=150, skew_degrees=0.0, noise=0.0), "f.pdf")
    for field in ("invoice_number", "total_incl_tax"):
        a, b = text.positions[field]["bbox"], scanned.positions[field]["bbox"]
        assert all(abs(x - y) < 6 for x, y in zip(a, b)), (field, a, b)


def test_a_phone_photo_is_turned_upright_and_read():
    name, pdf, expected = layout_fixtures()[0]
    picture = photo(pdf, dpi=200, skew_degrees=3.0, seed=1)
    result = extract(picture, "photo.jpg")
    assert result.source == "ocr"
    assert compare(result, expected, HEADLINE) == {}


def test_an_upside_down_scan_is_turned_before_reading():
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(french_label_left())[0]
    scan = page.render(scale=200 / 72, grayscale=True).to_pil().rotate(180)
    buffer = io.BytesIO()
    scan.save(buffer, "PNG", dpi=(200, 200))
    result = extract(buffer.getvalue(), "scan.png")
    assert result.invoice_number == "FA-2024-0117" and str(result.total_incl_tax) == "1200.00"


def test_no_ocr_leaves_a_scan_unread_and_says_why():
    scan = rasterise(french_label_left())
    result = extract(scan, "scan.pdf", Options(use_ocr=False))
    assert result.source is None and result.warnings[0].startswith("no_text_layer")


def test_the_command_reads_many_files_in_parallel_in_order_with_a_progress_bar(tmp_path):
    names = []
    for i, (name, pdf, _expected) in enumerate(layout_fixtures()[:4]):
        path = tmp_path / f"{i}-{name}.pdf"
        path.write_bytes(rasterise(pdf, seed=i) if i == 1 else pdf)
        names.append(str(path))
    out, err = io.StringIO(), io.StringIO()
    call_command("extract", *names, "--json", "--jobs", "2", "--progress", stdout=out, stderr=err)
    objs = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [o["file"] for o in objs] == names
    assert [o["source"] for o in objs] == ["pdf-text", "ocr", "pdf-text", "pdf-text"]
    assert "4/4 files" in err.getvalue() and err.getvalue().count("\r") == 4
