"""Journal entries and the FEC / CSV exports (pure: no database). Entries are checked by hand: a purchase debits the
expense and the deductible VAT and credits the supplier; a sale is the mirror image; a credit note reverses both."""
import csv
import io
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from collecte.ledger.accounting import (
    CSV_COLUMNS, FEC_COLUMNS, Account, ExportInvoice, default_chart, encode_fec, fec_filename, is_balanced,
    journal_entries, subaccount_for, vat_rate_of, write_csv, write_fec,
)

DAY = date(2024, 3, 15)
PURCHASES, SALES = "purchases", "sales"


def invoice(invoice_id=1, direction=PURCHASES, kind="invoice", excl="100.00", tax="20.00", incl="120.00",
            number=None, issue=DAY, name="Dupont SARL", account="", counterparty_account="", currency="EUR",
            **extra):
    return ExportInvoice(invoice_id, direction, kind, number or f"F-{invoice_id:04d}", issue,
                         extra.pop("validated_on", issue + timedelta(days=3)), name, counterparty_account, account,
                         None if excl is None else D(excl), None if tax is None else D(tax), D(incl), currency,
                         extra.pop("base_currency", "EUR"), **extra)


def one(*invoices):
    entries, warnings = journal_entries(list(invoices))
    assert len(entries) == 1 and is_balanced(entries)
    return entries[0], warnings


def rows(entry):
    return [(line.account, line.aux_account, line.debit, line.credit) for line in entry.lines]


def fec_records(text, sep="\t"):
    assert text.endswith("\r\n") and "\r\n\r\n" not in text
    return [record.split(sep) for record in text[:-2].split("\r\n")]


# --- entries ---------------------------------------------------------------------------------------------------------

def test_it_books_a_purchase_at_20_percent():
    entry, warnings = one(invoice())
    assert rows(entry) == [("606", "", D("100.00"), D("0")), ("44566200", "", D("20.00"), D("0")),
                           ("401", "401DUPONT", D("0"), D("120.00"))]
    assert warnings == []
    assert (entry.journal_code, entry.number, entry.entry_date, entry.piece_ref) == ("AC", "AC000001", DAY, "F-0001")
    assert entry.lines[2].aux_label == "Dupont SARL" and entry.lines[0].label == "Facture F-0001 Dupont SARL"


def test_it_books_a_sale_at_5_5_percent_as_the_mirror_image():
    entry, warnings = one(invoice(direction=SALES, excl="200.00", tax="11.00", incl="211.00", name="Moreau & Fils",
                                  account="707"))
    assert rows(entry) == [("411", "411MOREAUFI", D("211.00"), D("0")), ("707", "", D("0"), D("200.00")),
                           ("44571055", "", D("0"), D("11.00"))]
    assert warnings == [] and entry.journal_code == "VT" and entry.journal_label == "Journal des ventes"
    assert entry.lines[2].account_label == "TVA collectée 5,5 %"


def test_it_reverses_the_sides_of_a_purchase_credit_note():
    entry, _ = one(invoice(kind="credit_note", excl="50.00", tax="10.00", incl="60.00"))
    assert rows(entry) == [("606", "", D("0"), D("50.00")), ("44566200", "", D("0"), D("10.00")),
                           ("401", "401DUPONT", D("60.00"), D("0"))]
    assert entry.lines[0].label.startswith("Avoir ")


def test_it_reverses_a_sales_credit_note_whether_its_amounts_are_positive_or_negative():
    positive, _ = one(invoice(direction=SALES, kind="credit_note", excl="50.00", tax="10.00", incl="60.00"))
    negative, _ = one(invoice(direction=SALES, kind="credit_note", excl="-50.00", tax="-10.00", incl="-60.00"))
    expected = [("411", "411DUPONT", D("0"), D("60.00")), ("706", "", D("50.00"), D("0")),
                ("44571200", "", D("10.00"), D("0"))]
    assert rows(positive) == rows(negative) == expected


