"""The SMTP listener for the dedicated addresses (an MX, not a relay: no AUTH).

It does one thing: check each recipient at RCPT, store the message durably at DATA, answer. `250` is sent only
once the raw bytes are fsynced and the rows committed; any failure before that is `451 4.3.0`, so the sender
keeps the message and retries. Parsing happens later, in the worker.
"""
import asyncio
import logging
import ssl
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session, syntax
from django.conf import settings
from django.db import close_old_connections

from collecte.lib.redact import redact
from collecte.tenancy.models import IntakeAddress

from .ratelimit import FolderRateLimiter
from django.db import transaction

from .receive import StoredEmail, queue_processing, record_email, store_raw
from .storage import sync_directories_of

log = logging.getLogger(__name__)

# aiosmtpd's own size replies lack the enhanced status code senders log; RFC 3463 says 5.3.4.
SIZE_REPLIES = {
    "552 Error: message size exceeds fixed maximum message size": "552 5.3.4 Message size exceeds fixed maximum "
                                                                  "message size",
    "552 Error: Too much mail data": "552 5.3.4 Message size exceeds fixed maximum message size",
}
MAX_RECIPIENTS = 100


class CollecteSMTP(SMTP):
    # RFC 5321 caps lines at 1,000 octets, but real senders (bare-LF clients, unwrapped HTML) exceed it and
    # Postfix takes them; refusing would lose their invoices. The message size limit still holds.
    line_length_limit = 1024 * 1024

    async def push(self, status):
        if status.startswith("250-AUTH"):
            return None  # an MX offers no AUTH, with or without TLS (aiosmtpd would list it after STARTTLS)
        return await super().push(SIZE_REPLIES.get(status, status))

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg):
        await self.push("502 5.5.1 No AUTH here: this is a mail exchanger, not a relay")

    @syntax("DATA")
    async def smtp_DATA(self, arg):
        """aiosmtpd reads DATA one line per await (thousands for a PDF); this reads up to the terminator in
        large pieces, with the same checks, dot-unstuffing and replies."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.envelope.rcpt_tos:
            return await self.push("503 Error: need RCPT command")
        if arg:
            return await self.push("501 Syntax: DATA")
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content = await read_data(self._reader, self.data_size_limit)
        except asyncio.IncompleteReadError:
            return  # the client went away mid-message: nothing was acknowledged, nothing is kept
        if content is None:
            self._set_post_data_state()
            return await self.push("552 5.3.4 Message size exceeds fixed maximum message size")
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)


async def read_data(reader, limit):
    """The message up to <CRLF>.<CRLF>, dot-unstuffed (RFC 5321 §4.5.2); None when it exceeds `limit`.
    Reads no byte past the terminator, so pipelined commands stay in the reader."""
    data, too_much = bytearray(), False
    while True:
        try:
            piece = await reader.readuntil(b".\r\n")
        except asyncio.LimitOverrunError as overrun:
            piece = await reader.readexactly(overrun.consumed)
        data += piece
        if data.endswith(b".\r\n") and (len(data) == 3 or data[-5:-3] == b"\r\n"):
            break
        if limit and len(data) > limit + 5:
            too_much = True
            del data[:-5]  # keep only what the terminator check needs
    if too_much:
        return None
    body = bytes(data[:-3])
    if limit and len(body) > limit:
        return None
    if body.startswith(b"."):
        body = body[1:]
    return body.replace(b"\r\n.", b"\r\n")


def _run_in_db_thread(fn, *args):
    def call():
        close_old_connections()
        try:
            return fn(*args)
        finally:
            close_old_connections()
    return call


def _store(raw, addresses, envelope_from, peer):
    return StoredEmail(store_raw(raw, sync_dir=False), raw, addresses, "smtp", envelope_from, peer)


def _record_batch(batch):
    sync_directories_of([stored.name for stored in batch])  # the files' entries are durable before their rows
    with transaction.atomic():
        return [record_email(stored) for stored in batch]


class GroupCommitter:
    """Messages arriving together share one database commit (group commit): each message's file is written and
    fsynced in parallel, then the rows of all waiting messages are committed in one transaction, and only then
    does each get its 250. While one commit runs, the next batch gathers."""

    def __init__(self, executor, max_batch=100):
        self.executor, self.max_batch = executor, max_batch
        self.pending: list[tuple[StoredEmail, asyncio.Future]] = []
        self.flushing = False

    async def submit(self, raw, addresses, envelope_from, peer):
        loop = asyncio.get_running_loop()
        stored = await loop.run_in_executor(self.executor,
                                            _run_in_db_thread(_store, raw, addresses, envelope_from, peer))
        future = loop.create_future()
        self.pending.append((stored, future))
        if not self.flushing:
            self.flushing = True
            loop.create_task(self._flush())
        return await future

    async def _flush(self):
        loop = asyncio.get_running_loop()
        try:
            while self.pending:
                batch, self.pending = self.pending[:self.max_batch], self.pending[self.max_batch:]
                try:
                    results = await loop.run_in_executor(
                        self.executor, _run_in_db_thread(_record_batch, [stored for stored, _ in batch]))
                except Exception as exc:
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results):
                    if not future.done():
                        future.set_exception(result) if isinstance(result, Exception) else future.set_result(result)
        finally:
            self.flushing = False


class IntakeHandler:
    # Tests run the worker in-process (huey immediate mode) on a shared in-memory SQLite, whose table locks do
    # not wait: there the processing must finish before the 250, so that nothing runs behind the test's back.
    queue_before_reply = False

    def __init__(self, executor=None, limiter=None):
        self.executor = executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="smtp-db")
        self.limiter = limiter or FolderRateLimiter(settings.INTAKE_RATE_PER_MINUTE, settings.INTAKE_RATE_BURST)
        self.committer = GroupCommitter(self.executor)

    async def _db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, _run_in_db_thread(fn, *args))

    async def handle_RCPT(self, server, session: Session, envelope: Envelope, address: str, rcpt_options):
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            intake = await self._db(IntakeAddress.resolve, address)
        except Exception:
            log.exception("recipient lookup failed for %s", redact(address))
            return "451 4.3.0 Temporary failure, please retry"
        if intake is None:
            log.info("unknown recipient %s from %s", redact(address), session.peer)
            return "550 5.1.1 No such mailbox here"
        if not self.limiter.allow(intake.folder_id):
            log.info("folder %s over its rate limit", intake.folder_id)
            return "451 4.7.1 Too many messages for this mailbox, please retry later"
        envelope.rcpt_tos.append(address)
        addresses = getattr(envelope, "collecte_addresses", [])
        addresses.append(intake)
        envelope.collecte_addresses = addresses
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session: Session, envelope: Envelope):
        raw = envelope.original_content or envelope.content
        addresses = getattr(envelope, "collecte_addresses", [])
        if not addresses:
            return "554 5.5.1 No valid recipients"
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer or "")
        try:
            rows = await self.committer.submit(raw, addresses, envelope.mail_from or "", peer)
        except Exception:
            log.exception("could not store a message from %s", peer)
            return "451 4.3.0 Temporary failure, please retry"
        # The rows are durable: queuing their processing need not hold up the 250 (a lost job is swept up).
        queued = asyncio.get_running_loop().run_in_executor(self.executor, _run_in_db_thread(queue_processing, rows))
        if self.queue_before_reply:
            await queued
        return f"250 2.0.0 OK queued as {'+'.join(str(r.pk) for r in rows)}"


def tls_context():
    cert, key = settings.SMTP_TLS_CERT, settings.SMTP_TLS_KEY
    if not (cert and key):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def server_factory(handler):
    context = tls_context()

    def factory():
        return CollecteSMTP(handler, data_size_limit=settings.SMTP_MAX_MESSAGE_BYTES, enable_SMTPUTF8=True,
                            decode_data=False, hostname=settings.SMTP_HOSTNAME, tls_context=context,
                            auth_required=False, ident="collecte ESMTP")
    return factory


async def start_server(host, port, handler=None):
    handler = handler or IntakeHandler()
    loop = asyncio.get_running_loop()
    return await loop.create_server(server_factory(handler), host=host, port=port, reuse_address=True)


def requeue_unqueued():
    """A listener killed between a commit and its queuing leaves messages no job knows about: queue them."""
    from .tasks import requeue_never_attempted

    requeue_never_attempted()


def serve_forever(host, port):
    async def main():
        await asyncio.get_running_loop().run_in_executor(None, _run_in_db_thread(requeue_unqueued))
        server = await start_server(host, port)
        log.info("SMTP listener on %s:%s (max %s bytes)", host, port, settings.SMTP_MAX_MESSAGE_BYTES)
        async with server:
            await server.serve_forever()

    asyncio.run(main())
