"""Fixtures built in code: PDFs (pikepdf), images (Pillow, pillow-heif), ZIPs, TNEF, e-invoice XML, messages."""
from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
from email import policy
from email.message import EmailMessage

import pikepdf
from PIL import Image

CORPUS = __import__("pathlib").Path(__file__).resolve().parents[4] / "shared" / "corpus"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_pdf(pages: int = 1, tag: str = "facture") -> bytes:
    """A valid PDF with `pages` blank pages; `tag` goes in the metadata so every fixture has its own sha256."""
    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page(page_size=(595, 842))
        pdf.docinfo["/Title"] = tag
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def make_encrypted_pdf(password: str = "secret") -> bytes:
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user=password, owner=password + "-owner"))
        return out.getvalue()


def make_image(fmt: str = "JPEG", size=(400, 300), seed: int = 1) -> bytes:
    """A noisy image: a flat one would compress under the tiny-image threshold (2 KiB)."""
    rnd = random.Random(seed)
    im = Image.new("RGB", size)
    im.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(size[0] * size[1])])
    out = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    im.save(out, fmt)
    return out.getvalue()


def make_gradient_jpeg(size=(1600, 1200)) -> bytes:
    """A photo-sized image without the cost of per-pixel noise."""
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            if name.endswith("/"):
                zf.writestr(zipfile.ZipInfo(name), b"")
            else:
                zf.writestr(name, data)
    return out.getvalue()


def mark_zip_encrypted(data: bytes) -> bytes:
    """zipfile cannot write encrypted members; setting the "encrypted" flag bit is what a reader sees first."""
    buf = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := buf.find(sig, start)) >= 0:
            flags = struct.unpack_from("<H", buf, i + offset)[0]
            struct.pack_into("<H", buf, i + offset, flags | 0x1)
            start = i + 4
    return bytes(buf)


def _tnef_object(level: int, name: int, kind: int, data: bytes) -> bytes:
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)


def make_tnef(attachments: list[tuple[str, bytes]]) -> bytes:
    """A minimal winmail.dat (MS-OXTNEF): version, then per attachment its rendering, title and data."""
    blob = struct.pack("<IH", 0x223E9F78, 0x0001)
    blob += _tnef_object(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # attTnefVersion
    for name, data in attachments:
        blob += _tnef_object(2, 0x9002, 0x0006, b"\x01\x00\xff\xff\xff\xff" + b"\x00" * 8)  # attAttachRendData
        blob += _tnef_object(2, 0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        blob += _tnef_object(2, 0x800F, 0x0006, data)  # attAttachData
    return blob


UBL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>{number}</cbc:ID>
</Invoice>"""
UBL_CREDIT_NOTE = """<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"><ID>{number}</ID></CreditNote>"""
CII = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">
  <rsm:ExchangedDocument><ID>{number}</ID></rsm:ExchangedDocument>
</rsm:CrossIndustryInvoice>"""
ZUGFERD1 = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"><ID>{number}</ID>
</rsm:CrossIndustryDocument>"""
NOT_AN_INVOICE = """<?xml version="1.0"?><config><entry key="a">b</entry></config>"""


def xml(template: str, number: str = "FA-2024-001") -> bytes:
    return template.format(number=number).encode()


def message(subject: str = "Votre facture", body: str = "Bonjour, ci-joint notre facture.",
            html: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Fournisseur <compta@fournisseur.example>"
    msg["To"] = "achats.abc123@collecte.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<fixture-1@fournisseur.example>"
    msg["Date"] = "Tue, 12 Mar 2024 10:00:00 +0100"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def attach(msg: EmailMessage, data: bytes, mime: str = "application/pdf", filename: str | None = "facture.pdf",
           disposition: str = "attachment", cid: str | None = None) -> EmailMessage:
    maintype, subtype = mime.split("/", 1)
    kwargs = {"maintype": maintype, "subtype": subtype, "disposition": disposition}
    if filename is not None:
        kwargs["filename"] = filename
    if cid is not None:
        kwargs["cid"] = f"<{cid}>"
    msg.add_attachment(data, **kwargs)
    return msg


def raw(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=policy.SMTP)


def forwarded(inner: EmailMessage, subject: str = "Fwd: facture") -> EmailMessage:
    outer = message(subject=subject, body="Voir le message joint.")
    outer.add_attachment(inner)  # message/rfc822
    return outer


def b64_lines(data: bytes, width: int = 76) -> str:
    import base64

    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i:i + width] for i in range(0, len(text), width))


def handmade(headers: str, body: str) -> bytes:
    """A message written byte by byte, for quirks EmailMessage refuses to produce."""
    return (headers.strip("\n").replace("\n", "\r\n") + "\r\n\r\n" + body).encode("utf-8", "surrogateescape")
