"""The PDF text-layer extractor: words with positions (layout), candidates near labels (fields), joint choice of the
totals, and an ExtractionResult with source "pdf-text", a confidence and a position ({page, bbox}) per field.

Confidences are heuristic scores in [0, 1], not calibrated probabilities. The seller name is a guess (<= 0.5).
"""
from __future__ import annotations

import calendar
import re
from collections import Counter
from datetime import timedelta

from ..result import ExtractionResult
from . import labels as L
from .fields import (Candidate, Span, amounts_right, choose_totals, date_parser, label_hits, near_values, parse_amount,
                     parse_number)
from .layout import bbox_of, read_lines, segments
from .parse import find_currencies, find_dates, find_ibans, find_printed_ibans, find_siren, find_vat_ids, fold

NO_TEXT_LAYER = "no_text_layer: the PDF has no text to read (a scan); OCR reads it unless turned off"
MIN_TEXT_CHARS = 20
EURO_COUNTRIES = {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "EL", "HR", "IE", "IT", "LT", "LU", "LV",
                  "MT", "NL", "PT", "SI", "SK"}
TOTAL_KINDS = {"excl": L.EXCL, "tax": L.TAX, "incl": L.INCL, "due": L.DUE_AMOUNT}


def read_text_pdf(data: bytes, file: str | None = None) -> ExtractionResult:
    lines, _pages = read_lines(data)
    result = ExtractionResult(file=file)
    if not has_text(lines):
        result.warn(NO_TEXT_LAYER)
        return result
    return read_fields(lines, result, source="pdf-text")


def has_text(lines) -> bool:
    return sum(len(w.text) for line in lines for w in line.words) >= MIN_TEXT_CHARS


def read_fields(lines, result: ExtractionResult, source: str) -> ExtractionResult:
    """The field logic on positioned words, whatever read them (the PDF text layer or OCR)."""
    result.source = source
    result.page_lines = lines  # for what runs after reading: party roles, XML cross-check, supplier memory
    spans = [Span(line.words) for line in lines]
    buyer_zone = _buyer_zone(spans)
    _number(result, spans)
    _dates(result, spans)
    _totals(result, spans)
    _currency(result, spans)
    _ids(result, spans, buyer_zone)
    _seller_name(result, spans, lines, buyer_zone)
    _document_type(result, spans)
    return result


def _set(result: ExtractionResult, name: str, candidate: Candidate | None, confidence: float | None = None):
    if candidate is None:
        return None
    result.confidence[name] = round(min(confidence if confidence is not None else candidate.score, 1.0), 2)
    result.positions[name] = candidate.position
    return candidate.value


def _best(candidates: list[Candidate]) -> Candidate | None:
    return max(candidates, key=lambda c: (c.score, -c.line)) if candidates else None


def _number(result, spans):
    best = _best(near_values(spans, L.NUMBER, parse_number))
    result.invoice_number = _set(result, "invoice_number", best, best and best.score * 0.9)


def _dates(result, spans):
    month_first = _month_first(spans)
    parser = date_parser(month_first)
    due = near_values(spans, L.DUE_DATE, parser)
    due_lines = {(c.line, c.value) for c in due}
    issue = [c for c in near_values(spans, L.ISSUE_DATE, parser, reject=L.NOT_ISSUE_DATE)
             if (c.line, c.value) not in due_lines]
    issue += _date_after_number(result, spans, month_first)
    best = _best(issue) or _first_date(spans, month_first)
    result.issue_date = _set(result, "issue_date", best, best and best.score * 0.9)
    best_due = _best([c for c in due if not result.issue_date or c.value >= result.issue_date])
    if best_due:
        result.due_date = _set(result, "due_date", best_due, best_due.score * 0.85)
    elif result.issue_date:
        _terms(result, spans, month_first)


SLASH_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(?:19|20)?\d\d(?![\d/])")


def _month_first(spans) -> bool:
    """The document's convention for "a/b/yyyy": month first when some such date has b > 12 (11/17/2017) and none has
    a > 12."""
    first = second = False
    for span in spans:
        for m in SLASH_DATE.finditer(span.text):
            a, b = int(m.group(1)), int(m.group(2))
            first |= a > 12 >= b
            second |= b > 12 >= a
    return second and not first


