"""MIME walk: one test per real-world quirk. Messages, PDFs and images are built in code (see helpers.py)."""
import pytest

from collecte.intake.mime import Limits, walk_message
from collecte.intake.tests import helpers as h


def reasons(result):
    return [s.reason for s in result.skipped]


def only_file(result):
    assert len(result.files) == 1, (result.files, result.skipped)
    return result.files[0]


# ---- PDFs wherever they are -----------------------------------------------------------------------------------


def test_it_finds_an_attached_pdf_and_reads_the_headers():
    pdf = h.make_pdf()
    result = walk_message(h.raw(h.attach(h.message(), pdf)))
    part = only_file(result)
    assert (part.filename, part.kind, part.content_type, part.origin) == (
        "facture.pdf", "pdf", "application/pdf", "pièce jointe")
    assert part.content == pdf and part.flags == []
    assert result.subject == "Votre facture"
    assert result.message_id == "<fixture-1@fournisseur.example>"
    assert "compta@fournisseur.example" in result.from_header
    assert result.date_header.startswith("Tue, 12 Mar 2024")
    assert result.body_text == "Bonjour, ci-joint notre facture."
    assert result.skipped == []


def test_it_keeps_an_inline_pdf_without_filename():
    # Apple Mail: the PDF sits inline between two text fragments, Content-Disposition: inline, no name.
    pdf = h.make_pdf()
    raw = h.handmade(
        """From: a@example.com
Subject: Facture mars
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="apple"
""",
        "--apple\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVoici la facture\r\n"
        "--apple\r\nContent-Type: application/pdf\r\nContent-Disposition: inline\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + h.b64_lines(pdf) + "\r\n"
        "--apple\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMerci, bonne journée\r\n--apple--\r\n")
    result = walk_message(raw)
    part = only_file(result)
    assert (part.filename, part.origin, part.content) == ("document.pdf", "inline", pdf)
    assert "Voici la facture" in result.body_text and "bonne journée" in result.body_text


def test_it_sniffs_an_octet_stream_pdf():
    pdf = h.make_pdf()
    part = only_file(walk_message(h.raw(h.attach(h.message(), pdf, "application/octet-stream", "FA-001.dat"))))
    assert (part.kind, part.content_type, part.filename) == ("pdf", "application/pdf", "FA-001.dat")


def test_it_finds_a_pdf_named_txt():
    pdf = h.make_pdf()
    msg = h.attach(h.message(), pdf, "text/plain", "facture.txt")
    assert only_file(walk_message(h.raw(msg))).kind == "pdf"


def test_it_finds_a_pdf_declared_as_the_text_body():
    pdf = h.make_pdf()
    raw = h.handmade("From: a@example.com\nContent-Type: text/plain\nContent-Transfer-Encoding: base64",
                     h.b64_lines(pdf))
    assert only_file(walk_message(raw)).content == pdf


def test_it_does_not_take_html_named_pdf_for_a_pdf():
    page = b"<!DOCTYPE html><html><body><h1>Session expired</h1></body></html>"
    result = walk_message(h.raw(h.attach(h.message(), page, "application/pdf", "facture.pdf")))
    assert result.files == []
    (skip,) = result.skipped
    assert (skip.filename, skip.reason, skip.content_type) == ("facture.pdf", "unsupported_type", "text/html")
    assert "not one" in skip.detail


def test_it_keeps_two_pdfs_and_their_order():
    a, b = h.make_pdf(tag="a"), h.make_pdf(tag="b")
    msg = h.attach(h.attach(h.message(), a, filename="a.pdf"), b, filename="b.pdf")
    assert [f.content for f in walk_message(h.raw(msg)).files] == [a, b]


# ---- images ---------------------------------------------------------------------------------------------------

LOGO_HTML = '<p>Bonjour</p><img src="cid:logo@fournisseur"><p>Cordialement</p>'


