"""Reading a stored document with the extractor registry (the same code as `collecte extract`).

An e-invoice XML that arrived beside its PDF is read first: it is the exact source. A document that cannot be
read at all keeps the reason as a warning in its extraction; nothing is dropped.
"""
import logging
from email.utils import parseaddr

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from collecte.extraction import einvoice, registry
from collecte.extraction.parties import PURCHASES, SALES, Context
from collecte.extraction.result import ExtractionResult

from .models import Document, SupplierMemory

log = logging.getLogger(__name__)


def _read(name):
    with default_storage.open(name, "rb") as f:
        return f.read()


def direction_of(module: str) -> str:
    return SALES if module.startswith("sales") else PURCHASES


def context_for(document) -> Context:
    """The folder's own company, the direction, and who forwarded the mail (never the counterparty)."""
    forwarder = None
    if document.message_id and document.message.from_header:
        forwarder = parseaddr(document.message.from_header)[0] or None
    return Context(own=document.folder.own_company(), direction=direction_of(document.module),
                   forwarder_name=forwarder)


def memory_lookup(document):
    direction = direction_of(document.module)

    def lookup(keys):
        rows = {m.key: m.hints for m in SupplierMemory.objects.filter(folder_id=document.folder_id,
                                                                      direction=direction, key__in=keys)}
        return next((rows[key] for key in keys if key in rows), None)

    return lookup


def read_document(document, use_memory=True) -> ExtractionResult:
    context = context_for(document)
    memory = memory_lookup(document) if use_memory else None
    if document.einvoice_xml:
        try:
            return registry.extract_with_xml(_read(document.einvoice_xml), _read(document.file), document.filename,
                                             context, memory)
        except einvoice.NotAnEInvoice:
            log.info("the XML beside document %s is not an e-invoice; reading the file itself", document.pk)
    try:
        return registry.extract(_read(document.file), document.filename, context=context, memory=memory)
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
        if updated:
            # An employee's receipt (personal address, expense upload) joins their expenses; anything else is the
            # pending invoice of the review queue, duplicates flagged as early as this.
            from collecte.expenses.actions import receipt_from_document
            from collecte.ledger.actions import invoice_from_document

            document.extraction, document.status = result, Document.Status.EXTRACTED
            if receipt_from_document(document) is None:
                invoice_from_document(document)
    return result if updated else None


def queue_extraction(documents):
    from .tasks import extract_document_task

    for document in documents:
        if document.status == Document.Status.TO_EXTRACT:
            transaction.on_commit(lambda pk=document.pk: extract_document_task(pk))


# --- corrections and the supplier memory -----------------------------------------------------------------------

def learn_from_correction(document_id, changes):
    """Teach the counterparty's memory what a person corrected on this document (run as a job: it reads the file
    again, with OCR for a scan). `changes` maps field names to the typed values the person gave."""
    from collecte.extraction import memory
    from collecte.extraction.result import Party

    document = Document.objects.select_related("folder", "message").filter(pk=document_id).first()
    if document is None or not document.extraction:
        return None
    reading = read_document(document, use_memory=False)
    direction = direction_of(document.module)
    role = "buyer" if direction == SALES else "seller"
    corrected = document.extraction.get(role) or {}
    counterparty = Party(**{k: corrected.get(k) for k in ("name", "vat_id", "siren", "iban")})
    keys = memory.supplier_keys(counterparty)
    if not keys:
        log.info("document %s: no counterparty identified, nothing to remember", document.pk)
        return None
    fields = {k: v for k, v in changes.items() if "." not in k}
    with transaction.atomic():
        rows = {m.key: m for m in SupplierMemory.objects.select_for_update().filter(
            folder_id=document.folder_id, direction=direction, key__in=keys)}
        previous = next((rows[k].hints for k in keys if k in rows), None)
        hints = memory.learn(reading, fields, previous)
        count = max((m.corrections for m in rows.values()), default=0) + 1
        for key in keys:
            SupplierMemory.objects.update_or_create(folder_id=document.folder_id, direction=direction, key=key,
                                                    defaults={"hints": hints, "corrections": count})
    return hints