def _date_after_number(result, spans, month_first=False) -> list[Candidate]:
    """"Rechnung Nr. 42 vom 08.10.2015", "Facture n° 12 du 3 mars 2024": the date right of the invoice number (or
    at the start of the next line when the title wraps after "vom")."""
    pos = result.positions.get("invoice_number")
    if not pos:
        return []
    for index, span in enumerate(spans):
        if span.words[0].page == pos["page"] and any(
                abs(w.x0 - pos["bbox"][0]) < 0.5 and abs(w.top - pos["bbox"][1]) < 0.5 for w in span.words):
            x = pos["bbox"][2]
            rest = [w for w in span.words if w.x0 >= x]
            found = find_dates(Span(rest).text, month_first) if rest else []
            if found:
                value, start, end = found[0]
                return [Candidate(value, 0.9, Span(rest).words_in(start, end), index)]
            if (not rest or re.fullmatch(r"(?:vom|du|dated|del|of|van|le|am)", fold(rest[-1].text))) and \
                    index + 1 < len(spans):
                following = spans[index + 1]
                found = find_dates(following.text, month_first)
                lead = following.folded[:found[0][1]] if found else ""
                if found and re.fullmatch(r"(?:(?:vom|du|dated|del|of|van|le|am|date)\s*:?\s*)?", lead) and \
                        following.words[0].page == span.words[0].page and \
                        following.words[0].top - span.words[0].bottom < span.words[0].height * 3:
                    value, start, end = found[0]
                    return [Candidate(value, 0.85, following.words_in(start, end), index + 1)]
            return []
    return []


def _first_date(spans, month_first=False) -> Candidate | None:
    for index, span in enumerate(spans[:80]):
        found = find_dates(span.text, month_first)
        if found:
            value, start, end = found[0]
            return Candidate(value, 0.35, span.words_in(start, end), index)
    return None


TERMS_UNTIL = re.compile(r"(?:bis(?:\s+zum)?|until|by|before|avant\s+le|au\s+plus\s+tard\s+le|le|jusqu'au|tot|"
                         r"entro\s+il|"
                         r"antes\s+del?)\s*$")


def _terms(result, spans, month_first=False):
    """Payment terms ("30 jours fin de mois", "net 30", "à réception", "zahlbar innerhalb von 14 Tagen"); a date the
    terms state themselves ("30 Tage netto bis 04.07.2013") wins over the computed one."""
    for index, span in enumerate(spans):
        text = span.folded
        if not L.TERMS_CONTEXT.search(text):
            continue
        due = None
        if m := L.TERMS_NOW.search(text):
            due = result.issue_date
        elif m := L.TERMS_DAYS.search(text):
            days = int(m.group("n1") or m.group("n2"))
            if days > 120:
                continue
            due = result.issue_date + timedelta(days=days)
            if m.group("eom"):
                due = due.replace(day=calendar.monthrange(due.year, due.month)[1])
            for value, start, end in find_dates(span.text, month_first):
                if start >= m.end() and start - m.end() < 30 and TERMS_UNTIL.search(text[m.end():start]) and \
                        value >= result.issue_date:
                    result.due_date = value
                    result.payment_terms = span.text
                    result.confidence["due_date"] = 0.75
                    result.positions["due_date"] = bbox_of(span.words_in(start, end))
                    return
        if due is None:
            continue
        result.due_date = due
        result.payment_terms = span.text
        result.confidence["due_date"] = 0.6
        result.positions["due_date"] = bbox_of(span.words_in(m.start(), m.end()))
        return