def test_it_skips_a_logo_referenced_by_cid():
    msg = h.message(html=LOGO_HTML)
    msg.get_payload()[1].add_related(h.make_image("PNG", (180, 60)), "image", "png", cid="<logo@fournisseur>",
                                     filename="logo.png")
    result = walk_message(h.raw(msg))
    assert result.files == []
    (skip,) = result.skipped
    assert (skip.reason, skip.filename) == ("inline_logo", "logo.png")
    assert "180x60 px" in skip.detail


def test_it_keeps_a_photo_even_when_referenced_by_cid():
    # iOS Mail references a pasted receipt photo from the HTML too; no logo is 1600 px wide.
    msg = h.message(html=LOGO_HTML)
    msg.get_payload()[1].add_related(h.make_gradient_jpeg(), "image", "jpeg", cid="<logo@fournisseur>")
    part = only_file(walk_message(h.raw(msg)))
    assert (part.kind, part.filename) == ("image", "image.jpg")


def test_it_skips_a_tracking_pixel():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "GIF")
    result = walk_message(h.raw(h.attach(h.message(), out.getvalue(), "image/gif", "p.gif", "inline")))
    assert result.files == [] and reasons(result) == ["tracking_pixel"]


def test_it_skips_tiny_images():
    small_bytes = h.make_image("PNG", (20, 20))  # 1.2 KiB: under tiny_image_bytes
    thin = h.make_image("PNG", (600, 8))  # big enough in bytes, but a spacer line
    msg = h.attach(h.attach(h.message(), small_bytes, "image/png", "a.png"), thin, "image/png", "b.png")
    result = walk_message(h.raw(msg))
    assert result.files == [] and reasons(result) == ["tiny_image", "tiny_image"]
    assert "600x8 px" in result.skipped[1].detail


@pytest.mark.parametrize("fmt, mime", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("TIFF", "image/tiff"),
                                       ("GIF", "image/gif"), ("WEBP", "image/webp"), ("BMP", "image/bmp")])
def test_it_keeps_photos_of_receipts_in_every_common_format(fmt, mime):
    data = h.make_image(fmt)
    part = only_file(walk_message(h.raw(h.attach(h.message(), data, "application/octet-stream", "scan"))))
    assert (part.kind, part.content_type, part.content) == ("image", mime, data)


def test_it_keeps_an_iphone_heic_photo():
    pytest.importorskip("pillow_heif")
    data = h.make_image("HEIF", (320, 240))
    part = only_file(walk_message(h.raw(h.attach(h.message(), data, "image/heic", "IMG_0042.HEIC"))))
    assert part.kind == "image" and part.content_type in ("image/heic", "image/heif")


# ---- things that are not documents ----------------------------------------------------------------------------


def test_it_skips_signatures():
    msg = h.message()
    h.attach(msg, b"0\x82\x05\x00" + b"\x01" * 300, "application/pkcs7-signature", "smime.p7s")
    h.attach(msg, b"-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n",
             "application/pgp-signature", "signature.asc")
    assert reasons(walk_message(h.raw(msg))) == ["signature", "signature"]


def test_it_skips_a_calendar_invite():
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:RDV\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    msg = h.attach(h.message(), ics, "text/calendar", "invite.ics")
    assert reasons(walk_message(h.raw(msg))) == ["calendar"]


def test_it_skips_a_vcard():
    vcf = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jean Dupont\r\nEND:VCARD\r\n"
    msg = h.attach(h.message(), vcf, "text/x-vcard", "jean.vcf")
    assert reasons(walk_message(h.raw(msg))) == ["vcard"]


def test_it_skips_office_documents_with_their_type():
    docx = h.make_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    result = walk_message(h.raw(h.attach(h.message(), docx, "application/octet-stream", "devis.docx")))
    (skip,) = result.skipped
    assert (skip.filename, skip.reason) == ("devis.docx", "unsupported_type")
    assert "office document" in skip.detail


def test_it_skips_an_empty_attachment():
    result = walk_message(h.raw(h.attach(h.message(), b"", "application/pdf", "facture.pdf")))
    assert result.files == [] and reasons(result) == ["empty"]


def test_it_does_not_record_the_html_body_as_skipped():
    result = walk_message(h.raw(h.message(html="<p>Bonjour <b>Madame</b></p>")))
    assert result.files == [] and result.skipped == []
    assert "<b>Madame</b>" in result.body_html