def test_it_finds_10_percent_despite_a_one_cent_rounding_difference():
    # three lines of 33.33 at 10 %: 3.33 of VAT each, 9.99 in all, where 10 % of 99.99 is 10.00
    assert vat_rate_of(D("99.99"), D("9.99")) == D("10")
    entry, warnings = one(invoice(excl="99.99", tax="9.99", incl="109.98"))
    assert rows(entry) == [("606", "", D("99.99"), D("0")), ("44566100", "", D("9.99"), D("0")),
                           ("401", "401DUPONT", D("0"), D("109.98"))]
    assert warnings == []


def test_it_books_mixed_rates_on_the_generic_account_with_a_warning():
    # 1,000 at 20 % and 100 at 5.5 %: no single rate explains 205.50 on 1,100
    assert vat_rate_of(D("1100.00"), D("205.50")) is None
    entry, warnings = one(invoice(invoice_id=7, excl="1100.00", tax="205.50", incl="1305.50", number="F-77"))
    assert rows(entry) == [("606", "", D("1100.00"), D("0")), ("44566", "", D("205.50"), D("0")),
                           ("401", "401DUPONT", D("0"), D("1305.50"))]
    assert [(w.invoice_id, w.code) for w in warnings] == [(7, "mixed_vat_rates")] and "F-77" in warnings[0].message


def test_it_explains_its_vat_tolerance():
    assert vat_rate_of(D("100.00"), D("20.02")) == D("20")   # within 2 cents (+ 0.01 % of 20.00)
    assert vat_rate_of(D("100.00"), D("20.05")) is None       # beyond
    assert vat_rate_of(D("100000.00"), D("20001.50")) == D("20")  # a long invoice: 0.01 % of 20,000 = 2.00
    assert vat_rate_of(D("100200.00"), D("20020.00")) is None     # 200 at 10 % hidden in a large one: not 20 %
    assert vat_rate_of(D("-100.00"), D("-20.00")) == D("20") and vat_rate_of(D("100.00"), D("-20.00")) is None
    assert vat_rate_of(D("0.10"), D("0.01")) == D("10")      # the closest rate
    assert vat_rate_of(D("0.20"), D("0.03")) is None          # 10 % and 20 % equally close: cannot tell
    assert vat_rate_of(D("100.00"), D("2.10")) == D("2.1") and vat_rate_of(None, D("1")) is None


def test_it_books_zero_vat_without_a_vat_line():
    assert vat_rate_of(D("300.00"), D("0.00")) == D("0")
    entry, warnings = one(invoice(excl="300.00", tax="0.00", incl="300.00"))
    assert rows(entry) == [("606", "", D("300.00"), D("0")), ("401", "401DUPONT", D("0"), D("300.00"))]
    assert warnings == []


def test_it_completes_a_missing_excl_or_tax_amount():
    expected = [("606", "", D("100.00"), D("0")), ("44566200", "", D("20.00"), D("0")),
                ("401", "401DUPONT", D("0"), D("120.00"))]
    for excl, tax in ((None, "20.00"), ("100.00", None)):
        entry, warnings = one(invoice(excl=excl, tax=tax))
        assert rows(entry) == expected and warnings == []


def test_it_books_the_whole_amount_without_vat_when_excl_and_tax_are_missing():
    entry, warnings = one(invoice(excl=None, tax=None, incl="120.00"))
    assert rows(entry) == [("606", "", D("120.00"), D("0")), ("401", "401DUPONT", D("0"), D("120.00"))]
    assert [w.code for w in warnings] == ["amounts_missing"]


def test_it_balances_by_booking_incl_minus_tax_when_the_totals_disagree():
    entry, warnings = one(invoice(excl="100.00", tax="20.00", incl="120.01"))
    assert rows(entry)[0] == ("606", "", D("100.01"), D("0")) and entry.debit == entry.credit == D("120.01")
    assert [w.code for w in warnings] == ["totals_disagree"]


def test_it_skips_a_foreign_currency_invoice_without_a_rate_and_keeps_numbering_without_gaps():
    entries, warnings = journal_entries([invoice(1, currency="USD", number="US-1", issue=DAY),
                                         invoice(2, issue=DAY + timedelta(days=1))])
    assert [(e.invoice_id, e.number) for e in entries] == [(2, "AC000001")]
    assert [(w.invoice_id, w.code) for w in warnings] == [(1, "foreign_currency_skipped")]
    assert "US-1" in warnings[0].message and "USD" in warnings[0].message


