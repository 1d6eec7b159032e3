"""Processing one inbound message, as an explicit list of small steps (cheapest first).

disposition (duplicate delivery? forwarding confirmation?) -> MIME walk or file handling -> documents
(sha256 de-duplication, page split for "multiple" addresses) -> status. Idempotent: a message is processed once,
whatever the number of jobs queued for it; a failure is retried a bounded number of times, then held as
"failed" with its reason, for a person to retry.
"""
import hashlib
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .extract import queue_extraction
from .models import Document, InboundMessage

log = logging.getLogger(__name__)
RETRY_DELAYS = [10, 60, 300, 1800]  # seconds before attempts 2, 3, 4, 5

Status = InboundMessage.Status
SPLIT_MODULES = {"purchases_split", "sales_split"}


def process_message(message_id):
    message = InboundMessage.objects.filter(pk=message_id, status=Status.RECEIVED).first()
    if message is None:
        return  # processed already, or gone: a second job for the same message does nothing
    try:
        _commit(message, _run_steps(message))
    except Exception as exc:  # any step, storing included: retried, then held as failed, never left waiting
        _record_failure(message, exc)


class Outcome:
    def __init__(self):
        self.status = None
        self.reason = ""
        self.documents = []  # (FilePart-like, extra) to create
        self.skipped = []
        self.headers = {}
        self.forwarding = None
        self.warnings = []


def _run_steps(message):
    outcome = Outcome()
    raw = message.read_raw()
    if message.raw_kind == InboundMessage.RawKind.FILE:
        from .files import files_from_upload

        result = files_from_upload(message.raw_filename or "document", raw)
    else:
        from .forwarding import detect_forwarding_confirmation
        from .mime import walk_message

        result = walk_message(raw)
        outcome.headers = {"message_id": result.message_id[:500], "subject": result.subject[:500],
                           "from_header": result.from_header[:500]}
        if _already_received(message, result.message_id):
            outcome.status, outcome.reason = Status.ALREADY_RECEIVED, result.message_id
            return outcome
        confirmation = detect_forwarding_confirmation(raw)
        if confirmation is not None:
            outcome.status, outcome.forwarding = Status.FORWARDING, _as_dict(confirmation)
            return outcome
        refusal = _sender_refusal(message, result)
        if refusal:
            outcome.status, outcome.reason = refusal
            return outcome
    outcome.documents = result.files or _body_as_document(message, result)
    outcome.skipped = [{"filename": s.filename, "content_type": s.content_type, "reason": s.reason,
                        "detail": s.detail} for s in result.skipped]
    return outcome


def _sender_refusal(message, result):
    """(status, reason) when the folder's sender policy stops this message; None when it may go on.
    A person's approval (recorded on the message) lets a held message through."""
    from .senders import candidate_senders, parse_allowed, sender_allowed

    folder = message.folder
    if folder.sender_policy == folder.SenderPolicy.OPEN or _approved(message):
        return None
    senders = candidate_senders(message.envelope_from, result.from_header)
    if sender_allowed(parse_allowed(folder.allowed_senders), senders):
        return None
    status = Status.HELD if folder.sender_policy == folder.SenderPolicy.HOLD else Status.REJECTED
    return status, ", ".join(senders) or "unknown_sender"


def _approved(message):
    return any(w.get("code") == "sender_approved" for w in message.warnings or [])


def _body_as_document(message, result):
    """The folder's option for receipts that live in the body: the text becomes a PDF document."""
    if not message.folder.keep_body_as_pdf or not (result.body_text or "").strip():
        return []
    from collecte.lib.textpdf import text_to_pdf

    from .mime import FilePart

    header = "\n".join(f"{k}: {v}" for k, v in (("De", result.from_header), ("Objet", result.subject),
                                                  ("Date", result.date_header)) if v)
    content = text_to_pdf(result.body_text, title=header)
    return [FilePart(filename="message.pdf", content=content, content_type="application/pdf", kind="pdf",
                     origin="corps du message")]


def release_held(message, user):
    """A manager lets a held message through: it is processed as if its sender were allowed."""
    warnings = list(message.warnings or []) + [{"code": "sender_approved", "detail": user.email}]
    updated = InboundMessage.objects.filter(pk=message.pk, status=Status.HELD).update(
        status=Status.RECEIVED, status_reason="", warnings=warnings)
    if updated:
        from .tasks import process_message_task

        transaction.on_commit(lambda: process_message_task(message.pk))
    return bool(updated)


def _already_received(message, message_id):
    if not message_id:
        return False
    return (InboundMessage.objects.filter(folder_id=message.folder_id, message_id=message_id[:500])
            .exclude(pk=message.pk).exclude(status__in=[Status.RECEIVED, Status.FAILED]).exists())


def _as_dict(confirmation):
    from dataclasses import asdict

    return asdict(confirmation)


def _commit(message, outcome):
    """Write the files, then everything about the message in one transaction, guarded against a second job."""
    stored = [(_store_part(message, part), part) for part in outcome.documents]
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().filter(pk=message.pk, status=Status.RECEIVED).first()
        if locked is None:
            return
        for field, value in outcome.headers.items():
            setattr(locked, field, value)
        created = [doc for names, part in stored for doc in _create_documents(locked, names, part)]
        queue_extraction(created)
        locked.skipped_parts, locked.forwarding = outcome.skipped, outcome.forwarding
        locked.status, locked.status_reason = _final_status(outcome, created)
        locked.processed_at, locked.last_error = timezone.now(), ""
        locked.save()
        if locked.status == Status.FORWARDING:
            transaction.on_commit(lambda: _relay_forwarding(locked.pk))
        if locked.raw_kind == InboundMessage.RawKind.EMAIL and settings.SENDER_AUTH_CHECKS:
            from .tasks import check_authentication_task

            transaction.on_commit(lambda: check_authentication_task(locked.pk))


