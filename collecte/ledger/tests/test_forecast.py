"""The treasury forecast ("opérations engagées"): a validated invoice announces a cash movement at its due date, in
for a sale and out for a purchase, the other way for a credit note; the movement follows the invoice; the 12-week
forecast sums them per week from a hand-computed example."""
from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collecte.api.tests.conftest import api_for  # noqa: F401
from collecte.ledger import actions
from collecte.ledger.forecast import Movement, week_start, weekly_forecast
from collecte.ledger.models import ForecastEntry, Invoice
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media  # noqa: F401

TODAY = date(2026, 11, 25)  # a Wednesday


def test_it_sums_movements_per_week_with_overdue_in_this_week():
    movements = [Movement(date(2026, 11, 20), D("100.00"), "EUR"),   # overdue: counted now
                 Movement(date(2026, 11, 27), D("-40.00"), "EUR"),   # this week
                 Movement(date(2026, 12, 1), D("250.00"), "EUR"),    # next week (Tuesday)
                 Movement(date(2027, 6, 1), D("-999.00"), "EUR"),    # beyond 12 weeks
                 Movement(date(2026, 12, 1), D("30.00"), "USD")]     # another currency: apart
    forecast = weekly_forecast(movements, TODAY, "EUR", opening_balance=D("1000.00"))
    assert len(forecast.weeks) == 12 and forecast.weeks[0].start == date(2026, 11, 23)
    first, second = forecast.weeks[0], forecast.weeks[1]
    assert (first.money_in, first.money_out, first.overdue_in, first.balance) == (D("100.00"), D("-40.00"),
                                                                                  D("100.00"), D("1060.00"))
    assert (second.money_in, second.balance) == (D("250.00"), D("1310.00"))
    assert forecast.weeks[-1].balance == D("1310.00")
    assert forecast.later_out == D("-999.00") and forecast.other_currencies == {"USD": D("30.00")}


def test_weeks_start_on_monday():
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # a Sunday
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)



SALE = {"counterparty_name": "Client Un", "total_incl_tax": "1200", "issue_date": "2026-11-01",
        "due_date": "2026-12-01"}


def entry(invoice):
    return ForecastEntry.objects.filter(invoice=invoice).first()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("media")
def test_validation_announces_the_movement_with_its_sign(world):
    sale = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "V-1"})
    purchase = actions.create_invoice(world.folder, "purchases", world.admin, {**SALE, "number": "A-1",
                                                                               "counterparty_name": "Fournisseur"})
    credit = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "AV-1", "kind":
                                                                         "credit_note", "due_date": "",
                                                                         "total_incl_tax": "200"})
    pending = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "V-2"}, validate=False)
    assert (entry(sale).amount, entry(sale).expected_date) == (D("1200.00"), date(2026, 12, 1))
    assert entry(purchase).amount == D("-1200.00")
    assert (entry(credit).amount, entry(credit).expected_date) == (D("-200.00"), date(2026, 11, 1))
    assert entry(pending) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("media")
def test_the_movement_follows_its_invoice(world):
    sale = actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "V-1"})
    actions.update_invoice(sale, world.admin, {"due_date": "15/12/2026", "total_incl_tax": "1300"})
    assert (entry(sale).amount, entry(sale).expected_date) == (D("1300.00"), date(2026, 12, 15))
    Invoice.objects.filter(pk=sale.pk).update(amount_paid=D("1300.00"), status=Invoice.Status.PAID)
    sale.refresh_from_db()
    from collecte.ledger.forecast import sync_entry

    sync_entry(sale)  # what reconciliation will call when it pays an invoice
    assert entry(sale).status == ForecastEntry.Status.CLOSED
    actions.delete_invoice(sale, world.admin)
    assert not ForecastEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("media")
@pytest.mark.parametrize("persona", ["owner", "admin", "approver"])
def test_the_forecast_page_shows_twelve_weeks(world, client_for, persona):
    actions.create_invoice(world.folder, "sales", world.admin, {**SALE, "number": "V-1",
                                                                "due_date": date.today().isoformat()})
    response = client_for(getattr(world, persona)).get(reverse("folder-forecast", args=[world.folder.pk]))
    page = html(response)
    assert response.status_code == 200 and len(response.context["forecast"].weeks) == 12
    assert "Opérations engagées" in page and "200,00" in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("media")
@pytest.mark.parametrize("persona", ["outsider", "unassigned", "standard"])
def test_the_forecast_is_not_for_everyone(world, client_for, api_for, persona):
    user = getattr(world, persona)
    expected = 403 if persona == "standard" else 404
    assert client_for(user).get(reverse("folder-forecast", args=[world.folder.pk])).status_code == expected
    assert api_for(user).get(f"/api/v1/folders/{world.folder.pk}/forecast").status_code == expected


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("media")
def test_the_api_gives_the_weeks(world, api_for):
    actions.create_invoice(world.folder, "purchases", world.admin, {**SALE, "number": "A-1",
                                                                    "due_date": date.today().isoformat()})
    body = api_for(world.owner).get(f"/api/v1/folders/{world.folder.pk}/forecast").json()
    assert len(body["weeks"]) == 12 and body["currency"] == "EUR"
    assert body["weeks"][0]["money_out"] == "-1200.00" and body["weeks"][0]["money_in"] == "0.00"
