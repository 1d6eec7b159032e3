"""What a person does with what arrived: upload files, retry a failed message, let a held one through, unlock a
protected PDF.

The web views and the API call these same functions (DESIGN.md: pure core, thin edges). Refusals are raised as
IntakeError with a French sentence for the person and a stable code for scripts; the edges only format them.
"""
import posixpath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from collecte.tenancy.models import IntakeAddress

from . import pipeline
from .extract import queue_extraction
from .models import Document, InboundMessage
from .pdf import UnreadablePdf, WrongPassword, unlock_pdf
from .receive import accept_file
from .storage import save_durably

UPLOAD_MODULES = [module.value for module in IntakeAddress.FOLDER_MODULES]
UNLOCKED = "unlocked"
# The encrypted original stays in storage; its name is kept beside the flags (Document has no field for it yet).


class IntakeError(Exception):
    """A refusal the person can act on: `message` says what to do, `code` is stable, `status` is the HTTP one."""

    def __init__(self, message, code, status=422):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


# --- upload ---------------------------------------------------------------------------------------------------

def check_upload(filename, size, module):
    """Refuse early what the pipeline would only store to reject: an unknown module, an empty or oversized file.

    The limit is the SMTP one, so that a file is accepted the same whichever way it comes in."""
    if module not in UPLOAD_MODULES:
        raise IntakeError(_("Choisissez où déposer les documents : achats, ventes, ou leurs variantes « multiple »."),
                          "unknown_module")
    if size == 0:
        raise IntakeError(_("« %(name)s » est vide : il n'y a rien à déposer.") % {"name": filename}, "empty_file")
    limit = settings.SMTP_MAX_MESSAGE_BYTES
    if size > limit:
        raise IntakeError(_("« %(name)s » est trop volumineux (%(size)s) : %(limit)s au plus par fichier.")
                          % {"name": filename, "size": filesizeformat(size), "limit": filesizeformat(limit)},
                          "file_too_large", status=413)


def upload_file(folder_access, module, uploaded, source=InboundMessage.Source.UPLOAD):
    """Store one uploaded file (a Django UploadedFile) durably and queue it, as its uploader's own submission.

    A standard user's upload carries their FolderMember, which is what lets them see it later (access.py)."""
    filename = posixpath.basename((uploaded.name or "").replace("\\", "/")) or "document"
    check_upload(filename, uploaded.size, module)
    content = uploaded.read()
    check_upload(filename, len(content), module)  # a client may lie about the size; the bytes do not
    return accept_file(folder_access.folder, module, filename, content, source=source,
                       uploaded_by=folder_access.user, member=folder_access.member)


def raw_download(message):
    """(filename, content type) for the raw bytes: the .eml as received, or an upload's own file."""
    if message.raw_kind == InboundMessage.RawKind.FILE:
        return message.raw_filename or f"upload-{message.pk}", "application/octet-stream"
    return f"message-{message.pk}.eml", "message/rfc822"


# --- retry ----------------------------------------------------------------------------------------------------

def retry_message(message):
    """A fresh set of attempts for a failed message; anything else is already on its way or done."""
    if not pipeline.retry_message(message):
        raise IntakeError(_("Seul un message en échec peut être retraité."), "not_failed", status=409)
    message.refresh_from_db()
    return message


def release_message(message, user):
    """A manager lets a message held by the folder's sender policy through; it is then processed normally."""
    if not pipeline.release_held(message, user):
        raise IntakeError(_("Seul un message retenu peut être accepté."), "not_held", status=409)
    message.refresh_from_db()
    return message


# --- password-protected PDFs ----------------------------------------------------------------------------------

def unlock_document(document, password):
    """Replace a protected PDF by the same PDF without its password, and let it go on to extraction.

    The encrypted original is kept in storage (its name in the flags). The sha256 stays that of the file as it
    arrived: it is the de-duplication key, so the same protected file arriving again is still a duplicate."""
    if document.status != Document.Status.NEEDS_PASSWORD:
        raise _not_locked()
    with default_storage.open(document.file, "rb") as f:
        content = f.read()
    try:
        unlocked = unlock_pdf(content, password)
    except WrongPassword:
        raise IntakeError(_("Ce mot de passe n'ouvre pas « %(name)s ». Vérifiez-le et réessayez.")
                          % {"name": document.filename}, "wrong_password") from None
    except UnreadablePdf:
        raise IntakeError(_("« %(name)s » n'est pas un PDF lisible, même avec ce mot de passe.")
                          % {"name": document.filename}, "unreadable_pdf") from None
    directory, base = posixpath.split(document.file)
    stored = save_durably(posixpath.join(directory, "unlocked", base), unlocked)
    return _swap_in_unlocked(document, stored, unlocked)


def _not_locked():
    return IntakeError(_("Ce document n'est pas protégé par un mot de passe."), "not_locked", status=409)


def _swap_in_unlocked(document, stored, unlocked):
    with transaction.atomic():
        # Two people typing the password at once: the second finds it unlocked already.
        locked = (Document.objects.select_for_update()
                  .filter(pk=document.pk, status=Document.Status.NEEDS_PASSWORD).first())
        if locked is None:
            raise _not_locked()
        locked.flags = [*locked.flags, UNLOCKED]
        locked.original_file = locked.file
        locked.file, locked.size, locked.status = stored, len(unlocked), Document.Status.TO_EXTRACT
        locked.save(update_fields=["flags", "original_file", "file", "size", "status"])
        _split_if_needed(locked, unlocked)
        queue_extraction([locked, *locked.pages.all()])
    return locked


def _split_if_needed(document, content):
    """A protected PDF sent to a "multiple" address could not be split on arrival: split it now."""
    message = document.message
    if message is None or document.module not in pipeline.SPLIT_MODULES or document.split_from_id:
        return
    pipeline.split_or_flag(message, document, content)


def original_file(document):
    """Storage name of the file as it arrived, for a document that was unlocked (else its own file)."""
    return document.original_file or document.file


def display_flags(document):
    return list(document.flags)


# --- files attached to invoices typed by hand or imported (no extraction) -----------------------------------------

def store_attachment(folder_access, module, filename, content: bytes):
    """Keep a file that a person attaches to an existing invoice: stored durably as a document of the folder,
    never read by extraction. The same bytes already in the folder are that document again."""
    import hashlib
    import uuid

    from django.utils import timezone

    from collecte.tenancy import access

    from .files import clean_filename, sniff
    from .models import Document
    from .pipeline import storage_name
    from .storage import save_durably

    filename = clean_filename(filename) or "document.pdf"
    check_upload(filename, len(content), module)
    digest = hashlib.sha256(content).hexdigest()
    existing = Document.objects.filter(folder=folder_access.folder, sha256=digest, duplicate_of__isnull=True).first()
    if existing is not None and access.visible_documents(folder_access).filter(pk=existing.pk).exists():
        return existing
    # The same bytes under a document the person may not see stay that other person's: this file gets its own row,
    # marked as a copy of it (the folder keeps one original per content).
    name = save_durably(f"documents/{folder_access.folder.pk}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}/"
                        f"{storage_name(filename)}", content)
    return Document.objects.create(folder=folder_access.folder, module=module, submitted_by=folder_access.member,
                                   file=name, filename=filename, content_type=sniff(content), size=len(content),
                                   sha256=digest, status=Document.Status.ATTACHED, duplicate_of=existing)
