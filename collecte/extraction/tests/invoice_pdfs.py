"""Invoice PDFs generated in code for the text-layer tests: A4, Helvetica (WinAnsi), text placed at x, y points with
the origin at the top-left (like the extractor's positions). Same minimal writer as collecte/lib/textpdf.py."""
from __future__ import annotations

from collecte.lib.textpdf import PAGE_HEIGHT, PAGE_WIDTH, _escape, _serialise


def pdf(items: list[tuple[float, float, str]], size: int = 10) -> bytes:
    """One page; items are (x, y_from_top, text)."""
    parts = [b"BT", b"/F1 %d Tf" % size]
    for x, y, text in items:
        parts.append(b"1 0 0 1 %.1f %.1f Tm (" % (x, PAGE_HEIGHT - y) + _escape(text) + b") Tj")
    parts.append(b"ET")
    stream = b"\n".join(parts)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
               b"/Contents 4 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT)]
    return _serialise(objects)


def french_label_left() -> bytes:
    """Label left, value right; decimal comma, thin-space (narrow no-break) thousands; payment terms."""
    return pdf([
        (50, 60, "ATELIER DUPONT SARL"), (50, 74, "12 rue des Lilas, 69003 Lyon"),
        (50, 88, "TVA intracom. : FR40303265045"), (50, 102, "SIREN 303 265 045"),
        (330, 140, "Facturé à :"), (330, 154, "Client Martin SAS"), (330, 168, "8 avenue Foch, Paris"),
        (50, 220, "FACTURE"), (50, 240, "Facture n° :"), (200, 240, "FA-2024-0117"),
        (50, 254, "Date de facture :"), (200, 254, "12/03/2024"),
        (50, 300, "Prestation de conseil"), (450, 300, "1\u00a0000,00 €"),
        (330, 400, "Total HT"), (470, 400, "1\u00a0000,00 €"),
        (330, 414, "TVA 20 %"), (470, 414, "200,00 €"),
        (330, 428, "Total TTC"), (470, 428, "1\u00a0200,00 €"),
        (50, 480, "Conditions de paiement : 30 jours fin de mois"),
        (50, 500, "IBAN : FR76 3000 6000 0112 3456 7890 189"),
    ])


def english_label_above() -> bytes:
    """Labels above values (a header row), decimal point, month names, due date label."""
    return pdf([
        (50, 60, "Northwind Trading Ltd"), (50, 74, "VAT Reg. GB980780684"),
        (50, 130, "INVOICE"),
        (50, 160, "Invoice No."), (180, 160, "Invoice date"), (320, 160, "Due date"),
        (50, 174, "INV-88231"), (180, 174, "5 March 2024"), (320, 174, "April 4, 2024"),
        (50, 220, "Bill to"), (50, 234, "Contoso Inc."),
        (300, 400, "Subtotal"), (450, 400, "$1,234.56"),
        (300, 414, "VAT 20%"), (450, 414, "$246.91"),
        (300, 428, "Total due"), (450, 428, "$1,481.47"),
    ])


def german_two_rates() -> bytes:
    """German labels, dotted thousands, two VAT rates, "zahlbar innerhalb von 14 Tagen"."""
    return pdf([
        (50, 60, "Bäckerei Müller GmbH"), (50, 74, "Hauptstraße 1, 80333 München"),
        (50, 88, "USt-IdNr.: DE136695976"),
        (50, 130, "Rechnungsempfänger"), (50, 144, "Café Sonne KG"), (50, 158, "Bahnhofstr. 4"),
        (320, 130, "Rechnungsnummer: RE-2024/0042"), (320, 144, "Rechnungsdatum: 01.02.2024"),
        (300, 400, "Nettobetrag"), (470, 400, "1.500,00 EUR"),
        (300, 414, "MwSt. 7 %"), (470, 414, "35,00 EUR"),
        (300, 428, "MwSt. 19 %"), (470, 428, "95,00 EUR"),
        (300, 442, "Gesamtbetrag"), (470, 442, "1.630,00 EUR"),
        (50, 500, "Zahlbar innerhalb von 14 Tagen ohne Abzug."),
        (50, 520, "IBAN DE88 2008 0000 0970 3757 00"),
    ])


