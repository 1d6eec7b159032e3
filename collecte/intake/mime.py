"""MIME walk: one raw email in, the documents it carries (and what was skipped, with why) out.

Pure code: bytes to dataclasses, no ORM, no settings. It must never raise, whatever arrives: real senders produce
missing boundaries, bad charsets, broken base64, illegal encoded words. Where the stdlib parser gives up, we salvage
what we can and record a SkippedPart("unreadable") for what is lost. The file handling shared with uploads (sniffing,
PDF inspection, ZIP, TNEF, e-invoice XML pairing) lives in files.py.
"""
from __future__ import annotations

import base64
import binascii
import email.header
import email.utils
import quopri
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from html.parser import HTMLParser

# Origin labels are shown to French-first users as they are ("d'où vient ce fichier").
ATTACHMENT = "pièce jointe"
INLINE = "inline"
FORWARDED = "message transféré"


@dataclass
class FilePart:
    filename: str
    content: bytes
    content_type: str
    kind: str  # "pdf" | "image" | "xml" | "other"
    origin: str
    einvoice_xml: bytes | None = None
    einvoice_xml_name: str | None = None
    flags: list[str] = field(default_factory=list)  # "encrypted", "repaired", "corrupt"


@dataclass
class SkippedPart:
    filename: str
    content_type: str
    reason: str  # stable code, see files.REASONS
    detail: str = ""
    origin: str = ""  # where it was (same form as FilePart.origin); an addition to the contract, for the log


@dataclass
class WalkResult:
    files: list[FilePart]
    skipped: list[SkippedPart]
    message_id: str = ""
    subject: str = ""
    from_header: str = ""
    date_header: str = ""
    body_text: str = ""
    body_html: str = ""


@dataclass(frozen=True)
class Limits:
    """Generous bounds: a real invoice mail never comes near them, a hostile one stops at them."""

    max_depth: int = 5  # containers inside containers: forwarded messages, ZIPs, winmail.dat
    zip_max_files: int = 500  # documents in one archive (directories and macOS droppings not counted)
    zip_max_total_bytes: int = 200 * 1024 * 1024  # uncompressed, per archive and for all archives of one message
    zip_max_ratio: int = 100  # uncompressed/compressed, per member larger than 1 MiB
    tiny_image_bytes: int = 2048  # images smaller than this, or under tiny_image_px on a side, are not receipts
    tiny_image_px: int = 16
    # An image referenced from the HTML (cid:) is a logo, unless it is as big as a photo: iOS Mail and Outlook also
    # reference pasted photos of receipts by cid, and no signature logo is 1000 px wide.
    logo_max_px: int = 1000
    # Nested multiparts walked recursively; deeper ones (crafted, no mailer does this) are walked flat, leaf by leaf.
    max_multipart_depth: int = 60


_PARSER = BytesParser(policy=policy.default)


def parse_bytes(raw: bytes) -> Message | None:
    """The stdlib parse, or None when it fails outright (it recurses per nesting level, so a crafted message can
    exhaust the stack)."""
    try:
        return _PARSER.parsebytes(raw)
    except Exception:  # RecursionError included: never let a message crash the worker
        return None


def walk_message(raw: bytes, limits: Limits = Limits()) -> WalkResult:
    """Every document in the message, attached or inline, nested or archived, plus every part skipped and why."""
    from collecte.intake import files

    ctx = files.Collector(limits)
    result = WalkResult(files=ctx.files, skipped=ctx.skipped)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    try:
        _walk(ctx, raw or b"", result)
    except Exception as e:  # each part is already guarded; this is the last net, so the worker never crashes
        ctx.skip("message.eml", "message/rfc822", "unreadable", f"walk stopped early: {type(e).__name__}")
    files.finish(ctx)
    return result


