"""Which party is whom (the folder's own company is never the counterparty, nor the forwarder), and the XML checked
against its page (positions for the XML's fields; a warning when the page shows something else)."""
from decimal import Decimal

from facturx import generate_from_binary

from collecte.extraction.parties import Company, Context, is_company, same_name
from collecte.extraction.registry import Options, extract
from collecte.extraction.result import Party
from collecte.extraction.tests.einvoice_fixtures import cii_invoice
from collecte.extraction.tests.invoice_pdfs import pdf

CLIENT = Company(name="Boulangerie Martin SARL", siren="732829320", vat_id="FR44732829320",
                 iban="FR7630006000011234567890189")
SUPPLIER_VAT = "DE136695976"


def purchase_printing_the_client_first() -> bytes:
    """A supplier's invoice whose first block is the client's delivery address with its VAT id and, further down, a
    direct-debit line with the client's IBAN: the text path alone takes those for the supplier's."""
    return pdf([
        (50, 60, "Boulangerie Martin SARL"), (50, 74, "TVA FR44732829320"), (50, 88, "3 rue Haute, 69001 Lyon"),
        (330, 60, "NORDWIND HANDELS GMBH"), (330, 74, f"USt-IdNr. {SUPPLIER_VAT}"),
        (330, 88, "IBAN DE89 3704 0044 0532 0130 00"),
        (50, 200, "Rechnung Nr. 2024-881"), (50, 214, "Datum: 12.03.2024"),
        (330, 400, "Gesamtbetrag"), (470, 400, "119,00 EUR"),
        (50, 480, "Lastschrift vom Konto IBAN FR76 3000 6000 0112 3456 7890 189"),
    ])


def test_names_match_without_legal_forms_and_accents():
    assert same_name("Boulangerie Martin SARL", "BOULANGERIE MARTIN")
    assert same_name("Société Générale S.A.", "Societe Generale")
    assert not same_name("Martin Frères", "Garage du Centre")
    assert is_company(Party(vat_id="FR44732829320"), CLIENT)
    assert is_company(Party(siret="73282932000074"), CLIENT)
    assert not is_company(Party(vat_id=SUPPLIER_VAT, name="Nordwind"), CLIENT)


def test_a_purchase_never_names_the_client_as_its_supplier():
    plain = extract(purchase_printing_the_client_first(), "p.pdf", Options(use_xml=False))
    assert plain.seller.vat_id == CLIENT.vat_id  # what the generic rules alone do with this layout
    r = extract(purchase_printing_the_client_first(), "p.pdf", Options(use_xml=False),
                context=Context(own=CLIENT, direction="purchases"))
    assert r.seller.vat_id == SUPPLIER_VAT and r.seller.country == "DE"
    assert r.seller.iban == "DE89370400440532013000"
    assert r.buyer.vat_id == CLIENT.vat_id
    assert r.positions["seller.vat_id"]["bbox"][0] >= 330
    assert not same_name(r.seller.name, CLIENT.name)
    assert any(w.startswith("own_company_skipped") for w in r.warnings)


def test_a_sale_names_the_customer_not_the_folder():
    sale = pdf([
        (50, 60, "Boulangerie Martin SARL"), (50, 74, "TVA FR44732829320"),
        (330, 140, "Facturé à :"), (330, 154, "Garage du Centre SAS"), (330, 168, "TVA FR96552100554"),
        (50, 220, "Facture n° : FV-2024-12"), (50, 234, "Date : 12/03/2024"),
        (330, 400, "Total TTC"), (470, 400, "240,00 €"),
    ])
    r = extract(sale, "s.pdf", Options(use_xml=False), context=Context(own=CLIENT, direction="sales"))
    assert r.seller.vat_id == CLIENT.vat_id
    assert r.buyer.vat_id == "FR96552100554"
    assert r.buyer.name and same_name(r.buyer.name, "Garage du Centre")


def test_the_person_who_forwarded_is_not_the_supplier():
    forwarded = pdf([(50, 60, "Jean Dupont"), (50, 200, "Facture n° : 77"), (50, 214, "Date : 01/02/2024"),
                     (330, 400, "Total TTC"), (470, 400, "12,00 €")])
    r = extract(forwarded, "f.pdf", Options(use_xml=False),
                context=Context(own=CLIENT, direction="purchases", forwarder_name="Jean Dupont"))
    assert r.seller.name is None
    assert any(w.startswith("counterparty_is_forwarder") for w in r.warnings)


def test_an_e_invoice_is_left_as_is_but_a_wrong_direction_is_said():
    xml = cii_invoice()  # seller: Boulangerie Martin SARL (FR44732829320)
    r = extract(xml, "f.xml", context=Context(own=CLIENT, direction="purchases"))
    assert r.seller.vat_id == "FR44732829320"
    assert any(w.startswith("own_company_is_seller") for w in r.warnings)
    sale = extract(xml, "f.xml", context=Context(own=CLIENT, direction="sales"))
    assert not any(w.startswith("own_company") for w in sale.warnings)


def facturx_with_page(page_date: str, page_total: str) -> bytes:
    page = pdf([
        (50, 60, "Boulangerie Martin SARL"), (50, 74, "TVA FR44732829320"),
        (50, 200, "Facture n° FA-2024-001"), (50, 214, f"Date : {page_date}"),
        (50, 228, "Échéance : 11/04/2024"),
        (330, 380, "Total HT"), (470, 380, "1 000,00 €"),
        (330, 394, "TVA"), (470, 394, "127,50 €"),
        (330, 408, "Total TTC"), (470, 408, f"{page_total} €"),
        (50, 480, "IBAN FR76 3000 6000 0112 3456 7890 189"),
    ])
    return generate_from_binary(page, cii_invoice(), check_xsd=False)


def test_the_xml_fields_get_positions_on_the_page():
    r = extract(facturx_with_page("12/03/2024", "1 127,50"), "fx.pdf")
    assert r.source == "factur-x"
    assert not [w for w in r.warnings if w.startswith("cross_check")]
    assert r.positions["invoice_number"]["page"] == 1
    assert r.positions["issue_date"]["bbox"][1] == r.positions["invoice_number"]["bbox"][1] + 14
    assert r.positions["total_incl_tax"]["bbox"][0] >= 470
    assert r.positions["seller.iban"]["bbox"][1] > 460
    assert r.confidence["invoice_number"] == 1.0


def test_a_page_that_disagrees_with_its_xml_is_a_warning_and_the_xml_wins():
    r = extract(facturx_with_page("12/03/2025", "1 172,50"), "fx.pdf")
    assert r.issue_date.isoformat() == "2024-03-12" and r.total_incl_tax == Decimal("1127.50")
    warnings = [w for w in r.warnings if w.startswith("cross_check")]
    assert "cross_check_issue_date: the XML says 2024-03-12, the page shows 12/03/2025" in warnings
    assert any(w.startswith("cross_check_total_incl_tax: the XML says 1127.50, the page shows 1 172,50") for w in warnings)
