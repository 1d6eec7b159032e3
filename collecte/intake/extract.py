"""Reading a stored document with the extractor registry (the same code as `collecte extract`).

An e-invoice XML that arrived beside its PDF is read first: it is the exact source. A document that cannot be
read at all keeps the reason as a warning in its extraction; nothing is dropped.
"""
import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from collecte.extraction import einvoice, registry
from collecte.extraction.result import ExtractionResult

from .models import Document

log = logging.getLogger(__name__)


def _read(name):
    with default_storage.open(name, "rb") as f:
        return f.read()


def read_document(document) -> ExtractionResult:
    if document.einvoice_xml:
        try:
            return einvoice.read_xml(_read(document.einvoice_xml), document.filename)
        except einvoice.NotAnEInvoice:
            log.info("the XML beside document %s is not an e-invoice; reading the file itself", document.pk)
    try:
        return registry.extract(_read(document.file), document.filename)
    except registry.UnreadableDocument as exc:
        result = ExtractionResult(file=document.filename)
        result.warn(f"unreadable: {exc}")
        return result


def extract_document(document_id):
    """Read a document waiting for extraction and record the result; a second job for it does nothing."""
    document = Document.objects.filter(pk=document_id, status=Document.Status.TO_EXTRACT).first()
    if document is None:
        return None
    result = read_document(document).to_dict()
    with transaction.atomic():
        updated = Document.objects.filter(pk=document_id, status=Document.Status.TO_EXTRACT).update(
            extraction=result, extracted_at=timezone.now(), status=Document.Status.EXTRACTED)
    return result if updated else None


def queue_extraction(documents):
    from .tasks import extract_document_task

    for document in documents:
        if document.status == Document.Status.TO_EXTRACT:
            transaction.on_commit(lambda pk=document.pk: extract_document_task(pk))