def test_it_converts_a_foreign_invoice_at_a_given_rate_and_keeps_the_original_amounts():
    entry, warnings = one(invoice(currency="usd", exchange_rate=D("0.9")))
    assert rows(entry) == [("606", "", D("90.00"), D("0")), ("44566200", "", D("18.00"), D("0")),
                           ("401", "401DUPONT", D("0"), D("108.00"))]
    assert [(line.currency_amount, line.currency) for line in entry.lines] == [
        (D("100.00"), "USD"), (D("20.00"), "USD"), (D("120.00"), "USD")]
    assert [w.code for w in warnings] == ["foreign_currency_converted"]
    record = fec_records(write_fec([entry]))[3]
    assert record[FEC_COLUMNS.index("Montantdevise")] == "120,00" and record[-1] == "USD"


def test_it_uses_the_invoice_account_or_its_parent_label_and_refuses_non_pcg_numbers():
    entry, warnings = one(invoice(account="6226"))
    assert entry.lines[0].account == "6226" and entry.lines[0].account_label.startswith("Rémunérations")
    assert warnings == []
    entry, warnings = one(invoice(account="Frais"))
    assert entry.lines[0].account == "606" and [w.code for w in warnings] == ["invalid_account"]
    entry, warnings = one(invoice(account="999"))
    assert entry.lines[0].account_label == "999" and [w.code for w in warnings] == ["unknown_account"]


def test_it_uses_the_generic_vat_account_when_the_chart_lacks_the_rate():
    chart = [a for a in default_chart() if a.number != "44566100"]
    entries, warnings = journal_entries([invoice(excl="100.00", tax="10.00", incl="110.00")], chart)
    assert entries[0].lines[1].account == "44566" and [w.code for w in warnings] == ["no_vat_account"]
    with pytest.raises(ValueError):
        journal_entries([invoice()], [Account("401", "Fournisseurs", "supplier")])


def test_it_letters_only_the_counterparty_line():
    entry, _ = one(invoice(lettering="AA", lettering_date=date(2024, 4, 2)))
    assert [(line.lettering, line.lettering_date) for line in entry.lines] == [
        ("", None), ("", None), ("AA", date(2024, 4, 2))]


def test_it_skips_a_zero_invoice_with_a_warning():
    entries, warnings = journal_entries([invoice(excl="0", tax="0", incl="0")])
    assert entries == [] and [w.code for w in warnings] == ["zero_amount"]


# --- sub-accounts ----------------------------------------------------------------------------------------------------

def test_it_derives_sub_accounts_without_accents_or_legal_forms():
    assert subaccount_for("401", "Électricité Générale SARL", set()) == "401ELECTRIC"
    assert subaccount_for("401", "S.A.R.L. Bâtiment", set()) == "401BATIMENT"
    assert subaccount_for("411", "SAS Côté Jardin", set()) == "411COTEJARD"
    assert subaccount_for("411", "EURL l'Œuf", set()) == "411LOEUF"
    assert subaccount_for("401", "SCI", set()) == "401SCI" and subaccount_for("401", "", set()) == "401DIVERS"


def test_it_makes_sub_accounts_unique_with_a_numeric_suffix():
    assert subaccount_for("401", "Dupont", {"401DUPONT"}) == "401DUPONT1"
    assert subaccount_for("401", "Boulangerie Martin", {"401BOULANGE", "401BOULANG1"}) == "401BOULANG2"


