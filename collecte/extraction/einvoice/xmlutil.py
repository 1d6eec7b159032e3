"""Safe XML parsing and namespace-agnostic lookups shared by the CII and UBL readers.

The readers address elements by local name (`"SellerTradeParty/Name"`), so one CII reader serves Factur-X / ZUGFeRD 2.x
(CII D16B), ZUGFeRD 1.0 (`CrossIndustryDocument`) and the pre-1.0 CBFBUY `Invoice`, which differ in namespaces and
in a few element names (listed as `A|B` alternatives in a path step).
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from lxml import etree


class NotAnEInvoice(ValueError):
    """The bytes are not an e-invoice this package reads (not XML, or another XML vocabulary)."""


def safe_parser() -> etree.XMLParser:
    # No entity expansion (billion laughs / XXE), no network, no huge trees: e-invoices come from strangers.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False,
        remove_comments=True, remove_pis=True,
    )


def parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, parser=safe_parser())
    except etree.XMLSyntaxError as err:
        raise NotAnEInvoice(f"not well-formed XML: {err}") from err
    if root is None:
        raise NotAnEInvoice("empty XML document")
    return root


@lru_cache(maxsize=512)
def _compile(path: str) -> etree.XPath:
    steps = []
    for step in path.split("/"):
        names = step.split("|")
        cond = " or ".join(f"local-name()='{n}'" for n in names)
        steps.append(f"*[{cond}]")
    return etree.XPath("/".join(steps))


def all_(node, path: str) -> list:
    if node is None:
        return []
    return _compile(path)(node)


def first(node, path: str):
    found = all_(node, path)
    return found[0] if found else None


def text(node, path: str | None = None) -> str | None:
    el = first(node, path) if path else node
    if el is None or el.text is None:
        return None
    value = " ".join(el.text.split())
    return value or None


def amount(node, path: str, currency: str | None = None) -> Decimal | None:
    """The amount at `path`; when several are present (CII BT-110/BT-111: tax total in invoice and accounting
    currency), the one in `currency` wins, then the first."""
    candidates = [el for el in all_(node, path) if el.text and el.text.strip()]
    if currency:
        preferred = [el for el in candidates if el.get("currencyID") in (currency, None)]
        candidates = preferred or candidates
    for el in candidates:
        value = to_decimal(el.text)
        if value is not None:
            return value
    return None


def to_decimal(raw: str | None) -> Decimal | None:
    if raw is None:
        return None
    raw = raw.strip().replace(" ", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


_DIGITS = re.compile(r"^\d{8}$")


def to_date(raw: str | None) -> date | None:
    """CII format 102 (YYYYMMDD), ISO dates (UBL), ISO date-times; anything else is unknown, never guessed."""
    if not raw:
        return None
    raw = raw.strip()
    try:
        if _DIGITS.match(raw):
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
        if re.match(r"^\d{4}-\d{2}-\d{2}", raw):
            return date.fromisoformat(raw[:10])
    except ValueError:
        return None
    return None


def cii_date(node, path: str) -> date | None:
    """A CII date element holds a `DateTimeString` child (udt); the CBFBUY draft puts the text on the element."""
    el = first(node, path)
    if el is None:
        return None
    inner = first(el, "DateTimeString|DateString")
    return to_date((inner.text if inner is not None else el.text) or None)
