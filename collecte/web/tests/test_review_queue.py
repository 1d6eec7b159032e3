"""The queue "En attente de vérification" and the invoice lists: oldest first, filters, search, sort, CSV export,
the same number of queries whatever the number of invoices, and each persona sees only what they may."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collecte.ledger import actions
from collecte.ledger.models import Counterparty, Invoice
from collecte.ledger.tests.helpers import arrive
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def typed(world, number, direction="purchases", validate=False, name="Fournisseur Un", total="120.00",
          issue="2024-03-01", due="2024-04-01", user=None, member=None, kind="invoice"):
    return actions.create_invoice(world.folder, direction, user or world.owner,
                                  {"number": number, "counterparty_name": name, "total_incl_tax": total,
                                   "issue_date": issue, "due_date": due, "kind": kind}, member=member,
                                  validate=validate)


def queue(client, world, **params):
    return client.get(reverse("review-queue", args=[world.folder.pk]), params)


def listing(client, world, **params):
    return client.get(reverse("invoice-list", args=[world.folder.pk]), params)


def test_the_queue_shows_what_waits_oldest_first(world, client_for):
    invoice = arrive(world.admin, world.folder)
    typed(world, "LATER-1")
    page = html(queue(client_for(world.owner), world))
    assert page.index("Atelier Dupont SARL") < page.index("LATER-1")
    for shown in ("FA-2024-0117", "12/03/2024", "200,00\u00a0€", "Texte du PDF", "il y a"):
        assert shown in page, shown
    assert reverse("invoice-review", args=[invoice.pk]) in page


def test_the_queue_filters_by_direction_search_and_warning(world, client_for):
    typed(world, "P-1")
    typed(world, "S-1", direction="sales", name="Client Deux")
    first = typed(world, "D-1", name="Fournisseur Trois")
    client = client_for(world.owner)
    assert "S-1" not in html(queue(client, world)) and "S-1" in html(queue(client, world, direction="sales"))
    assert "P-1" not in html(queue(client, world, q="Trois")) and "D-1" in html(queue(client, world, q="Trois"))
    Invoice.objects.filter(pk=first.pk).update(duplicate="near")
    page = html(queue(client, world, show="duplicates"))
    assert "D-1" in page and "P-1" not in page and "Doublon possible" in page


def test_the_queue_takes_the_same_queries_for_3_or_30_invoices(world, client_for):
    client = client_for(world.owner)
    for n in range(3):
        typed(world, f"Q-{n}", name=f"Fournisseur {n}")
    queue(client, world)
    with CaptureQueriesContext(connection) as few:
        assert queue(client, world).status_code == 200
    for n in range(3, 30):
        typed(world, f"Q-{n}", name=f"Fournisseur {n}")
    with CaptureQueriesContext(connection) as many:
        assert queue(client, world).status_code == 200
    assert len(many) == len(few)


def test_the_lists_take_the_same_queries_for_3_or_30_invoices(world, client_for):
    client = client_for(world.owner)
    for n in range(3):
        typed(world, f"L-{n}", name=f"Client {n}", direction="sales", validate=True)
    listing(client, world, status="unpaid")
    with CaptureQueriesContext(connection) as few:
        assert listing(client, world, status="unpaid").status_code == 200
    for n in range(3, 30):
        typed(world, f"L-{n}", name=f"Client {n}", direction="sales", validate=True)
    with CaptureQueriesContext(connection) as many:
        assert listing(client, world, status="unpaid").status_code == 200
    assert len(many) == len(few)


def test_the_lists_split_by_status_with_overdue_and_credit_notes(world, client_for):
    today = date.today()
    typed(world, "OPEN-1", validate=True, due=str(today + timedelta(days=10)))
    typed(world, "LATE-1", validate=True, due=str(today - timedelta(days=10)))
    paid = typed(world, "PAID-1", validate=True)
    Invoice.objects.filter(pk=paid.pk).update(status=Invoice.Status.PAID, amount_paid=Decimal("120.00"))
    typed(world, "AV-1", validate=True, kind="credit_note", due="")
    typed(world, "PEND-1")
    client = client_for(world.owner)
    unpaid = html(listing(client, world, status="unpaid"))
    assert "OPEN-1" in unpaid and "LATE-1" in unpaid and "PAID-1" not in unpaid
    overdue = html(listing(client, world, status="overdue"))
    assert "LATE-1" in overdue and "OPEN-1" not in overdue and "En retard" in overdue
    assert "PAID-1" in html(listing(client, world, status="paid"))
    credits = html(listing(client, world, status="credit_available"))
    assert "AV-1" in credits and "OPEN-1" not in credits
    assert "PEND-1" in html(listing(client, world, status="pending"))
    tabs = listing(client, world, status="unpaid").context["tabs"]
    assert dict((key, count) for key, _label, count in tabs)["overdue"] == 1


def test_the_lists_search_filter_by_date_and_sort(world, client_for):
    typed(world, "A-1", validate=True, name="Alpha", total="50.00", issue="2024-01-10")
    typed(world, "B-1", validate=True, name="Bravo", total="500.00", issue="2024-06-10")
    client = client_for(world.owner)
    assert "A-1" not in html(listing(client, world, q="bravo"))
    page = html(listing(client, world, **{"from": "01/05/2024"}))
    assert "B-1" in page and "A-1" not in page
    by_amount = html(listing(client, world, sort="-total_incl_tax"))
    assert by_amount.index("B-1") < by_amount.index("A-1")
    by_amount = html(listing(client, world, sort="total_incl_tax"))
    assert by_amount.index("A-1") < by_amount.index("B-1")


def test_the_csv_export_has_the_filtered_invoices(world):
    """Through Django's ASGI handler, as uvicorn serves it: the rows stream from an async generator."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    typed(world, "A-1", validate=True, name="Alpha", total="50.00")
    typed(world, "B-1", validate=True, name="Bravo", total="1500.00")
    typed(world, "=HYPERLINK(1)", validate=True, name="@Evil", total="1.00")

    async def export(**params):
        client = AsyncClient()
        await client.aforce_login(world.owner)
        response = await client.get(reverse("invoice-list", args=[world.folder.pk]), params)
        return response, b"".join([part async for part in response.streaming_content]).decode("utf-8")

    response, body = async_to_sync(export)(status="unpaid", q="Bravo", format="csv")
    assert response["Content-Disposition"].startswith("attachment; filename=\"factures-")
    lines = body.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("numero;type;sens;statut;tiers")
    assert len(lines) == 2 and lines[1].startswith("B-1;invoice;purchases;unpaid;Bravo;")
    _response, body = async_to_sync(export)(status="unpaid", format="csv")
    assert "'=HYPERLINK(1);invoice;purchases;unpaid;'@Evil;" in body  # inert in a spreadsheet


