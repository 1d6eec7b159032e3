"""Factur-X / ZUGFeRD PDFs generated here with the factur-x library, through the registry and `collecte extract`."""
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from facturx import generate_from_binary

from collecte.extraction.ocr import NOTHING_READ
from collecte.extraction.pdftext import NO_TEXT_LAYER
from collecte.extraction.registry import Options, UnreadableDocument, extract

from .einvoice_fixtures import blank_pdf, cii_invoice, pdf_with_attachments, zugferd1


@pytest.fixture(scope="module")
def facturx_pdf():
    return generate_from_binary(blank_pdf(), cii_invoice(), check_xsd=True)


def test_it_reads_the_xml_embedded_in_a_factur_x_pdf(facturx_pdf):
    r = extract(facturx_pdf, "fa.pdf")
    assert (r.file, r.source, r.document_type) == ("fa.pdf", "factur-x", "invoice")
    assert r.invoice_number == "FA-2024-001" and r.total_incl_tax == Decimal("1127.50")
    assert r.validation["embedded_file"] == "factur-x.xml" and r.validation["xsd"] == "valid"


def test_it_prefers_factur_x_xml_over_zugferd_invoice_xml_and_ignores_other_attachments():
    pdf = pdf_with_attachments({
        "logo.png": b"\x89PNG\r\n\x1a\n",
        "annexe.pdf": blank_pdf(),
        "ZUGFeRD-invoice.xml": zugferd1(),
        "factur-x.xml": cii_invoice(number="FX-1"),
    })
    assert extract(pdf).invoice_number == "FX-1"
    only_v1 = pdf_with_attachments({"annexe.pdf": blank_pdf(), "ZUGFeRD-invoice.xml": zugferd1()})
    assert extract(only_v1).invoice_number == "RE-20151008/504"


def test_it_skips_attached_xml_that_is_not_an_invoice():
    pdf = pdf_with_attachments({"order.xml": b"<order xmlns='urn:example'/>", "xrechnung.xml": cii_invoice(number="X")})
    assert extract(pdf).invoice_number == "X"


def test_a_pdf_without_xml_nor_text_gives_no_source_and_says_why(facturx_pdf):
    for data, options in ((blank_pdf(), Options()), (facturx_pdf, Options(use_xml=False))):
        r = extract(data, "x.pdf", options)
        assert r.source is None and r.invoice_number is None
        assert r.warnings == [NO_TEXT_LAYER, NOTHING_READ]
    r = extract(blank_pdf(), "x.pdf", Options(use_ocr=False))
    assert r.warnings == [NO_TEXT_LAYER]


def test_it_refuses_files_it_cannot_read():
    with pytest.raises(UnreadableDocument):
        extract(b"hello, not an invoice")
    with pytest.raises(UnreadableDocument):
        extract(b"%PDF-1.7\n garbage that is not a PDF")
    with pytest.raises(UnreadableDocument):
        extract(b"<html><body>hi</body></html>")


def test_it_prints_one_json_object_per_line(tmp_path, capsys, facturx_pdf):
    (tmp_path / "fa.pdf").write_bytes(facturx_pdf)
    (tmp_path / "ubl.xml").write_bytes(zugferd1())
    (tmp_path / "scan.pdf").write_bytes(blank_pdf())
    call_command("extract", str(tmp_path / "fa.pdf"), str(tmp_path / "ubl.xml"), str(tmp_path / "scan.pdf"), "--json")
    lines = capsys.readouterr().out.strip().splitlines()
    objs = [json.loads(line) for line in lines]
    assert [o["source"] for o in objs] == ["factur-x", "cii", None]
    assert objs[0]["total_incl_tax"] == "1127.50" and objs[0]["issue_date"] == "2024-03-12"
    assert objs[0]["seller"]["siren"] == "732829320"
    assert objs[2]["warnings"] == [NO_TEXT_LAYER, NOTHING_READ]


def test_it_prints_a_summary_and_ignores_xml_with_no_xml(tmp_path, capsys, facturx_pdf):
    (tmp_path / "fa.pdf").write_bytes(facturx_pdf)
    call_command("extract", str(tmp_path / "fa.pdf"))
    out = capsys.readouterr().out
    assert "Invoice FA-2024-001 of 2024-03-12" in out and "1127.50 EUR" in out
    call_command("extract", str(tmp_path / "fa.pdf"), "--json", "--no-xml", "--no-ocr")
    assert json.loads(capsys.readouterr().out)["source"] is None


def test_it_exits_1_when_a_file_cannot_be_read(tmp_path, capsys, facturx_pdf):
    (tmp_path / "fa.pdf").write_bytes(facturx_pdf)
    (tmp_path / "notes.txt").write_text("not an invoice")
    with pytest.raises(SystemExit) as exit_info:
        call_command("extract", str(tmp_path / "fa.pdf"), str(tmp_path / "notes.txt"), str(tmp_path / "missing.pdf"))
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "FA-2024-001" in captured.out
    assert "notes.txt: cannot read: not a PDF, an image or an XML file" in captured.err
    assert "missing.pdf: cannot read:" in captured.err
