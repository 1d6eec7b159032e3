"""IMAP mailboxes as a second source of messages: poll one mailbox, or test its connection.

Each new message is fetched as its exact original bytes (BODY.PEEK[], which leaves the \\Seen flag alone), accepted
through the same entry point as the SMTP listener (stored durably, row committed, processing queued), then
recorded by UID + UIDVALIDITY so it is never fetched again, and only then treated with the mailbox's after-action
(mark seen, move, delete). A crash between accepting and recording fetches the message again on the next poll;
the pipeline's Message-ID check turns that second copy into "already received".

Errors become one clear French sentence in `last_error`, for the person who can fix the settings; the password
or token never appears in a message or a log line.

Settings (optional): IMAP_TIMEOUT_SECONDS (30) for every network operation; IMAP_CA_FILE, a PEM file of extra
certificate authorities to trust (a self-hosted server with an internal CA).
"""
import imaplib
import ipaddress
import logging
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.parser import BytesHeaderParser

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import (ImapToolsError, MailboxFolderSelectError, MailboxFolderStatusError,
                               MailboxLoginError, MailboxStarttlsError)
from imap_tools.utils import encode_folder

from .imap_secret import SecretUnreadable
from .models import LOCAL_HOSTS, ImapMailbox, ImapSeenMessage, InboundMessage
from .receive import accept_email_for_folder

log = logging.getLogger(__name__)

MAX_PER_POLL = 200  # a first poll of a large mailbox is spread over several polls, each job stays short
LEASE = timedelta(minutes=15)


class ImapProblem(Exception):
    """A problem already put into words for the person who configures the mailbox."""


@dataclass
class PollResult:
    fetched: int = 0
    skipped_seen: int = 0
    errors: list[str] = field(default_factory=list)


# --- polling --------------------------------------------------------------------------------------------------

def poll_mailbox(mailbox: ImapMailbox) -> PollResult:
    """Fetch the mailbox's new messages into its folder. Never raises: problems end up in result.errors and in
    mailbox.last_error."""
    result = PollResult()
    if not _claim(mailbox):
        result.errors.append(_("Une relève de cette boîte est déjà en cours."))
        return result
    uidvalidity = None
    try:
        with _session(mailbox) as box:
            uidvalidity = _select(box, mailbox.imap_folder)
            _poll_selected(box, mailbox, uidvalidity, result)
    except Exception as exc:  # the worker must go on with the other mailboxes whatever happens here
        result.errors.append(_describe(exc, mailbox))
    finally:
        _record_poll(mailbox, result, uidvalidity)
    return result


def _poll_selected(box, mailbox, uidvalidity, result):
    _forget_other_uidvalidities(mailbox, uidvalidity)
    uids = _search(box, mailbox)
    # Every record of this UIDVALIDITY rather than `uid__in=uids`: a "since" search can return more UIDs than
    # SQLite accepts as query parameters.
    recorded = set(ImapSeenMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity)
                   .values_list("uid", flat=True))
    known = recorded.intersection(uids)
    result.skipped_seen = len(known)
    done = _fetch_new(box, mailbox, uidvalidity, [uid for uid in uids if uid not in known], result)
    # A message recorded but still selected did not get its after-action (a crash, a failing MOVE): try again.
    retry = sorted(known) if _presence_means_action_missing(mailbox) else []
    if done or retry:
        try:
            _after_action(box, mailbox, done + retry)
        except Exception as exc:
            result.errors.append(_describe(exc, mailbox))


def _fetch_new(box, mailbox, uidvalidity, uids, result):
    """Accept, then record, one message at a time; stop at the first failure (the next poll goes on from there)."""
    done = []
    try:
        for uid in uids[:MAX_PER_POLL]:
            raw = _fetch_raw(box, uid)
            if raw is None:
                continue  # expunged by someone else between SEARCH and FETCH
            row = accept_email_for_folder(mailbox.folder, mailbox.module, raw, source=InboundMessage.Source.IMAP,
                                          envelope_from=_return_path(raw), envelope_to=mailbox.label)
            ImapSeenMessage.objects.get_or_create(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
                                                  defaults={"message": row})
            done.append(uid)
    except Exception as exc:
        result.errors.append(_describe(exc, mailbox))
    result.fetched = len(done)
    return done


