"""Accepting a message: store its raw bytes durably, commit one InboundMessage per folder, queue the work.

Shared by the SMTP listener, IMAP polling, uploads and the API. Nothing here parses the message.
"""
import hashlib
import logging

from django.db import transaction

from collecte.tenancy.models import IntakeAddress

from .models import InboundMessage
from .storage import raw_message_name, save_durably

log = logging.getLogger(__name__)


def accept_email(raw: bytes, addresses: list[IntakeAddress], source=InboundMessage.Source.SMTP,
                 envelope_from="", remote_addr="", queue=True) -> list[InboundMessage]:
    """One stored copy of the raw bytes, one row per folder (a message to several of our addresses lands once
    in each folder, through the first of its addresses there). Returns the rows, committed; with queue=False
    the caller queues their processing itself (the SMTP listener does it after answering)."""
    stored = StoredEmail(store_raw(raw), raw, addresses, source, envelope_from, remote_addr)
    with transaction.atomic():
        rows = record_email(stored)
    if queue:
        queue_processing(rows)
    return rows


class StoredEmail:
    """A message whose raw bytes are durable, waiting for its rows."""

    def __init__(self, name, raw, addresses, source=InboundMessage.Source.SMTP, envelope_from="", remote_addr=""):
        self.name, self.size, self.digest = name, len(raw), hashlib.sha256(raw).hexdigest()
        self.addresses, self.source = addresses, source
        self.envelope_from, self.remote_addr = envelope_from, remote_addr


def store_raw(raw: bytes, sync_dir=True) -> str:
    return save_durably(raw_message_name(), raw, sync_dir=sync_dir)


def record_email(stored: StoredEmail) -> list[InboundMessage]:
    """The rows of one stored message, one per folder; call inside a transaction (the listener records many
    messages in one, to share the cost of the commit)."""
    by_folder: dict[int, IntakeAddress] = {}
    for address in stored.addresses:
        by_folder.setdefault(address.folder_id, address)
    return [InboundMessage.objects.create(
        folder_id=address.folder_id, address=address, module=_module_of(address), member=address.member,
        source=stored.source, raw=stored.name, raw_size=stored.size, raw_sha256=stored.digest,
        envelope_from=stored.envelope_from[:500], envelope_to=address.email, remote_addr=stored.remote_addr)
        for address in by_folder.values()]


def accept_email_for_folder(folder, module, raw: bytes, source=InboundMessage.Source.IMAP, envelope_from="",
                            envelope_to="") -> InboundMessage:
    """A message fetched for a folder by other means than its addresses (an IMAP mailbox, the API)."""
    name = save_durably(raw_message_name(), raw)
    with transaction.atomic():
        row = InboundMessage.objects.create(
            folder=folder, module=module, source=source, raw=name, raw_size=len(raw),
            raw_sha256=hashlib.sha256(raw).hexdigest(), envelope_from=envelope_from[:500],
            envelope_to=envelope_to[:500])
    queue_processing([row])
    return row


def accept_file(folder, module, filename, content: bytes, source=InboundMessage.Source.UPLOAD, uploaded_by=None,
                member=None) -> InboundMessage:
    """An uploaded file enters the same pipeline from the file handling on."""
    name = save_durably(f"{raw_message_name()[:-4]}.upload", content)
    with transaction.atomic():
        row = InboundMessage.objects.create(
            folder=folder, module=module, member=member, uploaded_by=uploaded_by, source=source,
            raw_kind=InboundMessage.RawKind.FILE, raw=name, raw_filename=filename[:255], raw_size=len(content),
            raw_sha256=hashlib.sha256(content).hexdigest(), subject=filename[:500])
    queue_processing([row])
    return row


def _module_of(address):
    if address.module == IntakeAddress.Module.PERSONAL:
        return IntakeAddress.Module.PURCHASES  # a user's own receipts are purchases (expenses)
    return address.module


def queue_processing(rows):
    """Queue after commit. If queuing fails, the rows are safe: the sweeper finds messages left 'received'."""
    from .tasks import process_message_task

    for row in rows:
        try:
            transaction.on_commit(lambda pk=row.pk: process_message_task(pk))
        except Exception:  # the queue is down: the periodic sweep will pick the message up
            log.exception("could not queue message %s; the sweeper will retry", row.pk)
