"""Field labels in French, English, German (and cheap Spanish, Italian, Dutch), as regexes over folded text (lower
case, no accents: see parse.fold). Each label has a weight: how sure we are that the value next to it is the field."""
from __future__ import annotations

import re

B = r"(?<![a-z0-9])"  # a word starts here
E = r"(?![a-z])"  # a word ends here
NO = r"\s*(?:n\s?[°ºo]\.?|nr\.?|no\.?|num(?:ber|ero|mer)?\.?|#)"


def _c(weight: float, pattern: str):
    return weight, re.compile(B + "(?:" + pattern + ")" + E)


NUMBER = [
    _c(1.0, r"(?:rechnungs|gutschrifts|beleg)(?:-?nummer|-?nr\.?)"),
    _c(1.0, r"[a-z]*(?:rechnung|gutschrift|rechnungs-?korrektur|beleg)(?:\s*\(\d{3}\))?" + NO),
    _c(1.0, r"(?:invoice|credit\s?note|bill)" + NO),
    _c(1.0, r"(?:n[°ºo]|numero|num\.?)\s*(?:de\s+)?(?:la\s+)?(?:facture|l'avoir|avoir|factura|fattura)"),
    _c(1.0, r"(?:facture|avoir|factura|fattura|factuur)" + NO),
    _c(1.0, r"factuurnummer|rechnungsnummer|invoice\s?id|reference\s+facture"),
    _c(0.7, r"[a-z]*rechnung(?:\s*\(\d{3}\))?"),
    _c(0.95, r"[a-z]*(?:rechnung|gutschrift|rechnungskorrektur|invoice|facture|avoir)[^0-9:]{0,40}?(?:\(\d{3}\))?"
             r"\s*(?:nr\.?|no\.?|n[°º]|#)"),
    _c(0.6, r"(?:invoice|facture|factura|fattura|factuur|avoir|gutschrift)"),
    _c(0.4, r"(?:document|doc\.?|reference|ref\.?)" + NO),
]

ISSUE_DATE = [
    _c(1.0, r"(?:rechnungs|beleg|gutschrifts)-?datum|invoice\s+date|date\s+(?:de\s+(?:la\s+)?)?(?:facture|facturation|"
            r"l'avoir|emission)|fecha\s+(?:de\s+)?(?:factura|emision)|data\s+(?:della\s+)?fattura|factuurdatum|"
            r"date\s+of\s+issue|issue\s+date|date\s+issued|ausstellungsdatum"),
    _c(0.7, r"(?:datum|date|fecha|data|dated)"),
    # a title line: "Rechnung Nr. 42 vom 08.10.2015", "Invoice INV-1 - 5 March 2024" (the date right of it or below)
    _c(0.65, r"^\s*(?:[a-z]*(?:rechnung|gutschrift)|invoice|facture|avoir|factura|fattura|factuur|credit\s+note)"),
    _c(0.5, r"(?:vom|du|le|dated|del)"),
]

# Text right after a date label that makes it some other date ("Rechnung gemäß Bestellung vom ...", "date de commande").
NOT_ISSUE_DATE = re.compile(r"^[^0-9]{0,25}?(?:bestell|order|commande|auftrag|lieferschein|livraison|delivery|leistung|"
                            r"pedido|ordine|bestelling)")

DUE_DATE = [
    _c(1.0, r"(?:date\s+d'|d')?echeance|due\s+date|payment\s+due(?:\s+date)?|due\s+by|due\s+on|pay(?:able)?\s+by|"
            r"faellig(?:\s+am)?|fallig(?:keit|keitsdatum)?(?:\s+am)?|zahlbar\s+bis(?:\s+zum)?|zahlungsziel|"
            r"bis\s+zum|remit\s+(?:until|by|before)|pay(?:able)?\s+until|a\s+payer\s+avant\s+le|a\s+regler\s+avant\s+le|payable\s+avant\s+le|"
            r"fecha\s+de\s+vencimiento|vencimiento|scadenza|data\s+di\s+scadenza|vervaldatum|uiterste\s+betaaldatum|"
            r"date\s+limite(?:\s+de\s+(?:paiement|reglement))?|falligkeitstag|zahlungsfrist|te\s+betalen\s+voor|"
            r"(?:zahlbar\s+)?(?:netto|ohne\s+abzug)\s+bis(?:\s+zum)?|payable\s+le|a\s+regler\s+le|a\s+payer\s+le"),
]

TERMS_DAYS = re.compile(
    r"(?:net|netto|n)\s*(?P<n1>\d{1,3})(?!\d)|(?P<n2>\d{1,3})\s*(?:jours|j|days|tagen|tage|dias|giorni|dagen)"
    r"(?P<eom>\s+(?:fin\s+de\s+mois|end\s+of\s+(?:the\s+)?month|eom))?")
TERMS_NOW = re.compile(
    r"a\s+reception|des\s+reception|upon\s+receipt|on\s+receipt|due\s+on\s+receipt|sofort\s+(?:fallig|zahlbar|"
    r"ohne)|sofort\b|immediately|comptant|al\s+contado|a\s+vista|bij\s+ontvangst")
TERMS_CONTEXT = re.compile(
    r"(?<![a-z])(?:paiement|payment|zahlbar|zahlung|conditions|terms|reglement|pago|pagamento|betaling|payable|"
    r"fallig|due|echeance|netto|net)")