def test_a_standard_user_sees_only_their_own_submissions(world, client_for):
    arrive(world.standard, world.folder, "mine.pdf", number="MINE-1")
    arrive(world.admin, world.folder, "theirs.pdf", number="THEIRS-1")
    page = html(queue(client_for(world.standard), world))
    assert "MINE-1" in page and "THEIRS-1" not in page
    approver = html(queue(client_for(world.approver), world))
    assert "MINE-1" in approver and "THEIRS-1" in approver


@pytest.mark.parametrize("persona", ["outsider", "unassigned"])
def test_outsiders_get_404(world, client_for, persona):
    client = client_for(getattr(world, persona))
    for name in ("review-queue", "invoice-list", "invoice-new", "invoice-import", "invoice-attach",
                 "counterparty-list"):
        assert client.get(reverse(name, args=[world.folder.pk])).status_code == 404, name


def test_the_access_restriction_hides_receivables_of_customers_not_assigned(world, client_for):
    mine = typed(world, "V-MINE", direction="sales", name="Client Suivi", validate=True)
    typed(world, "V-OTHER", direction="sales", name="Client Autre", validate=True)
    typed(world, "V-PENDING", direction="sales", name="Client Autre")
    typed(world, "P-1", name="Fournisseur", validate=True)
    mine.counterparty.assigned_to.add(world.approver_member)
    world.folder.restrict_receivables = True
    world.folder.save()
    approver = html(listing(client_for(world.approver), world, status="all"))
    assert "V-MINE" in approver and "V-OTHER" not in approver
    assert "V-PENDING" in approver and "P-1" in approver  # anyone may still validate, and purchases are not restricted
    admin = html(listing(client_for(world.admin), world, status="all"))
    assert "V-MINE" in admin and "V-OTHER" in admin
    other = Invoice.objects.get(number="V-OTHER")
    assert client_for(world.approver).get(reverse("invoice-review", args=[other.pk])).status_code == 404


def test_customers_are_assigned_on_their_page_by_managers_only(world, client_for):
    customer = typed(world, "V-1", direction="sales", name="Client Suivi", validate=True).counterparty
    url = reverse("counterparty-detail", args=[customer.pk])
    response = client_for(world.admin).post(url, {"assigned_to": [world.approver_member.pk]})
    assert response.status_code == 302
    assert list(customer.assigned_to.all()) == [world.approver_member]
    assert client_for(world.approver).post(url, {"assigned_to": []}).status_code == 403
    assert list(Counterparty.objects.get(pk=customer.pk).assigned_to.all()) == [world.approver_member]
    assert client_for(world.outsider).get(url).status_code == 404
    assert "Utilisateurs assignés à ce client" in html(client_for(world.admin).get(url))


def test_the_folder_setting_turns_the_restriction_on(world, client_for):
    page = html(client_for(world.admin).get(reverse("folder-settings", args=[world.folder.pk])))
    assert "Restreindre l'accès aux créances" in page or "restreindre l'accès aux créances" in page


def test_a_standard_user_sees_only_the_counterparties_of_their_own_invoices(world, client_for):
    mine = typed(world, "MINE-1", name="Fournisseur Connu", user=world.standard, member=world.standard_member,
                 validate=True)
    other = typed(world, "OTHER-1", name="Fournisseur Secret", validate=True)
    client = client_for(world.standard)
    page = html(client.get(reverse("counterparty-list", args=[world.folder.pk])))
    assert "Fournisseur Connu" in page and "Fournisseur Secret" not in page
    assert client.get(reverse("counterparty-detail", args=[other.counterparty_id])).status_code == 404
    assert client.get(reverse("counterparty-detail", args=[mine.counterparty_id])).status_code == 200
    options = html(client.get(reverse("counterparty-options", args=[world.folder.pk]), {"counterparty_name": "Four"}))
    assert "Fournisseur Connu" in options and "Fournisseur Secret" not in options


def test_with_the_restriction_an_approver_sees_only_assigned_customers(world, client_for):
    followed = typed(world, "V-1", direction="sales", name="Client Suivi", validate=True).counterparty
    hidden = typed(world, "V-2", direction="sales", name="Client Caché", validate=True).counterparty
    followed.assigned_to.add(world.approver_member)
    world.folder.restrict_receivables = True
    world.folder.save()
    client = client_for(world.approver)
    page = html(client.get(reverse("counterparty-list", args=[world.folder.pk])))
    assert "Client Suivi" in page and "Client Caché" not in page
    assert client.get(reverse("counterparty-detail", args=[hidden.pk])).status_code == 404
