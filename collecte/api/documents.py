"""Documents: upload a file into a folder, list the folder's documents, read one, unlock a protected PDF, correct
what extraction read."""
from contextlib import contextmanager
from datetime import datetime
from typing import Literal

from django.core.files.storage import default_storage
from django.http import FileResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from collecte.intake import actions
from collecte.intake.corrections import CorrectionError, correct_document
from collecte.intake.models import Document, InboundMessage
from collecte.tenancy import access

from .errors import ApiError, ErrorOut
from .lookups import folder_access, visible_document

router = Router(tags=["documents"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
Module = Literal["purchases", "sales", "purchases_split", "sales_split"]
MAX_PAGE = 200


@contextmanager
def intake_errors():
    """A refusal of collecte.intake.actions becomes the API's error shape, with the action's own status."""
    try:
        yield
    except actions.IntakeError as error:
        raise ApiError(error.status, error.message, error.code) from None


class DocumentOut(Schema):
    id: int
    folder_id: int
    message_id: int | None
    module: str
    filename: str
    content_type: str
    size: int
    sha256: str
    status: Document.Status
    duplicate_of: int | None = Field(description="the original this file duplicates (same sha256)")
    split_from: int | None = Field(description="for a page of a split PDF: the original document")
    page_number: int | None
    flags: list[str] = Field(description="encrypted, unlocked, repaired, corrupt")
    has_einvoice_xml: bool
    created_at: datetime
    extraction: dict | None = Field(description="what extraction read (DESIGN.md's output contract), with the "
                                                "people's corrections; null until read")


class DocumentPage(Schema):
    items: list[DocumentOut]
    count: int


class UploadOut(Schema):
    message_id: int
    status: InboundMessage.Status = Field(description="'received' while the worker is on it")
    status_reason: str
    filename: str
    module: str
    documents: list[DocumentOut]


class UnlockIn(Schema):
    password: str = Field(max_length=1000)


def document_out(document):
    return {"id": document.pk, "folder_id": document.folder_id, "message_id": document.message_id,
            "module": document.module, "filename": document.filename, "content_type": document.content_type,
            "size": document.size, "sha256": document.sha256, "status": document.status,
            "duplicate_of": document.duplicate_of_id, "split_from": document.split_from_id,
            "page_number": document.page_number, "flags": actions.display_flags(document),
            "has_einvoice_xml": bool(document.einvoice_xml), "created_at": document.created_at,
            "extraction": document.extraction}


@router.post("/folders/{folder_id}/documents",
             response={201: UploadOut, **READ_ERRORS, 413: ErrorOut, 422: ErrorOut},
             summary="Déposer un fichier")
def upload_document(request, folder_id: int, file: File[UploadedFile], module: Form[Module]):
    """Multipart `file` + `module`. The file enters the same pipeline as an email attachment (ZIP, XML, split for
    the "multiple" modules, de-duplication). 413 over the size limit of the SMTP listener, 422 for an empty file."""
    found = folder_access(request, folder_id)
    with intake_errors():
        message = actions.upload_file(found, module, file, source=InboundMessage.Source.API)
    message.refresh_from_db()  # the worker may already be done (it runs inline in tests and small setups)
    documents = message.documents.order_by("pk")
    body = {"message_id": message.pk, "status": message.status, "status_reason": message.status_reason,
            "filename": message.raw_filename, "module": message.module,
            "documents": [document_out(d) for d in documents]}
    return Status(201, body)


@router.get("/folders/{folder_id}/documents", response={200: DocumentPage, **READ_ERRORS},
            summary="Documents du dossier")
def list_documents(request, folder_id: int, status: Document.Status | None = None, module: Module | None = None,
                   limit: int = Query(50, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0)):
    """Newest first. A standard user sees only the documents they submitted."""
    found = access.visible_documents(folder_access(request, folder_id))
    if status:
        found = found.filter(status=status)
    if module:
        found = found.filter(module=module)
    return {"items": [document_out(d) for d in found[offset:offset + limit]], "count": found.count()}


@router.get("/documents/{document_id}", response={200: DocumentOut, **READ_ERRORS}, summary="Un document")
def get_document(request, document_id: int):
    _access, document = visible_document(request, document_id)
    return document_out(document)


@router.get("/documents/{document_id}/file", response={200: None, **READ_ERRORS}, summary="Le fichier du document")
def get_document_file(request, document_id: int):
    """The stored bytes (after unlocking, the unprotected PDF), as an attachment."""
    _access, document = visible_document(request, document_id)
    return FileResponse(default_storage.open(document.file, "rb"), as_attachment=True, filename=document.filename,
                        content_type=document.content_type)


@router.post("/documents/{document_id}/unlock", response={200: DocumentOut, **READ_ERRORS, 409: ErrorOut,
                                                          422: ErrorOut},
             summary="Déverrouiller un PDF protégé")
def unlock_document(request, document_id: int, payload: UnlockIn):
    """For a document in status `needs_password`: the PDF is kept without its password and goes on to extraction.
    Wrong password → 422 `wrong_password`; a document that is not protected → 409 `not_locked`."""
    _access, document = visible_document(request, document_id)
    with intake_errors():
        document = actions.unlock_document(document, payload.password)
    return document_out(document)


class CorrectionIn(Schema):
    fields: dict[str, str | None] = Field(
        description="field -> value: invoice_number, document_type (invoice|credit_note), issue_date and due_date "
                    "(YYYY-MM-DD), currency, total_excl_tax, total_tax, total_incl_tax, amount_due (1234.56), "
                    "seller.name, seller.vat_id, seller.siren, seller.iban, buyer.name, buyer.vat_id, buyer.siren; "
                    "null or empty clears it")


@router.post("/documents/{document_id}/corrections", response={200: DocumentOut, **READ_ERRORS, 409: ErrorOut,
                                                               422: ErrorOut},
             summary="Corriger la lecture d'un document")
def correct_document_fields(request, document_id: int, payload: CorrectionIn):
    """Stores the corrected values (confidence 1, who and when) and teaches the counterparty's supplier memory, so
    its next invoices are read right. A document not read yet → 409 `not_extracted`; a bad value → 422."""
    _access, document = visible_document(request, document_id)
    try:
        document = correct_document(document, request.auth, payload.fields)
    except CorrectionError as error:
        raise ApiError(409 if error.code == "not_extracted" else 422, error.message, error.code) from None
    return document_out(document)
