"""The reconciliation screen and API: open lines with their suggestions, accept as proposed or edited, name an
invoice by number, turn down, set aside, undo; approvers, admins and staff only (403 standard, 404 outsiders);
the receivables restriction holds in the suggestions."""
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collecte.api.tests.conftest import api_for  # noqa: F401
from collecte.ledger.models import BankTransaction, Invoice
from collecte.ledger.tests.test_reconciliation import bank_tx, sale
from collecte.web.tests.helpers import html
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def page(client, folder, **query):
    return client.get(reverse("reconciliation", args=[folder.pk]), query)


def status_of(obj):
    return type(obj).objects.get(pk=obj.pk).status


def test_an_approver_accepts_the_suggestion_then_undoes_it(world, client_for):
    invoice = sale(world, "FA-2026-0042", "1200.00")
    tx = bank_tx(world, "1200.00", "VIR SEPA DUPAIN FA-2026-0042")
    client = client_for(world.approver)
    shown = html(page(client, world.folder))
    assert "FA-2026-0042" in shown and "numéro cité" in shown and "montant exact" in shown
    response = client.post(reverse("reconcile-transaction", args=[tx.pk]),
                           {"invoice": [invoice.pk], f"amount-{invoice.pk}": "1200.00"}, follow=True)
    assert "Mouvement rapproché de 1 facture(s)." in html(response)
    assert (status_of(invoice), status_of(tx)) == ("paid", "reconciled")
    reconciled = html(page(client, world.folder, status="reconciled"))
    assert "FA-2026-0042" in reconciled and "Annuler le rapprochement" in reconciled
    client.post(reverse("undo-reconciliation", args=[tx.pk]))
    assert (status_of(invoice), status_of(tx)) == ("unpaid", "open")


def test_an_edited_amount_or_an_invoice_named_by_number(world, client_for):
    first = sale(world, "FA-2026-0100", "500.00")
    second = sale(world, "FA-2026-0101", "80.00", name="Autre Client")
    client = client_for(world.admin)
    tx = bank_tx(world, "300.00", "VIREMENT")
    client.post(reverse("reconcile-transaction", args=[tx.pk]), {"invoice": [first.pk], f"amount-{first.pk}": "300,00"})
    invoice = Invoice.objects.get(pk=first.pk)
    assert (invoice.status, invoice.amount_paid) == ("partially_paid", D("300.00"))
    other = bank_tx(world, "80.00", "REGLEMENT", bank_id="by-number")
    client.post(reverse("reconcile-transaction", args=[other.pk]), {"numbers": "fa 2026 0101"})
    assert status_of(second) == "paid"
    unknown = bank_tx(world, "10.00", "X", bank_id="unknown")
    response = client.post(reverse("reconcile-transaction", args=[unknown.pk]), {"numbers": "NOPE-1"}, follow=True)
    assert "Aucune facture à régler ne porte ce numéro." in html(response) and status_of(unknown) == "open"


def test_turning_down_and_setting_aside(world, client_for):
    invoice = sale(world, "FA-2026-0200", "45.00")
    tx = bank_tx(world, "45.00", "VIR FA-2026-0200")
    fee = bank_tx(world, "-9.90", "FRAIS BANCAIRES", bank_id="fee")
    client = client_for(world.owner)
    client.post(reverse("turn-down-suggestion", args=[tx.pk]), {"invoice": [invoice.pk]})
    assert BankTransaction.objects.get(pk=tx.pk).rejected == [[invoice.pk]]
    assert f'name="amount-{invoice.pk}"' not in html(page(client, world.folder))
    client.post(reverse("set-aside-transaction", args=[fee.pk]))
    assert status_of(fee) == "ignored" and "FRAIS BANCAIRES" in html(page(client, world.folder, status="ignored"))
    client.post(reverse("set-aside-transaction", args=[fee.pk]), {"ignored": "0"})
    assert status_of(fee) == "open"


@pytest.mark.parametrize("persona, expected", [("standard", 403), ("outsider", 404), ("unassigned", 404)])
def test_reconciliation_is_not_for_everyone(world, client_for, api_for, persona, expected):
    invoice = sale(world, "FA-2026-0300", "20.00")
    tx = bank_tx(world, "20.00", "VIR FA-2026-0300")
    user = getattr(world, persona)
    client, api = client_for(user), api_for(user)
    assert page(client, world.folder).status_code == expected
    for name in ("reconcile-transaction", "turn-down-suggestion", "set-aside-transaction", "undo-reconciliation"):
        assert client.post(reverse(name, args=[tx.pk]), {"invoice": [invoice.pk],
                                                         f"amount-{invoice.pk}": "20"}).status_code == expected
    assert api.get(f"/api/v1/folders/{world.folder.pk}/bank-transactions").status_code == expected
    assert api.get(f"/api/v1/bank-transactions/{tx.pk}").status_code == expected
    assert api.get(f"/api/v1/bank-transactions/{tx.pk}/suggestions").status_code == expected
    assert api.post(f"/api/v1/bank-transactions/{tx.pk}/reconcile",
                    {"allocations": [{"invoice_id": invoice.pk, "amount": "20"}]}).status_code == expected
    assert api.post(f"/api/v1/bank-transactions/{tx.pk}/unreconcile").status_code == expected
    assert api.post(f"/api/v1/bank-transactions/{tx.pk}/turn-down", {"invoice_ids": [invoice.pk]}).status_code \
        == expected
    assert api.post(f"/api/v1/bank-transactions/{tx.pk}/set-aside", {"ignored": True}).status_code == expected
    assert (status_of(invoice), status_of(tx)) == ("unpaid", "open")


