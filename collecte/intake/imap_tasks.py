"""Worker jobs for IMAP mailboxes: each minute, queue a poll of every enabled mailbox whose interval has elapsed.

djhuey only imports `<app>.tasks`; intake/tasks.py imports this module so the consumer registers these jobs.
"""
import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import ImapMailbox

log = logging.getLogger(__name__)

__all__ = ["poll_due_imap_mailboxes", "poll_imap_mailbox_task"]


@db_periodic_task(crontab(minute="*"))
def poll_due_imap_mailboxes():
    """One job per mailbox, so a slow or unreachable server does not hold the others back."""
    now = timezone.now()
    for mailbox in ImapMailbox.objects.filter(enabled=True).only("pk", "last_polled_at", "poll_interval_minutes"):
        if mailbox.is_due(now):
            poll_imap_mailbox_task(mailbox.pk)


@db_task()
def poll_imap_mailbox_task(mailbox_id):
    """Also queued by "Relever maintenant", which works on a disabled mailbox too: a person asked for it."""
    from .imap import poll_mailbox

    mailbox = ImapMailbox.objects.select_related("folder").filter(pk=mailbox_id).first()
    if mailbox is None:
        return None  # deleted since the job was queued
    result = poll_mailbox(mailbox)
    return {"fetched": result.fetched, "skipped_seen": result.skipped_seen, "errors": result.errors}
