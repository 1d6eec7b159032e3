"""Extraction: pure functions from a document's bytes to an `ExtractionResult` (no Django ORM here).

Entry point: `collecte.extraction.registry.extract(data, filename)`. The e-invoice XML readers live in `einvoice/`.
"""
