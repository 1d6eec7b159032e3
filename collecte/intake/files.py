"""What to do with one file's bytes, wherever they came from (an email part, a ZIP member, winmail.dat, an upload).

The type is sniffed from the bytes (python-magic plus a PDF header check), never taken from headers or names: PDFs
arrive as application/octet-stream, named .dat, or not named at all, and an "x.pdf" can be an HTML error page.
Archives are opened in memory only, within Limits, and are either taken whole or skipped whole.
"""
from __future__ import annotations

import io
import mimetypes
import posixpath
import re
import unicodedata
import zipfile
import zlib

import magic
from lxml import etree
from PIL import Image

from collecte.intake import pdf as pdf_checks
from collecte.intake.mime import FilePart, Limits, SkippedPart, WalkResult

try:  # iPhone photos of receipts are HEIC; without the plugin Pillow cannot even read their size
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a dependency; degrade to "size unknown"
    pass

REASONS = ("inline_logo", "tiny_image", "tracking_pixel", "signature", "calendar", "vcard", "unsupported_type",
           "empty", "zip_limit", "nesting_limit", "unreadable")

UPLOAD = "fichier déposé"

IMAGE_TYPES = {"image/jpeg", "image/pjpeg", "image/png", "image/tiff", "image/heic", "image/heif",
               "image/heic-sequence", "image/heif-sequence", "image/avif", "image/gif", "image/webp", "image/bmp",
               "image/x-ms-bmp"}