def test_it_converts_an_html_only_body_to_text():
    raw = h.handmade("From: a@example.com\nContent-Type: text/html; charset=utf-8",
                     "<html><head><style>p{}</style></head><body><p>Total&nbsp;: 12,50 &euro;</p>"
                     "<div>Merci</div></body></html>")
    result = walk_message(raw)
    assert result.body_text == "Total : 12,50 €\nMerci"


# ---- e-invoice XML --------------------------------------------------------------------------------------------


def test_it_pairs_an_einvoice_xml_with_the_only_pdf():
    pdf, cii = h.make_pdf(), h.xml(h.CII)
    msg = h.attach(h.attach(h.message(), pdf, filename="FA-001.pdf"), cii, "application/xml", "factur-x.xml")
    part = only_file(walk_message(h.raw(msg)))
    assert (part.kind, part.content, part.einvoice_xml, part.einvoice_xml_name) == (
        "pdf", pdf, cii, "factur-x.xml")


def test_it_pairs_xmls_with_pdfs_of_the_same_name():
    msg = h.message()
    for n in ("FA-001", "FA-002"):
        h.attach(msg, h.make_pdf(tag=n), filename=f"{n}.pdf")
    for n in ("FA-002", "FA-001"):
        h.attach(msg, h.xml(h.UBL, n), "text/xml", f"{n}.xml")
    files = walk_message(h.raw(msg)).files
    assert [(f.filename, f.einvoice_xml_name) for f in files] == [("FA-001.pdf", "FA-001.xml"),
                                                                  ("FA-002.pdf", "FA-002.xml")]
    assert b"FA-001" in files[0].einvoice_xml


def test_it_keeps_xmls_apart_when_the_pairing_is_ambiguous():
    msg = h.message()
    h.attach(msg, h.make_pdf(tag="a"), filename="a.pdf")
    h.attach(msg, h.make_pdf(tag="b"), filename="b.pdf")
    h.attach(msg, h.xml(h.UBL), "text/xml", "invoice.xml")
    kinds = sorted(f.kind for f in walk_message(h.raw(msg)).files)
    assert kinds == ["pdf", "pdf", "xml"]


@pytest.mark.parametrize("template", [h.UBL, h.UBL_CREDIT_NOTE, h.CII, h.ZUGFERD1])
def test_it_keeps_an_einvoice_xml_alone(template):
    data = h.xml(template)
    part = only_file(walk_message(h.raw(h.attach(h.message(), data, "application/octet-stream", "inv.xml"))))
    assert (part.kind, part.content, part.einvoice_xml) == ("xml", data, None)


def test_it_skips_a_non_einvoice_xml():
    result = walk_message(h.raw(h.attach(h.message(), h.xml(h.NOT_AN_INVOICE), "text/xml", "config.xml")))
    assert result.files == [] and reasons(result) == ["unsupported_type"]


def test_it_does_not_expand_entities_in_xml():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&b;</Invoice>')
    part = only_file(walk_message(h.raw(h.attach(h.message(), bomb, "text/xml", "x.xml"))))
    assert part.kind == "xml" and part.content == bomb


# ---- nested messages ------------------------------------------------------------------------------------------


def test_it_walks_a_forwarded_message_two_levels_deep():
    pdf = h.make_pdf()
    inner = h.attach(h.message(subject="Facture originale"), pdf)
    result = walk_message(h.raw(h.forwarded(h.forwarded(inner), subject="Fwd: Fwd: facture")))
    part = only_file(result)
    assert part.content == pdf
    assert part.origin == "message transféré > message transféré > pièce jointe"
    assert result.subject == "Fwd: Fwd: facture"
    assert result.body_text == "Voir le message joint."


def test_it_stops_at_the_nesting_limit():
    msg = h.attach(h.message(), h.make_pdf())
    for _ in range(3):
        msg = h.forwarded(msg)
    result = walk_message(h.raw(msg), Limits(max_depth=2))
    assert result.files == [] and reasons(result) == ["nesting_limit"]
    assert "limit 2" in result.skipped[0].detail
    assert only_file(walk_message(h.raw(msg), Limits(max_depth=3))).origin.count("message transféré") == 3


