"""Which party is whom (issue 4, item 5).

A client folder knows its own company (name, SIREN, VAT id, IBAN). On a purchase the counterparty is the seller, on a
sale it is the buyer, and the folder's own company must never be taken for the counterparty, nor the person who
forwarded the mail. The text and OCR paths guess the seller from the page (first VAT id outside the "bill to" block,
a line with a legal form…); a purchase invoice that prints the client's own VAT id or IBAN first (a direct-debit
mandate, a delivery address block without a label) would otherwise name the client as its own supplier.

E-invoice XML says who is who exactly: there we only warn when the folder's company sits on the wrong side (a sales
invoice sent to the purchases address, or the reverse), and change nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .pdftext.extractor import _clean_name as clean_name
from .pdftext.fields import Span
from .pdftext.labels import LEGAL_FORM
from .pdftext.layout import bbox_of
from .pdftext.parse import find_ibans, find_siren, find_vat_ids, fold
from .result import ExtractionResult, Party

XML_SOURCES = {"factur-x", "ubl", "cii"}
PURCHASES, SALES = "purchases", "sales"
LEGAL_WORDS = re.compile(r"\b(?:sarl|sas|sasu|sa|eurl|sci|snc|scop|gmbh|ag|kg|ohg|ug|ltd|limited|llc|inc|plc|bv|"
                         r"nv|srl|spa|sl|co|cie|et|and|und|the|la|le|les|societe|ste|company)\b")


@dataclass(frozen=True)
class Company:
    name: str | None = None
    siren: str | None = None
    vat_id: str | None = None
    iban: str | None = None


@dataclass(frozen=True)
class Context:
    """What the edge knows about a document before reading it: whose folder it is in and how it came."""
    own: Company | None = None
    direction: str | None = None  # "purchases" | "sales"
    forwarder_name: str | None = None


def name_key(name: str | None) -> str:
    text = fold(name or "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(LEGAL_WORDS.sub(" ", text).split())


def same_name(a: str | None, b: str | None) -> bool:
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    short, long_ = sorted((ka, kb), key=len)
    if len(short) >= 5 and f" {short} " in f" {long_} ":
        return True
    return SequenceMatcher(None, ka, kb).ratio() >= 0.88


def _siren_of_vat(vat_id: str | None) -> str | None:
    if vat_id and vat_id.startswith("FR") and len(vat_id) == 13:
        return vat_id[4:]
    return None


def is_company(party: Party, own: Company) -> bool:
    """Does this party denote the folder's own company? Any shared identifier, or the same name."""
    own_sirens = {s for s in (own.siren, _siren_of_vat(own.vat_id)) if s}
    party_sirens = {s for s in (party.siren, (party.siret or "")[:9] or None, _siren_of_vat(party.vat_id)) if s}
    if own.vat_id and party.vat_id == own.vat_id:
        return True
    if own_sirens & party_sirens:
        return True
    if own.iban and party.iban == own.iban:
        return True
    return same_name(party.name, own.name)


@dataclass
class Found:
    value: object
    position: dict


def page_identifiers(result: ExtractionResult) -> dict[str, list[Found]]:
    """Every checksum-valid VAT id, IBAN and SIREN on the pages read, and every line with a legal form (a name)."""
    found: dict[str, list[Found]] = {"vat_id": [], "iban": [], "siren": [], "name": []}
    for line in result.page_lines:
        span = Span(line.words)
        for compact, valid, start, end in find_vat_ids(span.text):
            if valid:
                found["vat_id"].append(Found(compact, bbox_of(span.words_in(start, end))))
        for compact, start, end in find_ibans(span.text):
            found["iban"].append(Found(compact, bbox_of(span.words_in(start, end))))
        if re.search(r"siren|siret|rcs|r\.c\.s", span.folded):
            for siren, siret, start, end in find_siren(span.text):
                found["siren"].append(Found((siren, siret), bbox_of(span.words_in(start, end))))
        if LEGAL_FORM.search(span.text):
            name = clean_name(span.text)
            if name and not re.search(r"\d{4,}", name):
                found["name"].append(Found(name, bbox_of(span.words)))
    return found


