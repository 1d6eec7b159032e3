"""The demo folder's money picture: a bank account, a validated sale waiting for its payment, and a CAMT.053
statement that pays it, written beside the data so that a new user can import it on the Banque tab and see the
reconciliation, the customer's figures and the aging chart move."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings

from . import actions
from .models import BankAccount, Invoice
from .queries import folder_today

SALE_NUMBER = "FA-2026-0042"
CUSTOMER = "Café des Arts"
TOTAL = "1440.00"
STATEMENT_NAME = "demo-releve-camt053.xml"


def seed_ledger(folder, user) -> Path:
    """Idempotent: the account and the sale are created once; the statement file is written again each time, dated
    today, so that it always pays the sale on a current date."""
    today = folder_today(folder)
    if not BankAccount.objects.filter(folder=folder).exists() and folder.iban:
        BankAccount.objects.create(folder=folder, name="Compte courant", iban=folder.iban,
                                   currency=folder.base_currency, balance="12500.00",
                                   balance_date=today - timedelta(days=1))
    if not Invoice.objects.filter(folder=folder, direction="sales", number=SALE_NUMBER).exists():
        actions.create_invoice(folder, "sales", user, {
            "number": SALE_NUMBER, "counterparty_name": CUSTOMER, "total_excl_tax": "1200.00", "total_tax": "240.00",
            "total_incl_tax": TOTAL, "issue_date": (today - timedelta(days=40)).isoformat(),
            "due_date": (today - timedelta(days=10)).isoformat()})
    path = Path(settings.DATA_DIR) / STATEMENT_NAME
    path.write_bytes(statement(folder.iban, today))
    return path


def statement(iban: str, day) -> bytes:
    """A one-day statement: the customer's transfer citing the invoice, and a bank fee no invoice explains."""
    booked = day.isoformat()

    def entry(ref, amount, sign, parties, text):
        return (f"<Ntry><NtryRef>{ref}</NtryRef><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd>"
                f"<Sts>BOOK</Sts><BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>"
                f"<AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><RltdPties>{parties}</RltdPties>"
                f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")

    entries = [entry(f"DEMO-{booked}-1", TOTAL, "CRDT", "<Dbtr><Nm>CAFE DES ARTS</Nm></Dbtr>",
                     f"VIR SEPA FACTURE {SALE_NUMBER}"),
               entry(f"DEMO-{booked}-2", "12.00", "DBIT", "<Cdtr><Nm>BANQUE</Nm></Cdtr>", "FRAIS TENUE DE COMPTE")]
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"
            f"<GrpHdr><MsgId>DEMO-{booked}</MsgId><CreDtTm>{booked}T06:00:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>DEMO-{booked}</Id><CreDtTm>{booked}T06:00:00</CreDtTm>"
            f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
            + "".join(entries) + "</Stmt></BkToCstmrStmt></Document>").encode()
