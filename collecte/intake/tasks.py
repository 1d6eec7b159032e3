"""Worker jobs of the intake: process each message, and sweep up messages whose job was lost."""
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import InboundMessage

SWEEP_AFTER = timedelta(minutes=2)


@db_task()
def process_message_task(message_id):
    from .pipeline import process_message

    process_message(message_id)


@db_periodic_task(crontab(minute="*"))
def sweep_waiting_messages():
    """A worker killed mid-job, or a queue that refused a job, leaves a message 'received': queue it again.
    Processing is idempotent, so a message queued twice is still processed once."""
    cutoff = timezone.now() - SWEEP_AFTER
    waiting = InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED, received_at__lt=cutoff)
    for pk in waiting.values_list("pk", flat=True)[:1000]:
        process_message_task(pk)