ZIP_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
TNEF_TYPES = {"application/vnd.ms-tnef", "application/ms-tnef"}
XML_TYPES = {"text/xml", "application/xml"}
SIGNATURE_TYPES = {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
CALENDAR_TYPES = {"text/calendar", "application/ics", "text/x-vcalendar"}
VCARD_TYPES = {"text/vcard", "text/x-vcard", "text/directory"}
MESSAGE_TYPES = {"message/rfc822", "message/global"}
# Files that archivers add and nobody sends on purpose: ignored without a log line.
_ARCHIVE_JUNK = {".ds_store", "thumbs.db", "desktop.ini"}
_RATIO_FLOOR = 1024 * 1024  # text and blank PDFs compress 100:1 too; only big members can be bombs


class Collector:
    """Accumulates one walk's results, with what every step needs to know (limits, logo cids, archive budget)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.files: list[FilePart] = []
        self.skipped: list[SkippedPart] = []
        self.logo_cids: set[str] = set()
        self.archive_bytes = 0  # uncompressed bytes taken out of archives so far, all archives of this walk

    def skip(self, filename: str, content_type: str, reason: str, detail: str = "", trail: tuple = ()) -> None:
        assert reason in REASONS, reason
        self.skipped.append(SkippedPart(filename=clean_filename(filename), content_type=content_type, reason=reason,
                                        detail=detail, origin=" > ".join(trail)))


def files_from_upload(filename: str, content: bytes, limits: Limits = Limits()) -> WalkResult:
    """The file handling of the MIME walk for one uploaded file: sniffing, ZIP extraction, XML pairing, PDF checks.
    An uploaded .eml is walked as a message."""
    ctx = Collector(limits)
    try:
        handle_file(ctx, content or b"", name=filename, declared_type="", trail=(), leaf=UPLOAD, depth=0)
    except Exception as e:  # the walk is best effort by contract: one bad file must not raise
        ctx.skip(filename, "application/octet-stream", "unreadable", f"file could not be read: {type(e).__name__}")
    finish(ctx)
    return WalkResult(files=ctx.files, skipped=ctx.skipped)


def finish(ctx: Collector) -> None:
    pair_einvoice_xml(ctx.files)


# ---- sniffing ------------------------------------------------------------------------------------------------


# What libmagic calls bytes it cannot place; a PDF header behind such a prefix is still a PDF.
_UNPLACED = {"application/octet-stream", "text/plain", "application/x-empty", "text/html"}


def looks_like_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


def sniff(data: bytes) -> str:
    if looks_like_pdf(data):
        return "application/pdf"
    if not data:
        return "application/x-empty"
    try:
        found = (magic.from_buffer(data, mime=True) or "application/octet-stream").lower()
    except Exception:
        found = "application/octet-stream"
    # Readers accept the header anywhere in the first KiB and some generators prepend junk (a BOM, blank lines,
    # HTTP headers). Only when libmagic placed nothing else: a ZIP or winmail.dat holding a PDF has it there too.
    if found in _UNPLACED and b"%PDF-" in data[:1024]:
        return "application/pdf"
    return found


# Leading bytes of the binary documents a text body part can turn out to be. Checked by hand, not with libmagic:
# a message can hold thousands of body parts (flanker's enclosed-endless.eml has 3,000).
_DOCUMENT_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"II*\x00", b"MM\x00*", b"BM", b"PK\x03\x04",
                        b"\x78\x9f\x3e\x22")


def is_binary_document(data: bytes) -> bool:
    """True when a part declared as a text body is really a document (a PDF sent as text/plain, inline)."""
    if not data:
        return False
    if data.startswith(_DOCUMENT_SIGNATURES):
        return True
    if b"%PDF-" in data[:1024]:
        return sniff(data) == "application/pdf"
    return data[4:8] == b"ftyp" or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")  # HEIC/AVIF, WebP


# ---- names ---------------------------------------------------------------------------------------------------

_DEFAULT_EXT = {"image/jpeg": ".jpg", "image/pjpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif",
                "image/heic": ".heic", "image/heif": ".heif", "image/gif": ".gif", "image/webp": ".webp",
                "image/bmp": ".bmp", "image/x-ms-bmp": ".bmp", "image/avif": ".avif"}


def clean_filename(name: str | None, max_len: int = 200) -> str:
    """A display name: no directory part, no control or bidi characters (U+202E disguises "exe.pdf"), NFC (macOS
    sends decomposed accents), at most max_len characters with the extension kept."""
    if not name:
        return ""
    from collecte.intake.mime import decode_words, fix_surrogates

    name = decode_words(fix_surrogates(str(name)))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(c) == "Zs" else c for c in name
                   if unicodedata.category(c)[0] != "C" and unicodedata.category(c) not in ("Zl", "Zp"))
    name = unicodedata.normalize("NFC", " ".join(name.split())).strip(" .")
    if len(name) > max_len:
        stem, ext = posixpath.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: max_len - len(ext)].rstrip() + ext
    return name


def default_name(kind: str, sniffed: str) -> str:
    """A name for a nameless part, from its type only: the subject is not a file name and may hold anything."""
    if kind == "pdf":
        return "document.pdf"
    if kind == "image":
        return "image" + _DEFAULT_EXT.get(sniffed, ".img")
    if kind == "xml":
        return "document.xml"
    return "document" + (mimetypes.guess_extension(sniffed) or ".bin")


def _ext(name: str) -> str:
    return posixpath.splitext(name.lower())[1]


# ---- dispatch ------------------------------------------------------------------------------------------------


def handle_file(ctx: Collector, data: bytes, *, name: str, declared_type: str, trail: tuple, leaf: str, depth: int,
                content_id: str | None = None, trouble: str = "") -> None:
    """Route one file to its handler by sniffed type. Documents win over declared types: a PDF declared as a
    signature or a calendar is still a PDF."""
    name = clean_filename(name)
    declared = (declared_type or "").lower()
    sniffed = sniff(data)
    where = trail + (leaf,)
    ext = _ext(name)
    if not data.strip():
        reason = "unreadable" if trouble else "empty"
        ctx.skip(name, declared or sniffed, reason, f"{len(data)} bytes" + (f"; {trouble}" if trouble else ""),
                 where)
    elif sniffed == "application/pdf":
        _add_pdf(ctx, data, name, where)
    elif sniffed in IMAGE_TYPES:
        _add_image(ctx, data, sniffed, name, where, content_id)
    elif sniffed in ZIP_TYPES:
        _open_zip(ctx, data, name or "archive.zip", trail, where, depth)
    elif sniffed in TNEF_TYPES or declared in TNEF_TYPES or name.lower() == "winmail.dat":
        _open_tnef(ctx, data, name or "winmail.dat", sniffed, trail, where, depth)
    elif sniffed in MESSAGE_TYPES or declared in MESSAGE_TYPES or ext == ".eml":
        _open_message(ctx, data, name, sniffed, trail, leaf, depth)
    elif sniffed in XML_TYPES or ext == ".xml" or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        _add_xml(ctx, data, name, sniffed, where)
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and einvoice_syntax(data):
        _add_xml(ctx, data, name, sniffed, where)  # no XML declaration, and libmagic said HTML or text
    else:
        _skip_other(ctx, data, name, sniffed, declared, where, trouble)


def _skip_other(ctx, data, name, sniffed, declared, where, trouble) -> None:
    ext = _ext(name)
    if declared in SIGNATURE_TYPES or "pkcs7-signature" in sniffed or ext in (".p7s", ".sig") \
            or (declared == "application/octet-stream" and ext == ".asc"):
        ctx.skip(name, declared or sniffed, "signature", "digital signature of the message", where)
    elif declared in CALENDAR_TYPES or sniffed in CALENDAR_TYPES or ext in (".ics", ".vcs"):
        ctx.skip(name, declared or sniffed, "calendar", "calendar invitation", where)
    elif declared in VCARD_TYPES or sniffed in VCARD_TYPES or ext == ".vcf":
        ctx.skip(name, declared or sniffed, "vcard", "contact card", where)
    elif trouble and sniffed in ("application/octet-stream", "text/plain", "application/x-empty"):
        ctx.skip(name, declared or sniffed, "unreadable", f"{trouble}; {len(data)} bytes left, not a document",
                 where)
    else:
        detail = sniffed
        if ext == ".pdf" or declared == "application/pdf":
            detail += ", named or declared as a PDF but the content is not one"
        elif declared and declared != sniffed:
            detail += f" (declared {declared})"
        ctx.skip(name, sniffed, "unsupported_type", detail, where)


# ---- documents -----------------------------------------------------------------------------------------------


def _add_pdf(ctx: Collector, data: bytes, name: str, where: tuple) -> None:
    content, flags = pdf_checks.inspect_pdf(data)
    ctx.files.append(FilePart(filename=name or default_name("pdf", ""), content=content,
                              content_type="application/pdf", kind="pdf", origin=" > ".join(where), flags=flags))


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as im:  # lazy: reads the header, not the pixels
            return im.size
    except Exception:  # unreadable, or over Pillow's decompression-bomb guard: size unknown, keep the image
        return None


def _add_image(ctx: Collector, data: bytes, sniffed: str, name: str, where: tuple, content_id: str | None) -> None:
    limits, size = ctx.limits, image_size(data)
    dims = f"{size[0]}x{size[1]} px" if size else "size unknown"
    if size == (1, 1):
        ctx.skip(name, sniffed, "tracking_pixel", f"1x1 image, {len(data)} bytes", where)
    elif content_id and content_id in ctx.logo_cids and not (size and max(size) >= limits.logo_max_px):
        ctx.skip(name, sniffed, "inline_logo", f"shown in the HTML body as cid:{content_id}, {dims}", where)
    elif len(data) < limits.tiny_image_bytes:
        ctx.skip(name, sniffed, "tiny_image", f"{len(data)} bytes (under {limits.tiny_image_bytes}), {dims}", where)
    elif size and min(size) < limits.tiny_image_px:
        ctx.skip(name, sniffed, "tiny_image", f"{dims} (under {limits.tiny_image_px} px on a side)", where)
    else:
        ctx.files.append(FilePart(filename=name or default_name("image", sniffed), content=data,
                                  content_type=sniffed, kind="image", origin=" > ".join(where)))


_UBL = "urn:oasis:names:specification:ubl:schema:xsd:"


def einvoice_syntax(data: bytes) -> str | None:
    """"ubl", "cii", "zugferd1" or "zugferd_rc" from the XML root element, else None. Only the root is read, with a
    parser that neither resolves entities nor touches the network (hostile XML arrives by email)."""
    try:
        events = etree.iterparse(io.BytesIO(data), events=("start",), resolve_entities=False, no_network=True,
                                 load_dtd=False, huge_tree=False)
        _, root = next(events)
    except Exception:
        return None
    qname = etree.QName(root)
    ns, local = qname.namespace or "", qname.localname
    if local == "Invoice" and ns == _UBL + "Invoice-2" or local == "CreditNote" and ns == _UBL + "CreditNote-2":
        return "ubl"
    if local == "CrossIndustryInvoice" and "CrossIndustryInvoice" in ns:
        return "cii"
    if local == "CrossIndustryDocument" and ns.startswith("urn:ferd:CrossIndustryDocument"):
        return "zugferd1"
    if local == "Invoice" and "CBFBUY" in ns:  # ZUGFeRD release candidate, before 1.0
        return "zugferd_rc"
    return None


def _add_xml(ctx: Collector, data: bytes, name: str, sniffed: str, where: tuple) -> None:
    syntax = einvoice_syntax(data)
    if syntax is None:
        ctx.skip(name, sniffed, "unsupported_type", f"{sniffed}, not an e-invoice (UBL, CII, Factur-X, ZUGFeRD)",
                 where)
        return
    ctx.files.append(FilePart(filename=name or default_name("xml", sniffed), content=data,
                              content_type=sniffed if sniffed in XML_TYPES else "application/xml", kind="xml",
                              origin=" > ".join(where)))


def pair_einvoice_xml(files: list[FilePart]) -> None:
    """An e-invoice XML sent beside its PDF is one document, not two: same base name first, else the only PDF."""
    pdfs = [f for f in files if f.kind == "pdf"]
    xmls = [f for f in files if f.kind == "xml"]
    paired: list[FilePart] = []
    for xml in xmls:
        stem = posixpath.splitext(xml.filename.lower())[0]
        match = next((p for p in pdfs if p.einvoice_xml is None
                      and posixpath.splitext(p.filename.lower())[0] == stem), None)
        if match is not None:
            _attach(match, xml, paired)
    rest = [x for x in xmls if x not in paired]
    if len(pdfs) == 1 and len(rest) == 1 and pdfs[0].einvoice_xml is None:
        _attach(pdfs[0], rest[0], paired)
    files[:] = [f for f in files if not any(f is p for p in paired)]


def _attach(pdf_part: FilePart, xml: FilePart, paired: list) -> None:
    pdf_part.einvoice_xml, pdf_part.einvoice_xml_name = xml.content, xml.filename
    paired.append(xml)


_B64_BLOCK = re.compile(r"(?:^[ \t]*[A-Za-z0-9+/]{40,}={0,2}[ \t]*\r?\n){3,}(?:^[ \t]*[A-Za-z0-9+/=]+[ \t]*$)?", re.M)


def salvage_pdfs_from_text(ctx: Collector, text: str, trail: tuple, depth: int) -> None:
    """Base64 PDFs lying in what the parser saw as text: a part whose Content-Transfer-Encoding header was lost, or
    a multipart whose boundary could not be found. Only PDFs starting with %PDF are taken, nothing else guessed."""
    if "JVBER" not in text:  # base64 of "%PDF"
        return
    from collecte.intake.mime import b64decode_lenient

    for m in _B64_BLOCK.finditer(text):
        data, _ = b64decode_lenient(m.group(0).encode("ascii", "ignore"))
        if data.startswith(b"%PDF-"):
            _add_pdf(ctx, data, "", trail + ("inline",))


# ---- containers ----------------------------------------------------------------------------------------------


def _too_deep(ctx: Collector, name: str, ctype: str, trail: tuple, depth: int, what: str) -> bool:
    if depth + 1 <= ctx.limits.max_depth:
        return False
    ctx.skip(name, ctype, "nesting_limit", f"{what} nested {depth + 1} levels deep, limit {ctx.limits.max_depth}",
             trail)
    return True


def _open_message(ctx, data: bytes, name: str, sniffed: str, trail: tuple, leaf: str, depth: int) -> None:
    from collecte.intake import mime

    msg = mime.parse_bytes(data)
    if msg is None or not any(k in msg for k in ("from", "subject", "date", "message-id", "content-type")):
        ctx.skip(name, sniffed, "unsupported_type", f"{sniffed}, named like a message but is not one",
                 trail + (leaf,))
        return
    # An attached message reads "message transféré"; one from a ZIP or an upload is named by its path or name.
    label = mime.FORWARDED if leaf in (mime.ATTACHMENT, mime.INLINE) else (name if leaf == UPLOAD else leaf)
    mime.walk_nested_message(ctx, msg, trail, depth, label or mime.FORWARDED)


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """Member path as the sender meant it. Without the UTF-8 flag, zipfile decodes as cp437, but Windows writes the
    OEM code page (cp850 in France) and macOS and 7-Zip often write UTF-8 without setting the flag."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                name = raw.decode("cp850")
        except UnicodeEncodeError:
            pass
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..") and not p.endswith(":")]
    return unicodedata.normalize("NFC", "/".join(parts))


def _is_archive_junk(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return path.startswith("__MACOSX/") or "/__MACOSX/" in path or base in _ARCHIVE_JUNK or base.startswith("._")


def _zip_limit_problem(ctx: Collector, members: list[zipfile.ZipInfo]) -> str:
    limits = ctx.limits
    if len(members) > limits.zip_max_files:
        return f"zip holds {len(members)} files, limit {limits.zip_max_files}"
    total = sum(i.file_size for i in members)
    if total > limits.zip_max_total_bytes:
        return f"zip expands to {total} bytes, limit {limits.zip_max_total_bytes}"
    if ctx.archive_bytes + total > limits.zip_max_total_bytes:
        return (f"archives in this message expand to {ctx.archive_bytes + total} bytes, "
                f"limit {limits.zip_max_total_bytes}")
    for i in members:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > _RATIO_FLOOR and ratio > limits.zip_max_ratio:
            return (f"member {_zip_member_name(i)!r} expands {ratio:.0f}:1 "
                    f"({i.compress_size} to {i.file_size} bytes), limit {limits.zip_max_ratio}:1")
    return ""


def _open_zip(ctx: Collector, data: bytes, name: str, trail: tuple, where: tuple, depth: int) -> None:
    if _too_deep(ctx, name, "application/zip", where, depth, "archive"):
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as e:
        ctx.skip(name, "application/zip", "unreadable", f"not a readable ZIP archive ({type(e).__name__})", where)
        return
    names = {i.filename for i in infos}
    if "[Content_Types].xml" in names or "mimetype" in names:  # Office / OpenDocument files are ZIPs too
        ctx.skip(name, sniff(data), "unsupported_type", "office document (Word, Excel, OpenDocument)", where)
        return
    members = [i for i in infos if not i.is_dir() and not _is_archive_junk(_zip_member_name(i))]
    problem = _zip_limit_problem(ctx, members)
    if problem:  # all or nothing: half an archive would look like a complete one
        ctx.skip(name, "application/zip", "zip_limit", problem, where)
        return
    ctx.archive_bytes += sum(i.file_size for i in members)
    for info in members:
        _zip_member(ctx, archive, info, trail + (name,), depth)


def _zip_member(ctx: Collector, archive: zipfile.ZipFile, info: zipfile.ZipInfo, trail: tuple, depth: int) -> None:
    path = _zip_member_name(info)
    base = path.rsplit("/", 1)[-1]
    if info.flag_bits & 0x1:
        ctx.skip(base, "application/octet-stream", "unreadable", "encrypted zip member (password required)",
                 trail + (path,))
        return
    try:
        with archive.open(info) as member:
            content = member.read(info.file_size + 1)  # zipfile stops at the declared size; belt and braces
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, RuntimeError, ValueError) as e:
        ctx.skip(base, "application/octet-stream", "unreadable", f"zip member could not be extracted ({e})",
                 trail + (path,))
        return
    handle_file(ctx, content, name=base, declared_type="", trail=trail, leaf=path, depth=depth + 1)


def _tnef_name(att) -> str:
    try:
        name = att.long_filename() or att.name
    except Exception:
        name = getattr(att, "_name", b"") or ""
    if isinstance(name, bytes):
        name = name.rstrip(b"\x00")
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            name = name.decode("cp1252", "replace")
    return str(name).strip("\x00").strip()


def _open_tnef(ctx: Collector, data: bytes, name: str, sniffed: str, trail: tuple, where: tuple, depth: int) -> None:
    """winmail.dat: Outlook's wrapper around the real attachments, sent when rich text is on."""
    from tnefparse import TNEF

    if _too_deep(ctx, name, "application/vnd.ms-tnef", where, depth, "winmail.dat"):
        return
    try:
        tnef = TNEF(data, do_checksum=False)
    except Exception as e:
        ctx.skip(name, sniffed, "unreadable", f"not a readable TNEF (winmail.dat) file: {type(e).__name__}", where)
        return
    _tnef_attachments(ctx, tnef, name, trail + (name,), depth + 1)


def _tnef_attachments(ctx: Collector, tnef, name: str, trail: tuple, depth: int) -> None:
    if not tnef.attachments:
        ctx.skip(name, "application/vnd.ms-tnef", "empty", "winmail.dat holds no attachment, only the message body",
                 trail)
    for att in tnef.attachments:
        att_name = _tnef_name(att) or "document"
        embedded = getattr(att, "embed", None)
        if embedded is not None:  # an Outlook item attached to the Outlook item
            if not _too_deep(ctx, att_name, "application/vnd.ms-tnef", trail, depth, "winmail.dat"):
                _tnef_attachments(ctx, embedded, att_name, trail + (att_name,), depth + 1)
            continue
        handle_file(ctx, bytes(att.data or b""), name=att_name, declared_type="", trail=trail, leaf=att_name,
                    depth=depth)
