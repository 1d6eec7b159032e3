"""UN/CEFACT Cross Industry Invoice: Factur-X / ZUGFeRD 2.x (all profiles), XRechnung CII, plain CII D16B,
ZUGFeRD 1.0 (`CrossIndustryDocument`) and the pre-1.0 CBFBUY draft (`Invoice` in urn:...:CBFBUY:5).

Element names that changed between ZUGFeRD 1.0 and CII D16B are written as `Old|New` alternatives.
"""
from __future__ import annotations

from ..result import ExtractionResult, Line, Party, VatLine
from .parties import apply_legal_ids, compact
from .xmlutil import all_, amount, cii_date, first, text, to_decimal

DOC = "ExchangedDocument|HeaderExchangedDocument"
TX = "SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction"
AGREEMENT = "ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement"
SETTLEMENT = "ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement"
SUMMATION = "SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation"
RATE = "RateApplicablePercent|ApplicablePercent"


def read_cii(root, result: ExtractionResult) -> ExtractionResult:
    doc = first(root, DOC)
    tx = first(root, TX)
    agreement = first(tx, AGREEMENT)
    settlement = first(tx, SETTLEMENT)

    result.invoice_number = text(doc, "ID")
    result.type_code = text(doc, "TypeCode")
    result.issue_date = cii_date(doc, "IssueDateTime")
    currency = text(settlement, "InvoiceCurrencyCode")
    result.currency = currency.upper() if currency else None

    summation = first(settlement, SUMMATION)
    if result.currency is None:
        # ZUGFeRD 1.0 files sometimes leave InvoiceCurrencyCode empty but state currencyID on every amount.
        for el in all_(summation, "GrandTotalAmount|DuePayableAmount|TaxBasisTotalAmount"):
            if el.get("currencyID"):
                result.currency = el.get("currencyID").strip().upper()
                result.warn("currency_from_amount_attribute")
                break
    result.total_excl_tax = amount(summation, "TaxBasisTotalAmount", result.currency)
    result.total_tax = amount(summation, "TaxTotalAmount", result.currency)
    result.total_incl_tax = amount(summation, "GrandTotalAmount", result.currency)
    result.prepaid = amount(summation, "TotalPrepaidAmount", result.currency)
    result.amount_due = amount(summation, "DuePayableAmount", result.currency)

    for tax in all_(settlement, "ApplicableTradeTax"):
        result.vat_breakdown.append(VatLine(
            rate=to_decimal(text(tax, RATE)),
            base=to_decimal(text(tax, "BasisAmount")),
            amount=to_decimal(text(tax, "CalculatedAmount")),
            category=text(tax, "CategoryCode"),
        ))

    _read_payment_terms(settlement, result)
    result.seller = _party(first(agreement, "SellerTradeParty"), result.warnings, "seller")
    result.buyer = _party(first(agreement, "BuyerTradeParty"), result.warnings, "buyer")
    _read_payment_means(settlement, result)
    result.buyer_reference = text(agreement, "BuyerReference")
    result.purchase_order = text(agreement, "BuyerOrderReferencedDocument/IssuerAssignedID|ID")
    result.lines = [_line(item) for item in all_(tx, "IncludedSupplyChainTradeLineItem")]
    return result


def _read_payment_terms(settlement, result: ExtractionResult) -> None:
    descriptions = []
    for terms in all_(settlement, "SpecifiedTradePaymentTerms"):
        for desc in all_(terms, "Description"):
            value = text(desc)
            if value and value not in descriptions:
                descriptions.append(value)
        if result.due_date is None:
            result.due_date = cii_date(terms, "DueDateDateTime")
    result.payment_terms = "\n".join(descriptions) or None


def _read_payment_means(settlement, result: ExtractionResult) -> None:
    # The payee account is the seller's, unless a distinct payee party is named (BG-10); we still report it on the
    # seller because that is where the money goes.
    for means in all_(settlement, "SpecifiedTradeSettlementPaymentMeans"):
        iban = compact(text(means, "PayeePartyCreditorFinancialAccount/IBANID"))
        if iban and result.seller.iban is None:
            result.seller.iban = iban.upper()
            bic = compact(text(means, "PayeeSpecifiedCreditorFinancialInstitution/BICID"))
            result.seller.bic = bic.upper() if bic else None
    if result.seller.iban is None:
        for means in all_(settlement, "SpecifiedTradeSettlementPaymentMeans"):
            other = compact(text(means, "PayeePartyCreditorFinancialAccount/ProprietaryID"))
            if other:
                result.seller.iban = other.upper()
                break


def _party(node, warnings: list[str], role: str) -> Party:
    party = Party()
    if node is None:
        return party
    party.name = text(node, "Name")
    party.country = text(node, "PostalTradeAddress/CountryID")
    for reg in all_(node, "SpecifiedTaxRegistration/ID"):
        scheme = (reg.get("schemeID") or "").upper()
        if scheme == "VA" and text(reg) and party.vat_id is None:
            party.vat_id = compact(text(reg))
        elif scheme != "VA" and text(reg) and party.tax_id is None:
            party.tax_id = text(reg)
    if party.country is None and party.vat_id and party.vat_id[:2].isalpha():
        party.country = party.vat_id[:2].upper()
    legal = [(text(el), el.get("schemeID")) for el in all_(node, "SpecifiedLegalOrganization/ID")]
    others = [(text(el), el.get("schemeID")) for el in all_(node, "GlobalID|ID|URIUniversalCommunication/URIID")]
    apply_legal_ids(party, legal, others, warnings, role)
    return party


def _line(item) -> Line:
    return Line(
        description=text(item, "SpecifiedTradeProduct/Name"),
        quantity=to_decimal(text(item, "SpecifiedLineTradeDelivery|SpecifiedSupplyChainTradeDelivery/BilledQuantity")),
        unit_price=to_decimal(text(
            item, "SpecifiedLineTradeAgreement|SpecifiedSupplyChainTradeAgreement/NetPriceProductTradePrice/ChargeAmount",
        )),
        net_amount=to_decimal(text(
            item,
            "SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement/"
            "SpecifiedTradeSettlementLineMonetarySummation|SpecifiedTradeSettlementMonetarySummation/LineTotalAmount",
        )),
        vat_rate=to_decimal(text(
            item, f"SpecifiedLineTradeSettlement|SpecifiedSupplyChainTradeSettlement/ApplicableTradeTax/{RATE}",
        )),
    )
