"""POST/GET /folders/{id}/documents, GET /documents/{id}, POST /documents/{id}/unlock: personas, error contract."""
import pikepdf
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from collecte.intake.models import Document, InboundMessage
from collecte.web.tests.intake_helpers import (distinct_pages_pdf, make_encrypted_pdf, make_pdf, media,  # noqa: F401
                                               upload_as)

from .helpers import assert_error

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

FOLDER_USERS = ["owner", "collaborator", "admin", "approver", "standard"]


def documents_url(folder_id):
    return f"/api/v1/folders/{folder_id}/documents"


def upload(api, folder_id, filename="facture.pdf", content=None, module="purchases"):
    data = {"module": module}
    if filename is not None:
        data["file"] = SimpleUploadedFile(filename, make_pdf(tag=filename) if content is None else content)
    return api.client.post(documents_url(folder_id), data, **api.headers)


# --- upload ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", FOLDER_USERS)
def test_every_folder_user_uploads_a_file(world, api_for, persona):
    response = upload(api_for(getattr(world, persona)), world.folder.pk, content=make_pdf(tag=persona))
    assert response.status_code == 201, response.content
    body = response.json()
    row = InboundMessage.objects.get(pk=body["message_id"])
    assert (row.source, row.uploaded_by, row.folder) == ("api", getattr(world, persona), world.folder)
    assert body["status"] == "documents" and body["filename"] == "facture.pdf" and body["module"] == "purchases"
    [document] = body["documents"]
    assert document["status"] == "extracted" and document["filename"] == "facture.pdf"
    assert document["sha256"] == Document.objects.get().sha256 and document["duplicate_of"] is None


@pytest.mark.parametrize("persona", ["unassigned", "outsider"])
def test_people_without_access_get_a_404(world, api_for, persona):
    assert_error(upload(api_for(getattr(world, persona)), world.folder.pk), 404, "not_found")
    assert_error(api_for(getattr(world, persona)).get(documents_url(world.folder.pk)), 404, "not_found")
    assert not InboundMessage.objects.exists()


def test_anonymous_callers_get_a_401(world, anonymous_api):
    assert_error(upload(anonymous_api, world.folder.pk), 401, "not_authenticated")
    assert_error(anonymous_api.get(documents_url(world.folder.pk)), 401, "not_authenticated")


def test_a_standard_users_upload_is_theirs(world, api_for):
    upload(api_for(world.standard), world.folder.pk)
    assert InboundMessage.objects.get().member == world.standard_member
    assert Document.objects.get().submitted_by == world.standard_member


def test_a_multi_page_pdf_for_a_multiple_module_becomes_one_document_per_page(world, api_for):
    body = upload(api_for(world.owner), world.folder.pk, "lot.pdf", distinct_pages_pdf(3),
                  module="purchases_split").json()
    original, *pages = body["documents"]
    assert original["status"] == "split" and original["split_from"] is None
    assert [(p["page_number"], p["split_from"], p["status"]) for p in pages] == [
        (1, original["id"], "extracted"), (2, original["id"], "extracted"), (3, original["id"], "extracted")]


def test_the_same_file_twice_is_a_duplicate(world, api_for):
    api = api_for(world.owner)
    first = upload(api, world.folder.pk, "a.pdf", make_pdf(tag="same")).json()
    second = upload(api, world.folder.pk, "b.pdf", make_pdf(tag="same")).json()
    assert second["status"] == "duplicate"
    assert second["documents"][0]["duplicate_of"] == first["documents"][0]["id"]


def test_it_refuses_a_file_over_the_size_limit_with_413(world, api_for, settings):
    settings.SMTP_MAX_MESSAGE_BYTES = 100
    body = assert_error(upload(api_for(world.owner), world.folder.pk, "gros.pdf", b"x" * 101), 413,
                        "file_too_large")
    assert "« gros.pdf » est trop volumineux" in body["detail"]
    assert not InboundMessage.objects.exists()


def test_it_refuses_an_empty_file(world, api_for):
    body = assert_error(upload(api_for(world.owner), world.folder.pk, "vide.pdf", b""), 422, "empty_file")
    assert "vide.pdf" in body["detail"]


def test_it_refuses_an_unknown_module(world, api_for):
    body = assert_error(upload(api_for(world.owner), world.folder.pk, module="personal"), 422, "validation_error")
    assert body["errors"][0]["field"] == "module"


def test_it_needs_a_file(world, api_for):
    body = assert_error(upload(api_for(world.owner), world.folder.pk, filename=None), 422, "validation_error")
    assert body["errors"][0]["field"] == "file"


# --- listing --------------------------------------------------------------------------------------------------

def _three_uploads(world):
    upload_as(world.standard, world.folder, "mien.pdf", make_pdf(tag="mien"))
    upload_as(world.admin, world.folder, "admin.pdf", make_pdf(tag="admin"))
    upload_as(world.admin, world.folder, "verrou.pdf", make_encrypted_pdf())