def test_the_api_suggests_reconciles_and_undoes(world, api_for):
    first, second = sale(world, "FA-2026-0401", "300.00"), sale(world, "FA-2026-0402", "200.00")
    tx = bank_tx(world, "500.00", "VIR DUPAIN FA-2026-0401 FA-2026-0402")
    api = api_for(world.approver)
    listed = api.get(f"/api/v1/folders/{world.folder.pk}/bank-transactions?status=open").json()
    assert listed["count"] == 1 and listed["items"][0]["status"] == "open"
    found = api.get(f"/api/v1/bank-transactions/{tx.pk}/suggestions").json()
    assert found[0]["invoice_ids"] == sorted([first.pk, second.pk]) and "several_invoices" in found[0]["reasons"]
    assert found[0]["automatic"] is True
    refused = api.post(f"/api/v1/bank-transactions/{tx.pk}/reconcile",
                       {"allocations": [{"invoice_id": first.pk, "amount": "900"}]})
    assert refused.status_code == 409 and refused.json()["code"] == "over_allocation"
    done = api.post(f"/api/v1/bank-transactions/{tx.pk}/reconcile",
                    {"allocations": [{"invoice_id": a["invoice_id"], "amount": a["amount"]}
                                     for a in found[0]["allocations"]]})
    assert done.status_code == 201 and done.json()["status"] == "reconciled"
    assert {r["number"] for r in done.json()["reconciliations"]} == {"FA-2026-0401", "FA-2026-0402"}
    again = api.post(f"/api/v1/bank-transactions/{tx.pk}/reconcile",
                     {"allocations": [{"invoice_id": first.pk, "amount": "1"}]})
    assert again.status_code == 409 and again.json()["code"] == "not_open"
    assert api.post(f"/api/v1/bank-transactions/{tx.pk}/unreconcile").json() == {"invoices": 2}
    assert (status_of(first), status_of(second)) == ("unpaid", "unpaid")
    bad = api.get(f"/api/v1/folders/{world.folder.pk}/bank-transactions?status=nope")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_status"


def test_the_receivables_restriction_holds_in_suggestions(world, client_for, api_for):
    hidden = sale(world, "FA-2026-0500", "70.00", name="Client Secret")
    world.folder.restrict_receivables = True
    world.folder.save()
    tx = bank_tx(world, "70.00", "VIR FA-2026-0500")
    assert f'name="amount-{hidden.pk}"' not in html(page(client_for(world.approver), world.folder))
    assert api_for(world.approver).get(f"/api/v1/bank-transactions/{tx.pk}/suggestions").json() == []
    refused = api_for(world.approver).post(f"/api/v1/bank-transactions/{tx.pk}/reconcile",
                                           {"allocations": [{"invoice_id": hidden.pk, "amount": "70"}]})
    assert refused.status_code == 404 and status_of(hidden) == "unpaid"
    assert f'name="amount-{hidden.pk}"' in html(page(client_for(world.admin), world.folder))  # admins see all


@pytest.mark.parametrize("typed", [{"amount": "sNaN"}, {"amount": "NaN", "numbers": "FA-2026-0601"},
                                   {"amount": "1e999999", "numbers": "FA-2026-0601"},
                                   {"amount": "10", "invoice": "9" * 30}])
def test_a_strange_amount_or_id_is_refused_with_a_message(world, client_for, api_for, typed):
    invoice = sale(world, "FA-2026-0600", "20.00")
    sale(world, "FA-2026-0601", "30.00")
    tx = bank_tx(world, "20.00", "VIR")
    posted = {"invoice": [typed.get("invoice", invoice.pk)], f"amount-{typed.get('invoice', invoice.pk)}":
              typed["amount"], "numbers": typed.get("numbers", "")}
    response = client_for(world.admin).post(reverse("reconcile-transaction", args=[tx.pk]), posted, follow=True)
    assert response.status_code == 200 and status_of(tx) == "open" and status_of(invoice) == "unpaid"
    api = api_for(world.admin).post(f"/api/v1/bank-transactions/{tx.pk}/reconcile",
                                    {"allocations": [{"invoice_id": 10 ** 30, "amount": "10"}]})
    assert api.status_code in (404, 422) and status_of(tx) == "open"
