"""OFX statements, 1.x (SGML: leaf tags left unclosed) and 2.x (XML), read by one tolerant tokenizer.

French banks still export OFX 1.02 in cp1252 with leaves like `<TRNAMT>-12,50` and no closing tag; XML parsers
reject that, so we tokenize instead: a tag followed by text is a leaf, a tag followed by another tag opens an
aggregate, and a closing tag closes the nearest open aggregate of that name.
"""
from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from .statements import (Statement, StatementError, Transaction, check_balances, clean_iban, combine, join_label,
                         with_bank_ids)

TOKEN = re.compile(r"<(/?)([A-Za-z0-9._]+)[^>]*>([^<]*)")
NOISE = re.compile(r"<\?.*?\?>|<!--.*?-->", re.S)  # XML declaration, OFX 2 processing instruction, comments
OFX_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")  # YYYYMMDD[HHMMSS[.XXX]][[offset:TZ]]: the bank's day is enough
OFX_AMOUNT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class _Node:
    __slots__ = ("name", "pos", "leaves", "children")

    def __init__(self, name: str, pos: int):
        self.name, self.pos, self.leaves, self.children = name, pos, {}, []

    def child(self, name: str) -> _Node | None:
        return next((c for c in self.children if c.name == name), None)

    def leaf(self, name: str) -> str | None:
        return self.leaves.get(name)

    def walk(self, name: str):
        for c in self.children:
            if c.name == name:
                yield c
            else:
                yield from c.walk(name)


def parse_ofx(data: bytes) -> Statement:
    text = _decode(data)
    start = text.upper().find("<OFX>")
    if start < 0:
        raise StatementError(_("Ce fichier n'est pas un OFX : balise <OFX> introuvable."))
    root = _tree(text, start)
    statements = list(root.walk("STMTRS")) + list(root.walk("CCSTMTRS"))
    if not statements:
        raise StatementError(_("Ce fichier OFX ne contient aucun relevé de compte (STMTRS)."), element="STMTRS")
    reader = _Reader(text)
    parts = [reader.statement(node) for node in statements]
    return combine(parts, reader.warnings)


