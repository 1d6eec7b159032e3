"""CAMT.053 (ISO 20022 BankToCustomerStatement, any camt.053.001.xx version) read with a safe lxml parser.

One tree walk with namespace-qualified paths built once per file: 10,000 entries read in about half a second.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from lxml import etree

from .statements import Statement, StatementError, Transaction, check_balances, clean_iban, combine, join_label, \
    with_bank_ids

CAMT053_NS = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d+$")
CAMT_OTHER_NS = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3})\.")
BOOKED = {"BOOK", "BOOKED"}  # .02-.07 write the code, some banks the ISO name; .08+ nest it in Sts/Cd
NO_REFERENCE = {"", "NOTPROVIDED", "NONREF", "NONE"}  # placeholders banks put in mandatory reference fields
OPENING, CLOSING = ("OPBD", "PRCD"), ("CLBD",)  # PRCD (previous day's closing) stands in when OPBD is absent

SAFE_XML = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=True,
                remove_pis=True)


def parse_camt053(data: bytes) -> Statement:
    root = _xml_root(data)
    reader = _Camt(etree.QName(root).namespace)
    statements = root.findall(reader.path("BkToCstmrStmt/Stmt"))
    if not statements:
        raise StatementError(_("Élément <BkToCstmrStmt> : aucun relevé (Stmt) dans le fichier."),
                             line=root.sourceline, element="BkToCstmrStmt")
    parts = [reader.statement(stmt) for stmt in statements]
    return combine(parts, reader.warnings + reader.pending_warning())


def _xml_root(data: bytes):
    try:
        root = etree.fromstring(data, etree.XMLParser(**SAFE_XML))
    except etree.XMLSyntaxError as err:
        line = err.position[0] if err.position else None
        raise StatementError(_("Le fichier n'est pas un XML lisible (ligne %(line)s) : %(error)s.")
                             % {"line": line, "error": err.msg}, line=line) from err
    namespace, tag = etree.QName(root).namespace or "", etree.QName(root).localname
    if not CAMT053_NS.match(namespace) or tag != "Document":
        other = CAMT_OTHER_NS.match(namespace)
        found = other.group(1) if other else (namespace or _("sans espace de noms"))
        raise StatementError(_("Ce fichier XML n'est pas un relevé CAMT.053 : élément racine <%(tag)s>, "
                               "format « %(found)s ». Exportez le relevé de fin de journée (camt.053).")
                             % {"tag": tag, "found": found}, line=root.sourceline, element=tag)
    return root


class _Camt:
    """One walk over the tree with namespace-qualified paths built once: fast enough for 10,000 entries."""

    def __init__(self, namespace: str):
        self.ns = namespace
        self.warnings: list[str] = []
        self.pending: list[tuple[int, str]] = []
        self.entry_number = 0
        self._paths: dict[str, str] = {}

    def path(self, short: str) -> str:
        if short not in self._paths:
            self._paths[short] = "/".join(f"{{{self.ns}}}{step}" for step in short.split("/"))
        return self._paths[short]

    def text(self, el, short: str) -> str | None:
        found = el.find(self.path(short))
        if found is None or found.text is None:
            return None
        return found.text.strip() or None

    def texts(self, el, short: str) -> list[str]:
        return [f.text.strip() for f in el.iterfind(self.path(short)) if f.text and f.text.strip()]

    def fail(self, el, number, message: str):
        where = _("Élément <%(tag)s> n° %(n)d (ligne %(line)s)") % {
            "tag": etree.QName(el).localname, "n": number, "line": el.sourceline}
        raise StatementError(f"{where} : {message}", line=el.sourceline, element=etree.QName(el).localname)

    def day(self, el, number, short: str) -> date | None:
        raw = self.text(el, short + "/Dt") or self.text(el, short + "/DtTm")
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw[:10])  # DtTm: the bank's calendar day, not converted to UTC
        except ValueError:
            self.fail(el, number, _("date « %(raw)s » illisible (%(path)s).") % {"raw": raw, "path": short})

    def amount(self, el, number, short: str, required=True) -> tuple[Decimal, str] | None:
        found = el.find(self.path(short))
        if found is None or not (found.text or "").strip():
            if required:
                self.fail(el, number, _("montant manquant (%(path)s).") % {"path": short})
            return None
        raw = found.text.strip()
        if not re.fullmatch(r"\d+(\.\d+)?", raw):
            self.fail(el, number, _("montant « %(raw)s » illisible (%(path)s).") % {"raw": raw, "path": short})
        return Decimal(raw), (found.get("Ccy") or "").upper()

    def sign(self, el, number, fallback: int | None = None) -> int:
        indicator = self.text(el, "CdtDbtInd")
        if indicator in ("CRDT", "DBIT"):
            return 1 if indicator == "CRDT" else -1
        if indicator is None and fallback is not None:
            return fallback
        self.fail(el, number, _("sens « %(raw)s » inconnu (CdtDbtInd : CRDT ou DBIT attendu).")
                  % {"raw": indicator or ""})

    def statement(self, stmt) -> Statement:
        iban_raw = self.text(stmt, "Acct/Id/IBAN")
        iban = clean_iban(iban_raw, self.warnings, _("Compte du relevé"))
        balances = {}
        for number, bal in enumerate(stmt.iterfind(self.path("Bal")), 1):
            code = self.text(bal, "Tp/CdOrPrtry/Cd")
            value, _ccy = self.amount(bal, number, "Amt")
            balances.setdefault(code, value * self.sign(bal, number))
        opening = next((balances[c] for c in OPENING if c in balances), None)
        closing = next((balances[c] for c in CLOSING if c in balances), None)
        transactions = []
        for entry in stmt.iterfind(self.path("Ntry")):
            self.entry_number += 1
            transactions.extend(self.entry(entry, self.entry_number))
        currency = (self.text(stmt, "Acct/Ccy") or (transactions[0].currency if transactions else None))
        dates = [tx.booking_date for tx in transactions]
        start = _iso_day(self.text(stmt, "FrToDt/FrDtTm")) or (min(dates) if dates else None)
        end = _iso_day(self.text(stmt, "FrToDt/ToDtTm")) or (max(dates) if dates else None)
        check_balances(opening, closing, transactions, currency, self.warnings)
        account_key = iban_raw or self.text(stmt, "Acct/Id/Othr/Id")
        transactions = with_bank_ids(transactions, account_key, self.warnings)
        return Statement(iban, currency, opening, closing, start, end, transactions)

    def entry(self, entry, number: int) -> list[Transaction]:
        status = (self.text(entry, "Sts/Cd") or self.text(entry, "Sts") or "BOOK").upper()
        if status not in BOOKED:
            self.pending.append((number, status))
            return []
        value, currency = self.amount(entry, number, "Amt")
        sign = self.sign(entry, number)
        booked = self.day(entry, number, "BookgDt") or self.day(entry, number, "ValDt")
        if booked is None:
            self.fail(entry, number, _("date de comptabilisation manquante (BookgDt)."))
        head = _EntryHead(booked, self.day(entry, number, "ValDt"), currency,
                          self.text(entry, "AddtlNtryInf"), _bank_ref(self.text(entry, "AcctSvcrRef"))
                          or _bank_ref(self.text(entry, "NtryRef")))
        details = entry.findall(self.path("NtryDtls/TxDtls"))
        split = self.split_batch(entry, number, details, value * sign, currency) if len(details) > 1 else None
        if split is None:
            one = details[0] if len(details) == 1 else None
            bank_id = head.bank_id or (_bank_ref(self.text(one, "Refs/AcctSvcrRef")) if one is not None else None)
            return [self.transaction(head, one, value * sign, sign, bank_id)]
        return [self.transaction(head, tx, amount, tx_sign,
                                 _bank_ref(self.text(tx, "Refs/AcctSvcrRef")) or
                                 (f"{head.bank_id}/{i}" if head.bank_id else None), batch=True)
                for i, (tx, amount, tx_sign) in enumerate(split, 1)]

    def split_batch(self, entry, number, details, total: Decimal, currency: str):
        """One transaction per TxDtls only when their amounts add up to the entry: a batch reported with foreign
        amounts or fees would otherwise change the account's balance."""
        split = []
        for tx in details:
            found = self.amount(tx, number, "Amt", required=False) or \
                self.amount(tx, number, "AmtDtls/TxAmt/Amt", required=False)
            if found is None or (found[1] and found[1] != currency):
                return None
            tx_sign = self.sign(tx, number, fallback=1 if total >= 0 else -1)
            split.append((tx, found[0] * tx_sign, tx_sign))
        if sum(amount for _tx, amount, _s in split) != total:
            self.warnings.append(_("Élément <Ntry> n° %(n)d (ligne %(line)s) : les détails ne totalisent pas le "
                                   "montant de l'écriture, elle est gardée en une seule opération.")
                                 % {"n": number, "line": entry.sourceline})
            return None
        return split

    def transaction(self, head, tx, amount: Decimal, sign: int, bank_id: str | None, batch=False) -> Transaction:
        name = iban = reference = None
        remittance: list[str] = []
        extra = None
        if tx is not None:
            party, account = ("Dbtr", "DbtrAcct") if sign > 0 else ("Cdtr", "CdtrAcct")
            name = self.text(tx, f"RltdPties/{party}/Nm") or self.text(tx, f"RltdPties/{party}/Pty/Nm")
            iban = clean_iban(self.text(tx, f"RltdPties/{account}/Id/IBAN"), self.warnings,
                              _("Contrepartie « %(name)s »") % {"name": name or "?"})
            remittance = self.texts(tx, "RmtInf/Ustrd")
            reference = self.text(tx, "RmtInf/Strd/CdtrRefInf/Ref") or \
                _bank_ref(self.text(tx, "Refs/EndToEndId"))
            extra = self.text(tx, "AddtlTxInf")
        label = join_label(" ".join(remittance), extra, None if batch and (remittance or extra) else head.info)
        return Transaction(head.booked, head.value, amount, head.currency, label or name or reference or "",
                           name, iban, reference, bank_id or "")

    def pending_warning(self) -> list[str]:
        if not self.pending:
            return []
        return [_("%(count)d écriture(s) non comptabilisée(s) ignorée(s) (statut %(status)s) : Ntry n° %(numbers)s.")
                % {"count": len(self.pending), "status": ", ".join(sorted({s for _n, s in self.pending})),
                   "numbers": ", ".join(str(n) for n, _s in self.pending[:20])
                   + (" …" if len(self.pending) > 20 else "")}]


@dataclass
class _EntryHead:
    booked: date
    value: date | None
    currency: str
    info: str | None
    bank_id: str | None


def _bank_ref(raw: str | None) -> str | None:
    return None if raw is None or raw.upper() in NO_REFERENCE else raw


def _iso_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw[:10]) if raw else None
    except ValueError:
        return None