def _totals(result, spans):
    found = {kind: near_values(spans, kind, parse_amount, kinds=TOTAL_KINDS,
                               reject=L.TAX_NOT if kind == "tax" else (L.INCL_NOT if kind == "incl" else None),
                               rows=4,
                               reject_before=L.TAX_NOT_BEFORE if kind == "tax" else None, more=amounts_right)
             for kind in TOTAL_KINDS}
    # "Amount due" is usually the total incl. tax (unless prepaid): a weaker candidate for it.
    incl = found["incl"] + [Candidate(c.value, c.score * 0.7, c.words, c.line) for c in found["due"]]
    (excl, tax, total), consistent = choose_totals(found["excl"], found["tax"], incl, spans)
    factor = 1.0 if consistent else 0.6
    result.total_excl_tax = _set(result, "total_excl_tax", excl, excl and excl.score * factor * 0.9)
    if tax is not None and isinstance(tax.value, tuple):
        tax = Candidate(sum(tax.value), tax.score, tax.words, tax.line)
    result.total_tax = _set(result, "total_tax", tax, tax and tax.score * factor * 0.9)
    result.total_incl_tax = _set(result, "total_incl_tax", total, total and total.score * factor * 0.9)
    if result.total_tax is None and excl and total and consistent is False and total.value >= excl.value:
        result.total_tax = total.value - excl.value
        result.confidence["total_tax"] = 0.4
        result.warn("total_tax_derived: no VAT amount found, computed as total incl. tax minus total excl. tax")
    if result.total_excl_tax is None and total is not None:
        if tax is not None and tax.score >= 0.8 and abs(tax.value) <= abs(total.value):
            # "Charges ... Tax $0.00 ... Total $4.11": no net-total label, the net follows from the other two
            result.total_excl_tax = total.value - result.total_tax
            result.confidence["total_excl_tax"] = 0.4
            result.warn("total_excl_tax_derived: no net total found, computed as total incl. tax minus VAT")
        elif not found["tax"] and not found["excl"]:
            # one total and no VAT anywhere (exempt, reverse charge, not a VAT invoice): net = gross
            result.total_excl_tax = total.value
            result.confidence["total_excl_tax"] = 0.3
            result.positions["total_excl_tax"] = total.position
            result.warn("total_excl_tax_assumed: no VAT shown, total excl. tax taken as the total")
    if excl and tax and total and not consistent:
        result.warn("totals_inconsistent: total excl. tax + VAT does not equal total incl. tax")
    due = _best(found["due"])
    if due is not None:
        result.amount_due = _set(result, "amount_due", due, due.score * 0.8)
    else:
        result.amount_due = result.total_incl_tax
        if total:
            result.confidence["amount_due"] = result.confidence["total_incl_tax"]
            result.positions["amount_due"] = result.positions["total_incl_tax"]


def _currency(result, spans):
    counts = Counter()
    first = {}
    for index, span in enumerate(spans):
        for code in find_currencies(span.text):
            counts[code] += 1
            first.setdefault(code, index)
    if counts:
        code, n = counts.most_common(1)[0]
        result.currency = code
        result.confidence["currency"] = 0.95 if n > 1 else 0.8
        span = spans[first[code]]
        result.positions["currency"] = bbox_of([w for w in span.words if code in w.text or any(
            s in w.text for s in "€$£")][:1] or span.words[:1])
        return
    countries = {v[:2] for span in spans for v, *_ in find_vat_ids(span.text)}
    if countries and countries <= EURO_COUNTRIES:
        result.currency = "EUR"
        result.confidence["currency"] = 0.4
        result.warn("currency_assumed: no currency shown; EUR assumed from the parties' countries")


def _buyer_zone(spans) -> set[tuple[int, int]]:
    """(line index, word index) of the words in buyer blocks: right of / below "Bill to", "Rechnungsempfänger"..."""
    zone = set()
    for _w, index, start, end in label_hits(spans, [(1.0, L.BUYER)]):
        span = spans[index]
        label_words = span.words_in(start, end)
        x0 = label_words[0].x0 - 6
        x1 = x0 + 240
        for k, w in enumerate(span.words):
            if w.x0 >= label_words[0].x0 and w.x0 <= x1:
                zone.add((index, k))
        for j in range(index + 1, min(index + 7, len(spans))):
            for k, w in enumerate(spans[j].words):
                if x0 <= w.x0 <= x1:
                    zone.add((j, k))
    return zone


