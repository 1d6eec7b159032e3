"""Reading a CSV or XLSX of invoices into a preview (pure: no database)."""
import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from collecte.ledger.importing import MAX_ROWS, clean_amount, clean_date, match_columns, read_invoice_table

HEADER = ["N° facture", "Client", "Montant HT", "TVA", "Montant TTC", "Date", "Échéance", "Devise", "Type"]
GOOD = ["FA-2024-001", "Dupont SARL", "1 000,00", "200,00", "1 200,00", "15/03/2024", "14/04/2024", "eur", "Facture"]


def make_csv(rows, delimiter=";", encoding="utf-8", bom=False) -> bytes:
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def make_xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def only_row(preview):
    assert preview.errors == []
    assert len(preview.rows) == 1
    return preview.rows[0]


def row_errors(*data_rows, header=HEADER):
    preview = read_invoice_table(make_csv([header, *data_rows]), "factures.csv")
    assert preview.errors == []
    return [error for row in preview.rows for error in row.errors]


# --- Files ---------------------------------------------------------------------------------------------------------

def test_it_reads_a_semicolon_csv_in_cp1252_with_french_formats():
    preview = read_invoice_table(make_csv([HEADER, GOOD], encoding="cp1252"), "export.csv")
    row = only_row(preview)
    assert row.line == 2
    assert row.errors == []
    assert row.values == {
        "number": "FA-2024-001", "counterparty_name": "Dupont SARL", "total_excl_tax": "1000.00",
        "total_tax": "200.00", "total_incl_tax": "1200.00", "issue_date": "2024-03-15", "due_date": "2024-04-14",
        "currency": "EUR", "kind": "invoice",
    }
    assert preview.columns["due_date"] == "Échéance"
    assert preview.valid_rows == [row]


def test_it_reads_a_comma_csv_with_bom_and_english_headers():
    rows = [["Invoice number", "Customer", "VAT number", "Amount excl. tax", "VAT amount", "Total incl. tax",
             "Invoice date", "Due date", "Currency", "Kind"],
            ["INV-7", "Acme Ltd", "GB 123 456 789", "1000", "200", '"1,200.00"', "2024-03-01", "2024-03-31",
             "gbp", "credit note"]]
    preview = read_invoice_table(make_csv(rows, delimiter=",", bom=True), "export.csv")
    row = only_row(preview)
    assert set(preview.columns) == {"number", "counterparty_name", "counterparty_vat_id", "total_excl_tax",
                                    "total_tax", "total_incl_tax", "issue_date", "due_date", "currency", "kind"}
    assert row.values["number"] == "INV-7"
    assert row.values["counterparty_vat_id"] == "GB123456789"
    assert row.values["total_incl_tax"] == "1200.00"
    assert row.values["currency"] == "GBP"
    assert row.values["kind"] == "credit_note"
    assert row.errors == []


def test_it_reads_a_utf8_csv_with_accents_and_tab_delimiter():
    rows = [["Numéro", "Raison sociale", "TTC", "Date d'émission"], ["12", "Société Générale", "10", "01.02.2024"]]
    row = only_row(read_invoice_table(make_csv(rows, delimiter="\t"), "export.txt"))
    assert row.values == {"number": "12", "counterparty_name": "Société Générale", "total_incl_tax": "10.00",
                          "issue_date": "2024-02-01"}


def test_it_skips_empty_lines_and_keeps_the_line_numbers_the_user_sees():
    rows = [HEADER, GOOD, [""] * len(HEADER), [], ["FA-2", *GOOD[1:]]]
    preview = read_invoice_table(make_csv(rows), "export.csv")
    assert [row.line for row in preview.rows] == [2, 5]


def test_it_reads_an_xlsx_with_dates_and_floats():
    data = make_xlsx([
        ["Numéro de facture", "Fournisseur", "HT", "TVA", "TTC", "Date facture", "Date d'échéance"],
        [1042, "Papeterie Martin", 1000.42, 200.08, 1200.5, dt.datetime(2024, 3, 15), dt.date(2024, 4, 15)],
        [None, None, None, None, None, None, None],
        ["FA-2", "Martin", 0.1, 0.2, 0.1 + 0.2, dt.datetime(2024, 1, 2, 10, 30), None],
    ])
    preview = read_invoice_table(data, "anything.bin")  # detected by its ZIP signature
    assert preview.errors == []
    first, second = preview.rows
    assert first.values == {"number": "1042", "counterparty_name": "Papeterie Martin", "total_excl_tax": "1000.42",
                            "total_tax": "200.08", "total_incl_tax": "1200.50", "issue_date": "2024-03-15",
                            "due_date": "2024-04-15"}
    assert first.errors == []
    assert second.line == 4
    assert second.values["total_incl_tax"] == "0.30"
    assert second.values["issue_date"] == "2024-01-02"
    assert second.errors == []