def french_credit_note() -> bytes:
    return pdf([
        (50, 60, "ATELIER DUPONT SARL"), (50, 74, "TVA : FR40303265045"),
        (50, 120, "AVOIR"), (50, 140, "Avoir n° AV-2024-003 du 15/04/2024"),
        (330, 400, "Total HT"), (470, 400, "100,00 €"), (330, 414, "TVA 20 %"), (470, 414, "20,00 €"),
        (330, 428, "Total TTC"), (470, 428, "120,00 €"),
    ])


def inconsistent_totals() -> bytes:
    return pdf([
        (50, 60, "Acme SAS"), (50, 100, "Facture n° 77"), (50, 114, "Date : 2024-01-10"),
        (330, 400, "Total HT"), (470, 400, "100,00 €"), (330, 414, "TVA"), (470, 414, "20,00 €"),
        (330, 428, "Total TTC"), (470, 428, "125,00 €"),
    ])


# ---- parametrised invoices: one dataclass describing the invoice, several layout functions drawing it --------------
#
# layout_fixtures() -> [(name, pdf_bytes, expected)] is the public entry point (the OCR tests rasterise the same PDFs).
# expected: invoice_number, issue_date, due_date (date or None), currency, total_excl_tax, total_tax, total_incl_tax
# (Decimal, signed as printed), document_type, seller_name, seller_vat_id, seller_iban.

import calendar  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from decimal import ROUND_HALF_UP, Decimal  # noqa: E402

THIN = "\u202f"  # narrow no-break space: drawn through code 0x81 (a space glyph, ToUnicode U+202F)
NBSP = "\u00a0"
CENT = Decimal("0.01")

FR_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
DE_MONTHS = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
             "Dezember"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]

LABELS = {
    "fr": {"invoice": "FACTURE", "credit_note": "AVOIR", "number": {"invoice": "Facture n°", "credit_note": "Avoir n°"},
           "date": "Date de facture", "due": "Date d'échéance", "terms": "Conditions de paiement :",
           "excl": "Total HT", "tax": "TVA {rate} %", "tax_total": "Total TVA", "incl": "Total TTC",
           "buyer": "Facturé à :", "vat": "TVA intracom. :", "siren": "SIREN", "iban": "IBAN :", "item": "Désignation",
           "buyer_vat": "N° TVA client :"},
    "en": {"invoice": "INVOICE", "credit_note": "CREDIT NOTE",
           "number": {"invoice": "Invoice No.", "credit_note": "Credit note No."},
           "date": "Invoice date", "due": "Due date", "terms": "Payment terms:", "excl": "Subtotal",
           "tax": "VAT {rate}%", "tax_total": "Total VAT", "incl": "Total", "buyer": "Bill to", "vat": "VAT Reg. No.",
           "siren": "Company No.", "iban": "IBAN", "item": "Description", "buyer_vat": "Customer VAT:"},
    "de": {"invoice": "RECHNUNG", "credit_note": "GUTSCHRIFT",
           "number": {"invoice": "Rechnungsnummer", "credit_note": "Gutschriftsnummer"},
           "date": "Rechnungsdatum", "due": "Fällig am", "terms": "Zahlungsbedingungen:", "excl": "Nettobetrag",
           "tax": "MwSt. {rate} %", "tax_total": "MwSt. gesamt", "incl": "Gesamtbetrag",
           "buyer": "Rechnungsempfänger", "vat": "USt-IdNr.:", "siren": "HRB", "iban": "IBAN",
           "item": "Bezeichnung", "buyer_vat": "Ihre USt-IdNr.:"},
}


