"""Uploaded files go through the same file handling as email parts; plus the PDF helpers (inspect, unlock, split)."""
import io

import pikepdf
import pytest

from collecte.intake.files import einvoice_syntax, files_from_upload
from collecte.intake.mime import Limits
from collecte.intake.pdf import UnreadablePdf, WrongPassword, inspect_pdf, page_count, split_pages, unlock_pdf
from collecte.intake.tests import helpers as h


def test_it_takes_an_uploaded_pdf():
    pdf = h.make_pdf()
    result = files_from_upload("Facture EDF.pdf", pdf)
    (part,) = result.files
    assert (part.filename, part.kind, part.content, part.origin) == ("Facture EDF.pdf", "pdf", pdf, "fichier déposé")
    assert (result.subject, result.message_id, result.body_text, result.skipped) == ("", "", "", [])


def test_it_takes_an_uploaded_image():
    jpeg = h.make_image("JPEG")
    (part,) = files_from_upload("ticket.jpg", jpeg).files
    assert (part.kind, part.content_type) == ("image", "image/jpeg")


def test_it_extracts_an_uploaded_zip_and_pairs_its_xml():
    pdf_a, pdf_b, xml_b = h.make_pdf(tag="a"), h.make_pdf(tag="b"), h.xml(h.CII, "B")
    result = files_from_upload("lot.zip", h.make_zip({"a.pdf": pdf_a, "b.pdf": pdf_b, "b.xml": xml_b}))
    assert [(f.filename, f.einvoice_xml_name) for f in result.files] == [("a.pdf", None), ("b.pdf", "b.xml")]
    assert result.files[1].origin == "lot.zip > b.pdf"


def test_it_takes_an_uploaded_einvoice_xml():
    ubl = h.xml(h.UBL)
    (part,) = files_from_upload("facture.xml", ubl).files
    assert (part.kind, part.content) == ("xml", ubl)


def test_it_explains_an_uploaded_garbage_file():
    result = files_from_upload("facture.pdf", b"\x13\x37" * 400)
    assert result.files == []
    (skip,) = result.skipped
    assert (skip.filename, skip.reason) == ("facture.pdf", "unsupported_type")
    assert "not one" in skip.detail


def test_it_explains_an_empty_upload():
    assert [s.reason for s in files_from_upload("vide.pdf", b"").skipped] == ["empty"]


def test_it_walks_an_uploaded_eml():
    pdf = h.make_pdf()
    raw = h.raw(h.attach(h.message(), pdf))
    (part,) = files_from_upload("message.eml", raw).files
    assert part.content == pdf and part.origin == "message.eml > pièce jointe"


def test_it_applies_the_zip_limits_to_uploads():
    result = files_from_upload("lot.zip", h.make_zip({f"{i}.pdf": b"%PDF-1.4" for i in range(4)}),
                               Limits(zip_max_files=3))
    assert [s.reason for s in result.skipped] == ["zip_limit"]


@pytest.mark.parametrize("template, syntax", [(h.UBL, "ubl"), (h.UBL_CREDIT_NOTE, "ubl"), (h.CII, "cii"),
                                              (h.ZUGFERD1, "zugferd1"), (h.NOT_AN_INVOICE, None)])
def test_it_tells_the_einvoice_syntax_from_the_root(template, syntax):
    assert einvoice_syntax(h.xml(template)) == syntax


def test_it_does_not_fetch_external_entities():
    evil = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
            b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">'
            b'&x;</rsm:CrossIndustryInvoice>')
    assert einvoice_syntax(evil) == "cii"


# ---- pdf.py ---------------------------------------------------------------------------------------------------


def test_it_leaves_a_sound_pdf_alone():
    pdf = h.make_pdf()
    assert inspect_pdf(pdf) == (pdf, [])


def test_it_flags_and_unlocks_a_protected_pdf():
    locked = h.make_encrypted_pdf("s3cret")
    assert inspect_pdf(locked) == (locked, ["encrypted"])
    with pytest.raises(WrongPassword):
        unlock_pdf(locked, "wrong")
    unlocked = unlock_pdf(locked, "s3cret")
    assert inspect_pdf(unlocked) == (unlocked, [])
    assert page_count(unlocked) == 1


def test_it_does_not_flag_a_pdf_with_only_an_owner_password():
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="owner", allow=pikepdf.Permissions(extract=False)))
    assert inspect_pdf(out.getvalue())[1] == []


def test_it_rejects_unlocking_what_is_not_a_pdf():
    with pytest.raises(UnreadablePdf):
        unlock_pdf(b"not a pdf", "x")


def test_it_splits_a_pdf_into_single_pages():
    pages = split_pages(h.make_pdf(pages=3))
    assert len(pages) == 3
    assert [page_count(p) for p in pages] == [1, 1, 1]


def test_it_refuses_to_split_a_protected_pdf():
    with pytest.raises(WrongPassword):
        split_pages(h.make_encrypted_pdf())
    with pytest.raises(UnreadablePdf):
        split_pages(b"%PDF-1.4 nothing")
