"""The message log ("Messages reçus"): what each persona sees, statuses and reasons in French, raw download, retry."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collecte.intake.models import InboundMessage

from .helpers import assert_login_redirect, html
from .intake_helpers import (failed, gmail_confirmation, invoice_mail, log_world, make_pdf, media,  # noqa: F401
                             receive, upload_as)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

SEE_ALL = ["owner", "collaborator", "admin", "approver"]
MANAGERS = ["owner", "collaborator", "admin"]


def log_url(folder, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("folder-messages", args=[folder.pk]) + (f"?{query}" if query else "")


def shown_ids(response):
    return {m.pk for m in response.context["page"].object_list}


# --- who sees what --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", SEE_ALL)
def test_staff_admins_and_approvers_see_every_message_of_the_folder(world, client_for, persona):
    log = log_world(world)
    response = client_for(getattr(world, persona)).get(log_url(world.folder))
    assert response.status_code == 200
    assert shown_ids(response) == {log.email.pk, log.standard_upload.pk, log.admin_upload.pk}
    assert "Messages reçus" in html(response)


def test_a_standard_user_sees_only_what_they_sent_or_uploaded(world, client_for):
    log = log_world(world)
    personal = receive(world.folder, invoice_mail(("note.pdf", make_pdf(tag="note"), "application/pdf")),
                       member=world.standard_member)
    response = client_for(world.standard).get(log_url(world.folder))
    assert shown_ids(response) == {log.standard_upload.pk, personal.pk}
    client = client_for(world.standard)
    assert client.get(reverse("message-detail", args=[log.email.pk])).status_code == 404
    assert client.get(reverse("message-detail", args=[log.standard_upload.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["unassigned", "outsider"])
def test_people_without_access_get_a_404(world, client_for, persona):
    log = log_world(world)
    client = client_for(getattr(world, persona))
    assert client.get(log_url(world.folder)).status_code == 404
    assert client.get(reverse("message-detail", args=[log.email.pk])).status_code == 404
    assert client.get(reverse("message-raw", args=[log.email.pk])).status_code == 404
    assert client.post(reverse("message-retry", args=[log.email.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(world, client):
    log = log_world(world)
    assert_login_redirect(client.get(log_url(world.folder)))
    assert_login_redirect(client.get(reverse("message-detail", args=[log.email.pk])))
    assert_login_redirect(client.get(reverse("message-raw", args=[log.email.pk])))


def test_the_folder_page_has_a_messages_tab(world, client_for):
    page = html(client_for(world.standard).get(reverse("folder-detail", args=[world.folder.pk])))
    assert log_url(world.folder) in page and "Messages reçus" in page


# --- what an entry says ---------------------------------------------------------------------------------------

def test_an_entry_shows_sender_subject_status_and_documents(world, client_for):
    row = receive(world.folder, invoice_mail(("facture-12.pdf", make_pdf(tag="12"), "application/pdf"),
                                             subject="Facture n° 12"))
    document = row.documents.get()
    page = html(client_for(world.owner).get(log_url(world.folder)))
    assert "Fournisseur <factures@fournisseur.example>" in page and "Facture n° 12" in page
    assert "Documents créés" in page and "facture-12.pdf" in page and "Lu (" in page
    assert reverse("document-file", args=[document.pk]) in page


def test_an_upload_says_who_dropped_it(world, client_for):
    upload_as(world.standard, world.folder, "ticket.pdf", make_pdf(tag="t"))
    page = html(client_for(world.admin).get(log_url(world.folder)))
    assert "ticket.pdf" in page and "Déposé par Stan Standard" in page


def test_skipped_parts_are_listed_with_their_reason_in_french(world, client_for):
    vcard = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jean Dupont\r\nEND:VCARD\r\n"
    invite = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:RDV\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    row = receive(world.folder, invoice_mail(("facture.pdf", make_pdf(tag="f"), "application/pdf"),
                                             ("jean.vcf", vcard, "text/vcard"), ("rdv.ics", invite, "text/calendar")))
    assert {p["reason"] for p in row.skipped_parts} == {"vcard", "calendar"}
    page = html(client_for(world.owner).get(log_url(world.folder)))
    assert "jean.vcf — carte de visite (vCard)" in page
    assert "rdv.ics — invitation de calendrier" in page


def test_a_message_without_attachment_says_so(world, client_for):
    row = receive(world.folder, invoice_mail(subject="Juste un bonjour"))
    assert row.status == "no_document"
    page = html(client_for(world.owner).get(log_url(world.folder)))
    assert "Aucun document" in page and "aucune pièce jointe" in page


def test_a_duplicate_links_to_the_original(world, client_for):
    first = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="same"), "application/pdf"), subject="un"))
    receive(world.folder, invoice_mail(("b.pdf", make_pdf(tag="same"), "application/pdf"), subject="deux"))
    page = html(client_for(world.approver).get(log_url(world.folder, status="duplicate")))
    assert "Doublon" in page and "doublon de « a.pdf »" in page
    assert reverse("message-detail", args=[first.pk]) in page


def test_a_forwarding_confirmation_shows_requester_code_and_link(world, client_for):
    address = world.folder.addresses.active().get(module="purchases", member__isnull=True)
    receive(world.folder, gmail_confirmation(address.email, requester="compta.martin@gmail.com", code="61234567"))
    page = html(client_for(world.owner).get(log_url(world.folder)))
    assert "Confirmation de transfert" in page and "compta.martin@gmail.com" in page and "61234567" in page
    assert 'href="https://mail-settings.google.com/mail/vf-%5BABCDEF%5D-Zra73ESu8vcr"' in page
    assert 'rel="noreferrer noopener"' in page


def test_it_filters_by_status(world, client_for):
    good = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="a"), "application/pdf")))
    empty = receive(world.folder, invoice_mail(subject="rien"))
    client = client_for(world.owner)
    assert shown_ids(client.get(log_url(world.folder, status="no_document"))) == {empty.pk}
    assert shown_ids(client.get(log_url(world.folder, status="documents"))) == {good.pk}
    assert shown_ids(client.get(log_url(world.folder, status="bogus"))) == {good.pk, empty.pk}


def _bulk_messages(folder, count):
    InboundMessage.objects.bulk_create(InboundMessage(folder=folder, module="purchases", source="smtp",
                                                      raw="inbound/none.eml", subject=f"n° {i}",
                                                      status="no_document", status_reason="no_attachment")
                                       for i in range(count))


def test_it_shows_fifty_messages_per_page(world, client_for):
    _bulk_messages(world.folder, 51)
    client = client_for(world.owner)
    first = client.get(log_url(world.folder))
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 sur 2" in html(first)
    assert len(client.get(log_url(world.folder, page=2)).context["page"].object_list) == 1


def test_the_number_of_queries_does_not_grow_with_the_messages(world, client_for):
    client = client_for(world.owner)
    upload_as(world.owner, world.folder, "un.pdf", make_pdf(tag="one"))
    with CaptureQueriesContext(connection) as few:
        client.get(log_url(world.folder))
    for i in range(5):
        upload_as(world.standard, world.folder, f"f{i}.pdf", make_pdf(tag=f"many-{i}"))
    receive(world.folder, invoice_mail(("x.pdf", make_pdf(tag="many-1"), "application/pdf")))
    with CaptureQueriesContext(connection) as many:
        client.get(log_url(world.folder))
    assert len(many.captured_queries) == len(few.captured_queries)


# --- raw download ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_download_the_raw_email(world, client_for, persona):
    raw = invoice_mail(("a.pdf", make_pdf(tag="raw"), "application/pdf"))
    row = receive(world.folder, raw)
    response = client_for(getattr(world, persona)).get(reverse("message-raw", args=[row.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert f'filename="message-{row.pk}.eml"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == raw


@pytest.mark.parametrize("persona", ["approver", "standard"])
def test_other_folder_users_may_not_download_raw_bytes(world, client_for, persona):
    row = upload_as(world.standard, world.folder, "ticket.pdf", make_pdf(tag="t"))
    assert client_for(getattr(world, persona)).get(reverse("message-raw", args=[row.pk])).status_code == 403


def test_the_raw_link_is_shown_to_managers_only(world, client_for):
    row = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="a"), "application/pdf")))
    raw_link = reverse("message-raw", args=[row.pk])
    assert raw_link in html(client_for(world.admin).get(log_url(world.folder)))
    assert raw_link not in html(client_for(world.approver).get(log_url(world.folder)))


def test_the_raw_of_an_upload_is_the_file_itself(world, client_for):
    content = make_pdf(tag="u")
    row = upload_as(world.standard, world.folder, "ticket.pdf", content)
    response = client_for(world.owner).get(reverse("message-raw", args=[row.pk]))
    assert b"".join(response.streaming_content) == content
    assert 'filename="ticket.pdf"' in response["Content-Disposition"]


# --- retry ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_retry_a_failed_message(world, client_for, persona):
    row = failed(receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="r"), "application/pdf"))))
    row.documents.all().delete()
    client = client_for(getattr(world, persona))
    page = html(client.get(log_url(world.folder)))
    assert "Échec du traitement" in page and "RuntimeError: disk on fire" in page and "Réessayer" in page
    response = client.post(reverse("message-retry", args=[row.pk]), follow=True)
    assert "Le message est remis en traitement." in html(response)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("documents", 0, "")
    assert row.documents.count() == 1


def test_retrying_a_message_that_did_not_fail_changes_nothing(world, client_for):
    row = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="ok"), "application/pdf")))
    response = client_for(world.owner).post(reverse("message-retry", args=[row.pk]), follow=True)
    assert "Seul un message en échec peut être retraité." in html(response)
    row.refresh_from_db()
    assert row.status == "documents"


@pytest.mark.parametrize("persona", ["approver", "standard"])
def test_other_folder_users_cannot_retry_and_do_not_see_the_error(world, client_for, persona):
    row = failed(upload_as(world.standard, world.folder, "ticket.pdf", make_pdf(tag="t")))
    client = client_for(getattr(world, persona))
    page = html(client.get(log_url(world.folder)))
    assert "Échec du traitement" in page and "disk on fire" not in page and "Réessayer" not in page
    assert client.post(reverse("message-retry", args=[row.pk])).status_code == 403
    row.refresh_from_db()
    assert row.status == "failed"


def test_retry_needs_a_post(world, client_for):
    row = failed(upload_as(world.admin, world.folder, "a.pdf", make_pdf(tag="a")))
    assert client_for(world.admin).get(reverse("message-retry", args=[row.pk])).status_code == 405


# --- held messages (sender policy) ----------------------------------------------------------------------------

def _held(world):
    world.folder.sender_policy, world.folder.allowed_senders = "hold", "@autre-fournisseur.example"
    world.folder.save()
    row = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="held"), "application/pdf")))
    assert row.status == "held"
    return row


@pytest.mark.parametrize("persona", MANAGERS)
def test_managers_accept_a_held_message(world, client_for, persona):
    row = _held(world)
    client = client_for(getattr(world, persona))
    page = html(client.get(log_url(world.folder)))
    assert "Retenu (expéditeur inconnu)" in page and "factures@fournisseur.example" in page
    assert reverse("message-release", args=[row.pk]) in page
    response = client.post(reverse("message-release", args=[row.pk]), follow=True)
    assert "Le message est accepté et passe en traitement." in html(response)
    row.refresh_from_db()
    assert row.status == "documents" and row.documents.count() == 1


@pytest.mark.parametrize("persona", ["approver", "standard"])
def test_other_folder_users_cannot_accept_a_held_message(world, client_for, persona):
    row = _held(world)
    client = client_for(getattr(world, persona))
    if persona == "approver":
        assert reverse("message-release", args=[row.pk]) not in html(client.get(log_url(world.folder)))
    assert client.post(reverse("message-release", args=[row.pk])).status_code in (403, 404)
    row.refresh_from_db()
    assert row.status == "held"


def test_accepting_a_message_that_is_not_held_changes_nothing(world, client_for):
    row = receive(world.folder, invoice_mail(("a.pdf", make_pdf(tag="ok"), "application/pdf")))
    response = client_for(world.owner).post(reverse("message-release", args=[row.pk]), follow=True)
    assert "Seul un message retenu peut être accepté." in html(response)


def test_a_file_dropped_without_a_user_shows_in_the_log(world, client_for):
    """The demo's sample invoices are files no user uploaded: the log names collecte, and does not fail."""
    from collecte.intake.receive import accept_file

    accept_file(world.folder, "purchases", "exemple.pdf", make_pdf())
    response = client_for(world.owner).get(log_url(world.folder))
    assert response.status_code == 200
    assert "Déposé par collecte (exemple de la démo)" in html(response)
