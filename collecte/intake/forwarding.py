"""Recognise forwarding-verification messages (Gmail, Google Workspace), so they are relayed to a person at once
instead of becoming documents.

Gmail sends one when a user adds one of our addresses as a forwarding target: older messages carry a confirmation
code in the subject ("(#99427480) Gmail Forwarding Confirmation - Receive Mail from x") and the body; newer ones only
a link. The wording is in the requester's language, so recognition rests on what does not change: the sender
(forwarding-noreply@google.com), the X-Google-Address-Confirmation header and the link's shape
(https://mail-settings.google.com/mail/vf-..., cancel .../uf-...). Outlook.com and Microsoft 365 send nothing to the
target address (see the corpus SOURCES.md), so there is nothing to recognise for them. Pure code, never raises.
"""
from __future__ import annotations

import email.utils
import html
import re
from dataclasses import dataclass

from collecte.intake.mime import header, html_to_text, message_texts, parse_bytes

GOOGLE_SENDERS = {"forwarding-noreply@google.com", "forwarding-noreply@googlemail.com"}
CONSUMER_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}

_LINK = re.compile(r"https?://(?:mail-settings|mail)\.google\.com/mail/(?:u/\d+/)?(?P<kind>vf|uf)-[^\s\"'<>]+", re.I)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_SUBJECT_CODE = re.compile(r"\(#\s*(\d{5,12})\)")
# "Confirmation code: 99427480", "Code de confirmation : …", "Bestätigungscode: …", "código de confirmación: …"
_BODY_CODE = re.compile(r"(?:code|c[oó]digo|codice|kod|kode|koodi|コード|代码|確認碼|код)\b[^\d\n]{0,40}?(\d{6,12})\b",
                        re.I)

# Phrases of the Gmail message per language (subject or body), most specific first. English last: a translated
# message can still quote the English product name.
_LANGUAGE_HINTS = (
    ("fr", ("confirmation de transfert", "code de confirmation", "transférer automatiquement")),
    ("de", ("weiterleitungsbestätigung", "bestätigungscode", "automatisch weiterleiten")),
    ("es", ("confirmación de reenvío", "código de confirmación")),
    ("pt", ("confirmação de encaminhamento", "código de confirmação")),
    ("it", ("conferma di inoltro", "conferma inoltro", "codice di conferma")),
    ("nl", ("bevestiging voor doorsturen", "bevestigingscode")),
    ("ja", ("転送の確認",)),
    ("en", ("forwarding confirmation", "confirmation code", "has requested to automatically forward")),
)


@dataclass
class ForwardingConfirmation:
    provider: str  # "gmail" | "google_workspace" | "outlook" | "yahoo" | "other"
    requester: str
    target: str
    code: str | None
    confirm_url: str | None
    cancel_url: str | None
    language: str | None


def detect_forwarding_confirmation(raw: bytes) -> ForwardingConfirmation | None:
    """The confirmation's facts, or None for any other message (invoices, Google's own invoices included)."""
    try:
        return _detect(raw)
    except Exception:  # recognition is an optimisation; a message it cannot read goes down the normal path
        return None


def _detect(raw: bytes) -> ForwardingConfirmation | None:
    msg = parse_bytes(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape"))
    if msg is None:
        return None
    sender = _first_address(header(msg, "from"))
    subject = header(msg, "subject")
    text = _readable_text(msg)
    confirm_url, cancel_url = _links(text)
    has_google_header = bool(header(msg, "x-google-address-confirmation"))
    if not (sender in GOOGLE_SENDERS or confirm_url or has_google_header):
        return None
    target = _target(msg, text)
    requester = _requester(subject, text, target)
    return ForwardingConfirmation(
        provider=_provider(requester),
        requester=requester,
        target=target,
        code=_code(subject, text),
        confirm_url=confirm_url,
        cancel_url=cancel_url,
        language=_language(subject, text) or _content_language(msg),
    )


def _readable_text(msg) -> str:
    """Plain parts as they are, HTML parts both unescaped (for href links) and as text (for sentences)."""
    chunks = []
    for ctype, text in message_texts(msg):
        if ctype == "text/html":
            chunks.append(html.unescape(text))
            chunks.append(html_to_text(text))
        else:
            chunks.append(text)
    return "\n".join(chunks)


def _clean_url(url: str) -> str:
    return url.rstrip(".,;:)]>\"'")


def _links(text: str) -> tuple[str | None, str | None]:
    confirm = cancel = None
    for m in _LINK.finditer(text):
        url = _clean_url(m.group(0))
        if m.group("kind").lower() == "vf" and confirm is None:
            confirm = url
        elif m.group("kind").lower() == "uf" and cancel is None:
            cancel = url
    return confirm, cancel


def _first_address(value: str) -> str:
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:
        pairs = []
    for _, addr in pairs:
        if "@" in addr:
            return addr.strip().lower()
    m = _EMAIL.search(value or "")
    return m.group(0).lower() if m else ""


def _emails_in(text: str) -> list[str]:
    seen: list[str] = []
    for m in _EMAIL.finditer(text or ""):
        addr = m.group(0).strip(".").lower()
        if addr not in seen:
            seen.append(addr)
    return seen


def _is_google_own(addr: str) -> bool:
    return addr in GOOGLE_SENDERS or addr.endswith("@google.com")


def _target(msg, text: str) -> str:
    """The address mail will be forwarded to: the recipient named in the body (a mailing list or a manual forward
    changes To:), else To:."""
    body_addresses = _emails_in(text)
    recipients = [_first_address(header(msg, name)) for name in ("to", "delivered-to", "x-original-to")]
    for addr in recipients:
        if addr and addr in body_addresses:
            return addr
    m = re.search(r"to your (?:email )?address\s+(" + _EMAIL.pattern + ")", text, re.I)
    if m:
        return m.group(1).strip(".").lower()
    return next((a for a in recipients if a), "")


def _requester(subject: str, text: str, target: str) -> str:
    """Who asked: named in the subject ("Receive Mail from x", in any language) or, in the newer format, the first
    address in the body that is neither the target nor Google's own."""
    for addr in _emails_in(subject) + _emails_in(text):
        if addr != target and not _is_google_own(addr):
            return addr
    return ""


def _code(subject: str, text: str) -> str | None:
    m = _SUBJECT_CODE.search(subject or "")
    if m:
        return m.group(1)
    without_links = _LINK.sub(" ", text)
    without_links = re.sub(r"https?://\S+", " ", without_links)
    m = _BODY_CODE.search(without_links)
    return m.group(1) if m else None


def _provider(requester: str) -> str:
    domain = requester.rsplit("@", 1)[-1] if "@" in requester else ""
    if domain and domain not in CONSUMER_GMAIL_DOMAINS:
        return "google_workspace"  # a company domain hosted by Google: same message, same sender
    return "gmail"


def _language(subject: str, text: str) -> str | None:
    haystack = f"{subject}\n{text}".lower()
    for language, phrases in _LANGUAGE_HINTS:
        if any(p in haystack for p in phrases):
            return language
    return None


def _content_language(msg) -> str | None:
    value = header(msg, "content-language")
    return value[:2].lower() if value else None