def _ids(result, spans, buyer_zone):
    seller_vat = buyer_vat = iban = siren = None
    for index, span in enumerate(spans):
        for seg in segments(_as_line(span.words)):  # ids never run across a column gap
            seg_span = Span(seg)
            for compact, valid, start, end in find_vat_ids(seg_span.text):
                words = seg_span.words_in(start, end)
                k = span.words.index(words[0])
                cand = Candidate(compact, 0.85 if valid else 0.4, words, index)
                if (index, k) in buyer_zone or L.BUYER_ID.search(seg_span.folded[:start]):
                    buyer_vat = buyer_vat or cand
                elif seller_vat is None or (valid and seller_vat.score < 0.5):
                    seller_vat = cand
        for compact, start, end in find_ibans(span.text):
            if iban is None or iban.score < 0.5:
                iban = Candidate(compact, 0.9, span.words_in(start, end), index)
        for compact, start, end in find_printed_ibans(span.text) if iban is None else ():
            iban = Candidate(compact, 0.3, span.words_in(start, end), index)
        if iban is None and re.search(r"(?i)iban(?:[\s.-]*(?:nr|no)\.?)?\s*:?$", span.text) and index + 1 < len(spans):
            following = spans[index + 1]  # "... auf folgende Bankverbindung: IBAN" / "DE75 1234 ..., BIC ..."
            for compact, start, end in find_printed_ibans("IBAN " + following.text):
                if start == 5:
                    iban = Candidate(compact, 0.3, following.words_in(0, end - 5), index + 1)
        if re.search(r"siren|siret|rcs|r\.c\.s", span.folded):
            for sn, st, start, end in find_siren(span.text):
                k = span.words.index(span.words_in(start, end)[0])
                if siren is None and (index, k) not in buyer_zone:
                    siren = Candidate((sn, st), 0.85, span.words_in(start, end), index)
    if iban and iban.score < 0.5:
        result.warn(f"iban_invalid: {iban.value} fails the IBAN check digits or length")
    if seller_vat and seller_vat.score < 0.5:
        result.warn(f"vat_id_checksum: {seller_vat.value} has a wrong check digit")
    result.seller.vat_id = _set(result, "seller.vat_id", seller_vat)
    result.buyer.vat_id = _set(result, "buyer.vat_id", buyer_vat)
    result.seller.iban = _set(result, "seller.iban", iban)
    if siren:
        result.seller.siren, result.seller.siret = _set(result, "seller.siren", siren)
    if result.seller.vat_id:
        result.seller.country = result.seller.vat_id[:2]


def _seller_name(result, spans, lines, buyer_zone):
    cand = _labelled_seller(spans) or _legal_form_line(spans, buyer_zone) or _first_text_line(spans, buyer_zone)
    result.seller.name = _set(result, "seller.name", cand)


def _clean_name(text: str) -> str:
    text = re.split(r"\s[●•·|–]\s|\s-\s|,\s", text)[0]
    return text.strip(" :,;")


SELLER_SKIP = re.compile(r"^(?:nummer|globale|gln|lief(?:erant(?:en)?)?[-.\s]*(?:nr|nummer)|kunden|steuer|ust|tva|vat|"
                         r"tel|fax|e-?mail|www|http|seite|page|ansprechpartner|abteilung|anschrift|contact|\d|"
                         r"(?:deutschland|germany|france|allemagne|osterreich|austria|schweiz|suisse|italia|espana|"
                         r"nederland|belgique|belgie|luxembourg|united kingdom|usa)$)")


def _labelled_seller(spans) -> Candidate | None:
    """The name under a "Verkäufer" / "Seller" / "Fournisseur" label: a line with a legal form first, else the
    first line that is neither an id line nor an address (no long digit runs)."""
    for _w, index, start, end in label_hits(spans, [(1.0, L.SELLER)]):
        label_words = spans[index].words_in(start, end)
        if not _alone(spans[index], label_words):
            continue  # "Lieferant GmbH" is a name, not a label
        options = []
        for j in range(index + 1, min(index + 6, len(spans))):
            words = [w for w in spans[j].words if w.x0 >= label_words[0].x0 - 6]
            if not words:
                continue
            seg = _first_segment(words)
            if L.BUYER.search(Span(seg).folded):
                break  # the buyer block starts
            text = Span(seg).text
            if text.endswith(":") and not re.match(r"(?i)(name|nom|raison sociale)\s*:", text):
                continue  # another label ("Anschrift:")
            named = bool(re.match(r"(?i)(name|nom|raison sociale)\s*:", text) or fold(text) in ("name", "nom"))
            if named:
                text = text.split(":", 1)[-1] if ":" in text else ""
                if not text.strip():
                    seg = words[len(seg):len(seg) + 8] or seg
                    text = Span(seg).text
            name = _clean_name(text)
            if len(name) < 2 or SELLER_SKIP.match(fold(name)) or re.search(r"\d{2,}", name):
                continue
            rank = -1 if named else 0 if L.LEGAL_FORM.search(name) else 1
            options.append((rank, j, Candidate(name, 0.5, seg, j)))
        if options:
            rank, j, cand = min(options, key=lambda o: (o[0], o[1]))
            above = [c for r, k, c in options if k == j - 1 and r == 1]
            if rank < 1 and above and abs(above[0].words[0].x0 - cand.words[0].x0) < 2 and \
                    cand.words[0].top - above[0].words[0].bottom < cand.words[0].height * 1.2 and \
                    not L.LEGAL_FORM.search(above[0].value):
                # the name's first half on the line above ("MVM Musterhafter" / "Versicherungsverein ... a.G.")
                return Candidate(f"{above[0].value} {cand.value}", cand.score, above[0].words + cand.words, j)
            return cand
    return None


