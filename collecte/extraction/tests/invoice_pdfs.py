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