def _presence_means_action_missing(mailbox):
    # After a move or a delete a message leaves the folder; after "mark seen" it leaves an UNSEEN search. With
    # "since" + "mark seen", a recorded message stays selected by design and needs nothing more.
    return (mailbox.after_action != ImapMailbox.AfterAction.MARK_SEEN
            or mailbox.selection == ImapMailbox.Selection.UNSEEN)


def _claim(mailbox):
    now = timezone.now()
    free = Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now)
    return bool(ImapMailbox.objects.filter(free, pk=mailbox.pk).update(poll_lease_until=now + LEASE))


def _record_poll(mailbox, result, uidvalidity):
    """A queryset update, not save(): a person editing the mailbox's settings meanwhile keeps their changes."""
    fields = {"last_polled_at": timezone.now(), "last_error": " ".join(dict.fromkeys(result.errors)),
              "poll_lease_until": None}
    if uidvalidity is not None:
        fields["last_uidvalidity"] = uidvalidity
    ImapMailbox.objects.filter(pk=mailbox.pk).update(**fields)
    for name, value in fields.items():
        setattr(mailbox, name, value)
    if result.errors:
        log.warning("IMAP mailbox %s: %s", mailbox.pk, fields["last_error"])


def _forget_other_uidvalidities(mailbox, uidvalidity):
    """Records of an older UIDVALIDITY can never match again (the server renumbered every message)."""
    ImapSeenMessage.objects.filter(mailbox=mailbox).exclude(uidvalidity=uidvalidity).delete()


# --- IMAP commands --------------------------------------------------------------------------------------------

def _select(box, folder_name):
    try:
        box.folder.set(folder_name)
    except MailboxFolderSelectError:
        raise ImapProblem(_missing_folder(folder_name)) from None
    # UIDVALIDITY comes with SELECT's answer (RFC 3501 §6.3.1); imaplib keeps it until asked.
    _code, values = box.client.response("UIDVALIDITY")
    if values and values[-1]:
        return int(values[-1])
    return int(box.folder.status(folder_name, ["UIDVALIDITY"])["UIDVALIDITY"])


def _search(box, mailbox):
    if mailbox.selection == ImapMailbox.Selection.SINCE and mailbox.since_date:
        criteria = AND(date_gte=mailbox.since_date)
    else:
        criteria = AND(seen=False)
    return sorted(int(uid) for uid in box.uids(criteria))


def _fetch_raw(box, uid):
    """The message exactly as stored on the server. BODY.PEEK[] rather than RFC822: it does not set \\Seen, so
    the after-action decides what happens to the flag."""
    typ, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise ImapProblem(_("Le serveur IMAP a refusé de transmettre le message %(uid)s.") % {"uid": uid})
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _after_action(box, mailbox, uids):
    uid_set = ",".join(str(uid) for uid in uids)
    action = mailbox.after_action
    if action == ImapMailbox.AfterAction.MOVE:
        _move(box, uid_set, mailbox.move_to.strip())
    elif action == ImapMailbox.AfterAction.DELETE:
        _delete(box, uid_set)
    else:
        # Not imap-tools' flag(): it runs EXPUNGE afterwards, which would also remove messages the user had
        # marked deleted themselves.
        _check(box.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Seen)"))


def _move(box, uid_set, destination):
    # Not imap-tools' move(): without the MOVE extension it falls back to a plain EXPUNGE (see _delete).
    if "MOVE" in box.client.capabilities:
        _check(box.client.uid("MOVE", uid_set, encode_folder(destination)))
    else:
        _check(box.client.uid("COPY", uid_set, encode_folder(destination)))
        _delete(box, uid_set)


def _delete(box, uid_set):
    _check(box.client.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)"))
    if "UIDPLUS" in box.client.capabilities:
        # UID EXPUNGE (RFC 4315) removes only our messages, not others the user had marked deleted.
        _check(box.client.uid("EXPUNGE", uid_set))
    else:
        _check(box.client.expunge())


def _check(response):
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{typ} {data!r}")


def _return_path(raw):
    """The envelope sender, as the final delivery wrote it (RFC 5321 §4.4). Only the header block is read."""
    headers = BytesHeaderParser().parsebytes(raw, headersonly=True)
    return str(headers.get("Return-Path", "")).strip().strip("<>")


# --- connection -----------------------------------------------------------------------------------------------

def _timeout():
    return getattr(settings, "IMAP_TIMEOUT_SECONDS", 30)


