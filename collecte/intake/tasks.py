"""Worker jobs of the intake: process each message, and sweep up messages whose job was lost."""
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from .models import InboundMessage

# Long enough that a message still being processed (a large archive, later OCR) is not picked up twice.
SWEEP_AFTER = timedelta(minutes=10)


@db_task()
def process_message_task(message_id):
    from .pipeline import process_message

    process_message(message_id)


@db_task()
def extract_document_task(document_id):
    from .extract import extract_document

    extract_document(document_id)


@db_task()
def learn_from_correction_task(document_id, changes):
    from .corrections import typed_changes
    from .extract import learn_from_correction

    learn_from_correction(document_id, typed_changes(changes))


@db_task()
def check_authentication_task(message_id):
    """DKIM/SPF after the documents exist: DNS is slow, and the results only warn."""
    from .mailauth import check_authentication

    message = InboundMessage.objects.filter(pk=message_id).first()
    if message is None:
        return
    results = check_authentication(message.read_raw(), message.envelope_from, message.remote_addr)
    extra = results.warnings()
    if extra:
        InboundMessage.objects.filter(pk=message_id).update(warnings=list(message.warnings or []) + extra)


def _never_attempted():
    """Messages whose job was lost. Those with attempts > 0 wait for a retry huey has scheduled (and keeps across
    restarts): queuing them again would skip the growing delays between attempts."""
    return InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED, attempts=0)


@on_startup()
def requeue_on_worker_start():
    """A worker killed mid-job took its job with it: at start, queue every message still waiting at once,
    rather than after the periodic sweep's delay (processing is idempotent, so extra jobs are harmless)."""
    from django.db import close_old_connections

    close_old_connections()
    try:
        requeue_never_attempted()
    finally:
        close_old_connections()


def requeue_never_attempted(limit=5000):
    for pk in _never_attempted().values_list("pk", flat=True)[:limit]:
        process_message_task(pk)


@db_periodic_task(crontab(minute="*"))
def sweep_waiting_messages():
    """A worker killed mid-job, or a queue that refused a job, leaves a message 'received': queue it again.
    Processing is idempotent, so a message queued twice is still processed once."""
    cutoff = timezone.now() - SWEEP_AFTER
    waiting = _never_attempted().filter(received_at__lt=cutoff)
    for pk in waiting.values_list("pk", flat=True)[:1000]:
        process_message_task(pk)

from .imap_tasks import *  # noqa: E402,F401,F403  (djhuey imports only <app>.tasks; this registers the IMAP jobs)