def test_it_reports_a_corrupt_xlsx():
    preview = read_invoice_table(b"PK\x03\x04 this is no workbook", "factures.xlsx")
    assert preview.rows == []
    assert preview.errors == ["Le fichier Excel est illisible ou endommagé."]


def test_it_reports_a_zip_that_is_no_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    preview = read_invoice_table(out.getvalue(), "factures.xlsx")
    assert preview.errors == ["Le fichier Excel est illisible ou endommagé."]


def test_it_reports_an_old_xls_file():
    preview = read_invoice_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "factures.xls")
    assert "(.xls)" in preview.errors[0]


def test_it_reports_a_binary_file():
    preview = read_invoice_table(b"%PDF-1.4\n\x00\x01\x02", "facture.pdf")
    assert preview.rows == []
    assert preview.errors == ["Ce fichier n'est ni un CSV ni un classeur Excel (.xlsx)."]


def test_it_reports_an_undecodable_file():
    preview = read_invoice_table(b"Num\x81ro;Client\n", "factures.csv")  # 0x81 is undefined in cp1252
    assert preview.errors and "encodage" in preview.errors[0]


def test_it_reports_an_empty_file():
    assert read_invoice_table(b"\n\n ;;\n", "vide.csv").errors == ["Le fichier est vide."]


def test_it_reports_a_file_without_a_header():
    preview = read_invoice_table(make_csv([["F1", "Dupont", "12", "01/01/2024"]]), "factures.csv")
    assert preview.rows == []
    assert preview.errors[0].startswith("Aucun en-tête reconnu")


def test_it_names_the_missing_required_columns():
    preview = read_invoice_table(make_csv([["Montant TTC", "Date", "Devise"], ["12", "01/01/2024", "EUR"]]), "f.csv")
    assert preview.errors == ["Colonnes manquantes : numéro, tiers."]
    assert preview.rows == []
    assert preview.columns == {"total_incl_tax": "Montant TTC", "issue_date": "Date", "currency": "Devise"}


def test_it_refuses_more_than_ten_thousand_rows():
    rows = [HEADER] + [[f"F{i}", *GOOD[1:]] for i in range(MAX_ROWS + 1)]
    preview = read_invoice_table(make_csv(rows), "f.csv")
    assert preview.rows == []
    assert "10 000" in preview.errors[0]


def test_it_accepts_exactly_ten_thousand_rows():
    rows = [HEADER] + [[f"F{i}", *GOOD[1:]] for i in range(MAX_ROWS)]
    preview = read_invoice_table(make_csv(rows), "f.csv")
    assert preview.errors == []
    assert len(preview.valid_rows) == MAX_ROWS


# --- Headers -------------------------------------------------------------------------------------------------------

def test_it_prefers_the_most_specific_alias():
    columns = match_columns(["N° TVA", "TVA", "Numéro de facture", "Taux TVA", "Tiers", "Date d'échéance", "Date",
                             "Montant TVA intracom", "Total TTC"])
    assert columns["counterparty_vat_id"] == 0
    assert columns["total_tax"] == 1
    assert columns["number"] == 2
    assert 3 not in columns.values()  # a rate is not an amount
    assert columns["due_date"] == 5
    assert columns["issue_date"] == 6
    assert columns["total_incl_tax"] == 8


def test_it_matches_headers_whatever_their_case_accents_and_punctuation():
    columns = match_columns(["  NUMERO_FACTURE ", "raison-sociale", "montant  t.t.c", "DATE_DE_FACTURE", "Echeance",
                             "Numéro de TVA", "Monnaie", "Nature", "Colonne inconnue"])
    assert columns == {"number": 0, "counterparty_name": 1, "total_incl_tax": 2, "issue_date": 3, "due_date": 4,
                       "counterparty_vat_id": 5, "currency": 6, "kind": 7}


def test_it_gives_a_second_choice_column_its_other_field():
    assert match_columns(["N° facture", "Type facture"]) == {"number": 0, "kind": 1}


def test_it_keeps_the_first_of_two_equal_columns():
    assert match_columns(["Client", "Fournisseur"]) == {"counterparty_name": 0}


# --- Values and row errors -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("1 234,56", "1234.56"), ("1234.56", "1234.56"), ("1,234.56", "1234.56"), ("1.234,56", "1234.56"),
    ("1 234,56 €", "1234.56"), ("€1,234.56", "1234.56"), ("1\u00a0234,56", "1234.56"), ("1\u202f234,5", "1234.50"),
    ("-12,00", "-12.00"), ("(12,00)", "-12.00"), ("12", "12.00"), ("1.234.567", "1234567.00"), ("0,5", "0.50"),
])
def test_it_parses_french_and_english_amounts(text, expected):
    assert clean_amount(text) == expected