def _ssl_context():
    context = ssl.create_default_context()
    extra = getattr(settings, "IMAP_CA_FILE", None)
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


@contextmanager
def _session(mailbox):
    """A logged-in imap-tools mailbox, nothing selected yet. Unlike imap-tools' own `with`, a failing LOGOUT on a
    connection that already broke does not hide the error that broke it."""
    box = _connect(mailbox)
    try:
        yield box
    finally:
        try:
            box.logout()
        except Exception:
            _close_quietly(box)


def _refuse_internal_hosts(host, port):
    """A folder admin types the host: without this, collecte would probe the server's own network for them
    (the connection test tells "refused" from "timeout"). Local servers need IMAP_ALLOW_PRIVATE_HOSTS."""
    if getattr(settings, "IMAP_ALLOW_PRIVATE_HOSTS", False):
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return  # unknown host: the connection attempt says so in its own words
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise ImapProblem(_("Ce serveur IMAP est une adresse du réseau interne (%(address)s) : elle n'est pas "
                                "permise.") % {"address": address})


def _connect(mailbox):
    host = mailbox.host.strip()
    _refuse_internal_hosts(host, mailbox.port)
    if mailbox.security == ImapMailbox.Security.NONE and host.lower() not in LOCAL_HOSTS:
        # The form refuses this too; checked again so that no stored row can send a password in clear.
        raise ImapProblem(_("Sans chiffrement, seul un serveur local (localhost ou 127.0.0.1) est permis."))
    try:
        secret = mailbox.get_secret()
    except SecretUnreadable:
        raise ImapProblem(_("Le mot de passe enregistré ne peut plus être déchiffré (la clé secrète du serveur "
                            "collecte a changé) : saisissez-le à nouveau.")) from None
    box = _open(mailbox, host)
    try:
        _login(box, mailbox, secret)
        _refresh_capabilities(box)
    except BaseException:
        _close_quietly(box)
        raise
    return box


def _open(mailbox, host):
    if mailbox.security == ImapMailbox.Security.SSL:
        return MailBox(host, mailbox.port, timeout=_timeout(), ssl_context=_ssl_context())
    if mailbox.security == ImapMailbox.Security.STARTTLS:
        return MailBoxStartTls(host, mailbox.port, timeout=_timeout(), ssl_context=_ssl_context())
    return MailBoxUnencrypted(host, mailbox.port, timeout=_timeout())


def _login(box, mailbox, secret):
    try:
        if mailbox.auth == ImapMailbox.Auth.XOAUTH2:
            box.xoauth2(mailbox.username, secret, initial_folder=None)
        elif secret.isascii():
            box.login(mailbox.username, secret, initial_folder=None)
        else:
            # LOGIN's quoted strings are ASCII in imaplib; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616).
            box.login_utf8(mailbox.username, secret, initial_folder=None)
    except imaplib.IMAP4.abort:
        raise  # the connection broke: described as such, not as a refused password
    except (MailboxLoginError, imaplib.IMAP4.error):
        if mailbox.auth == ImapMailbox.Auth.XOAUTH2:
            raise ImapProblem(_("Jeton d'accès OAuth2 refusé par le serveur IMAP : il a sans doute expiré (un "
                                "jeton vit environ une heure). Collez un nouveau jeton.")) from None
        raise ImapProblem(_("Identifiant ou mot de passe refusé par le serveur IMAP.")) from None


def _refresh_capabilities(box):
    """Servers announce MOVE and UIDPLUS only once logged in (RFC 3501 §6.2.3 allows it; Dovecot does it), and
    imaplib keeps the list it got before LOGIN: without asking again we would take the slower, blunter paths."""
    typ, data = box.client.capability()
    if typ == "OK" and data and data[-1]:
        box.client.capabilities = tuple(data[-1].decode(errors="replace").upper().split())


def _close_quietly(box):
    try:
        box.client.shutdown()
    except Exception:  # closing a connection that already failed: nothing more to learn from it
        pass


# --- connection test ------------------------------------------------------------------------------------------

def test_connection(mailbox: ImapMailbox) -> tuple[bool, str]:
    """Connect, log in, look at the folder (and the move destination): (True, what was found) or (False, why)."""
    try:
        with _session(mailbox) as box:
            status = _folder_status(box, mailbox.imap_folder)
            if mailbox.after_action == ImapMailbox.AfterAction.MOVE and not box.folder.exists(mailbox.move_to):
                return False, _missing_folder(mailbox.move_to)
    except Exception as exc:
        return False, _describe(exc, mailbox)
    return True, _("Connexion réussie : %(messages)s message(s) dans « %(folder)s », dont %(unseen)s non lu(s).") % {
        "messages": status.get("MESSAGES", 0), "unseen": status.get("UNSEEN", 0), "folder": mailbox.imap_folder}