def _walk(ctx, raw: bytes, result: WalkResult) -> None:
    from collecte.intake import files

    msg = parse_bytes(raw)
    if msg is None:
        ctx.skip("message.eml", "message/rfc822", "unreadable", "the message structure could not be parsed")
        files.salvage_pdfs_from_text(ctx, raw.decode("ascii", "surrogateescape"), (), 0)
        return
    result.message_id = header(msg, "message-id")
    result.subject = header(msg, "subject")
    result.from_header = header(msg, "from")
    result.date_header = header(msg, "date")
    bodies = _Bodies()
    ctx.logo_cids = cid_references(msg)
    walk_entity(ctx, msg, (), 0, bodies)
    result.body_text, result.body_html = bodies.text(), bodies.html()


def walk_nested_message(ctx, msg: Message, trail: tuple[str, ...], depth: int, label: str,
                        scan_cids: bool = True) -> None:
    """A message inside a message (forward as attachment, .eml in a ZIP): its parts count, its bodies do not."""
    if depth + 1 > ctx.limits.max_depth:
        name = header(msg, "subject") or "message.eml"
        ctx.skip(name, "message/rfc822", "nesting_limit",
                 f"message nested {depth + 1} levels deep, limit {ctx.limits.max_depth}", trail)
        return
    if scan_cids:  # a message from a ZIP or an .eml file; a MIME-nested one was scanned with its parent
        ctx.logo_cids |= cid_references(msg)
    walk_entity(ctx, msg, trail + (label,), depth + 1, None)


def walk_entity(ctx, part: Message, trail: tuple[str, ...], depth: int, bodies, mp_depth: int = 0) -> None:
    """Depth-first over the MIME tree. Only the outer message's text parts are collected as bodies."""
    ctype = content_type(part)
    try:
        if ctype in _MESSAGE_TYPES and part.is_multipart():
            inner = _encoded_inner_message(part) or part.get_payload(0)
            walk_nested_message(ctx, inner, trail, depth, FORWARDED, scan_cids=False)
            return
        if part.is_multipart():
            if mp_depth >= ctx.limits.max_multipart_depth:  # crafted, not mailed: flatten instead of recursing
                for leaf in iter_leaves(part):
                    walk_leaf(ctx, leaf, content_type(leaf), trail, depth, None)
                return
            if ctype.startswith("message/"):  # delivery-status and friends: header blocks, not documents
                ctx.skip("", ctype, "unsupported_type", _MESSAGE_DETAILS.get(ctype, ctype), trail)
                return
            for sub in part.get_payload():
                walk_entity(ctx, sub, trail, depth, bodies, mp_depth + 1)
            return
        if ctype.startswith("multipart/") and _salvage_multipart(ctx, part, ctype, trail, depth, bodies, mp_depth):
            return
        walk_leaf(ctx, part, ctype, trail, depth, bodies)
    except RecursionError:
        ctx.skip("", ctype, "nesting_limit", "MIME structure too deeply nested to walk", trail)
    except Exception as e:  # a bug or a parser surprise must cost one part, not the message
        ctx.skip(safe_filename(part), ctype, "unreadable", f"part could not be read: {type(e).__name__}", trail)


def _encoded_inner_message(part: Message) -> Message | None:
    """Exchange base64-encodes attached messages, which RFC 2046 forbids; the parser then reads the base64 text
    as a message without headers. Decode it and parse again."""
    cte = _transfer_encoding(part)
    inner = part.get_payload(0)
    if cte not in ("base64", "quoted-printable") or len(inner.keys()) > 0 or not isinstance(inner.get_payload(), str):
        return None
    raw = _to_bytes(inner.get_payload())
    data = b64decode_lenient(raw)[0] if cte == "base64" else quopri.decodestring(raw)
    return parse_bytes(data)


_MESSAGE_TYPES = {"message/rfc822", "message/global", "message/news"}
_MESSAGE_DETAILS = {
    "message/delivery-status": "delivery status report (a bounce)",
    "message/disposition-notification": "read receipt",
    "message/feedback-report": "spam complaint report",
    "message/external-body": "reference to content stored outside the message",
    "message/partial": "fragment of a message split over several emails",
}