EXCL = [
    _c(1.0, r"total\s+h\.?t\.?|montant\s+h\.?t\.?|total\s+hors\s+taxes?|sous[- ]total(?:\s+h\.?t\.?)?|"
            r"nettobetrag|summe\s+netto|netto\s*summe|nettosumme|gesamt\s*netto|zwischensumme|warenwert\s+netto|"
            r"rechnungssumme\s+ohne\s+ust\.?|summe\s+ohne\s+ust|subtotal|sub-total|total\s+excl\.?(?:uding)?(?:\s+vat|"
            r"\s+tax)?|total\s+net|net\s+total|net\s+amount|total\s+before\s+tax|amount\s+excl\.?\s+vat|"
            r"base\s+imponible|imponibile|totale\s+imponibile|subtotaal|totaal\s+excl\.?(?:\s+btw)?|netto\s+bedrag|"
            r"exclusief\s+btw|excl\.?\s+btw|total\s+sin\s+iva|importe\s+neto|totale\s+netto"),
    _c(0.6, r"(?:netto|net|ht|base)"),
]

TAX = [
    _c(1.0, r"(?:vat|tax|t\.?v\.?a\.?|mwst\.?|ust\.?|iva|btw)\s+(?:total|totale|gesamt)|(?:total|montant)\s+(?:de\s+la\s+)?t\.?v\.?a\.?|(?:total\s+)?vat(?:\s+amount)?|(?:total\s+)?tax(?:es)?|"
            r"(?:summe\s+)?(?:mwst|ust|umsatzsteuer|mehrwertsteuer)(?:\.?\s*gesamt|\.?-?\s?betrag|\.)?|steuerbetrag|"
            r"t\.?v\.?a\.?|iva|btw|sales\s+tax|gst"),
]
TAX_NOT_BEFORE = re.compile(r"(?:inkl|incl|ohne|excl|zzgl|including|excluding|hors|plus|\(|%)\.?\s*$")
TAX_NOT = re.compile(r"^[\s.:-]*(?:\)|-?id|-?ident|nr|no|n°|number|num|reg|intra|identification|satz|%|rate|"
                     r"code|registration|pflichtig|frei|exempt|befreit|incl|inkl|ttc)", re.I)

INCL = [
    _c(1.0, r"total\s+t\.?t\.?c\.?|montant\s+t\.?t\.?c\.?|total\s+toutes\s+taxes|gesamtbetrag|rechnungsbetrag|"
            r"bruttosumme|brutto\s*betrag|gesamtsumme|endbetrag|rechnungssumme|summe\s+brutto|total\s+incl\.?(?:uding)?"
            r"(?:\s+vat|\s+tax)?|grand\s+total|invoice\s+total|total\s+amount|totale\s+(?:fattura|documento)|"
            r"total\s+factura|totaal\s+incl\.?(?:\s+btw)?|te\s+betalen|inclusief\s+btw|totale\s+fattura|"
            r"importe\s+total|total\s+a\s+pagar"),
    _c(0.85, r"gesamt|total|totaal|totale"),
    _c(0.5, r"(?:brutto|summe|betrag|montant|amount)"),
]

# "Rechnungssumme netto", "Total (excl. VAT)", "Montant HT": a total label qualified as before tax is not the total.
INCL_NOT = re.compile(r"^[\s.:(-]*(?:netto|net\b|nett\b|excl|exkl|ohne|hors|h\.?t\b|before\s+tax|sans\s+tva|"
                      r"sin\s+iva|senza\s+iva)", re.I)

DUE_AMOUNT = [
    _c(1.0, r"net\s+a\s+payer|reste\s+a\s+payer|montant\s+du|amount\s+due|balance\s+due|total\s+due|zahlbetrag|"
            r"zu\s+zahlen(?:der\s+betrag)?|due\s+payable|amount\s+payable|offener\s+betrag|importe\s+a\s+pagar|da\s+pagare|a\s+payer"),
]

SELLER = re.compile(r"(?<![a-z0-9-])(?:verkaufer|lieferant|rechnungs-?e?r?steller|absender|expediteur|emis\s+par|seller|supplier|vendor|from|vendeur|fournisseur|"
                    r"emetteur|prestataire|proveedor|fornitore|leverancier)" + E)
BUYER = re.compile(B + r"(?:facture\s+a|facturer\s+a|adresse\s+de\s+facturation|client|destinataire|bill(?:ed)?\s+to|"
                   r"invoice\s+to|sold\s+to|ship\s+to|deliver\s+to|customer|buyer|rechnungsempfanger|"
                   r"rechnungsadresse|kaufer(?:/leistungsempfanger)?|kunde|leistungsempfanger|warenempfanger|"
                   r"lieferanschrift|cliente|klant|factuuradres)" + E)

# Before an id on its line: the id is the buyer's ("Ihre USt-IdNr.", "Customer VAT", "N° TVA client").
BUYER_ID = re.compile(r"(?<![a-z])(?:ihre?|your|votre|vos|client|customer|kunden?|buyer|acheteur|kaufer|cliente|klant|"
                      r"uw|vostra|su)(?![a-z])")

CREDIT_NOTE = re.compile(B + r"(?:avoir|facture\s+d'avoir|gutschrift|credit\s+note|credit\s+memo|nota\s+de\s+credito|"
                         r"nota\s+di\s+credito|creditnota|rechnungskorrektur|stornorechnung)" + E)

LEGAL_FORM = re.compile(r"(?<![A-Za-z])(?:GmbH(?:\s*&\s*Co\.?(?:\s*KG)?)?|AG|KG|OHG|e\.\s?K\.|UG|SARL|S\.A\.R\.L\.|SAS|"
                        r"SASU|SA|S\.A\.|EURL|SCI|SNC|Ltd\.?|Limited|LLC|Inc\.?|Corp\.?|PLC|B\.?V\.?|N\.?V\.?|S\.?r\.?l\.?|"
                        r"S\.?p\.?A\.?|S\.?L\.?|GbR|SE|a\.G\.|Co\.)(?![A-Za-z])", re.I)