@pytest.mark.parametrize("text", ["abc", "12,345", "1,2,3.4.5x", "", "€", "12,"])
def test_it_rejects_unreadable_amounts(text):
    with pytest.raises(ValueError):
        clean_amount(text)


@pytest.mark.parametrize("text, expected", [
    ("15/03/2024", "2024-03-15"), ("15-03-2024", "2024-03-15"), ("15.03.2024", "2024-03-15"),
    ("2024-03-15", "2024-03-15"), ("15/03/24", "2024-03-15"), ("5/3/2024", "2024-03-05"),
    ("2024-03-15 00:00:00", "2024-03-15"),
])
def test_it_parses_dates(text, expected):
    assert clean_date(text) == expected


def test_it_reports_every_missing_required_value_of_a_row():
    errors = row_errors(["", "", "100", "20", "", "", "", "", ""])
    assert errors == ["Ligne 2 : la colonne « N° facture » est vide.", "Ligne 2 : la colonne « Client » est vide.",
                      "Ligne 2 : la colonne « Montant TTC » est vide.", "Ligne 2 : la colonne « Date » est vide."]


def test_it_names_the_column_and_the_value_of_a_bad_amount():
    errors = row_errors(["F1", "Dupont", "", "", "douze", "15/03/2024", "", "", ""])
    assert errors == ["Ligne 2 : « douze » n'est pas un montant (colonne « Montant TTC »)."]


def test_it_reports_an_ambiguous_amount():
    errors = row_errors(["F1", "Dupont", "", "", "1,200", "15/03/2024", "", "", ""])
    assert "« 1,200 »" in errors[0] and "ambigu" in errors[0]


def test_it_reports_an_impossible_date_and_an_unreadable_one():
    errors = row_errors(["F1", "Dupont", "", "", "12", "31/02/2024", "demain", "", ""])
    assert errors == ["Ligne 2 : la date « 31/02/2024 » n'existe pas (colonne « Date »).",
                      "Ligne 2 : « demain » n'est pas une date (attendu JJ/MM/AAAA) (colonne « Échéance »)."]


def test_it_reports_a_due_date_before_the_issue_date():
    errors = row_errors(["F1", "Dupont", "", "", "12", "15/03/2024", "14/03/2024", "", ""])
    assert errors == ["Ligne 2 : l'échéance (14/03/2024) précède la date de facture (15/03/2024)."]


def test_it_reports_a_bad_currency_and_leaves_a_blank_one_out():
    errors = row_errors(["F1", "Dupont", "", "", "12", "15/03/2024", "", "euros", ""])
    assert errors == ["Ligne 2 : « euros » n'est pas un code de devise à trois lettres (colonne « Devise »)."]
    row = only_row(read_invoice_table(make_csv([HEADER, ["F1", "Dupont", "", "", "12", "15/03/2024"]]), "f.csv"))
    assert "currency" not in row.values and row.errors == []


@pytest.mark.parametrize("text, kind", [("Facture", "invoice"), ("INVOICE", "invoice"), ("Avoir", "credit_note"),
                                        ("AV", "credit_note"), ("credit_note", "credit_note")])
def test_it_reads_the_kind(text, kind):
    row = only_row(read_invoice_table(make_csv([HEADER, [*GOOD[:-1], text]]), "f.csv"))
    assert row.values["kind"] == kind


def test_it_reports_an_unknown_kind():
    errors = row_errors([*GOOD[:-1], "Devis"])
    assert errors == ["Ligne 2 : type « Devis » inconnu (attendu facture ou avoir) (colonne « Type »)."]


def test_it_reports_totals_that_do_not_add_up_but_tolerates_a_cent():
    assert row_errors(["F1", "Dupont", "100,00", "20,00", "120,01", "15/03/2024", "", "", ""]) == []
    errors = row_errors(["F1", "Dupont", "100,00", "20,00", "120,02", "15/03/2024", "", "", ""])
    assert errors == ["Ligne 2 : HT (100.00) + TVA (20.00) ne font pas le TTC (120.02)."]


def test_it_reports_a_number_repeated_for_the_same_counterparty():
    errors = row_errors(GOOD, ["fa-2024-001", "DUPONT sarl", *GOOD[2:]], ["FA-2024-001", "Autre", *GOOD[2:]])
    assert errors == ["Ligne 3 : même numéro que la ligne 2."]


def test_it_collects_all_errors_of_a_row_and_keeps_bad_values_as_written():
    preview = read_invoice_table(make_csv([HEADER, ["F1", "", "x", "", "12", "32/01/2024", "", "€€", "?"]]), "f.csv")
    row = preview.rows[0]
    assert len(row.errors) == 5
    assert row.values["total_excl_tax"] == "x"
    assert row.values["issue_date"] == "32/01/2024"
    assert preview.valid_rows == []