def _final_status(outcome, created):
    if outcome.status:
        return outcome.status, outcome.reason
    if not created:
        reasons = sorted({s["reason"] for s in outcome.skipped})
        return Status.NO_DOCUMENT, ", ".join(reasons) or "no_attachment"
    if all(doc.status == Document.Status.DUPLICATE for doc in created):
        return Status.DUPLICATE, ""
    return Status.DOCUMENTS, ""


def _store_part(message, part):
    from .storage import save_durably

    base = f"documents/{message.folder_id}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    names = {"file": save_durably(f"{base}/{storage_name(part.filename)}", part.content), "xml": ""}
    if part.einvoice_xml:
        xml_name = storage_name(part.einvoice_xml_name or "einvoice.xml")
        names["xml"] = save_durably(f"{base}/{xml_name}", part.einvoice_xml)
    return names


def storage_name(filename, limit=100):
    """A short ASCII name for the stored file (file systems cap names in bytes, and accents vary between
    them); the name as sent stays in the database for display."""
    from django.utils.text import get_valid_filename, slugify

    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    extension = slugify(extension)[:10]
    stem = slugify(stem)[:limit] or "document"
    return get_valid_filename(f"{stem}.{extension}" if extension else stem)


def _create_documents(message, names, part):
    document = _new_document(message, names["file"], part.filename, part.content, part.content_type,
                             einvoice_xml=names["xml"], flags=list(part.flags))
    documents = [document]
    if (message.module in SPLIT_MODULES and part.kind == "pdf" and document.status == Document.Status.TO_EXTRACT):
        documents += split_or_flag(message, document, part.content)
    return documents


def split_or_flag(message, document, content):
    """Split, or keep a PDF that pikepdf cannot split whole and flagged, rather than fail the message."""
    try:
        with transaction.atomic():
            return split_document(message, document, content)
    except Exception:
        log.warning("could not split document %s of message %s", document.pk, message.pk, exc_info=True)
        document.status, document.flags = Document.Status.TO_EXTRACT, [*document.flags, "not_split"]
        document.save(update_fields=["status", "flags"])
        return []


def _new_document(message, file_name, filename, content, content_type, einvoice_xml="", flags=(), **extra):
    digest = hashlib.sha256(content).hexdigest()
    fields = dict(folder_id=message.folder_id, module=message.module, message=message, submitted_by=message.member,
                  file=file_name, filename=filename, content_type=content_type, size=len(content), sha256=digest,
                  einvoice_xml=einvoice_xml, flags=list(flags), **extra)
    original = Document.objects.filter(folder_id=message.folder_id, sha256=digest, duplicate_of__isnull=True).first()
    if original is not None:
        return Document.objects.create(status=Document.Status.DUPLICATE, duplicate_of=original, **fields)
    try:
        with transaction.atomic():
            return Document.objects.create(status=_initial_status(flags), **fields)
    except IntegrityError:  # another worker stored the same file a moment ago
        original = Document.objects.get(folder_id=message.folder_id, sha256=digest, duplicate_of__isnull=True)
        return Document.objects.create(status=Document.Status.DUPLICATE, duplicate_of=original, **fields)


def _initial_status(flags):
    if "encrypted" in flags:
        return Document.Status.NEEDS_PASSWORD
    if "corrupt" in flags:
        return Document.Status.UNREADABLE
    return Document.Status.TO_EXTRACT


def split_document(message, document, content):
    """Each page of a multi-page PDF becomes its own document; the original is kept, marked split."""
    from .pdf import split_pages
    from .storage import save_durably

    pages = split_pages(content)
    if len(pages) < 2:
        return []
    document.status = Document.Status.SPLIT
    document.save(update_fields=["status"])
    stem = document.filename.rsplit(".", 1)[0]
    children = []
    for number, page in enumerate(pages, start=1):
        name = f"{stem}-p{number}.pdf"
        stored = save_durably(f"{document.file.rsplit('/', 1)[0]}/pages/{storage_name(name)}", page)
        children.append(_new_document(message, stored, name, page, "application/pdf", split_from=document,
                                      page_number=number))
    return children


def _record_failure(message, exc):
    """Ours: log as error. Retried with growing delays, then held as failed with the reason."""
    log.exception("processing message %s failed", message.pk)
    attempts = message.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    exhausted = attempts >= settings.INTAKE_MAX_ATTEMPTS
    InboundMessage.objects.filter(pk=message.pk, status=Status.RECEIVED).update(
        attempts=attempts, last_error=error,
        status=Status.FAILED if exhausted else Status.RECEIVED,
        status_reason=error if exhausted else "")
    if not exhausted:
        from .tasks import process_message_task

        delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
        process_message_task.schedule((message.pk,), delay=delay)


def retry_message(message):
    """A person asks to try a failed message again: a fresh set of attempts."""
    updated = InboundMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.RECEIVED, attempts=0, status_reason="", last_error="")
    if updated:
        from .tasks import process_message_task

        transaction.on_commit(lambda: process_message_task(message.pk))
    return bool(updated)


def _relay_forwarding(message_id):
    from .relay import relay_forwarding_confirmation

    relay_forwarding_confirmation(InboundMessage.objects.get(pk=message_id))