@pytest.mark.parametrize("persona", ["owner", "collaborator", "admin", "approver"])
def test_staff_admins_and_approvers_list_every_document(world, api_for, persona):
    _three_uploads(world)
    body = api_for(getattr(world, persona)).get(documents_url(world.folder.pk)).json()
    assert body["count"] == 3
    assert [d["filename"] for d in body["items"]] == ["verrou.pdf", "admin.pdf", "mien.pdf"]
    assert set(body["items"][0]) == {"id", "folder_id", "message_id", "module", "filename", "content_type", "size",
                                     "sha256", "status", "duplicate_of", "split_from", "page_number", "flags",
                                     "has_einvoice_xml", "created_at", "extraction"}


def test_a_standard_user_lists_only_their_documents(world, api_for):
    _three_uploads(world)
    body = api_for(world.standard).get(documents_url(world.folder.pk)).json()
    assert [d["filename"] for d in body["items"]] == ["mien.pdf"] and body["count"] == 1


def test_the_list_filters_by_status_and_pages(world, api_for):
    _three_uploads(world)
    api = api_for(world.owner)
    body = api.get(documents_url(world.folder.pk) + "?status=needs_password").json()
    assert [d["filename"] for d in body["items"]] == ["verrou.pdf"]
    body = api.get(documents_url(world.folder.pk) + "?limit=1&offset=1").json()
    assert [d["filename"] for d in body["items"]] == ["admin.pdf"] and body["count"] == 3
    assert_error(api.get(documents_url(world.folder.pk) + "?limit=0"), 422, "validation_error")


# --- one document ---------------------------------------------------------------------------------------------

def test_a_document_and_its_file(world, api_for):
    content = make_pdf(tag="mien")
    upload_as(world.standard, world.folder, "mien.pdf", content)
    document = Document.objects.get()
    api = api_for(world.standard)
    assert api.get(f"/api/v1/documents/{document.pk}").json()["filename"] == "mien.pdf"
    response = api.get(f"/api/v1/documents/{document.pk}/file")
    assert response.status_code == 200 and b"".join(response.streaming_content) == content


@pytest.mark.parametrize("persona, status", [("approver", 200), ("standard", 404), ("outsider", 404),
                                             ("unassigned", 404)])
def test_who_may_read_a_document(world, api_for, persona, status):
    upload_as(world.admin, world.folder, "admin.pdf", make_pdf(tag="admin"))
    response = api_for(getattr(world, persona)).get(f"/api/v1/documents/{Document.objects.get().pk}")
    assert response.status_code == status


# --- unlock ---------------------------------------------------------------------------------------------------

def unlock(api, document, password):
    return api.post(f"/api/v1/documents/{document.pk}/unlock", {"password": password})


def test_the_right_password_unlocks_the_document(world, api_for):
    document = upload_as(world.standard, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    assert document.status == "needs_password"
    response = unlock(api_for(world.standard), document, "secret")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "to_extract" and "unlocked" in body["flags"]
    assert all(not f.startswith("original_file:") for f in body["flags"])
    document.refresh_from_db()
    with default_storage.open(document.file, "rb") as f, pikepdf.open(f) as pdf:
        assert len(pdf.pages) == 1


def test_a_wrong_password_is_a_422_wrong_password(world, api_for):
    document = upload_as(world.owner, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    body = assert_error(unlock(api_for(world.owner), document, "devine"), 422, "wrong_password")
    assert "verrou.pdf" in body["detail"]
    document.refresh_from_db()
    assert document.status == "needs_password"


def test_a_document_that_is_not_locked_is_a_409(world, api_for):
    document = upload_as(world.owner, world.folder, "ok.pdf", make_pdf(tag="ok")).documents.get()
    assert_error(unlock(api_for(world.owner), document, "x"), 409, "not_locked")


@pytest.mark.parametrize("persona", ["standard", "outsider", "unassigned"])
def test_people_who_cannot_see_the_document_cannot_unlock_it(world, api_for, persona):
    document = upload_as(world.admin, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    assert_error(unlock(api_for(getattr(world, persona)), document, "secret"), 404, "not_found")


def test_anonymous_callers_cannot_unlock(world, anonymous_api):
    document = upload_as(world.admin, world.folder, "verrou.pdf", make_encrypted_pdf("secret")).documents.get()
    assert_error(unlock(anonymous_api, document, "secret"), 401, "not_authenticated")


def test_the_endpoints_are_in_the_openapi_schema(world, api_for):
    paths = api_for(world.owner).get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/folders/{folder_id}/documents", "/api/v1/documents/{document_id}",
            "/api/v1/documents/{document_id}/unlock"} <= set(paths)