_BOUNDARY_LINE = re.compile(r"^--([^\s\"]{1,100}?)(--)?[ \t]*\r?$", re.M)


def _salvage_multipart(ctx, part, ctype, trail, depth, bodies, mp_depth) -> bool:
    """A multipart whose boundary is missing or wrong: the parser keeps its body as one text blob. If the body has
    lines that look like boundaries, re-parse it with the most frequent one (Content-Type header rewritten)."""
    body = part.get_payload()
    if not isinstance(body, str):
        return False
    counts: dict[str, int] = {}
    for m in _BOUNDARY_LINE.finditer(body):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    if not counts:
        return False
    boundary = max(counts, key=counts.get)
    rebuilt = f'Content-Type: {ctype}; boundary="{boundary}"\r\n\r\n'.encode() + _to_bytes(body)
    fixed = parse_bytes(rebuilt)
    if fixed is None or not fixed.is_multipart():
        return False
    for sub in fixed.get_payload():
        walk_entity(ctx, sub, trail, depth, bodies, mp_depth + 1)
    return True


# Alternative renderings of the body that are neither plain nor HTML: not documents, not worth a log line.
_BODY_ALTERNATIVES = {"text/plain", "text/html", "text/enriched", "text/richtext", "text/watch-html",
                      "text/x-amp-html"}


def walk_leaf(ctx, part: Message, ctype: str, trail: tuple[str, ...], depth: int, bodies) -> None:
    from collecte.intake import files

    if ctype.startswith("multipart/"):
        ctype = "text/plain"  # a "multipart" with no parts at all is text to the reader
    name = safe_filename(part)
    disposition = _disposition(part)
    is_attachment = disposition == "attachment" or bool(name)
    data, trouble = decode_payload(part)
    if ctype in _BODY_ALTERNATIVES and not is_attachment and not files.is_binary_document(data):
        text = decode_text(data, _charset(part))
        if bodies is not None:
            bodies.add(ctype, text)
        files.salvage_pdfs_from_text(ctx, text, trail, depth)
        return
    files.handle_file(ctx, data, name=name, declared_type=ctype, trail=trail,
                      leaf=ATTACHMENT if is_attachment else INLINE, depth=depth,
                      content_id=_content_id(part), trouble=trouble)


class _Bodies:
    """Apple Mail splits a body around inline attachments into several text parts: keep them all, in order."""

    def __init__(self):
        self.plain: list[str] = []
        self.htmls: list[str] = []

    def add(self, ctype: str, text: str) -> None:
        if ctype == "text/plain":
            self.plain.append(text)
        elif ctype == "text/html":
            self.htmls.append(text)

    def html(self) -> str:
        return "\n".join(self.htmls)

    def text(self) -> str:
        plain = "\n".join(t.strip("\r\n") for t in self.plain).strip()
        return plain or html_to_text(self.html())


# ---- headers -------------------------------------------------------------------------------------------------


def header(msg: Message, name: str) -> str:
    """A decoded header value, "" when absent. policy.default parses lazily and can raise on odd addresses; the raw
    value, decoded word by word, is the fallback."""
    try:
        value = msg.get(name)
        if value is None:
            return ""
        return _clean_header(str(value))
    except Exception:
        pass
    try:
        for key, raw in msg.raw_items():
            if key.lower() == name.lower():
                return _clean_header(decode_words(str(raw)))
    except Exception:
        pass
    return ""


def _clean_header(value: str) -> str:
    return " ".join(fix_surrogates(value).split())


def decode_words(value: str) -> str:
    """RFC 2047 encoded words, also where they are illegal (inside a quoted filename); unknown charsets → UTF-8."""
    if "=?" not in value:
        return value
    try:
        chunks = email.header.decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(decode_text(chunk, charset))
    return "".join(out)