def test_it_walks_an_eml_sent_as_octet_stream():
    pdf = h.make_pdf()
    inner = h.raw(h.attach(h.message(subject="Facture"), pdf))
    msg = h.attach(h.message(), inner, "application/octet-stream", "Facture.eml")
    part = only_file(walk_message(h.raw(msg)))
    assert part.content == pdf and part.origin == "message transféré > pièce jointe"


# ---- winmail.dat ----------------------------------------------------------------------------------------------


def test_it_opens_winmail_dat_with_a_pdf():
    pdf = h.make_pdf()
    tnef = h.make_tnef([("Facture 2024-03.pdf", pdf)])
    part = only_file(walk_message(h.raw(h.attach(h.message(), tnef, "application/ms-tnef", "winmail.dat"))))
    assert (part.filename, part.content) == ("Facture 2024-03.pdf", pdf)
    assert part.origin == "winmail.dat > Facture 2024-03.pdf"


def test_it_opens_the_corpus_tnef_holding_a_pdf():
    path = h.CORPUS / "tnef-tnefparse" / "examples" / "MAPI_ATTACH_DATA_OBJ.tnef"
    if not path.exists():
        pytest.skip("MAPI_ATTACH_DATA_OBJ.tnef is not in this corpus snapshot; test_it_opens_winmail_dat_with_a_pdf "
                    "covers a PDF inside TNEF with a file built in code")
    result = walk_message(h.raw(h.attach(h.message(), path.read_bytes(), "application/ms-tnef", "winmail.dat")))
    assert any(f.kind == "pdf" for f in result.files)


def test_it_reports_garbage_named_winmail_dat_as_unreadable():
    result = walk_message(h.raw(h.attach(h.message(), b"\x00garbage" * 50, "application/ms-tnef", "winmail.dat")))
    (skip,) = result.skipped
    assert (skip.reason, skip.filename) == ("unreadable", "winmail.dat")
    assert "TNEF" in skip.detail


# ---- file names -----------------------------------------------------------------------------------------------


def test_it_decodes_rfc2231_names_with_accents():
    raw = h.handmade(
        "From: a@example.com\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename*=UTF-8''Facture%20n%C2%B012%20%C3%A9t%C3%A9.pdf",
        h.b64_lines(h.make_pdf()))
    assert only_file(walk_message(raw)).filename == "Facture n°12 été.pdf"


def test_it_decodes_rfc2047_names_even_inside_quotes():
    raw = h.handmade(
        "From: a@example.com\nContent-Type: application/pdf; name=\"=?iso-8859-1?Q?Re=E7u_d=E9cembre.pdf?=\"\n"
        "Content-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"=?utf-8?B?UmXDp3UgZMOpY2VtYnJlLnBkZg==?=\"",
        h.b64_lines(h.make_pdf()))
    assert only_file(walk_message(raw)).filename == "Reçu décembre.pdf"


def test_it_recovers_raw_utf8_names():
    raw = h.handmade(
        "From: a@example.com\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename=\"Quittance été.pdf\"", h.b64_lines(h.make_pdf()))
    assert only_file(walk_message(raw)).filename == "Quittance été.pdf"


def test_it_keeps_unquoted_names_with_spaces():
    raw = h.handmade(
        "From: a@example.com\nContent-Type: application/pdf; name=Facture mars 2024.pdf\n"
        "Content-Transfer-Encoding: base64", h.b64_lines(h.make_pdf()))
    assert only_file(walk_message(raw)).filename == "Facture mars 2024.pdf"


def test_it_sanitises_names():
    long_name = "x" * 300 + ".pdf"
    msg = h.message()
    for name in ("../../etc/passwd.pdf", "C:\\Users\\compta\\facture.pdf", "fac\u202eture\x07.pdf", long_name):
        h.attach(msg, h.make_pdf(tag=name), filename=name)
    names = [f.filename for f in walk_message(h.raw(msg)).files]
    assert names[:3] == ["passwd.pdf", "facture.pdf", "facture.pdf"]
    assert len(names[3]) == 200 and names[3].endswith(".pdf")