test_connection.__test__ = False  # a product function whose name pytest would otherwise collect


def _folder_status(box, folder_name):
    try:
        return box.folder.status(folder_name, ["MESSAGES", "UNSEEN"])
    except MailboxFolderStatusError:
        raise ImapProblem(_missing_folder(folder_name)) from None


def _missing_folder(name):
    return _("Le dossier « %(folder)s » n'existe pas dans cette boîte IMAP (vérifiez son nom exact, "
             "majuscules comprises).") % {"folder": name}


# --- errors in words ------------------------------------------------------------------------------------------

def _describe(exc, mailbox):
    """One sentence for the person configuring the mailbox, with the secret masked should a server echo it."""
    if isinstance(exc, ImapProblem):
        text = str(exc)
    else:
        text = _network_sentence(exc, mailbox) or _imap_sentence(exc)
        if text is None:  # ours (storage, database): the traceback helps us, the sentence helps them
            log.error("IMAP mailbox %s: unexpected %s", mailbox.pk, type(exc).__name__, exc_info=exc)
            text = _("Erreur interne pendant la relève (%(kind)s) ; elle sera retentée à la prochaine relève.") % {
                "kind": type(exc).__name__}
    return _redact(text, mailbox)


def _network_sentence(exc, mailbox):
    where = {"host": mailbox.host, "port": mailbox.port}
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _("Le certificat TLS du serveur %(host)s n'est pas valide (%(reason)s) : la connexion a été "
                 "interrompue par sécurité.") % {**where, "reason": exc.verify_message or exc.reason}
    if isinstance(exc, (ssl.SSLError, MailboxStarttlsError)):
        return _("La connexion sécurisée (TLS) avec %(host)s:%(port)s a échoué : vérifiez le mode de sécurité et "
                 "le port (SSL/TLS sur 993, STARTTLS sur 143).") % where
    if isinstance(exc, socket.gaierror):
        return _("Serveur IMAP introuvable : le nom « %(host)s » n'existe pas (vérifiez l'orthographe).") % where
    if isinstance(exc, TimeoutError):
        return _("Le serveur IMAP %(host)s:%(port)s ne répond pas (délai de %(seconds)s s dépassé) : vérifiez "
                 "l'adresse, le port et le mode de sécurité.") % {**where, "seconds": _timeout()}
    if isinstance(exc, ConnectionRefusedError):
        return _("Le serveur %(host)s refuse la connexion sur le port %(port)s : vérifiez le port.") % where
    if isinstance(exc, OSError):
        return _("Connexion impossible au serveur IMAP %(host)s:%(port)s (%(reason)s).") % {
            **where, "reason": exc.strerror or type(exc).__name__}
    return None


def _imap_sentence(exc):
    if isinstance(exc, imaplib.IMAP4.abort):
        return _("Le serveur IMAP a interrompu la connexion ; la relève reprendra à la prochaine tentative.")
    if isinstance(exc, imaplib.IMAP4.error) and "STARTTLS" in str(exc):
        return _("Ce serveur ne propose pas STARTTLS : choisissez SSL/TLS (port 993).")
    if isinstance(exc, (imaplib.IMAP4.error, ImapToolsError)):
        return _("Le serveur IMAP a refusé une commande : %(reply)s") % {"reply": _server_reply(exc)}
    if isinstance(exc, ValueError) and "993" in str(exc):  # imap-tools refuses STARTTLS on the SSL port
        return _("Le port 993 s'utilise avec SSL/TLS ; STARTTLS se fait sur le port 143.")
    return None


def _server_reply(exc):
    data = getattr(exc, "command_result", (None, [str(exc)]))[1]
    parts = [part.decode(errors="replace") if isinstance(part, bytes) else str(part) for part in data or []]
    return " ".join(parts)[:300]


def _redact(text, mailbox):
    try:
        secret = mailbox.get_secret() if mailbox.secret_encrypted else ""
    except SecretUnreadable:
        return text
    return text.replace(secret, "•••") if len(secret) >= 4 else text
