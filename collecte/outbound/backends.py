"""Email and SMS delivery that always leaves a trace in the outbox.

Callers say which firm and folder a message belongs to with the X-Collecte-Firm / X-Collecte-Folder headers;
they are stripped before the message leaves, and decide who may read it in the outbox page.
"""
import logging

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.module_loading import import_string

from .models import OutboxMessage

log = logging.getLogger(__name__)
CONTEXT_HEADERS = ("X-Collecte-Firm", "X-Collecte-Folder")


def _pop_context(message):
    ids = {}
    for header in CONTEXT_HEADERS:
        value = message.extra_headers.pop(header, None)
        ids[header] = int(value) if value else None
    return ids["X-Collecte-Firm"], ids["X-Collecte-Folder"]


class OutboxEmailBackend(BaseEmailBackend):
    """Keeps every message in the outbox; relays it by SMTP when EMAIL_HOST is configured."""

    def send_messages(self, email_messages):
        relay = SmtpBackend(fail_silently=False) if settings.EMAIL_HOST else None
        sent = 0
        for message in email_messages:
            firm_id, folder_id = _pop_context(message)
            status, error = OutboxMessage.Status.KEPT, ""
            if relay is not None:
                try:
                    relay.send_messages([message])
                    status = OutboxMessage.Status.SENT
                except Exception as exc:  # our side: log it, keep the message, tell the sender it failed
                    status, error = OutboxMessage.Status.FAILED, f"{type(exc).__name__}: {exc}"
                    log.error("email to %s failed: %s", ", ".join(message.to), error)
            OutboxMessage.objects.create(
                channel=OutboxMessage.Channel.EMAIL, firm_id=firm_id, folder_id=folder_id,
                to=", ".join(message.to), subject=str(message.subject), body=message.body,
                status=status, error=error)
            # A relay failure does not raise: the message stays in the outbox, marked failed with the reason.
            if status != OutboxMessage.Status.FAILED:
                sent += 1
        return sent


def context_headers(firm=None, folder=None):
    headers = {}
    if firm is not None:
        headers["X-Collecte-Firm"] = str(firm.pk)
    if folder is not None:
        headers["X-Collecte-Folder"] = str(folder.pk)
    return headers


def sms_configured():
    return bool(settings.SMS_BACKEND)


def send_sms(to, body, firm=None, folder=None):
    """Send an SMS through the configured backend; without one, keep it in the outbox. Returns the row."""
    status, error = OutboxMessage.Status.KEPT, ""
    if sms_configured():
        backend = import_string(settings.SMS_BACKEND)()
        try:
            backend.send(to, body)
            status = OutboxMessage.Status.SENT
        except Exception as exc:
            status, error = OutboxMessage.Status.FAILED, f"{type(exc).__name__}: {exc}"
            log.error("sms to %s failed: %s", to, error)
    return OutboxMessage.objects.create(channel=OutboxMessage.Channel.SMS, firm=firm, folder=folder, to=to,
                                        body=body, status=status, error=error)