def test_it_names_nameless_parts_from_their_type_not_the_subject():
    msg = h.message(subject="Facture EDF ../../secret")
    h.attach(msg, h.make_pdf(), "application/octet-stream", None, "inline")
    h.attach(msg, h.make_image("JPEG"), "application/octet-stream", None, "inline")
    assert [f.filename for f in walk_message(h.raw(msg)).files] == ["document.pdf", "image.jpg"]


# ---- broken MIME ----------------------------------------------------------------------------------------------


def _two_pdfs_body(boundary: str, pdf_a: bytes, pdf_b: bytes) -> str:
    part = ("--{b}\r\nContent-Type: application/pdf; name=\"{n}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "{data}\r\n")
    return ("--{b}\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n".format(b=boundary)
            + part.format(b=boundary, n="a.pdf", data=h.b64_lines(pdf_a))
            + part.format(b=boundary, n="b.pdf", data=h.b64_lines(pdf_b)) + f"--{boundary}--\r\n")


def test_it_recovers_parts_when_the_boundary_is_missing():
    a, b = h.make_pdf(tag="a"), h.make_pdf(tag="b")
    raw = h.handmade("From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed",
                     _two_pdfs_body("=_sep_42", a, b))
    assert [f.content for f in walk_message(raw).files] == [a, b]


def test_it_recovers_parts_when_the_boundary_is_wrong():
    a, b = h.make_pdf(tag="a"), h.make_pdf(tag="b")
    raw = h.handmade("From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"declared\"",
                     _two_pdfs_body("actual", a, b))
    result = walk_message(raw)
    assert [f.filename for f in result.files] == ["a.pdf", "b.pdf"]


def test_it_decodes_damaged_base64():
    pdf = h.make_pdf()
    lines = h.b64_lines(pdf).split("\r\n")
    lines[1] = lines[1][:10] + "!*" + lines[1][10:]  # stray characters
    body = "\r\n".join(lines).rstrip("=") + "\r\n_______________\r\nListe compta mailing list\r\n"
    raw = h.handmade("From: a@example.com\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64", body)
    part = only_file(walk_message(raw))
    assert part.content == pdf and part.flags == []


def test_it_records_undecodable_base64_as_unreadable():
    raw = h.handmade("From: a@example.com\nContent-Type: multipart/mixed; boundary=b",
                     "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                     "--b\r\nContent-Type: application/pdf; name=f.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                     "%%%% ???? ####\r\n--b--\r\n")
    result = walk_message(raw)
    assert result.files == []
    assert [(s.filename, s.reason) for s in result.skipped] == [("f.pdf", "unreadable")]


def test_it_accepts_oddly_spelled_transfer_encodings():
    pdf = h.make_pdf()
    raw = h.handmade("From: a@example.com\nContent-Type: application/pdf\nContent-Transfer-Encoding: \"Base64\";",
                     h.b64_lines(pdf))
    assert only_file(walk_message(raw)).content == pdf


def test_it_salvages_a_pdf_whose_transfer_encoding_header_is_lost():
    pdf = h.make_pdf()
    raw = h.handmade("From: a@example.com\nContent-Type: multipart/mixed; boundary=b",
                     "--b\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n" + h.b64_lines(pdf) + "\r\n--b--\r\n")
    assert only_file(walk_message(raw)).content == pdf


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 500, b"Subject: x\r\n", b"Content-Type: multipart/mixed\r\n\r\n--",
                                 b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n----\r\n\r\n------\r\n",
                                 b"From: \"unterminated <x@\r\nTo: ,,,@@\r\nSubject: =?bogus?Q?x?=\r\n\r\nbody",
                                 b"Content-Type: text/plain; charset=no-such-charset\r\n\r\n\xe9t\xe9"])
def test_it_never_raises_on_garbage(raw):
    result = walk_message(raw)
    assert result.files == []


