"""Uploading files in the web UI: the drop zone on the folder page, several files at once, what became of each."""
import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collecte.intake.models import Document, InboundMessage

from .helpers import assert_login_redirect, html
from .intake_helpers import distinct_pages_pdf, make_encrypted_pdf, make_pdf, media, upload_as  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

FOLDER_USERS = ["owner", "collaborator", "admin", "approver", "standard"]


def upload_url(folder):
    return reverse("folder-upload", args=[folder.pk])


def post_files(client, folder, *files, module="purchases"):
    """files: (name, bytes). Follows the redirect to the result page."""
    uploads = [SimpleUploadedFile(name, content) for name, content in files]
    return client.post(upload_url(folder), {"module": module, "files": uploads}, follow=True)


# --- who may upload -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", FOLDER_USERS)
def test_it_offers_the_drop_zone_on_the_folder_page_to_every_folder_user(world, client_for, persona):
    page = html(client_for(getattr(world, persona)).get(reverse("folder-detail", args=[world.folder.pk])))
    assert "Déposer des documents" in page
    assert 'enctype="multipart/form-data"' in page and "multiple" in page and "data-dropzone" in page
    for label in ("Achats", "Ventes", "Achats — multiple", "Ventes — multiple"):
        assert f">{label}</option>" in page


@pytest.mark.parametrize("persona", FOLDER_USERS)
def test_it_lets_every_folder_user_upload(world, client_for, persona):
    response = post_files(client_for(getattr(world, persona)), world.folder, ("facture.pdf", make_pdf(tag=persona)))
    assert response.status_code == 200
    [row] = InboundMessage.objects.filter(folder=world.folder)
    assert (row.source, row.raw_filename, row.uploaded_by) == ("upload", "facture.pdf", getattr(world, persona))
    assert row.status == "documents"


@pytest.mark.parametrize("persona", ["unassigned", "outsider"])
def test_it_hides_the_folder_from_people_without_access(world, client_for, persona):
    client = client_for(getattr(world, persona))
    assert client.get(upload_url(world.folder)).status_code == 404
    assert post_files(client, world.folder, ("facture.pdf", make_pdf())).status_code == 404
    assert not InboundMessage.objects.exists()


def test_it_sends_anonymous_visitors_to_the_login_page(world, client):
    assert_login_redirect(client.post(upload_url(world.folder), {"module": "purchases"}))
    assert_login_redirect(client.get(reverse("upload-done", args=[world.folder.pk])))


# --- what an upload gives -------------------------------------------------------------------------------------

def test_it_takes_several_files_at_once_and_shows_what_became_of_each(world, client_for):
    response = post_files(client_for(world.collaborator), world.folder,
                          ("facture-1.pdf", make_pdf(tag="1")), ("facture-2.pdf", make_pdf(tag="2")))
    assert response.redirect_chain[-1][0].startswith(reverse("upload-done", args=[world.folder.pk]))
    rows = list(InboundMessage.objects.filter(folder=world.folder).order_by("pk"))
    assert [r.raw_filename for r in rows] == ["facture-1.pdf", "facture-2.pdf"]
    documents = Document.objects.filter(folder=world.folder).order_by("pk")
    assert [(d.filename, d.status, d.module) for d in documents] == [
        ("facture-1.pdf", "extracted", "purchases"), ("facture-2.pdf", "extracted", "purchases")]
    page = html(response)
    for row in rows:
        assert reverse("message-detail", args=[row.pk]) in page
    assert page.count("Documents créés") == 2


def test_it_files_the_upload_in_the_chosen_module(world, client_for):
    post_files(client_for(world.owner), world.folder, ("vente.pdf", make_pdf(tag="v")), module="sales")
    assert Document.objects.get().module == "sales"


def test_it_records_a_standard_users_upload_as_theirs(world, client_for):
    post_files(client_for(world.standard), world.folder, ("ticket.pdf", make_pdf(tag="ticket")))
    row = InboundMessage.objects.get()
    assert row.member == world.standard_member and row.uploaded_by == world.standard
    assert Document.objects.get().submitted_by == world.standard_member


def test_it_splits_every_page_for_a_multiple_module(world, client_for):
    post_files(client_for(world.admin), world.folder, ("lot.pdf", distinct_pages_pdf(3)),
               module="purchases_split")
    original = Document.objects.get(split_from__isnull=True)
    assert original.status == "split"
    pages = Document.objects.filter(split_from=original).order_by("page_number")
    assert [(p.page_number, p.status, p.filename) for p in pages] == [
        (1, "extracted", "lot-p1.pdf"), (2, "extracted", "lot-p2.pdf"), (3, "extracted", "lot-p3.pdf")]
    page = html(client_for(world.admin).get(reverse("message-detail", args=[InboundMessage.objects.get().pk])))
    assert "page 3" in page and "Découpé en pages" in page


def test_it_marks_the_same_file_uploaded_twice_as_a_duplicate(world, client_for):
    client = client_for(world.owner)
    post_files(client, world.folder, ("facture.pdf", make_pdf(tag="same")))
    response = post_files(client, world.folder, ("facture-encore.pdf", make_pdf(tag="same")))
    first, second = Document.objects.order_by("pk")
    assert (second.status, second.duplicate_of) == ("duplicate", first)
    assert InboundMessage.objects.order_by("pk").last().status == "duplicate"
    assert "doublon de « facture.pdf »" in html(response)


# --- refusals -------------------------------------------------------------------------------------------------

def test_it_refuses_an_oversized_file_and_names_it(world, client_for, settings):
    settings.SMTP_MAX_MESSAGE_BYTES = 1000
    response = post_files(client_for(world.owner), world.folder, ("enorme.pdf", b"%PDF-1.4" + b"x" * 2000))
    assert response.status_code == 200
    assert "« enorme.pdf » est trop volumineux" in html(response)
    assert not InboundMessage.objects.exists()


