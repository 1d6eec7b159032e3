"""Reading bank statements (CAMT.053, OFX, CSV) into dataclasses: pure, no database. Every statement is built here."""
from datetime import date
from decimal import Decimal

import pytest

from collecte.ledger.statements import (CsvMapping, StatementError, detect_format, guess_csv_mapping, parse_camt053,
                                        parse_csv, parse_ofx, parse_statement)
from collecte.ledger.statements_csv import _amount

ACCOUNT = "FR7630006000011234567890189"
ACME_IBAN = "DE89370400440532013000"
SUPPLIER_IBAN = "FR1420041010050500013M02606"


# --- CAMT.053 builders ----------------------------------------------------------------------------------------

def balance(code, amount, sign="CRDT", day="2024-03-01"):
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt>"
            f"<CdtDbtInd>{sign}</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")


def party(role, name, iban, nested=False):
    name_xml = f"<Pty><Nm>{name}</Nm></Pty>" if nested else f"<Nm>{name}</Nm>"  # .08 wraps the party in Pty
    acct = f"<{role}Acct><Id><IBAN>{iban}</IBAN></Id></{role}Acct>" if iban else ""
    return f"<{role}>{name_xml}</{role}>{acct}"


def tx_details(amount=None, sign=None, e2e=None, debtor=None, creditor=None, ustrd=(), creditor_ref=None,
               nested=False, own_ref=None):
    refs = "".join(f"<{tag}>{value}</{tag}>" for tag, value in (("AcctSvcrRef", own_ref), ("EndToEndId", e2e))
                   if value)
    parties = "".join(party(role, *who, nested=nested) for role, who in (("Dbtr", debtor), ("Cdtr", creditor))
                      if who)
    amt = f"<AmtDtls><TxAmt><Amt Ccy=\"EUR\">{amount}</Amt></TxAmt></AmtDtls>" if amount else ""
    rmt = "".join(f"<Ustrd>{line}</Ustrd>" for line in ustrd)
    if creditor_ref:
        rmt += f"<Strd><CdtrRefInf><Ref>{creditor_ref}</Ref></CdtrRefInf></Strd>"
    return (f"<TxDtls>{f'<Refs>{refs}</Refs>' if refs else ''}{amt}"
            f"{f'<CdtDbtInd>{sign}</CdtDbtInd>' if sign else ''}"
            f"{f'<RltdPties>{parties}</RltdPties>' if parties else ''}{f'<RmtInf>{rmt}</RmtInf>' if rmt else ''}"
            f"</TxDtls>")


def entry(amount="100.00", sign="CRDT", booked="2024-03-04", value="2024-03-05", status="BOOK", ref=None,
          details=(), info=None, nested_status=False, amount_xml=None):
    status_xml = f"<Sts><Cd>{status}</Cd></Sts>" if nested_status else f"<Sts>{status}</Sts>"
    amt = amount_xml if amount_xml is not None else f"<Amt Ccy=\"EUR\">{amount}</Amt>"
    return (f"<Ntry>{f'<NtryRef>{ref}</NtryRef>' if ref else ''}{amt}<CdtDbtInd>{sign}</CdtDbtInd>{status_xml}"
            f"<BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{value}</Dt></ValDt>"
            f"{f'<AcctSvcrRef>{ref}</AcctSvcrRef>' if ref else ''}<BkTxCd/>"
            f"{'<NtryDtls>' + ''.join(details) + '</NtryDtls>' if details else ''}"
            f"{f'<AddtlNtryInf>{info}</AddtlNtryInf>' if info else ''}</Ntry>")


def stmt(entries, iban=ACCOUNT, balances=(), start="2024-03-01", end="2024-03-31"):
    return (f"<Stmt><Id>S1</Id><CreDtTm>2024-04-01T06:00:00</CreDtTm>"
            f"<FrToDt><FrDtTm>{start}T00:00:00</FrDtTm><ToDtTm>{end}T23:59:59</ToDtTm></FrToDt>"
            f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>{''.join(balances)}\n"
            + "\n".join(entries) + "</Stmt>")  # one entry a line, so errors name a line we can predict


def camt(*statements, version="02"):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">\n'
            f"<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-04-01T06:00:00</CreDtTm></GrpHdr>\n"
            + "\n".join(statements) + "\n</BkToCstmrStmt></Document>").encode()


