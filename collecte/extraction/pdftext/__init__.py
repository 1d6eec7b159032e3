"""The PDF text layer (issue 4, item 3): read_text_pdf(data, file) -> ExtractionResult with source "pdf-text".
read_fields(lines, result, source) is the same field logic for words read another way (OCR)."""
from .extractor import NO_TEXT_LAYER, has_text, read_fields, read_text_pdf

__all__ = ["NO_TEXT_LAYER", "has_text", "read_fields", "read_text_pdf"]