def settle_roles(result: ExtractionResult, context: Context | None) -> None:
    if context is None:
        return
    counter_role = "buyer" if context.direction == SALES else "seller"
    own_role = "seller" if counter_role == "buyer" else "buyer"
    counterparty: Party = getattr(result, counter_role)
    if context.forwarder_name and same_name(counterparty.name, context.forwarder_name) and \
            result.source not in XML_SOURCES:
        _drop(result, counter_role, "name")
        result.warn("counterparty_is_forwarder: the name read is the person who forwarded the mail; left empty")
    own = context.own
    if own is None or not any((own.name, own.siren, own.vat_id, own.iban)):
        return
    if result.source in XML_SOURCES:
        if is_company(counterparty, own) and not is_company(getattr(result, own_role), own):
            side = "seller" if counter_role == "seller" else "buyer"
            result.warn(f"own_company_is_{side}: the folder's own company is the {side} of this invoice; "
                        f"it looks like a {'sale' if side == 'seller' else 'purchase'}, not a "
                        f"{'purchase' if side == 'seller' else 'sale'}")
        return
    if result.source is None:
        return
    _keep_own_company_out(result, counter_role, own_role, own)


def _keep_own_company_out(result: ExtractionResult, counter_role: str, own_role: str, own: Company) -> None:
    """Text and OCR paths: any value of the counterparty that is the folder's own moves to the folder's side, and the
    counterparty gets the next value on the page that is not the folder's (or nothing)."""
    page = page_identifiers(result)
    counterparty: Party = getattr(result, counter_role)
    own_side: Party = getattr(result, own_role)
    own_sirens = {s for s in (own.siren, _siren_of_vat(own.vat_id)) if s}

    def not_own(kind, value):
        if kind == "vat_id":
            return value != own.vat_id and _siren_of_vat(value) not in own_sirens
        if kind == "iban":
            return value != own.iban
        if kind == "siren":
            return value[0] not in own_sirens
        return not same_name(value, own.name)

    current = {"vat_id": counterparty.vat_id, "iban": counterparty.iban, "name": counterparty.name,
               "siren": (counterparty.siren, counterparty.siret) if counterparty.siren else None}
    for kind, value in current.items():
        if value is None or not_own(kind, value):
            continue
        # The value read is the folder's own: it belongs to the other side.
        if kind == "siren":
            own_side.siren, own_side.siret = value
        elif getattr(own_side, kind) is None:
            setattr(own_side, kind, value)
        _drop(result, counter_role, kind)
        others = [f for f in page[kind] if not_own(kind, f.value)]
        if others:
            _put(result, counter_role, kind, others[0])
        result.warn(f"own_company_skipped: the {kind.replace('_', ' ')} first read as the "
                    f"{'supplier' if counter_role == 'seller' else 'customer'}'s is the folder's own company's")
    if counter_role == "buyer":
        # The text path reads the issuer well and the customer little: on a sale, any other company on the page
        # is the best guess for the customer.
        for kind in ("vat_id", "name"):
            if getattr(counterparty, kind) is None:
                others = [f for f in page[kind] if not_own(kind, f.value)]
                if others:
                    _put(result, counter_role, kind, others[0])
    if counterparty.vat_id:
        counterparty.country = counterparty.vat_id[:2]


def _drop(result: ExtractionResult, role: str, kind: str) -> None:
    party: Party = getattr(result, role)
    if kind == "siren":
        party.siren = party.siret = None
    else:
        setattr(party, kind, None)
    result.confidence.pop(f"{role}.{kind}", None)
    result.positions.pop(f"{role}.{kind}", None)


def _put(result: ExtractionResult, role: str, kind: str, found: Found) -> None:
    party: Party = getattr(result, role)
    if kind == "siren":
        party.siren, party.siret = found.value
    else:
        setattr(party, kind, found.value)
    result.confidence[f"{role}.{kind}"] = 0.5 if kind != "name" else 0.3
    result.positions[f"{role}.{kind}"] = found.position