def march(*entries, opening="1000.00", closing="2249.60"):
    return camt(stmt(entries, balances=[balance("OPBD", opening), balance("CLBD", closing, day="2024-03-31")]))


# --- CAMT.053 -------------------------------------------------------------------------------------------------

def test_it_reads_camt_balances_credits_and_debits():
    data = march(
        entry("1500.00", "CRDT", ref="BNK-1", info="VIR SEPA RECU",
              details=[tx_details(e2e="E2E-77", debtor=("ACME SARL", "DE89 3704 0044 0532 0130 00"),
                                  creditor=("Notre Cabinet", ACCOUNT), ustrd=["Facture FA-2024-001"])]),
        entry("250.40", "DBIT", booked="2024-03-06", value="2024-03-06", ref="BNK-2",
              details=[tx_details(debtor=("Notre Cabinet", ACCOUNT), creditor=("Fournitures Martin", SUPPLIER_IBAN),
                                  creditor_ref="RF18539007547034")]),
    )
    statement = parse_camt053(data)
    assert (statement.account_iban, statement.currency) == (ACCOUNT, "EUR")
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("1000.00"), Decimal("2249.60"))
    assert (statement.period_start, statement.period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    credit, debit = statement.transactions
    assert credit.amount == Decimal("1500.00") and debit.amount == Decimal("-250.40")
    assert (credit.booking_date, credit.value_date) == (date(2024, 3, 4), date(2024, 3, 5))
    assert (credit.counterparty_name, credit.counterparty_iban) == ("ACME SARL", ACME_IBAN)
    assert (debit.counterparty_name, debit.counterparty_iban) == ("Fournitures Martin", SUPPLIER_IBAN)
    assert credit.label == "Facture FA-2024-001 · VIR SEPA RECU"
    assert (credit.reference, debit.reference) == ("E2E-77", "RF18539007547034")
    assert (credit.bank_id, debit.bank_id) == ("BNK-1", "BNK-2")
    assert statement.warnings == []


def test_it_reads_a_debit_opening_balance_as_negative():
    data = camt(stmt([entry("50.00", "CRDT")], balances=[balance("PRCD", "80.00", "DBIT"), balance("CLBD", "30.00",
                                                                                                  "DBIT")]))
    statement = parse_camt053(data)
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("-80.00"), Decimal("-30.00"))


def test_it_splits_a_batch_entry_into_one_transaction_per_detail():
    batch = entry("600.00", "CRDT", ref="BATCH-9", info="REMISE 3 VIREMENTS", details=[
        tx_details("100.00", "CRDT", e2e="A", debtor=("Alpha", None), ustrd=["FA-1"]),
        tx_details("200.00", "CRDT", e2e="B", debtor=("Beta", None), ustrd=["FA-2"]),
        tx_details("300.00", "CRDT", e2e="C", debtor=("Gamma", None), ustrd=["FA-3"]),
    ])
    transactions = parse_camt053(march(batch, closing="1600.00")).transactions
    assert [t.amount for t in transactions] == [Decimal("100.00"), Decimal("200.00"), Decimal("300.00")]
    assert [t.counterparty_name for t in transactions] == ["Alpha", "Beta", "Gamma"]
    assert [t.label for t in transactions] == ["FA-1", "FA-2", "FA-3"]
    assert [t.reference for t in transactions] == ["A", "B", "C"]
    assert [t.bank_id for t in transactions] == ["BATCH-9/1", "BATCH-9/2", "BATCH-9/3"]


def test_it_keeps_a_batch_whole_when_its_details_do_not_add_up():
    batch = entry("600.00", "CRDT", ref="BATCH-9", info="REMISE", details=[
        tx_details("100.00", debtor=("Alpha", None)), tx_details("200.00", debtor=("Beta", None))])
    statement = parse_camt053(march(batch, closing="1600.00"))
    assert [t.amount for t in statement.transactions] == [Decimal("600.00")]
    assert "ne totalisent pas" in statement.warnings[0]


def test_it_keeps_a_batch_whole_when_details_have_no_amount():
    batch = entry("300.00", "DBIT", ref="B", info="PRLV GROUPES", details=[tx_details(), tx_details()])
    statement = parse_camt053(march(batch, closing="700.00"))
    assert [(t.amount, t.label, t.bank_id) for t in statement.transactions] == [(Decimal("-300.00"), "PRLV GROUPES",
                                                                                 "B")]


