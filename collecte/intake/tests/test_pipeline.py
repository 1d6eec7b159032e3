"""Processing what arrived: documents, de-duplication, page split, sender policy, body as PDF, failures, retries."""
import io
from email.message import EmailMessage

import pikepdf
import pytest
from django.core.files.storage import default_storage

from collecte.intake import pipeline
from collecte.intake.models import Document, InboundMessage
from collecte.intake.receive import accept_email, accept_file

pytestmark = pytest.mark.django_db(transaction=True)


def pdf_bytes(pages=1, marker="A"):
    pdf = pikepdf.new()
    for number in range(pages):
        page = pdf.add_blank_page()
        page.Contents = pdf.make_stream(b"BT 72 720 Td (%s page %d) Tj ET" % (marker.encode(), number + 1))
    pdf.docinfo["/Title"] = f"invoice {marker}"
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)  # the same content, the same bytes (qpdf otherwise mixes the time in)
    return out.getvalue()


def mail(*attachments, sender="factures@fournisseur.example", subject="Facture", message_id=None, body="Bonjour"):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "x@localhost", subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    for name, content in attachments:
        msg.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def receive(world, raw, module="purchases", folder=None, envelope_from="factures@fournisseur.example"):
    folder = folder or world.folder
    address = folder.addresses.active().get(module=module, member__isnull=True)
    [row] = accept_email(raw, [address], envelope_from=envelope_from)
    row.refresh_from_db()
    return row


def test_it_turns_a_pdf_attachment_into_a_document_that_is_read(world):
    row = receive(world, mail(("facture-12.pdf", pdf_bytes())))
    assert row.status == "documents"
    [doc] = row.documents.all()
    assert (doc.filename, doc.status, doc.module, doc.content_type) == ("facture-12.pdf", "extracted",
                                                                        "purchases", "application/pdf")
    with default_storage.open(doc.file, "rb") as f:
        assert f.read() == pdf_bytes()
    assert row.subject == "Facture" and row.from_header == "factures@fournisseur.example"


def test_it_marks_the_same_file_twice_as_a_duplicate_of_the_first(world):
    first = receive(world, mail(("a.pdf", pdf_bytes()), subject="one"))
    second = receive(world, mail(("b.pdf", pdf_bytes()), subject="two"))
    assert second.status == "duplicate"
    [dup] = second.documents.all()
    assert dup.status == "duplicate" and dup.duplicate_of == first.documents.get()


def test_it_keeps_the_same_file_apart_in_another_folder(world):
    receive(world, mail(("a.pdf", pdf_bytes())))
    other = receive(world, mail(("a.pdf", pdf_bytes())), folder=world.other_folder)
    assert other.status == "documents"


def test_it_splits_every_page_for_the_multiple_address(world):
    row = receive(world, mail(("lot.pdf", pdf_bytes(pages=3))), module="purchases_split")
    original = row.documents.get(split_from__isnull=True)
    pages = list(original.pages.order_by("page_number"))
    assert original.status == "split"
    assert [p.page_number for p in pages] == [1, 2, 3]
    assert all(p.status == "extracted" and p.module == "purchases_split" for p in pages)
    assert len({p.sha256 for p in pages}) == 3


def test_it_processes_the_same_message_id_once_per_folder(world):
    raw = mail(("a.pdf", pdf_bytes()), message_id="<same@fournisseur.example>")
    receive(world, raw)
    again = receive(world, raw)
    assert again.status == "already_received"
    assert Document.objects.filter(folder=world.folder).count() == 1


def test_it_records_no_document_with_the_reason(world):
    row = receive(world, mail())
    assert row.status == "no_document" and row.status_reason


def test_it_keeps_the_body_as_a_pdf_when_the_folder_asks(world):
    world.folder.keep_body_as_pdf = True
    world.folder.save()
    row = receive(world, mail(body="Reçu Uber : 23,40 € TTC, le 3 mars."))
    [doc] = row.documents.all()
    assert doc.content_type == "application/pdf" and doc.status == "extracted"
    with default_storage.open(doc.file, "rb") as f:
        assert f.read().startswith(b"%PDF")


def test_it_holds_unknown_senders_and_processes_them_once_approved(world):
    world.folder.sender_policy, world.folder.allowed_senders = "hold", "@fournisseur.example"
    world.folder.save()
    allowed = receive(world, mail(("a.pdf", pdf_bytes(marker="ok"))))
    held = receive(world, mail(("b.pdf", pdf_bytes(marker="held")), sender="inconnu@spam.example"),
                   envelope_from="inconnu@spam.example")
    assert allowed.status == "documents"
    assert held.status == "held" and "inconnu@spam.example" in held.status_reason
    assert not held.documents.exists()
    assert pipeline.release_held(held, world.owner)
    held.refresh_from_db()
    assert held.status == "documents" and held.documents.count() == 1


def test_it_rejects_unknown_senders_but_keeps_the_message(world):
    world.folder.sender_policy, world.folder.allowed_senders = "reject", "compta@client.example"
    world.folder.save()
    row = receive(world, mail(("a.pdf", pdf_bytes())), envelope_from="x@elsewhere.example")
    assert row.status == "rejected" and not row.documents.exists()
    assert default_storage.exists(row.raw)


def test_it_lets_the_clients_forwarded_mail_through_by_its_envelope(world):
    world.folder.sender_policy, world.folder.allowed_senders = "reject", "client@gmail.example"
    world.folder.save()
    row = receive(world, mail(("a.pdf", pdf_bytes())), envelope_from="client+caf_=x=localhost@gmail.example")
    assert row.status == "documents"


def test_it_retries_a_failure_then_holds_it_as_failed_for_a_person(world, settings):
    settings.INTAKE_MAX_ATTEMPTS = 2
    address = world.folder.addresses.active().get(module="purchases", member__isnull=True)
    [row] = accept_email(mail(("a.pdf", pdf_bytes())), [address])
    default_storage.delete(row.raw)  # the raw file is gone: every attempt fails, the row stays visible
    InboundMessage.objects.filter(pk=row.pk).update(status="received")
    pipeline.process_message(row.pk)
    pipeline.process_message(row.pk)
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 2 and "FileNotFoundError" in row.status_reason


def test_it_runs_an_uploaded_file_through_the_same_file_handling(world):
    row = accept_file(world.folder, "sales", "vente.pdf", pdf_bytes(marker="upload"), uploaded_by=world.admin)
    row.refresh_from_db()
    assert row.status == "documents" and row.documents.get().module == "sales"


def test_it_stores_a_file_with_a_very_long_accented_name_and_keeps_the_name_for_display(world):
    name = "é" * 150 + ".pdf"
    row = accept_file(world.folder, "purchases", name, pdf_bytes(marker="long"), uploaded_by=world.admin)
    row.refresh_from_db()
    assert row.status == "documents"
    document = row.documents.get()
    assert document.filename == name and len(document.file.encode()) < 255


def test_it_keeps_a_pdf_it_cannot_split_whole_and_flagged(world):
    broken = b"%PDF-1.4\n" + b"garbage " * 200
    row = receive(world, mail(("lot.pdf", broken)), module="purchases_split")
    assert row.status == "documents"
    assert all(d.split_from_id is None for d in row.documents.all())