def test_it_keeps_the_good_files_of_a_drop_that_has_a_bad_one(world, client_for, settings):
    small = make_pdf(tag="small")
    settings.SMTP_MAX_MESSAGE_BYTES = len(small) + 10
    response = post_files(client_for(world.owner), world.folder, ("ok.pdf", small),
                          ("gros.pdf", b"%PDF-1.4" + b"x" * (len(small) + 100)))
    assert [r.raw_filename for r in InboundMessage.objects.all()] == ["ok.pdf"]
    page = html(response)
    assert "« gros.pdf » est trop volumineux" in page and "ok.pdf" in page


def test_it_refuses_an_empty_file(world, client_for):
    response = post_files(client_for(world.owner), world.folder, ("vide.pdf", b""))
    assert "« vide.pdf » est vide" in html(response)
    assert not InboundMessage.objects.exists()


def test_it_asks_for_a_file_when_none_was_chosen(world, client_for):
    response = client_for(world.owner).post(upload_url(world.folder), {"module": "purchases"})
    assert response.status_code == 200
    assert "Choisissez au moins un fichier à déposer." in html(response)


def test_it_refuses_an_unknown_module(world, client_for):
    response = post_files(client_for(world.owner), world.folder, ("f.pdf", make_pdf()), module="personal")
    assert response.status_code == 200 and response.context["form"].errors["module"]
    assert not InboundMessage.objects.exists()


# --- the result page and the document's file ------------------------------------------------------------------

def test_the_result_page_shows_only_uploads_the_user_may_see(world, client_for):
    theirs = upload_as(world.approver, world.folder, "approbateur.pdf", make_pdf(tag="appr"))
    mine = upload_as(world.standard, world.folder, "mien.pdf", make_pdf(tag="mien"))
    url = reverse("upload-done", args=[world.folder.pk]) + f"?m={theirs.pk}&m={mine.pk}"
    page = html(client_for(world.standard).get(url))
    assert "mien.pdf" in page and "approbateur.pdf" not in page


def test_a_user_opens_the_file_of_their_document_but_not_anothers(world, client_for):
    content = make_pdf(tag="own")
    upload_as(world.standard, world.folder, "mien.pdf", content)
    upload_as(world.admin, world.folder, "admin.pdf", make_pdf(tag="admin"))
    mine, other = Document.objects.get(filename="mien.pdf"), Document.objects.get(filename="admin.pdf")
    client = client_for(world.standard)
    response = client.get(reverse("document-file", args=[mine.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert client.get(reverse("document-file", args=[other.pk])).status_code == 404
    assert client_for(world.outsider).get(reverse("document-file", args=[mine.pk])).status_code == 404


# --- password-protected PDFs ----------------------------------------------------------------------------------

def test_it_flags_a_protected_pdf_and_offers_the_password_form(world, client_for):
    response = post_files(client_for(world.standard), world.folder, ("verrou.pdf", make_encrypted_pdf("secret")))
    document = Document.objects.get()
    assert document.status == "needs_password" and "encrypted" in document.flags
    page = html(response)
    assert "Protégé par un mot de passe" in page and "Mot de passe du PDF" in page
    assert reverse("document-unlock", args=[document.pk]) in page


def test_the_right_password_unlocks_the_pdf_for_extraction(world, client_for):
    row = upload_as(world.standard, world.folder, "verrou.pdf", make_encrypted_pdf("secret"))
    document = row.documents.get()
    original_file = document.file
    response = client_for(world.standard).post(reverse("document-unlock", args=[document.pk]),
                                               {"password": "secret"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("message-detail", args=[row.pk])
    assert "« verrou.pdf » est déverrouillé" in html(response)
    document.refresh_from_db()
    assert document.status == "extracted" and "unlocked" in document.flags
    assert default_storage.exists(original_file) and document.file != original_file
    with default_storage.open(document.file, "rb") as f:
        with pikepdf.open(f) as pdf:  # opens without a password
            assert len(pdf.pages) == 1


def test_a_wrong_password_says_so_in_french(world, client_for):
    document = upload_as(world.owner, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    response = client_for(world.owner).post(reverse("document-unlock", args=[document.pk]), {"password": "nope"})
    assert response.status_code == 200
    assert "Ce mot de passe n'ouvre pas « verrou.pdf »." in html(response)
    document.refresh_from_db()
    assert document.status == "needs_password"


def test_an_unlocked_pdf_of_a_multiple_module_is_split_then(world, client_for):
    locked = distinct_pages_pdf(2, password="pw")
    document = upload_as(world.owner, world.folder, "lot.pdf", locked, module="purchases_split").documents.get()
    assert document.status == "needs_password"
    client_for(world.owner).post(reverse("document-unlock", args=[document.pk]), {"password": "pw"})
    document.refresh_from_db()
    assert document.status == "split"
    assert [p.page_number for p in document.pages.order_by("page_number")] == [1, 2]


@pytest.mark.parametrize("persona, status", [("standard", 404), ("outsider", 404), ("approver", 200)])
def test_only_people_who_see_a_document_may_unlock_it(world, client_for, persona, status):
    document = upload_as(world.admin, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    response = client_for(getattr(world, persona)).post(reverse("document-unlock", args=[document.pk]),
                                                        {"password": "secret"})
    assert response.status_code == (302 if status == 200 else status)


def test_anonymous_visitors_cannot_unlock(world, client):
    document = upload_as(world.admin, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    assert_login_redirect(client.post(reverse("document-unlock", args=[document.pk]), {"password": "secret"}))