def _alone(span: Span, label_words) -> bool:
    """A label alone in its column segment (then maybe a colon): "Verkäufer:", "Lieferant | Käufer"."""
    seg = next(seg for seg in segments(_as_line(span.words)) if label_words[0] in seg)
    rest = seg[seg.index(label_words[-1]) + 1:]
    return not rest or (len(rest) == 1 and rest[0].text == ":")


def _as_line(words):
    return type("L", (), {"words": words, "height": max(w.height for w in words)})()


def _first_segment(words):
    return segments(type("L", (), {"words": words, "height": max(w.height for w in words)})())[0]


def _legal_form_line(spans, buyer_zone) -> Candidate | None:
    for index, span in enumerate(spans):
        if span.words[0].page != 1:
            break
        m = L.LEGAL_FORM.search(span.text)
        if not m:
            continue
        k = span.words.index(span.words_in(m.start(), m.end())[0])
        if (index, k) in buyer_zone:
            continue
        for seg in segments(type("L", (), {"words": span.words, "height": max(w.height for w in span.words)})()):
            seg_span = Span(seg)
            if L.LEGAL_FORM.search(seg_span.text):
                name = _clean_name(seg_span.text)
                name = re.sub(r"^(?:[A-Za-zäöüé]+\.?\s?:\s*)", "", name)  # "Name: ..."
                if name and not re.search(r"\d{4,}", name):
                    if name == _clean_name(seg_span.text) and seg_span.text.startswith(name):
                        above = _name_line_above(spans, index, seg)
                        if above:
                            return Candidate(f"{Span(above).text} {name}", 0.4, above + seg, index)
                    return Candidate(name, 0.4, seg, index)
    return None


def _name_line_above(spans, index, seg):
    """A name printed over two lines ("MVM Musterhafter" / "Versicherungsverein Musterstadt a.G."): the line just
    above, left-aligned with it, same size, when it opens its block (nothing close above it), holds no digits, no
    colon and no label, and starts with a capital."""
    if index == 0:
        return None
    first = seg[0]
    prev = spans[index - 1]
    words = [w for w in prev.words if abs(w.x0 - first.x0) < 2 or w.x0 > first.x0 - 2 and w.x1 <= seg[-1].x1 + 40]
    if not words or words[0].page != first.page or abs(words[0].x0 - first.x0) > 2:
        return None
    if abs(words[0].height - first.height) > 0.15 * first.height or first.top - words[0].bottom > first.height:
        return None
    words = _first_segment(words)
    text = Span(words).text
    if re.search(r"[\d:@/]", text) or not text[:1].isupper() or L.LEGAL_FORM.search(text) or len(text) > 40:
        return None
    if L.BUYER.search(fold(text)) or L.SELLER.search(fold(text)) or re.search(
            r"(?i)rechnung|invoice|facture|avoir|gutschrift|herrn|frau|monsieur|madame|mr\b|mrs\b", text):
        return None
    if index >= 2:
        before = spans[index - 2]
        if before.words[0].page == first.page and words[0].top - before.words[0].bottom < first.height * 1.2 and \
                any(abs(w.x0 - first.x0) < 2 for w in before.words):
            return None  # the line above is itself inside a block (an address): not a name's first half
    return words


def _first_text_line(spans, buyer_zone) -> Candidate | None:
    for index, span in enumerate(spans[:15]):
        text = span.text.strip()
        if (index, 0) in buyer_zone or len(text) < 3 or not re.search(r"[A-Za-z]{3}", text):
            continue
        if find_dates(text) or re.match(r"(?i)(facture|invoice|rechnung|avoir|gutschrift|page|seite)\b", text):
            continue
        return Candidate(_clean_name(text), 0.25, span.words, index)
    return None


def _document_type(result, spans):
    head = [s for s in spans[:25] if s.words[0].page == 1]
    if any(L.CREDIT_NOTE.search(s.folded) for s in head):
        result.document_type = "credit_note"
        result.type_code = "381"
    else:
        result.document_type = "invoice"
        result.type_code = "380"
    if result.total_incl_tax is not None and result.total_incl_tax < 0 and result.document_type == "invoice":
        result.document_type = "credit_note"
        result.warn("negative_total: amounts are negative, read as a credit note")


__all__ = ["NO_TEXT_LAYER", "has_text", "read_fields", "read_text_pdf"]
