"""The e-invoice XML embedded in a Factur-X / ZUGFeRD / XRechnung PDF.

A PDF may carry two invoice XMLs (ZUGFeRD-invoice.xml and factur-x.xml for 1.0 and 2.x readers) and other attachments
(PDFs, PNGs, order XMLs): we prefer factur-x.xml, then zugferd-invoice.xml, then xrechnung.xml, then any other XML
whose root is an invoice we read.
"""
from __future__ import annotations

import io
import logging

PREFERRED = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
MAX_XML_BYTES = 50 * 1024 * 1024


class UnreadablePdf(ValueError):
    """The PDF could not be opened at all."""


def attachments(data: bytes) -> dict[str, bytes]:
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        found: dict[str, bytes] = {}
        for name, contents in reader.attachments.items():
            for content in contents:
                if content and name not in found:
                    found[name] = content
        return found
    except Exception as err:  # pypdf raises many kinds on broken files
        raise UnreadablePdf(f"the PDF cannot be read: {err}") from err


def embedded_einvoice(data: bytes) -> tuple[str, bytes] | None:
    from . import detect
    from .xmlutil import NotAnEInvoice, parse

    files = attachments(data)
    xmls = {name: body for name, body in files.items() if name.lower().endswith(".xml") and len(body) < MAX_XML_BYTES}

    def rank(name: str) -> int:
        lower = name.lower().rsplit("/", 1)[-1]
        return PREFERRED.index(lower) if lower in PREFERRED else len(PREFERRED)

    for name in sorted(xmls, key=rank):
        try:
            detect(parse(xmls[name]))
        except NotAnEInvoice:
            continue
        return name, xmls[name]
    return None