@pytest.mark.parametrize("depth", [100, 3000])
def test_it_survives_a_deeply_nested_multipart(depth):
    # 100: deeper than Limits.max_multipart_depth, walked flat; 3000: deeper than the stdlib parser's recursion,
    # the PDF is salvaged from the raw text.
    pdf = h.make_pdf()
    head = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n" for i in range(depth))
    leaf = "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + h.b64_lines(pdf) + "\r\n"
    raw = head + leaf + "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    assert only_file(walk_message(raw.encode())).content == pdf


# ---- PDFs with problems ---------------------------------------------------------------------------------------


def test_it_keeps_an_encrypted_pdf_flagged():
    pdf = h.make_encrypted_pdf()
    part = only_file(walk_message(h.raw(h.attach(h.message(), pdf))))
    assert part.flags == ["encrypted"] and part.content == pdf


def test_it_repairs_a_truncated_pdf():
    pdf = h.make_pdf(pages=3)
    part = only_file(walk_message(h.raw(h.attach(h.message(), pdf[:-40]))))
    assert part.flags == ["repaired"] and part.content.startswith(b"%PDF-") and part.content != pdf[:-40]


def test_it_keeps_a_hopeless_pdf_flagged_corrupt():
    pdf = h.make_pdf()[:200]
    part = only_file(walk_message(h.raw(h.attach(h.message(), pdf))))
    assert part.flags == ["corrupt"] and part.content == pdf


# ---- ZIP archives ---------------------------------------------------------------------------------------------


def zipped(members, name="factures.zip", limits=Limits()):
    return walk_message(h.raw(h.attach(h.message(), h.make_zip(members), "application/zip", name)), limits)


def test_it_extracts_a_zip_with_three_pdfs():
    pdfs = {f"mars/FA-{i}.pdf": h.make_pdf(tag=str(i)) for i in range(3)}
    result = zipped({"mars/": b"", **pdfs})
    assert [f.content for f in result.files] == list(pdfs.values())
    assert [f.origin for f in result.files] == [f"factures.zip > mars/FA-{i}.pdf" for i in range(3)]
    assert [f.filename for f in result.files] == [f"FA-{i}.pdf" for i in range(3)]
    assert result.skipped == []


def test_it_skips_a_zip_bomb_by_ratio():
    result = zipped({"facture.pdf": h.make_pdf(), "bomb.bin": b"\0" * (8 * 1024 * 1024)})
    assert result.files == []
    (skip,) = result.skipped
    assert (skip.reason, skip.filename) == ("zip_limit", "factures.zip")
    assert "bomb.bin" in skip.detail and "limit 100:1" in skip.detail


def test_it_skips_a_zip_with_too_many_files():
    result = zipped({f"f{i}.txt": b"x" for i in range(501)})
    assert reasons(result) == ["zip_limit"]
    assert result.skipped[0].detail == "zip holds 501 files, limit 500"


def test_it_skips_a_zip_over_its_total_size():
    result = zipped({"a.pdf": h.make_pdf(tag="a"), "b.pdf": h.make_pdf(tag="b")},
                    limits=Limits(zip_max_total_bytes=1000))
    assert result.files == [] and reasons(result) == ["zip_limit"]


def test_it_sanitises_zip_path_traversal_names():
    pdf = h.make_pdf()
    result = zipped({"../../../etc/cron.d/x.pdf": pdf, "/abs/y.pdf": h.make_pdf(tag="y")})
    assert [f.filename for f in result.files] == ["x.pdf", "y.pdf"]
    assert [f.origin for f in result.files] == ["factures.zip > etc/cron.d/x.pdf", "factures.zip > abs/y.pdf"]


def test_it_opens_a_nested_zip_and_counts_it_as_depth():
    pdf = h.make_pdf()
    inner = h.make_zip({"f.pdf": pdf})
    result = zipped({"inner.zip": inner})
    assert only_file(result).origin == "factures.zip > inner.zip > f.pdf"
    deep = zipped({"inner.zip": inner}, limits=Limits(max_depth=1))
    assert deep.files == [] and reasons(deep) == ["nesting_limit"]


def test_it_ignores_macos_droppings_in_zips():
    result = zipped({"f.pdf": h.make_pdf(), "__MACOSX/._f.pdf": b"\0\5\26\7", ".DS_Store": b"Bud1" * 10})
    assert len(result.files) == 1 and result.skipped == []