def test_it_gives_one_sub_account_per_counterparty_across_invoices():
    entries, _ = journal_entries([
        invoice(1, name="Boulangerie Martin"), invoice(2, name="Boulangerie Morel"),
        invoice(3, name="BOULANGERIE MARTIN SAS"), invoice(4, name="Garage Petit", counterparty_account="401GPETIT"),
        invoice(5, name="Garage Petit SARL"), invoice(6, name="Dupont", counterparty_account="401DUPONT"),
        invoice(7, name="Dupont Frères")])
    aux = {e.invoice_id: e.lines[-1].aux_account for e in entries}
    assert aux == {1: "401BOULANGE", 2: "401BOULANG1", 3: "401BOULANGE", 4: "401GPETIT", 5: "401GPETIT",
                   6: "401DUPONT", 7: "401DUPONTFR"}


# --- FEC and CSV -----------------------------------------------------------------------------------------------------

def test_it_writes_the_fec_header_columns_dates_and_amounts():
    entries, _ = journal_entries([invoice(name="Tab\there | pipe\nnewline", lettering="AB",
                                          lettering_date=date(2024, 4, 30), validated_on=date(2024, 3, 20),
                                          number="F|12", excl="1234.50", tax="246.90", incl="1481.40")])
    records = fec_records(write_fec(entries))
    assert records[0] == list(FEC_COLUMNS) and len(FEC_COLUMNS) == 18
    assert all(len(record) == 18 for record in records)
    supplier = dict(zip(FEC_COLUMNS, records[3]))
    assert supplier == {"JournalCode": "AC", "JournalLib": "Journal des achats", "EcritureNum": "AC000001",
                        "EcritureDate": "20240315", "CompteNum": "401", "CompteLib": "Fournisseurs",
                        "CompAuxNum": "401TABHEREP", "CompAuxLib": "Tab here pipe newline", "PieceRef": "F 12",
                        "PieceDate": "20240315", "EcritureLib": "Facture F 12 Tab here pipe newline",
                        "Debit": "0,00", "Credit": "1481,40", "EcritureLet": "AB", "DateLet": "20240430",
                        "ValidDate": "20240320", "Montantdevise": "", "Idevise": ""}
    assert records[1][11:13] == ["1234,50", "0,00"] and records[1][13:15] == ["", ""]
    piped = fec_records(write_fec(entries, sep="|"), sep="|")
    assert all(len(record) == 18 for record in piped) and piped[1:] == records[1:]
    with pytest.raises(ValueError):
        write_fec(entries, sep=";")


def test_it_numbers_entries_per_journal_in_chronological_order_without_gaps():
    invoices = [invoice(1, issue=date(2024, 3, 5), number="B"), invoice(2, direction=SALES, issue=date(2024, 3, 1)),
                invoice(3, issue=date(2024, 3, 5), number="A"), invoice(4, issue=date(2024, 1, 31)),
                invoice(5, direction=SALES, issue=date(2024, 2, 1)), invoice(6, issue=date(2024, 3, 5), number="A")]
    entries, _ = journal_entries(invoices)
    assert [(e.invoice_id, e.number) for e in entries] == [
        (4, "AC000001"), (5, "VT000001"), (2, "VT000002"), (3, "AC000002"), (6, "AC000003"), (1, "AC000004")]
    records = fec_records(write_fec(entries))[1:]
    assert [r[3] for r in records] == sorted(r[3] for r in records)


def test_it_names_the_fec_file_after_the_siren_and_closing_date():
    assert fec_filename("552 100 554", date(2024, 12, 31)) == "552100554FEC20241231.txt"
    with pytest.raises(ValueError):
        fec_filename("55210055", date(2024, 12, 31))


def test_it_encodes_the_fec_in_latin_9():
    assert encode_fec("Œuvre € é") == "Œuvre € é".encode("iso-8859-15")
    assert encode_fec("Łódź 中") == b"L\xf3dz ?"  # ó is in Latin-9, Ł is not


def test_it_writes_a_french_csv_with_sub_accounts_and_inert_formulas():
    entries, _ = journal_entries([invoice(name="=HYPERLINK(\"http://x\")", number="+33", account="6064")])
    parsed = list(csv.reader(io.StringIO(write_csv(entries)), delimiter=";"))
    assert parsed[0] == list(CSV_COLUMNS) == ["Journal", "Date", "Pièce", "Compte", "Libellé compte", "Tiers",
                                               "Libellé", "Débit", "Crédit"]
    assert parsed[1] == ["AC", "15/03/2024", "'+33", "6064", "Fournitures administratives",
                         "'=HYPERLINK(\"http://x\")", "Facture +33 =HYPERLINK(\"http://x\")", "100,00", "0,00"]
    assert parsed[3][3:5] == ["401HYPERLIN", "'=HYPERLINK(\"http://x\")"] and parsed[3][7:] == ["0,00", "120,00"]