def test_it_joins_unstructured_remittance_and_ignores_notprovided():
    data = march(entry("10.00", details=[tx_details(e2e="NOTPROVIDED", ustrd=["Paiement factures", "FA-7 et FA-8"])]),
                 closing="1010.00")
    tx = parse_camt053(data).transactions[0]
    assert tx.label == "Paiement factures FA-7 et FA-8"
    assert tx.reference is None


def test_it_skips_pending_entries_with_a_warning():
    data = march(entry("10.00", ref="OK"), entry("99.00", status="PDNG", ref="P1"),
                 entry("5.00", status="INFO", ref="P2", nested_status=True), closing="1010.00")
    statement = parse_camt053(data)
    assert [t.bank_id for t in statement.transactions] == ["OK"]
    assert statement.warnings == ["2 écriture(s) non comptabilisée(s) ignorée(s) (statut INFO, PDNG) : Ntry n° 2, 3."]


@pytest.mark.parametrize("version", ["02", "04", "06", "08", "10"])
def test_it_accepts_any_camt053_version(version):
    nested = version >= "08"
    data = camt(stmt([entry("42.00", "DBIT", ref="R", nested_status=nested, status="BOOK",
                            details=[tx_details(creditor=("Loyer SCI", SUPPLIER_IBAN), nested=nested)])]),
                version=version)
    tx = parse_camt053(data).transactions[0]
    assert (tx.amount, tx.counterparty_name, tx.counterparty_iban) == (Decimal("-42.00"), "Loyer SCI", SUPPLIER_IBAN)


def test_it_reads_booking_date_times_as_the_banks_day():
    data = march(entry("1.00", ref="R").replace("<BookgDt><Dt>2024-03-04</Dt>",
                                                "<BookgDt><DtTm>2024-03-04T23:30:00+01:00</DtTm>"), closing="1001.00")
    assert parse_camt053(data).transactions[0].booking_date == date(2024, 3, 4)


