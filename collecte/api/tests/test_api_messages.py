"""GET /folders/{id}/messages, GET /messages/{id}, POST /messages/{id}/retry, GET /messages/{id}/raw."""
import pytest

from collecte.web.tests.intake_helpers import (CONFIRM, failed, gmail_confirmation, invoice_mail,  # noqa: F401
                                               log_world, make_pdf, media, receive, upload_as)

from .helpers import assert_error

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

SEE_ALL = ["owner", "collaborator", "admin", "approver"]
MANAGERS = ["owner", "collaborator", "admin"]


def log_url(folder_id, query=""):
    return f"/api/v1/folders/{folder_id}/messages{query}"


def ids(response):
    assert response.status_code == 200, response.content
    return {m["id"] for m in response.json()["items"]}


# --- the log --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", SEE_ALL)
def test_staff_admins_and_approvers_list_every_message(world, api_for, persona):
    log = log_world(world)
    response = api_for(getattr(world, persona)).get(log_url(world.folder.pk))
    assert ids(response) == {log.email.pk, log.standard_upload.pk, log.admin_upload.pk}
    assert response.json()["count"] == 3


def test_a_standard_user_lists_only_their_own(world, api_for):
    log = log_world(world)
    assert ids(api_for(world.standard).get(log_url(world.folder.pk))) == {log.standard_upload.pk}


@pytest.mark.parametrize("persona", ["unassigned", "outsider"])
def test_people_without_access_get_a_404(world, api_for, persona):
    log = log_world(world)
    api = api_for(getattr(world, persona))
    assert_error(api.get(log_url(world.folder.pk)), 404, "not_found")
    for path in (f"/api/v1/messages/{log.email.pk}", f"/api/v1/messages/{log.email.pk}/raw"):
        assert_error(api.get(path), 404, "not_found")
    assert_error(api.post(f"/api/v1/messages/{log.email.pk}/retry"), 404, "not_found")


def test_anonymous_callers_get_a_401(world, anonymous_api):
    log = log_world(world)
    assert_error(anonymous_api.get(log_url(world.folder.pk)), 401, "not_authenticated")
    assert_error(anonymous_api.get(f"/api/v1/messages/{log.email.pk}"), 401, "not_authenticated")
    assert_error(anonymous_api.get(f"/api/v1/messages/{log.email.pk}/raw"), 401, "not_authenticated")


def test_an_entry_describes_the_message(world, api_for):
    vcard = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jean Dupont\r\nEND:VCARD\r\n"
    row = receive(world.folder, invoice_mail(("facture.pdf", make_pdf(tag="f"), "application/pdf"),
                                             ("jean.vcf", vcard, "text/vcard"), subject="Facture n° 12"))
    entry = api_for(world.owner).get(f"/api/v1/messages/{row.pk}").json()
    assert entry["from"] == "Fournisseur <factures@fournisseur.example>" and entry["subject"] == "Facture n° 12"
    assert entry["source"] == "smtp" and entry["status"] == "documents" and entry["status_reason"] == ""
    assert entry["documents"] == [row.documents.get().pk]
    assert [(p["filename"], p["reason"]) for p in entry["skipped_parts"]] == [("jean.vcf", "vcard")]
    assert entry["forwarding"] is None and entry["attempts"] == 0 and entry["last_error"] == ""
    assert entry["received_at"] and entry["processed_at"]


def test_an_upload_entry_names_the_file_and_the_uploader(world, api_for):
    row = upload_as(world.standard, world.folder, "ticket.pdf", make_pdf(tag="t"))
    entry = api_for(world.standard).get(f"/api/v1/messages/{row.pk}").json()
    assert (entry["source"], entry["filename"], entry["uploaded_by"]) == ("upload", "ticket.pdf",
                                                                         "standard@client.example")
    assert entry["member_id"] == world.standard_member.pk


def test_a_forwarding_confirmation_carries_requester_code_and_link(world, api_for):
    address = world.folder.addresses.active().get(module="purchases", member__isnull=True)
    row = receive(world.folder, gmail_confirmation(address.email, requester="compta.martin@gmail.com"))
    entry = api_for(world.admin).get(f"/api/v1/messages/{row.pk}").json()
    assert entry["status"] == "forwarding" and entry["documents"] == []
    assert entry["forwarding"]["requester"] == "compta.martin@gmail.com"
    assert entry["forwarding"]["code"] == "61234567" and entry["forwarding"]["confirm_url"] == CONFIRM


