"""The extractor registry: an explicit ordered list, tried in order of trust (DESIGN.md "Inbound flow").

The e-invoice XML extractor, then the PDF text layer, then OCR (scans and photos). Each extractor is a pure function
from a `Document` to an `ExtractionResult`, or None when it has nothing to say about that document. A result without
a source ("no text layer") is kept as a fallback while the next extractor is tried, so that with --no-ocr a scan
still says why nothing was read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pypdfium2 as pdfium

from . import einvoice, ocr
from .einvoice.pdf import UnreadablePdf
from .pdftext import read_text_pdf
from .crosscheck import cross_check
from .memory import apply as apply_memory, supplier_keys
from .parties import SALES, XML_SOURCES, Context, settle_roles
from .result import ExtractionResult

NO_EXTRACTOR = "no_extractor_available: nothing could read this file with the paths turned on"


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


def _ocr(doc: Document) -> ExtractionResult | None:
    if not ocr.available():
        result = ExtractionResult(file=doc.filename)
        result.warn(ocr.NO_OCR_ENGINE)
        return result
    try:
        return ocr.read_ocr(doc.data, doc.kind, doc.filename)
    except pdfium.PdfiumError as err:
        raise UnreadableDocument(f"broken PDF: {err}") from err
    except (OSError, ValueError) as err:  # Pillow: truncated or unknown image data
        raise UnreadableDocument(f"the image cannot be read: {err}") from err


EXTRACTORS: list[Extractor] = [
    Extractor("einvoice-xml", ("pdf", "xml"), _einvoice, needs_xml=True),
    Extractor("pdf-text", ("pdf",), _pdf_text),
    Extractor("ocr", ("pdf", "image"), _ocr, needs_ocr=True),
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


MemoryLookup = Callable[[list[str]], "dict | None"]


def extract(data: bytes, filename: str | None = None, options: Options = Options(),
            context: Context | None = None, memory: MemoryLookup | None = None) -> ExtractionResult:
    """Read one file. `context` (the folder's own company, purchases or sales, who forwarded it) settles which
    party is the counterparty; `memory` returns a supplier's learned hints for its keys (see memory.py)."""
    doc = Document(data=data, filename=filename, kind=sniff(data))
    if doc.kind == "xml" and not options.use_xml:
        # A bare XML has no visual layer: with --no-xml there is nothing else to read.
        result = ExtractionResult(file=filename)
        result.warn("xml_ignored: --no-xml on an XML file leaves nothing to read")
        return result
    result = _first_reading(doc, options)
    return finish(result, doc, context, memory)


def extract_with_xml(xml: bytes, data: bytes, filename: str | None = None, context: Context | None = None,
                     memory: MemoryLookup | None = None) -> ExtractionResult:
    """An e-invoice XML that came beside its PDF (or image): the XML is read, the file is its visual part."""
    result = einvoice.read_xml(xml, filename)
    try:
        doc = Document(data=data, filename=filename, kind=sniff(data))
    except UnreadableDocument:
        doc = None
    return finish(result, doc, context, memory)


def finish(result: ExtractionResult, doc: Document | None, context: Context | None,
           memory: MemoryLookup | None) -> ExtractionResult:
    """What every path does after reading: the XML is checked against its page, the parties are settled, and a
    known supplier's memory is applied to the text and OCR readings."""
    if result.source in XML_SOURCES and doc is not None and doc.kind == "pdf":
        page = _page_of(doc)
        if page is not None:
            cross_check(result, page)
    settle_roles(result, context)
    if memory is not None and result.source in ("pdf-text", "ocr"):
        role = "buyer" if context is not None and context.direction == SALES else "seller"
        learned = memory(supplier_keys(getattr(result, role)))
        if learned:
            apply_memory(result, learned)
    return result


def _page_of(doc: Document) -> ExtractionResult | None:
    """The page's text layer, read like a PDF without XML (no OCR: the XML is there, a scan adds little)."""
    try:
        return _pdf_text(doc)
    except UnreadableDocument:
        return None


def _first_reading(doc: Document, options: Options) -> ExtractionResult:
    fallback = None
    for extractor in EXTRACTORS:
        if doc.kind not in extractor.kinds:
            continue
        if (extractor.needs_xml and not options.use_xml) or (extractor.needs_ocr and not options.use_ocr):
            continue
        result = extractor.run(doc)
        if result is None:
            continue
        if result.source is not None:
            return result
        fallback = fallback or result
        if fallback is not result:
            for warning in result.warnings:
                fallback.warn(warning)
    if fallback is not None:
        return fallback
    result = ExtractionResult(file=doc.filename)
    result.warn(NO_EXTRACTOR)
    return result
