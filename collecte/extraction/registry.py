"""The extractor registry: an explicit ordered list, tried in order of trust (DESIGN.md "Inbound flow").

Today: the e-invoice XML extractor, then the PDF text layer (a scanned PDF without text gives source None and the
warning "no_text_layer"); the OCR extractor of issue 4 is appended when it arrives. Each extractor is a pure function from a `Document` to an `ExtractionResult`, or None
when it has nothing to say about that document (the next one is tried).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pypdfium2 as pdfium

from . import einvoice
from .einvoice.pdf import UnreadablePdf
from .pdftext import read_text_pdf
from .result import ExtractionResult

NO_EXTRACTOR = "no_extractor_available: text and OCR paths arrive with the rest of the extraction issue"


class UnreadableDocument(ValueError):
    """The file cannot be read at all (not a PDF, an image or an e-invoice XML; or a broken PDF)."""


@dataclass(frozen=True)
class Options:
    use_xml: bool = True
    use_ocr: bool = True


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str | None
    kind: str  # "pdf" | "xml" | "image"


@dataclass(frozen=True)
class Extractor:
    name: str
    kinds: tuple[str, ...]
    run: Callable[[Document], ExtractionResult | None]
    needs_xml: bool = False  # skipped with --no-xml
    needs_ocr: bool = False  # skipped with --no-ocr


def _einvoice(doc: Document) -> ExtractionResult | None:
    if doc.kind == "xml":
        try:
            return einvoice.read_xml(doc.data, doc.filename)
        except einvoice.NotAnEInvoice as err:
            raise UnreadableDocument(str(err)) from err
    try:
        return einvoice.read_pdf(doc.data, doc.filename)
    except UnreadablePdf as err:
        raise UnreadableDocument(str(err)) from err


def _pdf_text(doc: Document) -> ExtractionResult | None:
    try:
        return read_text_pdf(doc.data, doc.filename)
    except pdfium.PdfiumError as err:
        raise UnreadableDocument(f"broken PDF: {err}") from err


EXTRACTORS: list[Extractor] = [
    Extractor("einvoice-xml", ("pdf", "xml"), _einvoice, needs_xml=True),
    Extractor("pdf-text", ("pdf",), _pdf_text),
]

_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8")


def sniff(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"<") or head[:4] in (b"\xff\xfe<\x00", b"\xfe\xff\x00<"):
        return "xml"
    if any(head.startswith(m) for m in _IMAGE_MAGIC) or head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image"
    raise UnreadableDocument("not a PDF, an image or an XML file")


def extract(data: bytes, filename: str | None = None, options: Options = Options()) -> ExtractionResult:
    doc = Document(data=data, filename=filename, kind=sniff(data))
    if doc.kind == "xml" and not options.use_xml:
        # A bare XML has no visual layer: with --no-xml there is nothing else to read.
        result = ExtractionResult(file=filename)
        result.warn("xml_ignored: --no-xml on an XML file leaves nothing to read")
        return result
    for extractor in EXTRACTORS:
        if doc.kind not in extractor.kinds:
            continue
        if (extractor.needs_xml and not options.use_xml) or (extractor.needs_ocr and not options.use_ocr):
            continue
        result = extractor.run(doc)
        if result is not None:
            return result
    result = ExtractionResult(file=filename)
    result.warn(NO_EXTRACTOR)
    return result
