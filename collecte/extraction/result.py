"""The extraction result: the stable JSON contract of DESIGN.md ("Extraction output"), plus extra fields.

Amounts are `Decimal`; `to_json()` writes them as decimal strings with two decimals unless the source gave more
("12.5" -> "12.50", "3.125" -> "3.125"). Dates are ISO 8601, unknown fields `null`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

SOURCES = ("factur-x", "ubl", "cii", "pdf-text", "ocr")
DOCUMENT_TYPES = ("invoice", "credit_note")
TWO_PLACES = Decimal("0.01")


def format_amount(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value.as_tuple().exponent > -2:  # fewer than two decimals given
        value = value.quantize(TWO_PLACES)
    return format(value, "f")


def format_quantity(value: Decimal | None) -> str | None:
    # Quantities and rates are not money: keep exactly what the document says, without trailing zeros noise.
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass
class Party:
    name: str | None = None
    vat_id: str | None = None
    tax_id: str | None = None  # BT-32 tax registration other than VAT (German Steuernummer, Swedish F-skatt)
    siren: str | None = None
    siret: str | None = None
    legal_id: str | None = None
    legal_id_scheme: str | None = None
    iban: str | None = None
    bic: str | None = None
    country: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class VatLine:
    rate: Decimal | None = None
    base: Decimal | None = None
    amount: Decimal | None = None
    category: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": format_quantity(self.rate),
            "base": format_amount(self.base),
            "amount": format_amount(self.amount),
            "category": self.category,
        }


@dataclass
class Line:
    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    net_amount: Decimal | None = None
    vat_rate: Decimal | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "quantity": format_quantity(self.quantity),
            "unit_price": format_amount(self.unit_price),
            "net_amount": format_amount(self.net_amount),
            "vat_rate": format_quantity(self.vat_rate),
        }


@dataclass
class ExtractionResult:
    file: str | None = None
    source: str | None = None
    document_type: str | None = None
    type_code: str | None = None
    invoice_number: str | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_terms: str | None = None
    currency: str | None = None
    total_excl_tax: Decimal | None = None
    total_tax: Decimal | None = None
    total_incl_tax: Decimal | None = None
    prepaid: Decimal | None = None
    amount_due: Decimal | None = None
    vat_breakdown: list[VatLine] = field(default_factory=list)
    seller: Party = field(default_factory=Party)
    buyer: Party = field(default_factory=Party)
    buyer_reference: str | None = None
    purchase_order: str | None = None
    lines: list[Line] = field(default_factory=list)
    confidence: dict[str, float] = field(default_factory=dict)
    positions: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)
    learned: list[str] = field(default_factory=list)  # fields read with this supplier's memory
    # The positioned lines the text or OCR path read (pdftext.layout.Line): used after reading by the party roles,
    # the XML cross-check and the supplier memory; never serialised.
    page_lines: list = field(default_factory=list, repr=False, compare=False)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def to_dict(self) -> dict[str, Any]:
        """The contract's keys first, in DESIGN.md's order, then the extra fields."""
        return {
            "file": self.file,
            "source": self.source,
            "document_type": self.document_type,
            "invoice_number": self.invoice_number,
            "issue_date": _iso(self.issue_date),
            "due_date": _iso(self.due_date),
            "currency": self.currency,
            "total_excl_tax": format_amount(self.total_excl_tax),
            "total_tax": format_amount(self.total_tax),
            "total_incl_tax": format_amount(self.total_incl_tax),
            "amount_due": format_amount(self.amount_due),
            "seller": self.seller.to_dict(),
            "buyer": self.buyer.to_dict(),
            "confidence": dict(self.confidence),
            "warnings": list(self.warnings),
            "type_code": self.type_code,
            "payment_terms": self.payment_terms,
            "prepaid": format_amount(self.prepaid),
            "vat_breakdown": [v.to_dict() for v in self.vat_breakdown],
            "buyer_reference": self.buyer_reference,
            "purchase_order": self.purchase_order,
            "lines": [line.to_dict() for line in self.lines],
            "positions": dict(self.positions),
            "validation": dict(self.validation),
            "learned": list(self.learned),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