def test_it_skips_encrypted_zip_members():
    data = h.mark_zip_encrypted(h.make_zip({"f.pdf": h.make_pdf()}))
    result = walk_message(h.raw(h.attach(h.message(), data, "application/zip", "f.zip")))
    assert result.files == []
    assert [(s.filename, s.reason) for s in result.skipped] == [("f.pdf", "unreadable")]
    assert "encrypted" in result.skipped[0].detail


def test_it_decodes_windows_zip_names():
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("ReXu.pdf", h.make_pdf())  # ASCII: no UTF-8 flag
    # What an old Windows archiver writes: the name in the OEM code page (cp850), without the UTF-8 flag.
    data = out.getvalue().replace(b"ReXu.pdf", "Reçu.pdf".encode("cp850"))
    result = walk_message(h.raw(h.attach(h.message(), data, "application/zip", "w.zip")))
    assert only_file(result).filename == "Reçu.pdf"


def test_it_pairs_xml_and_pdf_inside_a_zip():
    pdf, ubl = h.make_pdf(), h.xml(h.UBL)
    part = only_file(zipped({"FA-1.pdf": pdf, "FA-1.xml": ubl}))
    assert part.einvoice_xml == ubl and part.einvoice_xml_name == "FA-1.xml"


def test_it_reports_a_broken_zip_as_unreadable():
    data = h.make_zip({"f.pdf": h.make_pdf()})[:60]
    result = walk_message(h.raw(h.attach(h.message(), data, "application/zip", "f.zip")))
    assert result.files == [] and len(result.skipped) == 1


def test_it_finds_a_pdf_behind_leading_junk():
    pdf = b"\r\n\r\n" + h.make_pdf()
    part = only_file(walk_message(h.raw(h.attach(h.message(), pdf, "application/octet-stream", "f"))))
    assert part.kind == "pdf"


def test_it_opens_a_stored_zip_instead_of_taking_it_for_its_pdf():
    import zipfile

    pdf = h.make_pdf()
    data = h.make_zip({"f.pdf": pdf}, compression=zipfile.ZIP_STORED)
    result = walk_message(h.raw(h.attach(h.message(), data, "application/zip", "f.zip")))
    assert only_file(result).origin == "f.zip > f.pdf"


def test_it_walks_a_base64_encoded_attached_message():
    # Exchange base64-encodes message/rfc822 parts, which RFC 2046 forbids.
    pdf = h.make_pdf()
    inner = h.raw(h.attach(h.message(subject="Facture"), pdf))
    raw = h.handmade("From: a@example.com\nContent-Type: multipart/mixed; boundary=b",
                     "--b\r\nContent-Type: text/plain\r\n\r\nfyi\r\n--b\r\nContent-Type: message/rfc822\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n" + h.b64_lines(inner) + "\r\n--b--\r\n")
    part = only_file(walk_message(raw))
    assert part.content == pdf and part.origin == "message transféré > pièce jointe"


def test_it_walks_an_eml_inside_a_zip():
    pdf = h.make_pdf()
    inner = h.raw(h.attach(h.message(subject="Facture"), pdf))
    part = only_file(zipped({"mails/facture.eml": inner}))
    assert part.content == pdf and part.origin == "factures.zip > mails/facture.eml > pièce jointe"


def test_it_counts_every_archive_of_a_message_against_the_size_budget():
    pdfs = {"a.pdf": h.make_pdf(tag="a"), "b.pdf": h.make_pdf(tag="b")}
    size = sum(len(p) for p in pdfs.values())
    msg = h.message()
    h.attach(msg, h.make_zip(pdfs), "application/zip", "one.zip")
    h.attach(msg, h.make_zip(pdfs), "application/zip", "two.zip")
    result = walk_message(h.raw(msg), Limits(zip_max_total_bytes=size + 10))
    assert len(result.files) == 2
    assert [(s.filename, s.reason) for s in result.skipped] == [("two.zip", "zip_limit")]
    assert "archives in this message" in result.skipped[0].detail
