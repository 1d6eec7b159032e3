"""The PDF text layer (issue 4, item 3): read_text_pdf(data, file) -> ExtractionResult with source "pdf-text"."""
from .extractor import NO_TEXT_LAYER, read_text_pdf

__all__ = ["NO_TEXT_LAYER", "read_text_pdf"]