def fix_surrogates(value: str) -> str:
    """The bytes parser keeps undecodable 8-bit header bytes as surrogates: senders put raw UTF-8 or Latin-1 there."""
    if not any("\udc80" <= c <= "\udcff" for c in value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a broken tail: Yahoo cuts long names in the middle of a character.
    lenient = raw.decode("utf-8", "replace")
    if lenient.count("\ufffd") <= max(1, len(lenient) // 50):
        return lenient.replace("\ufffd", "")
    return raw.decode("cp1252", "replace")


def content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:
        return None


def _content_id(part: Message) -> str | None:
    try:
        value = part.get("content-id")
    except Exception:
        return None
    if not value:
        return None
    return str(value).strip().strip("<>").strip().lower() or None


_RAW_PARAM = re.compile(r"""(?:file)?name\*?(?:\*\d+\*?)?\s*=\s*("[^"]*"|[^;\r\n]+)""", re.I)


def safe_filename(part: Message) -> str:
    """The part's file name, decoded: RFC 2231 (filename*=UTF-8''...), RFC 2047 (also illegally inside quotes),
    raw 8-bit bytes (UTF-8, else Windows-1252). Falls back to Content-Type's name=. "" when there is none."""
    name = ""
    try:
        name = part.get_filename() or part.get_param("name", header="content-type") or ""
        if isinstance(name, tuple):  # an RFC 2231 value the stdlib left undecoded
            name = email.utils.collapse_rfc2231_value(name)
    except Exception:
        name = ""
    raw = _raw_filename(part)
    # The stdlib loses raw 8-bit names (U+FFFD) and cuts unquoted names at the first space ("This is a test.txt").
    if raw and (not name or "\ufffd" in name or (raw.startswith(name) and len(raw) > len(name))):
        name = raw
    return decode_words(fix_surrogates(str(name))).strip()


def _raw_filename(part: Message) -> str:
    """Reads the name straight from the raw header when the stdlib could not (it replaces raw 8-bit with U+FFFD)."""
    try:
        for key, raw in part.raw_items():
            if key.lower() in ("content-disposition", "content-type"):
                m = _RAW_PARAM.search(str(raw))
                if m and "*" not in m.group(0).split("=")[0]:
                    return fix_surrogates(m.group(1).strip().strip('"'))
    except Exception:
        pass
    return ""


# ---- bodies --------------------------------------------------------------------------------------------------


def _to_bytes(payload) -> bytes:
    if isinstance(payload, bytes):
        return payload
    try:
        return payload.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return payload.encode("utf-8", "surrogateescape")


def _transfer_encoding(part: Message) -> str:
    """Normalised Content-Transfer-Encoding: senders write "Base64", "base64;", '"base64"', "7-bit"."""
    try:
        raw = str(part.get("content-transfer-encoding", "") or "")
    except Exception:
        return ""
    return raw.strip().strip(";\"' ").lower().split(";")[0].strip()


def decode_payload(part: Message) -> tuple[bytes, str]:
    """The part's bytes, decoded leniently; the second value says what was wrong ("" when nothing was)."""
    try:
        payload = part.get_payload()
    except Exception:
        return b"", "payload unreadable"
    if isinstance(payload, list):
        return b"", "unexpected nested payload"
    raw = _to_bytes(payload or "")
    cte = _transfer_encoding(part)
    if cte == "base64":
        return b64decode_lenient(raw)
    if cte in ("quoted-printable", "quoted_printable", "qp"):
        return quopri.decodestring(raw), ""
    if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return uudecode_lenient(raw)
    return raw, ""


_B64_ALPHABET = re.compile(rb"[^A-Za-z0-9+/]")


def b64decode_lenient(raw: bytes) -> tuple[bytes, str]:
    """Strict first. Else keep the base64-looking lines only (a mailing-list footer after the data is common), drop
    stray characters, fix the padding."""
    compact = b"".join(raw.split())
    try:
        return base64.b64decode(compact, validate=True), ""
    except (binascii.Error, ValueError):
        pass
    kept = []
    for line in raw.splitlines():
        line = line.strip()
        if not line:
            continue
        bad = len(_B64_ALPHABET.sub(b"", line.rstrip(b"=")))
        looks_b64 = b" " not in line and bad >= 0.9 * len(line.rstrip(b"="))
        if not looks_b64:
            if kept:
                break
            continue
        kept.append(_B64_ALPHABET.sub(b"", line.rstrip(b"=")))
    data = b"".join(kept)
    data = data[: len(data) - (len(data) % 4 == 1)]
    data += b"=" * (-len(data) % 4)
    try:
        return base64.b64decode(data), "damaged base64 (decoded leniently)"
    except (binascii.Error, ValueError):
        return b"", "base64 could not be decoded"


def uudecode_lenient(raw: bytes) -> tuple[bytes, str]:
    out, inside = [], False
    for line in raw.splitlines():
        if not inside:
            inside = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`"):
            if line.strip() == b"end":
                break
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            return b"".join(out), "damaged uuencode"
    return b"".join(out), "" if inside else "uuencode without a begin line"


# Charset names seen in the wild that Python does not know under that name.
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "gb2312": "gb18030", "gbk": "gb18030", "x-sjis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8", "windows-874": "cp874", "unicode-1-1-utf-7": "utf-7", "x-user-defined": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-1": "cp1252", "latin1": "cp1252",
}


def decode_text(data: bytes, charset: str | None) -> str:
    """Text in its declared charset; declared charsets lie (ASCII with 8-bit bytes, unknown names): then UTF-8,
    then Windows-1252, which maps every byte."""
    name = (charset or "utf-8").strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    for candidate in (name, "utf-8"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", "replace")


class _TextExtractor(HTMLParser):
    _BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
               "header", "footer", "blockquote", "pre", "hr"}
    _HIDDEN = {"script", "style", "head", "title", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._HIDDEN:
            self.hidden += 1
        elif tag in self._BLOCKS:
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append("\t")

    def handle_endtag(self, tag):
        if tag in self._HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, for receipts that live in the body (amounts, dates)."""
    if not html:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    text = "\n".join(lines)
    return re.sub(r"\n{2,}", "\n", text).strip()


# ---- cid references ------------------------------------------------------------------------------------------

_CID_REF = re.compile(r"""cid:([^"'\s>)]+)""", re.I)


def iter_leaves(msg: Message, max_parts: int = 10000):
    """Leaf parts of the whole tree, nested messages included, without recursion (a crafted message can be deep)."""
    stack, seen = [msg], 0
    while stack and seen < max_parts:
        part = stack.pop()
        seen += 1
        try:
            if part.is_multipart():
                stack.extend(reversed(part.get_payload()))
                continue
        except Exception:
            continue
        yield part


def cid_references(msg: Message) -> set[str]:
    """Content-IDs that an HTML body shows as images (<img src="cid:...">): logos and signatures, not documents."""
    from urllib.parse import unquote

    refs: set[str] = set()
    for part in iter_leaves(msg):
        if content_type(part) != "text/html":
            continue
        html = decode_text(decode_payload(part)[0], _charset(part))
        refs.update(unquote(m.group(1)).strip("<>").lower() for m in _CID_REF.finditer(html))
    return refs


def message_texts(msg: Message) -> list[tuple[str, str]]:
    """(content type, text) of every text/plain and text/html part, nested ones included, for recognisers that read
    the words of a message (forwarding confirmations)."""
    texts = []
    for part in iter_leaves(msg):
        ctype = content_type(part)
        if ctype in ("text/plain", "text/html"):
            texts.append((ctype, decode_text(decode_payload(part)[0], _charset(part))))
    return texts