def _decode(data: bytes) -> str:
    """OFX 1.x declares CHARSET:1252 (or ISO-8859-1) in its header, 2.x an XML encoding; some banks declare
    UTF-8 and send cp1252, so a failed UTF-8 decode falls back."""
    head = data[:1024].decode("ascii", "replace").upper().replace(" ", "")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if re.search(r"CHARSET:(1252|ISO-?8859-1|8859-1)|ENCODING=\"(WINDOWS-1252|ISO-8859-1)\"", head):
        return data.decode("cp1252", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _tree(text: str, start: int) -> _Node:
    root = _Node("", start)
    stack = [root]
    last_leaf = None
    body = NOISE.sub(lambda m: " " * len(m.group()), text[start:])  # same length: positions stay line-countable
    for m in TOKEN.finditer(body):
        closing, name, value = m.group(1), m.group(2).upper(), m.group(3).strip()
        if closing:
            if name != last_leaf:
                _close(stack, name)
            last_leaf = None
        elif value:
            stack[-1].leaves.setdefault(name, html.unescape(value))
            last_leaf = name
        else:
            node = _Node(name, start + m.start())
            stack[-1].children.append(node)
            stack.append(node)
            last_leaf = None
    return root


def _close(stack: list[_Node], name: str) -> None:
    """Close the nearest open `name`; anything opened inside and never closed was an empty SGML leaf such as
    `<MEMO>` with no text, so its leaves and children belong to its parent."""
    if not any(node.name == name for node in stack[1:]):
        return  # a stray closing tag: ignore rather than refuse a file a bank produced
    while stack[-1].name != name:
        orphan = stack.pop()
        parent = stack[-1]
        for key, value in orphan.leaves.items():
            parent.leaves.setdefault(key, value)
        at = parent.children.index(orphan)
        parent.children[at:at + 1] = orphan.children
    stack.pop()


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.warnings: list[str] = []
        self.number = 0

    def fail(self, node: _Node, number: int, message: str):
        line = self.text.count("\n", 0, node.pos) + 1
        where = _("Transaction <%(tag)s> n° %(n)d (ligne %(line)d)") % {"tag": node.name, "n": number, "line": line}
        raise StatementError(f"{where} : {message}", line=line, element=node.name)

    def statement(self, node: _Node) -> Statement:
        currency = (node.leaf("CURDEF") or "").upper() or None
        if currency is None:
            self.warnings.append(_("Devise du relevé absente (CURDEF) : euro supposé."))
        account = node.child("BANKACCTFROM") or node.child("CCACCTFROM") or _Node("", 0)
        account_id = account.leaf("ACCTID")
        iban = self.account_iban(account)
        tranlist = node.child("BANKTRANLIST") or _Node("", 0)
        transactions = []
        for trn in tranlist.walk("STMTTRN"):
            self.number += 1
            transactions.append(self.transaction(trn, self.number, currency or "EUR"))
        dates = [tx.booking_date for tx in transactions]
        start = _day(tranlist.leaf("DTSTART")) or min(dates, default=None)
        end = _day(tranlist.leaf("DTEND")) or max(dates, default=None)
        ledger = node.child("LEDGERBAL")
        closing = _amount(ledger.leaf("BALAMT")) if ledger else None
        check_balances(None, closing, transactions, currency, self.warnings)
        transactions = with_bank_ids(transactions, account_id, self.warnings)
        return Statement(iban, currency, None, closing, start, end, transactions)

    def account_iban(self, account: _Node) -> str | None:
        """ACCTID is an IBAN at some banks; French banks split the RIB into BANKID, BRANCHID, ACCTID and ACCTKEY,
        from which the IBAN follows (FR + ISO 7064 check digits + the 23-character RIB)."""
        account_id = (account.leaf("ACCTID") or "").replace(" ", "").upper()
        if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", account_id):
            return clean_iban(account_id, self.warnings, _("Compte du relevé"))
        rib = "".join(account.leaf(k) or "" for k in ("BANKID", "BRANCHID", "ACCTID", "ACCTKEY")).upper()
        if account.leaf("ACCTKEY") and len(rib) == 23:
            digits = "".join(str(int(ch, 36)) for ch in rib + "FR00")
            return clean_iban(f"FR{98 - int(digits) % 97:02d}{rib}", self.warnings, _("Compte du relevé"))
        return None

    def transaction(self, trn: _Node, number: int, currency: str) -> Transaction:
        raw_amount = trn.leaf("TRNAMT")
        if raw_amount is None:
            self.fail(trn, number, _("montant manquant (TRNAMT)."))
        amount = _amount(raw_amount)
        if amount is None:
            self.fail(trn, number, _("montant « %(raw)s » illisible (TRNAMT).") % {"raw": raw_amount})
        raw_date = trn.leaf("DTPOSTED")
        if raw_date is None:
            self.fail(trn, number, _("date manquante (DTPOSTED)."))
        booked = _day(raw_date)
        if booked is None:
            self.fail(trn, number, _("date « %(raw)s » illisible (DTPOSTED).") % {"raw": raw_date})
        payee = trn.child("PAYEE")
        name = trn.leaf("NAME") or (payee.leaf("NAME") if payee else None)
        memo = trn.leaf("MEMO")
        other = trn.child("BANKACCTTO")
        other_id = other.leaf("ACCTID") if other else None
        iban = clean_iban(other_id, self.warnings, _("Contrepartie « %(name)s »") % {"name": name or "?"}) \
            if other_id and re.match(r"[A-Za-z]{2}\d{2}", other_id) else None
        foreign = trn.child("CURRENCY")
        fitid = trn.leaf("FITID")
        return Transaction(booked, _day(trn.leaf("DTAVAIL")) or _day(trn.leaf("DTUSER")), amount,
                           ((foreign.leaf("CURSYM") if foreign else None) or currency).upper(),
                           join_label(name, memo), name, iban, fitid, fitid or "")


def _day(raw: str | None) -> date | None:
    match = OFX_DATE.match(raw.strip()) if raw else None
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _amount(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    raw = raw.strip().replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")  # some French banks write TRNAMT with a decimal comma
    return Decimal(raw) if OFX_AMOUNT.fullmatch(raw) else None