def test_it_concatenates_several_statements_of_one_account():
    first = stmt([entry("10.00", booked="2024-03-04", ref="A")], end="2024-03-15",
                 balances=[balance("OPBD", "100.00"), balance("CLBD", "110.00")])
    second = stmt([entry("5.00", "DBIT", booked="2024-03-20", ref="B")], start="2024-03-16",
                  balances=[balance("OPBD", "110.00"), balance("CLBD", "105.00")])
    statement = parse_camt053(camt(first, second))
    assert [t.bank_id for t in statement.transactions] == ["A", "B"]
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("100.00"), Decimal("105.00"))
    assert (statement.period_start, statement.period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    assert statement.warnings == []


def test_it_warns_when_statements_cover_different_accounts():
    first = stmt([entry("10.00", ref="A")], balances=[balance("OPBD", "0"), balance("CLBD", "10.00")])
    second = stmt([entry("5.00", ref="B")], iban=SUPPLIER_IBAN, balances=[balance("OPBD", "0"), balance("CLBD", "5")])
    statement = parse_camt053(camt(first, second))
    assert len(statement.transactions) == 2
    assert statement.opening_balance is None and statement.closing_balance is None
    assert "plusieurs comptes" in statement.warnings[0] and SUPPLIER_IBAN in statement.warnings[0]


def test_it_drops_an_invalid_counterparty_iban_with_a_warning():
    data = march(entry("10.00", details=[tx_details(debtor=("ACME", "FR7630006000011234567890188"))]),
                 closing="1010.00")
    statement = parse_camt053(data)
    assert statement.transactions[0].counterparty_iban is None
    assert statement.warnings == ["Contrepartie « ACME » : IBAN « FR7630006000011234567890188 » invalide, ignoré."]


def test_it_warns_when_balances_do_not_add_up():
    statement = parse_camt053(march(entry("10.00"), closing="2000.00"))
    assert "peut-être incomplet" in statement.warnings[0]


def test_it_refuses_a_file_that_is_not_xml():
    with pytest.raises(StatementError, match=r"pas un XML lisible \(ligne 2\)") as caught:
        parse_camt053(b"<?xml version='1.0'?>\n<Document><Stmt></Document>")
    assert caught.value.line == 2


def test_it_refuses_xml_that_is_not_a_camt053():
    camt054 = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn/></Document>'
    with pytest.raises(StatementError, match="camt.054"):
        parse_camt053(camt054)
    with pytest.raises(StatementError, match=r"élément racine <facture>") as caught:
        parse_statement(b"<facture><numero>1</numero></facture>", "releve.xml")
    assert caught.value.element == "facture"


def test_it_names_the_entry_without_an_amount():
    data = march(entry("10.00"), entry(amount_xml=""), closing="1010.00")
    with pytest.raises(StatementError) as caught:
        parse_camt053(data)
    assert caught.value.message == "Élément <Ntry> n° 2 (ligne 6) : montant manquant (Amt)."
    assert (caught.value.line, caught.value.element) == (6, "Ntry")


def test_it_names_the_entry_with_a_bad_date_amount_or_direction():
    with pytest.raises(StatementError, match=r"^Élément <Ntry> n° 1 \(ligne 5\) : date « 2024-13-45 » illisible"):
        parse_camt053(march(entry("1.00", booked="2024-13-45")))
    with pytest.raises(StatementError, match=r"n° 1 .*montant « 12,50 » illisible \(Amt\)"):
        parse_camt053(march(entry("12,50")))
    with pytest.raises(StatementError, match=r"sens « CREDIT » inconnu"):
        parse_camt053(march(entry("1.00", sign="CREDIT")))


def test_it_refuses_a_statement_without_stmt():
    data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt/></Document>'
    with pytest.raises(StatementError, match="aucun relevé"):
        parse_camt053(data)


def test_it_does_not_expand_external_entities(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = march(entry("1.00", info="&xxe;"), closing="1001.00").replace(
        b"<Document", f'<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file://{secret}">]>\n<Document'.encode(), 1)
    assert parse_camt053(data).transactions[0].label == ""  # the entity stays unresolved


def test_it_parses_ten_thousand_entries():
    entries = [entry(f"{i % 500 + 1}.25", "CRDT" if i % 3 else "DBIT", ref=f"R{i}",
                     details=[tx_details(e2e=f"E{i}", debtor=("Client", ACME_IBAN), creditor=("Fournisseur", None),
                                         ustrd=[f"FA-{i}"])]) for i in range(10_000)]
    statement = parse_camt053(camt(stmt(entries)))
    assert len(statement.transactions) == 10_000
    assert len({t.bank_id for t in statement.transactions}) == 10_000


# --- OFX ------------------------------------------------------------------------------------------------------

OFX1 = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240401<LANGUAGE>FRA</SONRS></SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>0<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>EUR
<BANKACCTFROM><BANKID>30006<BRANCHID>00001<ACCTID>12345678901<ACCTTYPE>CHECKING<ACCTKEY>89</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20240301<DTEND>20240331
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240304<DTUSER>20240305<TRNAMT>1200,00<FITID>0001
<NAME>VIR SEPA ACME SARL<MEMO>Facture FA-2024-001 réglée
</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240306120000.000[+1:CET]<TRNAMT>-85.40<FITID>0002
<NAME>PRLV EDF<MEMO>
</STMTTRN>
</BANKTRANLIST>
<LEDGERBAL><BALAMT>2114.60<DTASOF>20240331</LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1>
</OFX>
"""

OFX2 = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID>
    <STMTRS>
      <CURDEF>EUR</CURDEF>
      <BANKACCTFROM><BANKID>30006</BANKID><ACCTID>FR76 3000 6000 0112 3456 7890 189</ACCTID>
        <ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>
      <BANKTRANLIST><DTSTART>20240301</DTSTART><DTEND>20240331</DTEND>
        <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20240304</DTPOSTED><TRNAMT>250.00</TRNAMT>
          <FITID>X-1</FITID><NAME>Durand &amp; Fils</NAME><MEMO>Durand &amp; Fils</MEMO></STMTTRN>
        <STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20240310</DTPOSTED><TRNAMT>-19.99</TRNAMT>
          <FITID>X-2</FITID><NAME>Abonnement</NAME><MEMO></MEMO></STMTTRN>
      </BANKTRANLIST>
      <LEDGERBAL><BALAMT>1230.01</BALAMT><DTASOF>20240331</DTASOF></LEDGERBAL>
    </STMTRS>
  </STMTTRNRS></BANKMSGSRSV1>
</OFX>
"""


def test_it_reads_sgml_ofx_1_in_cp1252():
    statement = parse_statement(OFX1.encode("cp1252"), "releve.ofx")
    assert (statement.account_iban, statement.currency) == (ACCOUNT, "EUR")  # built from the RIB fields
    assert statement.closing_balance == Decimal("2114.60") and statement.opening_balance is None
    assert (statement.period_start, statement.period_end) == (date(2024, 3, 1), date(2024, 3, 31))
    credit, debit = statement.transactions
    assert (credit.amount, credit.booking_date, credit.value_date) == (Decimal("1200.00"), date(2024, 3, 4),
                                                                        date(2024, 3, 5))
    assert credit.label == "VIR SEPA ACME SARL · Facture FA-2024-001 réglée"
    assert (credit.counterparty_name, credit.reference, credit.bank_id) == ("VIR SEPA ACME SARL", "0001", "0001")
    assert (debit.amount, debit.booking_date, debit.label, debit.bank_id) == (Decimal("-85.40"), date(2024, 3, 6),
                                                                              "PRLV EDF", "0002")
    assert statement.warnings == []


def test_it_reads_xml_ofx_2():
    statement = parse_statement(OFX2.encode(), "export.qfx")
    assert statement.account_iban == ACCOUNT
    first, second = statement.transactions
    assert (first.amount, first.label, first.counterparty_name) == (Decimal("250.00"), "Durand & Fils",
                                                                    "Durand & Fils")
    assert (second.amount, second.label, second.bank_id) == (Decimal("-19.99"), "Abonnement", "X-2")
    assert statement.closing_balance == Decimal("1230.01")


def test_it_names_the_ofx_transaction_with_a_bad_amount_or_date():
    with pytest.raises(StatementError, match=r"^Transaction <STMTTRN> n° 2 \(ligne 20\) : montant « -8x » illisible"):
        parse_ofx(OFX1.replace("-85.40", "-8x").encode())
    with pytest.raises(StatementError, match=r"n° 1 \(ligne 17\) : date « 2024-03-04 » illisible \(DTPOSTED\)"):
        parse_ofx(OFX1.replace("<DTPOSTED>20240304", "<DTPOSTED>2024-03-04").encode())
    with pytest.raises(StatementError, match="aucun relevé"):
        parse_ofx(b"OFXHEADER:100\n\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>")


def test_it_hashes_ofx_transactions_whose_fitid_repeats():
    statement = parse_ofx(OFX1.replace("<FITID>0002", "<FITID>0001").encode("cp1252"))
    ids = [t.bank_id for t in statement.transactions]
    assert len(set(ids)) == 2 and all(i.startswith("h-") for i in ids)
    assert "en double" in statement.warnings[0]


# --- CSV ------------------------------------------------------------------------------------------------------

FRENCH_EXPORT = [
    "Compte courant professionnel;;;;",
    "IBAN : FR76 3000 6000 0112 3456 7890 189;;;;",
    "Solde au 31/03/2024 : 2 345,67 €;;;;",
    ";;;;",
    "Date;Date valeur;Libellé;Débit;Crédit",
    "01/03/2024;01/03/2024;VIR SEPA RECU /DE ACME SARL /MOTIF FA-2024-001;;1 200,00",
    "02/03/2024;03/03/2024;PRLV SEPA EDF;-85,40;",
    "05/03/2024;05/03/2024;CB CAFE DU COIN;3,20;",
    "05/03/2024;05/03/2024;CB CAFE DU COIN;3,20;",
    ";;REF CLIENT 42;;",
    "06/03/2024;06/03/2024;CB TOTAL ENERGIES;60,00;",
    "31/03/2024;31/03/2024;Nouveau solde;;2 345,67",
    ";;Total des opérations;151,80;1 200,00",
    "Total;;;151,80;1 200,00",
]


def csv_bytes(lines, encoding="cp1252"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_it_guesses_the_mapping_of_a_typical_french_bank_export():
    data = csv_bytes(FRENCH_EXPORT)
    mapping = guess_csv_mapping(data)
    assert mapping == CsvMapping(date="Date", value_date="Date valeur", label="Libellé", debit="Débit",
                                 credit="Crédit", delimiter=";", skip_lines=4, date_format="%d/%m/%Y",
                                 decimal_comma=True)
    statement = parse_statement(data, "export.csv")
    assert statement.account_iban == ACCOUNT and statement.currency == "EUR"
    assert [t.amount for t in statement.transactions] == [Decimal("1200.00"), Decimal("-85.40"), Decimal("-3.20"),
                                                          Decimal("-3.20"), Decimal("-60.00")]
    assert statement.transactions[1].value_date == date(2024, 3, 3)
    assert statement.transactions[3].label == "CB CAFE DU COIN REF CLIENT 42"  # the wrapped row joins its line
    assert (statement.period_start, statement.period_end) == (date(2024, 3, 1), date(2024, 3, 6))


def test_it_reads_a_csv_with_a_saved_mapping():
    data = csv_bytes(["Booking date,Amount,Description,Counterparty,Ref",
                      "2024-03-01,1234.56,Invoice 12,ACME Ltd,RF18539007547034",
                      '2024-03-02,"-1,000.00","Rent, March",SCI Loyer,',
                      ",,,,"], "utf-8")
    mapping = CsvMapping(date="booking date", amount="AMOUNT", label="Description", counterparty="Counterparty",
                         reference="Ref", date_format="%Y-%m-%d", decimal_comma=False)
    first, second = parse_csv(data, mapping).transactions
    assert (first.amount, first.counterparty_name, first.reference) == (Decimal("1234.56"), "ACME Ltd",
                                                                       "RF18539007547034")
    assert (second.amount, second.label, second.reference) == (Decimal("-1000.00"), "Rent, March", None)


def test_it_guesses_iso_dates_and_decimal_points():
    data = csv_bytes(["Date opération,Libellé,Montant", "2024-03-01,Achat,-12.50"], "utf-8")
    mapping = guess_csv_mapping(data)
    assert (mapping.date_format, mapping.decimal_comma, mapping.delimiter) == ("%Y-%m-%d", False, ",")
    assert parse_csv(data, mapping).transactions[0].amount == Decimal("-12.50")


def test_it_prefers_the_most_specific_header():
    data = csv_bytes(["Date;Libelle court;Type operation;Libelle operation;Montant operation",
                      "04/03/2024;VIR;Virement;VIR SEPA DE ACME;12,00"])
    mapping = guess_csv_mapping(data)
    assert (mapping.label, mapping.amount) == ("Libelle operation", "Montant operation")


def test_it_returns_no_mapping_when_no_header_is_recognised():
    assert guess_csv_mapping(csv_bytes(["a;b;c", "1;2;3"])) is None
    with pytest.raises(StatementError, match="colonnes de ce CSV ne sont pas reconnues"):
        parse_statement(csv_bytes(["a;b;c", "1;2;3"]), "x.csv")


def test_it_names_the_line_of_a_bad_amount_or_date():
    lines = FRENCH_EXPORT[:6] + ["06/03/2024;06/03/2024;CB;12,3,4;"]
    mapping = guess_csv_mapping(csv_bytes(FRENCH_EXPORT))
    with pytest.raises(StatementError) as caught:
        parse_csv(csv_bytes(lines), mapping)
    assert (caught.value.message, caught.value.line) == ("Ligne 7 : montant « 12,3,4 » illisible.", 7)
    lines = FRENCH_EXPORT[:7] + ["32/03/2024;;CB;1,00;"]
    with pytest.raises(StatementError, match=r"^Ligne 8 : date « 32/03/2024 » illisible \(format attendu : "
                                             r"JJ/MM/AAAA\)\.$"):
        parse_csv(csv_bytes(lines), mapping)


def test_it_names_a_mapped_column_missing_from_the_header():
    mapping = CsvMapping(date="Date", label="Libellé", amount="Montant", skip_lines=4)
    with pytest.raises(StatementError, match=r"^Ligne 5 : colonne « Montant » introuvable .*Débit, Crédit\)\.$"):
        parse_csv(csv_bytes(FRENCH_EXPORT), mapping)


def test_it_counts_lines_as_the_file_shows_them_across_quoted_line_breaks():
    data = "\ufeffDate\tLibellé\tMontant\n01/03/2024\t\"VIR SEPA\nMOTIF FA-9\"\t12,00\n02/03/2024\tCB\t1;2\n"
    mapping = guess_csv_mapping(data.encode())
    assert mapping.delimiter == "\t"
    with pytest.raises(StatementError, match=r"^Ligne 4 : montant « 1;2 » illisible\.$"):
        parse_csv(data.encode(), mapping)
    first = parse_csv(data.replace("1;2", "-1,00").encode(), mapping).transactions[0]
    assert first.label == "VIR SEPA MOTIF FA-9"


def test_it_reports_a_date_row_without_amount():
    data = csv_bytes(["Date;Libellé;Montant", "01/03/2024;Frais;"])
    with pytest.raises(StatementError, match=r"^Ligne 2 : montant manquant\.$"):
        parse_csv(data, CsvMapping(date="Date", label="Libellé", amount="Montant"))


@pytest.mark.parametrize("raw, expected", [
    ("1 234,56", "1234.56"), ("1\u202f234,56", "1234.56"), ("-12,00", "-12.00"), ("+7,5", "7.5"),
    ("12,00 €", "12.00"), ("1.234,56", "1234.56"), ("(12,00)", "-12.00"), ("12,00-", "-12.00"), ("3", "3"),
])
def test_it_reads_french_amounts(raw, expected):
    assert _amount(raw, True, 1) == Decimal(expected)


# --- detection and de-duplication ids -------------------------------------------------------------------------

@pytest.mark.parametrize("data, name, kind", [
    (march(entry("1.00")), "", "camt053"), (b"\xef\xbb\xbf" + march(entry("1.00")), "r.xml", "camt053"),
    (OFX1.encode(), "", "ofx"), (OFX2.encode(), "r.xml", "ofx"), (csv_bytes(FRENCH_EXPORT), "r.csv", "csv"),
])
def test_it_detects_the_format_from_the_content(data, name, kind):
    assert detect_format(data, name) == kind


@pytest.mark.parametrize("data, message", [
    (b"", "vide"), (b"%PDF-1.7\n...", "PDF"), (b"PK\x03\x04rest", "archive"), (b":20:STARTUMS\n:25:X", "MT940"),
])
def test_it_refuses_formats_it_cannot_read(data, message):
    with pytest.raises(StatementError, match=message):
        detect_format(data, "releve")


def test_it_gives_stable_bank_ids_and_distinct_ones_to_identical_lines():
    data = csv_bytes(FRENCH_EXPORT)
    first, again = parse_statement(data, "a.csv"), parse_statement(data, "a.csv")
    assert [t.bank_id for t in first.transactions] == [t.bank_id for t in again.transactions]
    coffee_1, coffee_2 = first.transactions[2:4]
    assert (coffee_1.amount, coffee_1.booking_date) == (coffee_2.amount, coffee_2.booking_date)
    assert coffee_1.bank_id != coffee_2.bank_id
    assert len({t.bank_id for t in first.transactions}) == 5


def test_it_gives_the_same_bank_id_to_a_line_in_an_overlapping_statement():
    later = FRENCH_EXPORT[:5] + FRENCH_EXPORT[7:10] + ["10/03/2024;10/03/2024;VIR SEPA;;10,00"]  # coffees again
    earlier_ids = {t.bank_id for t in parse_statement(csv_bytes(FRENCH_EXPORT)).transactions}
    later_ids = [t.bank_id for t in parse_statement(csv_bytes(later)).transactions]
    assert later_ids[0] in earlier_ids and later_ids[1] in earlier_ids and later_ids[2] not in earlier_ids


def test_it_hashes_camt_entries_without_bank_references_stably():
    data = march(entry("3.20", "DBIT", info="CB CAFE"), entry("3.20", "DBIT", info="CB CAFE"), closing="993.60")
    first, again = parse_camt053(data), parse_camt053(data)
    ids = [t.bank_id for t in first.transactions]
    assert ids == [t.bank_id for t in again.transactions]
    assert len(set(ids)) == 2 and all(i.startswith("h-") for i in ids)


def test_a_csv_amount_without_a_date_is_named_not_dropped():
    data = "Date;Libellé;Montant\n04/03/2024;PRLV EDF;-45,10\n;VIR CLIENT;120,00\nTotal;;74,90\n".encode()
    with pytest.raises(StatementError) as missing:
        parse_statement(data, "export.csv")
    assert missing.value.line == 3 and "sans date" in missing.value.message
    totals = "Date;Libellé;Montant\n04/03/2024;PRLV EDF;-45,10\nTotal des mouvements;;-45,10\n".encode()
    assert len(parse_statement(totals, "export.csv").transactions) == 1