# --- a large random set ----------------------------------------------------------------------------------------------

def random_invoices(count, seed=20240315):
    rng = random.Random(seed)
    names = ["Électricité Générale SARL", "Boulangerie Martin", "Boulangerie Morel", "Moreau & Fils SAS", "Café |Tab\t",
             "=SUM(A1)", "Dupont", "Dupont SA", "Ĳssel GmbH", ""]
    result = []
    for invoice_id in range(1, count + 1):
        excl = D(rng.randint(0, 5_000_000)) / 100
        rate = rng.choice([D("20"), D("10"), D("5.5"), D("2.1"), D("0"), None])  # None: mixed rates
        tax = (excl * (rate if rate is not None else D("13.7")) / 100).quantize(D("0.01"))
        tax += D(rng.choice([0, 0, 0, 1, -1])) / 100  # per-line rounding
        incl = excl + tax + D(rng.choice([0] * 9 + [1])) / 100  # sometimes inconsistent totals
        if rng.random() < 0.3:
            excl, tax, incl = -excl, -tax, -incl
        shown = rng.choice(["both", "both", "no_excl", "no_tax", "none"])
        currency = rng.choice(["EUR"] * 18 + ["USD", "GBP"])
        result.append(invoice(invoice_id, direction=rng.choice([PURCHASES, SALES]),
                              kind=rng.choice(["invoice", "invoice", "credit_note"]),
                              excl=None if shown in ("no_excl", "none") else str(excl),
                              tax=None if shown in ("no_tax", "none") else str(tax), incl=str(incl),
                              number=f"N{invoice_id}", issue=date(2024, 1, 1) + timedelta(days=rng.randint(0, 365)),
                              name=rng.choice(names), account=rng.choice(["", "", "6064", "707", "6226"]),
                              currency=currency, exchange_rate=rng.choice([None, D("0.9137")]),
                              lettering=rng.choice(["", "AA"]), lettering_date=date(2025, 1, 15)))
    return result


def test_it_exports_2000_random_invoices_in_balance_in_fec_and_csv():
    entries, warnings = journal_entries(random_invoices(2000))
    assert len(entries) > 1500 and warnings
    assert is_balanced(entries) and all(e.debit == e.credit for e in entries)

    records = fec_records(write_fec(entries, sep="|"), sep="|")
    assert all(len(record) == 18 for record in records)
    per_entry = defaultdict(lambda: [D(0), D(0)])
    numbers = defaultdict(list)
    for record in records[1:]:
        key = (record[0], record[2])
        if not numbers[record[0]] or numbers[record[0]][-1] != record[2]:
            numbers[record[0]].append(record[2])
        per_entry[key][0] += D(record[11].replace(",", "."))
        per_entry[key][1] += D(record[12].replace(",", "."))
    assert all(debit == credit for debit, credit in per_entry.values()) and len(per_entry) == len(entries)
    for code, seen in numbers.items():
        assert seen == [f"{code}{n:06d}" for n in range(1, len(seen) + 1)]
    assert [r[3] for r in records[1:]] == sorted(r[3] for r in records[1:])

    rows_ = list(csv.reader(io.StringIO(write_csv(entries)), delimiter=";"))
    per_piece = defaultdict(lambda: [D(0), D(0)])
    for row in rows_[1:]:
        per_piece[(row[0], row[2])][0] += D(row[7].replace(",", "."))
        per_piece[(row[0], row[2])][1] += D(row[8].replace(",", "."))
    assert len(per_piece) == len(entries) and all(debit == credit for debit, credit in per_piece.values())
    assert sum(d for d, _ in per_piece.values()) == sum(e.debit for e in entries)
