"""The message log: every message (or upload) that arrived in a folder and what became of it; retry, raw bytes."""
from datetime import datetime

from django.core.files.storage import default_storage
from django.db.models import Prefetch
from django.http import FileResponse
from ninja import Field, Query, Router, Schema

from collecte.intake import actions
from collecte.intake.models import Document, InboundMessage
from collecte.tenancy import access

from .documents import MAX_PAGE, READ_ERRORS, intake_errors
from .errors import ErrorOut
from .lookups import folder_access, visible_message

router = Router(tags=["messages"])


class SkippedPartOut(Schema):
    filename: str = ""
    content_type: str = ""
    reason: str = Field(description="stable code: inline_logo, tiny_image, tracking_pixel, signature, calendar, "
                                    "vcard, unsupported_type, empty, zip_limit, nesting_limit, unreadable...")
    detail: str = ""


class ForwardingOut(Schema):
    provider: str | None = None
    requester: str | None = None
    target: str | None = None
    code: str | None = None
    confirm_url: str | None = None
    cancel_url: str | None = None
    language: str | None = None


class MessageOut(Schema):
    id: int
    folder_id: int
    source: InboundMessage.Source
    module: str
    sender: str = Field(alias="from", description="the From header (the envelope sender when there is none)")
    subject: str
    filename: str = Field(description="for an upload: the file's name")
    envelope_from: str
    envelope_to: str
    received_at: datetime
    processed_at: datetime | None
    status: InboundMessage.Status
    status_reason: str
    skipped_parts: list[SkippedPartOut]
    forwarding: ForwardingOut | None
    warnings: list[dict]
    documents: list[int]
    attempts: int
    last_error: str = Field(description="the last processing error; for the folder's managers only")
    uploaded_by: str | None
    member_id: int | None


class MessagePage(Schema):
    items: list[MessageOut]
    count: int


def with_document_ids(messages):
    return messages.select_related("uploaded_by").prefetch_related(
        Prefetch("documents", queryset=Document.objects.only("pk", "message_id").order_by("pk")))


def message_out(message, folder_access_):
    # Error texts are ours (exception messages): useful to whoever can retry, noise or a leak to anyone else.
    internal = message.status == InboundMessage.Status.FAILED and not folder_access_.can_manage
    return {"id": message.pk, "folder_id": message.folder_id, "source": message.source, "module": message.module,
            "from": message.from_header or message.envelope_from, "subject": message.subject,
            "filename": message.raw_filename, "envelope_from": message.envelope_from,
            "envelope_to": message.envelope_to, "received_at": message.received_at,
            "processed_at": message.processed_at, "status": message.status,
            "status_reason": "" if internal else message.status_reason,
            "skipped_parts": message.skipped_parts or [], "forwarding": message.forwarding,
            "warnings": message.warnings or [], "documents": [d.pk for d in message.documents.all()],
            "attempts": message.attempts, "last_error": message.last_error if folder_access_.can_manage else "",
            "uploaded_by": message.uploaded_by.email if message.uploaded_by else None,
            "member_id": message.member_id}


@router.get("/folders/{folder_id}/messages", response={200: MessagePage, **READ_ERRORS}, by_alias=True,
            summary="Messages reçus du dossier")
def list_messages(request, folder_id: int, status: InboundMessage.Status | None = None,
                  limit: int = Query(50, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0)):
    """The folder's message log, newest first. A standard user sees only what they sent or uploaded."""
    found = folder_access(request, folder_id)
    messages = access.visible_messages(found)
    if status:
        messages = messages.filter(status=status)
    page = with_document_ids(messages)[offset:offset + limit]
    return {"items": [message_out(m, found) for m in page], "count": messages.count()}


@router.get("/messages/{message_id}", response={200: MessageOut, **READ_ERRORS}, by_alias=True,
            summary="Un message reçu")
def get_message(request, message_id: int):
    found, message = visible_message(request, message_id)
    return message_out(with_document_ids(InboundMessage.objects.filter(pk=message.pk)).get(), found)


@router.post("/messages/{message_id}/retry", response={200: MessageOut, **READ_ERRORS, 409: ErrorOut},
             by_alias=True, summary="Retraiter un message en échec")
def retry_message(request, message_id: int):
    """Folder managers only; only a message in status `failed` (else 409 `not_failed`)."""
    found, message = visible_message(request, message_id, manage=True)
    with intake_errors():
        actions.retry_message(message)
    return message_out(with_document_ids(InboundMessage.objects.filter(pk=message.pk)).get(), found)


@router.post("/messages/{message_id}/release", response={200: MessageOut, **READ_ERRORS, 409: ErrorOut},
             by_alias=True, summary="Accepter un message retenu")
def release_message(request, message_id: int):
    """Folder managers only; a message in status `held` (unknown sender) is processed as if its sender were
    allowed (else 409 `not_held`)."""
    found, message = visible_message(request, message_id, manage=True)
    with intake_errors():
        actions.release_message(message, request.auth)
    return message_out(with_document_ids(InboundMessage.objects.filter(pk=message.pk)).get(), found)


@router.get("/messages/{message_id}/raw", response={200: None, **READ_ERRORS}, summary="L'email d'origine (.eml)")
def get_raw_message(request, message_id: int):
    """The message exactly as received (`message/rfc822`), or an upload's original file. Folder managers only."""
    _found, message = visible_message(request, message_id, manage=True)
    filename, content_type = actions.raw_download(message)
    return FileResponse(default_storage.open(message.raw, "rb"), as_attachment=True, filename=filename,
                        content_type=content_type)