def test_the_log_filters_by_status_and_pages(world, api_for):
    good = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="a"), "application/pdf")))
    empty = receive(world.folder, invoice_mail(subject="rien"))
    api = api_for(world.owner)
    assert ids(api.get(log_url(world.folder.pk, "?status=no_document"))) == {empty.pk}
    body = api.get(log_url(world.folder.pk, "?limit=1")).json()
    assert [m["id"] for m in body["items"]] == [empty.pk] and body["count"] == 2
    assert ids(api.get(log_url(world.folder.pk, "?limit=1&offset=1"))) == {good.pk}
    assert_error(api.get(log_url(world.folder.pk, "?status=bogus")), 422, "validation_error")


def test_a_standard_user_cannot_read_anothers_message(world, api_for):
    log = log_world(world)
    assert_error(api_for(world.standard).get(f"/api/v1/messages/{log.admin_upload.pk}"), 404, "not_found")


def test_error_texts_are_for_managers_only(world, api_for):
    row = failed(upload_as(world.standard, world.folder, "t.pdf", make_pdf(tag="t")))
    mine = api_for(world.standard).get(f"/api/v1/messages/{row.pk}").json()
    assert mine["status"] == "failed" and mine["last_error"] == "" and mine["status_reason"] == ""
    theirs = api_for(world.admin).get(f"/api/v1/messages/{row.pk}").json()
    assert theirs["last_error"] == "RuntimeError: disk on fire"


# --- retry ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_retry_a_failed_message(world, api_for, persona):
    row = failed(receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="r"), "application/pdf"))))
    row.documents.all().delete()
    response = api_for(getattr(world, persona)).post(f"/api/v1/messages/{row.pk}/retry")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "documents" and body["attempts"] == 0 and len(body["documents"]) == 1


def test_only_a_failed_message_can_be_retried(world, api_for):
    row = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="ok"), "application/pdf")))
    assert_error(api_for(world.owner).post(f"/api/v1/messages/{row.pk}/retry"), 409, "not_failed")


@pytest.mark.parametrize("persona", ["approver", "standard"])
def test_other_folder_users_may_not_retry(world, api_for, persona):
    row = failed(upload_as(world.standard, world.folder, "t.pdf", make_pdf(tag="t")))
    assert_error(api_for(getattr(world, persona)).post(f"/api/v1/messages/{row.pk}/retry"), 403, "forbidden")
    row.refresh_from_db()
    assert row.status == "failed"


# --- raw ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_download_the_raw_message(world, api_for, persona):
    raw = invoice_mail(("a.pdf", make_pdf(tag="raw"), "application/pdf"))
    row = receive(world.folder, raw)
    response = api_for(getattr(world, persona)).get(f"/api/v1/messages/{row.pk}/raw")
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content) == raw


@pytest.mark.parametrize("persona", ["approver", "standard"])
def test_other_folder_users_may_not_download_the_raw_message(world, api_for, persona):
    row = upload_as(world.standard, world.folder, "t.pdf", make_pdf(tag="t"))
    assert_error(api_for(getattr(world, persona)).get(f"/api/v1/messages/{row.pk}/raw"), 403, "forbidden")


def test_the_endpoints_are_in_the_openapi_schema(world, api_for):
    paths = api_for(world.owner).get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/folders/{folder_id}/messages", "/api/v1/messages/{message_id}",
            "/api/v1/messages/{message_id}/retry", "/api/v1/messages/{message_id}/raw"} <= set(paths)
    item = paths["/api/v1/messages/{message_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert item["schema"]["$ref"].endswith("/MessageOut")


# --- release --------------------------------------------------------------------------------------------------

def _held(world):
    world.folder.sender_policy, world.folder.allowed_senders = "hold", "@autre-fournisseur.example"
    world.folder.save()
    return receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="held"), "application/pdf")))


@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_release_a_held_message(world, api_for, persona):
    row = _held(world)
    response = api_for(getattr(world, persona)).post(f"/api/v1/messages/{row.pk}/release")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "documents" and len(response.json()["documents"]) == 1


def test_only_a_held_message_can_be_released(world, api_for):
    row = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="ok"), "application/pdf")))
    assert_error(api_for(world.owner).post(f"/api/v1/messages/{row.pk}/release"), 409, "not_held")


def test_an_approver_may_not_release(world, api_for):
    row = _held(world)
    assert_error(api_for(world.approver).post(f"/api/v1/messages/{row.pk}/release"), 403, "forbidden")
    assert_error(api_for(world.outsider).post(f"/api/v1/messages/{row.pk}/release"), 404, "not_found")
