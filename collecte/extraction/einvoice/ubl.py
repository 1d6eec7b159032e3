"""OASIS UBL 2.1 Invoice and CreditNote (PEPPOL BIS Billing 3, XRechnung UBL, plain UBL 2.1)."""
from __future__ import annotations

from ..result import ExtractionResult, Line, Party, VatLine
from .parties import apply_legal_ids, compact
from .xmlutil import all_, amount, first, text, to_date, to_decimal


def read_ubl(root, result: ExtractionResult) -> ExtractionResult:
    credit = root.tag.endswith("CreditNote")
    result.invoice_number = text(root, "ID")
    result.type_code = text(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode")
    if result.type_code is None and credit:
        result.type_code = "381"
    result.issue_date = to_date(text(root, "IssueDate"))
    result.due_date = to_date(text(root, "DueDate"))
    if result.due_date is None:
        for means in all_(root, "PaymentMeans"):
            result.due_date = to_date(text(means, "PaymentDueDate"))
            if result.due_date:
                break
    currency = text(root, "DocumentCurrencyCode")
    result.currency = currency.upper() if currency else None

    totals = first(root, "LegalMonetaryTotal")
    result.total_excl_tax = amount(totals, "TaxExclusiveAmount", result.currency)
    result.total_incl_tax = amount(totals, "TaxInclusiveAmount", result.currency)
    result.prepaid = amount(totals, "PrepaidAmount", result.currency)
    result.amount_due = amount(totals, "PayableAmount", result.currency)
    _read_tax(root, result)

    notes = [text(n) for n in all_(root, "PaymentTerms/Note")]
    result.payment_terms = "\n".join(n for n in notes if n) or None
    result.seller = _party(first(root, "AccountingSupplierParty/Party"), result.warnings, "seller")
    result.buyer = _party(first(root, "AccountingCustomerParty/Party"), result.warnings, "buyer")
    for means in all_(root, "PaymentMeans"):
        iban = compact(text(means, "PayeeFinancialAccount/ID"))
        if iban:
            result.seller.iban = iban.upper()
            bic = compact(text(means, "PayeeFinancialAccount/FinancialInstitutionBranch/ID"))
            result.seller.bic = bic.upper() if bic else None
            break
    result.buyer_reference = text(root, "BuyerReference")
    result.purchase_order = text(root, "OrderReference/ID")
    line_tag, qty_tag = ("CreditNoteLine", "CreditedQuantity") if credit else ("InvoiceLine", "InvoicedQuantity")
    result.lines = [_line(node, qty_tag) for node in all_(root, line_tag)]
    return result


def _read_tax(root, result: ExtractionResult) -> None:
    # Several TaxTotal blocks: BT-110 in the document currency (with its subtotals), BT-111 in the accounting currency.
    tax_totals = all_(root, "TaxTotal")
    chosen = None
    for tt in tax_totals:
        el = first(tt, "TaxAmount")
        if el is not None and el.get("currencyID") in (result.currency, None):
            chosen = tt
            break
    chosen = chosen if chosen is not None else (tax_totals[0] if tax_totals else None)
    result.total_tax = amount(chosen, "TaxAmount")
    for sub in all_(chosen, "TaxSubtotal"):
        result.vat_breakdown.append(VatLine(
            rate=to_decimal(text(sub, "TaxCategory/Percent") or text(sub, "Percent")),
            base=to_decimal(text(sub, "TaxableAmount")),
            amount=to_decimal(text(sub, "TaxAmount")),
            category=text(sub, "TaxCategory/ID"),
        ))


def _party(node, warnings: list[str], role: str) -> Party:
    party = Party()
    if node is None:
        return party
    party.name = text(node, "PartyLegalEntity/RegistrationName") or text(node, "PartyName/Name")
    party.country = text(node, "PostalAddress/Country/IdentificationCode")
    for scheme in all_(node, "PartyTaxScheme"):
        value = text(scheme, "CompanyID")
        if (text(scheme, "TaxScheme/ID") or "").upper() == "VAT":
            if value and party.vat_id is None:
                party.vat_id = compact(value)
        elif value and party.tax_id is None:
            party.tax_id = value
    if party.country is None and party.vat_id and party.vat_id[:2].isalpha():
        party.country = party.vat_id[:2].upper()
    legal = [(text(el), el.get("schemeID")) for el in all_(node, "PartyLegalEntity/CompanyID")]
    others = [(text(el), el.get("schemeID")) for el in all_(node, "PartyIdentification/ID")]
    others += [(text(el), el.get("schemeID")) for el in all_(node, "EndpointID")]
    apply_legal_ids(party, legal, others, warnings, role)
    return party


def _line(node, qty_tag: str) -> Line:
    return Line(
        description=text(node, "Item/Name") or text(node, "Item/Description"),
        quantity=to_decimal(text(node, qty_tag)),
        unit_price=to_decimal(text(node, "Price/PriceAmount")),
        net_amount=to_decimal(text(node, "LineExtensionAmount")),
        vat_rate=to_decimal(text(node, "Item/ClassifiedTaxCategory/Percent")),
    )