@dataclass
class Invoice:
    """What an invoice says; a layout function decides where it goes on the page."""
    lang: str
    number: str
    issue: date
    lines: list  # [(description, net amount, VAT rate)]
    seller: tuple  # (name, street, city)
    seller_vat: str
    seller_iban: str
    buyer: tuple  # (name, street, city)
    buyer_vat: str | None = None
    seller_siren: str | None = None
    currency: str = "EUR"
    symbol: str = "€"  # printed after (fr/de) or before (en) the amount; "" prints the ISO code once
    decimal: str = ","
    thousands: str = NBSP
    written_dates: bool = False
    due: date | None = None  # printed as a date
    terms: str | None = None  # printed payment terms (the due date is computed from them)
    terms_days: int | None = None
    end_of_month: bool = False
    credit_note: bool = False
    negative: bool = False  # a credit note printed with negative amounts

    @property
    def sign(self) -> int:
        return -1 if self.negative else 1

    def vat_lines(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, base, tax) per rate."""
        by_rate: dict[Decimal, Decimal] = {}
        for _desc, net, rate in self.lines:
            by_rate[rate] = by_rate.get(rate, Decimal(0)) + net
        return [(rate, base, (base * rate / 100).quantize(CENT, ROUND_HALF_UP)) for rate, base in by_rate.items()]

    @property
    def excl(self) -> Decimal:
        return sum((net for _d, net, _r in self.lines), Decimal(0)).quantize(CENT)

    @property
    def tax(self) -> Decimal:
        return sum((t for _r, _b, t in self.vat_lines()), Decimal(0)).quantize(CENT)

    @property
    def incl(self) -> Decimal:
        return self.excl + self.tax

    def expected_due(self) -> date | None:
        if self.due:
            return self.due
        if self.terms_days is None:
            return None
        due = self.issue + timedelta(days=self.terms_days)
        if self.end_of_month:
            due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
        return due

    def expected(self) -> dict:
        return {"invoice_number": self.number, "issue_date": self.issue, "due_date": self.expected_due(),
                "currency": self.currency, "total_excl_tax": self.sign * self.excl,
                "total_tax": self.sign * self.tax, "total_incl_tax": self.sign * self.incl,
                "document_type": "credit_note" if self.credit_note else "invoice",
                "seller_name": self.seller[0], "seller_vat_id": self.seller_vat, "seller_iban": self.seller_iban}

    # -- formatting in the invoice's conventions --

    def money(self, value: Decimal, symbol: bool = True) -> str:
        value = self.sign * value
        text = f"{abs(value):,.2f}".replace(",", "\x00").replace(".", self.decimal).replace("\x00", self.thousands)
        text = ("-" if value < 0 else "") + text
        if not symbol or not self.symbol:
            return text
        return f"{self.symbol}{text}" if self.lang == "en" else f"{text} {self.symbol}"

    def rate(self, rate: Decimal) -> str:
        text = format(rate.normalize(), "f")
        return text.replace(".", ",") if self.decimal == "," else text

    def day(self, value: date) -> str:
        if not self.written_dates:
            if self.lang == "de":
                return value.strftime("%d.%m.%Y")
            return value.strftime("%d/%m/%Y") if self.lang == "fr" else value.strftime("%d/%m/%Y")
        if self.lang == "fr":
            return f"{value.day} {FR_MONTHS[value.month - 1]} {value.year}"
        if self.lang == "de":
            return f"{value.day}. {DE_MONTHS[value.month - 1]} {value.year}"
        return f"{EN_MONTHS[value.month - 1]} {value.day}, {value.year}"

    def label(self, key: str, **kw) -> str:
        text = LABELS[self.lang][key]
        if isinstance(text, dict):
            text = text["credit_note" if self.credit_note else "invoice"]
        return text.format(**kw)


# Helvetica advance widths (1/1000 em) for right-aligned text; other characters count as 556.
_WIDTHS = {**{c: 556 for c in "0123456789"}, " ": 278, THIN: 278, NBSP: 278, ",": 278, ".": 278, "-": 333,
           "€": 556, "$": 556, "£": 556, "%": 889, ":": 278, "i": 222, "l": 222, "I": 278, "f": 278, "t": 278,
           "r": 333, "j": 222}


def text_width(text: str, size: int = 10) -> float:
    return sum(_WIDTHS.get(c, 556) for c in text) * size / 1000


def right(x1: float, y: float, text: str, size: int = 10):
    return (x1 - text_width(text, size), y, text)


def pdf_items(items: list[tuple[float, float, str]], size: int = 10) -> bytes:
    """Like pdf(), with code 0x81 drawn as a space and read back as U+202F (a narrow no-break space) through a
    ToUnicode map: Helvetica in WinAnsi has no such character."""
    parts = [b"BT", b"/F1 %d Tf" % size]
    for x, y, text in items:
        raw = _escape(text.replace(THIN, "\x01")).replace(b"\x01", b"\x81")
        parts.append(b"1 0 0 1 %.1f %.1f Tm (" % (x, PAGE_HEIGHT - y) + raw + b") Tj")
    parts.append(b"ET")
    stream = b"\n".join(parts)
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Thin def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <81> <202F> endbfchar "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
               b"/BaseEncoding /WinAnsiEncoding /Differences [129 /space] >> /ToUnicode 6 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
               b"/Contents 4 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT),
               b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream"]
    return _serialise(objects)


def _party_block(inv: Invoice, x: float, y: float) -> list:
    name, street, city = inv.seller
    items = [(x, y, name), (x, y + 14, street), (x, y + 28, city)]
    items.append((x, y + 42, f"{inv.label('vat')} {inv.seller_vat}"))
    if inv.seller_siren:
        items.append((x, y + 56, f"{inv.label('siren')} {inv.seller_siren}"))
    return items


def _buyer_block(inv: Invoice, x: float, y: float) -> list:
    name, street, city = inv.buyer
    items = [(x, y, inv.label("buyer")), (x, y + 14, name), (x, y + 28, street), (x, y + 42, city)]
    if inv.buyer_vat:
        items.append((x, y + 56, f"{inv.label('buyer_vat')} {inv.buyer_vat}"))
    return items


def _item_lines(inv: Invoice, y: float, x1: float = 545) -> list:
    items = [(50, y, inv.label("item"))]
    for k, (desc, net, _rate) in enumerate(inv.lines):
        items += [(50, y + 16 + 14 * k, desc), right(x1, y + 16 + 14 * k, inv.money(net))]
    return items


def _footer(inv: Invoice, y: float) -> list:
    items = []
    if inv.terms:
        items.append((50, y, f"{inv.label('terms')} {inv.terms}"))
    items.append((50, y + 20, f"{inv.label('iban')} {' '.join(inv.seller_iban[i:i + 4] for i in range(0, 40, 4))}"
                  .rstrip()))
    return items


def layout_label_left(inv: Invoice) -> bytes:
    """Labels left of their values (a colon-free column at x=200); totals block with labels at x=330, values at 470."""
    items = _party_block(inv, 50, 60) + _buyer_block(inv, 330, 140)
    items += [(50, 220, inv.label("credit_note" if inv.credit_note else "invoice")),
              (50, 240, inv.label("number")), (200, 240, inv.number),
              (50, 254, inv.label("date")), (200, 254, inv.day(inv.issue))]
    if inv.due:
        items += [(50, 268, inv.label("due")), (200, 268, inv.day(inv.due))]
    items += _item_lines(inv, 300, 545)
    y = 420
    items += [(330, y, inv.label("excl")), (470, y, inv.money(inv.excl))]
    for rate, _base, tax in inv.vat_lines():
        y += 14
        items += [(330, y, inv.label("tax", rate=inv.rate(rate))), (470, y, inv.money(tax))]
    items += [(330, y + 14, inv.label("incl")), (470, y + 14, inv.money(inv.incl))]
    return pdf_items(items + _footer(inv, y + 60))


def layout_right_aligned(inv: Invoice) -> bytes:
    """Seller top right, labels at the left margin, every value right-aligned on the right margin (far from its
    label); header fields with colons."""
    name, street, city = inv.seller
    items = [right(545, 50, name), right(545, 64, street), right(545, 78, city),
             right(545, 92, f"{inv.label('vat')} {inv.seller_vat}")]
    if inv.seller_siren:
        items.append(right(545, 106, f"{inv.label('siren')} {inv.seller_siren}"))
    items += _buyer_block(inv, 50, 130)
    items += [(50, 230, inv.label("credit_note" if inv.credit_note else "invoice")),
              (50, 250, inv.label("number") + " :" if inv.lang == "fr" else inv.label("number") + ":"),
              right(545, 250, inv.number), (50, 264, inv.label("date") + ":"), right(545, 264, inv.day(inv.issue))]
    if inv.due:
        items += [(50, 278, inv.label("due") + ":"), right(545, 278, inv.day(inv.due))]
    items += _item_lines(inv, 310, 545)
    y = 430
    items += [(50, y, inv.label("excl")), right(545, y, inv.money(inv.excl))]
    for rate, _base, tax in inv.vat_lines():
        y += 14
        items += [(50, y, inv.label("tax", rate=inv.rate(rate))), right(545, y, inv.money(tax))]
    items += [(50, y + 16, inv.label("incl")), right(545, y + 16, inv.money(inv.incl))]
    return pdf_items(items + _footer(inv, y + 60))


def layout_label_above(inv: Invoice) -> bytes:
    """Labels above their values: a header row (number, date, due date) and a totals table (excl. | VAT | incl.)."""
    items = _party_block(inv, 50, 50) + _buyer_block(inv, 330, 50)
    items += [(50, 150, inv.label("credit_note" if inv.credit_note else "invoice")),
              (50, 175, inv.label("number")), (180, 175, inv.label("date")),
              (50, 189, inv.number), (180, 189, inv.day(inv.issue))]
    if inv.due:
        items += [(320, 175, inv.label("due")), (320, 189, inv.day(inv.due))]
    items += _item_lines(inv, 230, 545)
    y = 360
    for rate, base, tax in inv.vat_lines():
        items += [(50, y, f"{inv.label('tax', rate=inv.rate(rate))}"), right(300, y, inv.money(base)),
                  right(400, y, inv.money(tax))]
        y += 14
    y += 20
    items += [(300, y, inv.label("excl")), (390, y, inv.label("tax_total")), (480, y, inv.label("incl")),
              right(370, y + 14, inv.money(inv.excl)), right(460, y + 14, inv.money(inv.tax)),
              right(545, y + 14, inv.money(inv.incl))]
    return pdf_items(items + _footer(inv, y + 60))


LAYOUTS = {"label_left": layout_label_left, "right_aligned": layout_right_aligned, "label_above": layout_label_above}

D = Decimal
DUPONT = ("ATELIER DUPONT SARL", "12 rue des Lilas", "69003 Lyon")
NORTHWIND = ("Northwind Trading Ltd", "1 Harbour Street", "Bristol BS1 4DJ")
MUELLER = ("Bäckerei Müller GmbH", "Hauptstraße 1", "80333 München")

INVOICES = {
    "fr_thin_space_eom": Invoice(
        "fr", "FA-2024-0117", date(2024, 3, 12), [("Prestation de conseil", D("12500.00"), D(20))], DUPONT,
        "FR40303265045", "FR7630006000011234567890189", ("Client Martin SAS", "8 avenue Foch", "75008 Paris"),
        buyer_vat="FR44732829320", seller_siren="303 265 045", thousands=THIN, terms="30 jours fin de mois",
        terms_days=30, end_of_month=True),
    "fr_three_rates_written": Invoice(
        "fr", "F2024/0342", date(2024, 3, 12),
        [("Épicerie fine", D("1000.00"), D("5.5")), ("Repas traiteur", D("250.00"), D(10)),
         ("Location de salle", D("1200.00"), D(20))], DUPONT, "FR40303265045", "FR1420041010050500013M02606",
        ("Mairie de Vienne", "1 place de l'Hôtel de Ville", "38200 Vienne"), buyer_vat="FR96552100554",
        thousands=NBSP, written_dates=True, due=date(2024, 4, 11)),
    "fr_on_receipt_dots": Invoice(
        "fr", "2024-118", date(2024, 1, 5), [("Maintenance annuelle", D("3400.50"), D(20))], DUPONT, "FR40303265045",
        "FR7630006000011234567890189", ("Boulangerie Petit SARL", "3 rue Haute", "21000 Dijon"),
        buyer_vat="FR64443061841", thousands=".", terms="à réception", terms_days=0),
    "fr_credit_note_negative": Invoice(
        "fr", "AV-2024-003", date(2024, 4, 15), [("Remise commerciale", D("100.00"), D(20))], DUPONT,
        "FR40303265045", "FR7630006000011234567890189", ("Client Martin SAS", "8 avenue Foch", "75008 Paris"),
        buyer_vat="FR44732829320", credit_note=True, negative=True),
    "en_net30_point": Invoice(
        "en", "INV-88231", date(2024, 3, 5), [("Consulting services", D("1234.56"), D(20))], NORTHWIND,
        "GB980780684", "GB29NWBK60161331926819", ("Contoso SARL", "5 rue de la Paix", "75002 Paris"),
        buyer_vat="FR82542065479", currency="GBP", symbol="£", decimal=".", thousands=",", terms="net 30",
        terms_days=30),
    "en_written_due": Invoice(
        "en", "NW/2024/0099", date(2024, 3, 12),
        [("Freight", D("18250.00"), D(20)), ("Insurance", D("750.00"), D(0))], NORTHWIND, "GB980780684",
        "GB29NWBK60161331926819", ("Fabrikam GmbH", "Am Markt 3", "50667 Köln"), buyer_vat="DE129273398",
        currency="EUR", symbol="€", decimal=".", thousands=",", written_dates=True, due=date(2024, 4, 11)),
    "en_credit_note_positive": Invoice(
        "en", "CN-2024-7", date(2024, 5, 2), [("Returned goods", D("480.00"), D(20))], NORTHWIND, "GB980780684",
        "GB29NWBK60161331926819", ("Contoso SARL", "5 rue de la Paix", "75002 Paris"), buyer_vat="FR82542065479",
        currency="GBP", symbol="£", decimal=".", thousands=",", credit_note=True),
    "de_two_rates_14_days": Invoice(
        "de", "RE-2024/0042", date(2024, 2, 1),
        [("Brötchen", D("500.00"), D(7)), ("Kaffeemaschine", D("1000.00"), D(19))], MUELLER, "DE136695976",
        "DE88200800000970375700", ("Café Sonne KG", "Bahnhofstr. 4", "80335 München"), buyer_vat="DE811115368",
        thousands=".", terms="zahlbar innerhalb von 14 Tagen", terms_days=14),
    "de_written_due_nbsp": Invoice(
        "de", "2024-00815", date(2024, 3, 12), [("Hochzeitstorte", D("2150.00"), D(19))], MUELLER, "DE136695976",
        "DE89370400440532013000", ("Hotel Adler GmbH", "Seestraße 9", "82319 Starnberg"), buyer_vat="DE813495425",
        thousands=NBSP, written_dates=True, due=date(2024, 3, 26)),
    "de_credit_note_negative": Invoice(
        "de", "GS-2024-11", date(2024, 6, 3), [("Gutschrift Retoure", D("84.00"), D(7))], MUELLER, "DE136695976",
        "DE88200800000970375700", ("Café Sonne KG", "Bahnhofstr. 4", "80335 München"), buyer_vat="DE811115368",
        thousands=".", credit_note=True, negative=True),
}

# Which layouts draw which invoice: every invoice in at least two, every layout for each language.
DRAWN = {
    "fr_thin_space_eom": ("label_left", "right_aligned", "label_above"),
    "fr_three_rates_written": ("label_left", "label_above"),
    "fr_on_receipt_dots": ("right_aligned", "label_above"),
    "fr_credit_note_negative": ("label_left", "right_aligned"),
    "en_net30_point": ("label_left", "right_aligned", "label_above"),
    "en_written_due": ("label_left", "label_above"),
    "en_credit_note_positive": ("right_aligned", "label_above"),
    "de_two_rates_14_days": ("label_left", "right_aligned", "label_above"),
    "de_written_due_nbsp": ("right_aligned", "label_above"),
    "de_credit_note_negative": ("label_left", "label_above"),
}


def layout_fixtures() -> list[tuple[str, bytes, dict]]:
    """(name, pdf_bytes, expected) for every invoice in every layout that draws it."""
    out = []
    for key, layouts in DRAWN.items():
        inv = INVOICES[key]
        for layout in layouts:
            out.append((f"{key}-{layout}", LAYOUTS[layout](inv), inv.expected()))
    return out
