"""E-invoice XML, read exactly: CII (Factur-X MINIMUM .. EXTENDED, ZUGFeRD 2.x, XRechnung CII, plain CII D16B),
ZUGFeRD 1.0 and the pre-1.0 CBFBUY draft, UBL 2.1 Invoice and CreditNote (PEPPOL BIS 3, XRechnung UBL), and the same
XML embedded in a Factur-X / ZUGFeRD PDF.

    read_xml(data, file=None) -> ExtractionResult       # source "cii" or "ubl"
    read_pdf(data, file=None) -> ExtractionResult|None  # source "factur-x"; None when the PDF carries no e-invoice

Document type (UNTDID 1001): credit-note codes (381, 396, 81, 83, 261, 262, 296, 308, 420, 458, 532) give
"credit_note"; every other code (380, 384 corrected, 389 self-billed, 751, 875, 877, ...) gives "invoice"; the raw
code stays in `type_code`.

Negative invoices: FNFE-MPE and others send credit notes as a 380 with negative totals. Such a document is reported
as `document_type = "credit_note"` with every amount (totals, VAT breakdown, line net amounts and quantities) negated,
so amounts are positive magnitudes as for a 381, and the warning "negative_invoice_as_credit_note" says so; `type_code`
keeps "380". Other codes with a negative total (a 384 correction that lowers an earlier invoice, a negative 381) keep
their type and their signs, with the warning "negative_total": what they mean depends on the earlier document, which
a person must look at.

XSD and EN 16931 schematron problems become warnings ("xsd_invalid", "schematron_invalid: BR-CO-10, BR-CO-15") and
`validation` details (validation.py); they never stop the reading. A check that could not run says so in
`validation["errors"]` and adds no warning.
"""
from __future__ import annotations

from ..result import ExtractionResult
from .cii import read_cii
from .pdf import embedded_einvoice
from .ubl import read_ubl
from .validation import validate
from .xmlutil import NotAnEInvoice, parse

__all__ = ["NotAnEInvoice", "detect", "read_pdf", "read_xml"]

CREDIT_NOTE_CODES = {"381", "396", "81", "83", "261", "262", "296", "308", "420", "458", "532"}

NS_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_ZUGFERD1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
NS_CBFBUY = "urn:un:unece:uncefact:data:standard:CBFBUY:5"
NS_UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_UBL_CREDITNOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"

ROOTS = {
    f"{{{NS_CII}}}CrossIndustryInvoice": "cii",
    f"{{{NS_ZUGFERD1}}}CrossIndustryDocument": "zugferd1",
    f"{{{NS_CBFBUY}}}Invoice": "cbfbuy",
    f"{{{NS_UBL_INVOICE}}}Invoice": "ubl-invoice",
    f"{{{NS_UBL_CREDITNOTE}}}CreditNote": "ubl-creditnote",
}


def detect(root) -> str:
    """The syntax of a parsed XML by its root element and namespace, or NotAnEInvoice."""
    syntax = ROOTS.get(root.tag)
    if syntax is None:
        raise NotAnEInvoice(f"XML root {root.tag!r} is not a CII, ZUGFeRD or UBL invoice")
    return syntax


def read_xml(data: bytes, file: str | None = None, *, source: str | None = None) -> ExtractionResult:
    root = parse(data)
    syntax = detect(root)
    result = ExtractionResult(file=file)
    if syntax.startswith("ubl"):
        read_ubl(root, result)
        result.source = source or "ubl"
    else:
        read_cii(root, result)
        result.source = source or "cii"
    _classify(result)
    result.validation = validate(root, syntax, data)
    if result.validation["xsd"] == "invalid":
        result.warn("xsd_invalid")
    if result.validation["schematron"] == "invalid":
        result.warn(_schematron_warning(result.validation["schematron_errors"]))
    result.confidence = {name: 1.0 for name in _present_fields(result)}
    return result


def read_pdf(data: bytes, file: str | None = None) -> ExtractionResult | None:
    found = embedded_einvoice(data)
    if found is None:
        return None
    name, xml = found
    result = read_xml(xml, file, source="factur-x")
    result.validation["embedded_file"] = name
    return result


def _schematron_warning(errors: list[str], shown: int = 5) -> str:
    """The warning "schematron_invalid: BR-CO-10, BR-CO-15": rule ids only, the texts stay in `validation`."""
    rules = list(dict.fromkeys(e.split(":", 1)[0] for e in errors))
    more = ", ..." if len(rules) > shown else ""
    return f"schematron_invalid: {', '.join(rules[:shown])}{more}"


def _classify(result: ExtractionResult) -> None:
    code = (result.type_code or "").strip()
    result.document_type = "credit_note" if code in CREDIT_NOTE_CODES else "invoice"
    total = next((v for v in (result.total_incl_tax, result.amount_due, result.total_excl_tax) if v is not None), None)
    if total is None or total >= 0:
        return
    if code == "380":
        result.document_type = "credit_note"
        _negate(result)
        result.warn("negative_invoice_as_credit_note")
    else:
        result.warn("negative_total")


def _negate(result: ExtractionResult) -> None:
    for name in ("total_excl_tax", "total_tax", "total_incl_tax", "prepaid", "amount_due"):
        value = getattr(result, name)
        if value is not None:
            setattr(result, name, -value)
    for vat in result.vat_breakdown:
        vat.base = -vat.base if vat.base is not None else None
        vat.amount = -vat.amount if vat.amount is not None else None
    for line in result.lines:
        line.net_amount = -line.net_amount if line.net_amount is not None else None
        line.quantity = -line.quantity if line.quantity is not None else None


_SCALARS = ("document_type", "invoice_number", "issue_date", "due_date", "currency", "total_excl_tax", "total_tax",
            "total_incl_tax", "amount_due", "prepaid", "payment_terms", "buyer_reference", "purchase_order")


def _present_fields(result: ExtractionResult) -> list[str]:
    # Read from the XML, so certain when present (DESIGN.md: each field with a confidence).
    names = [n for n in _SCALARS if getattr(result, n) is not None]
    for role in ("seller", "buyer"):
        party = getattr(result, role)
        names += [f"{role}.{k}" for k, v in party.to_dict().items() if v is not None]
    return names


