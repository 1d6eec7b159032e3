"""Browser test of reconciliation (issue 6): a validated sale in the forecast; its customer's payment imported from a
CAMT.053 statement; the suggestion accepted on the reconciliation screen; the invoice paid, out of the forecast,
the customer's figures and the aging chart updated; then undone, and a partial payment edited by hand."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from collecte.ledger import actions
from collecte.ledger.models import BankAccount, Invoice
from collecte.ledger.queries import folder_today
from collecte.ledger.tests.test_statements import ACCOUNT, camt, entry, stmt, tx_details
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def statement(today, *lines):
    """A CAMT.053 statement of ACCOUNT: (amount, payer, remittance text) credit lines booked today."""
    booked = today.isoformat()
    entries = [entry(amount, "CRDT", booked=booked, value=booked, ref=f"B{i}",
                     details=[tx_details(debtor=(payer, None), ustrd=[text])])
               for i, (amount, payer, text) in enumerate(lines)]
    return camt(stmt(entries, start=booked, end=booked))


def test_a_statement_pays_a_sale_through_the_reconciliation_screen(world, page, login, password, tmp_path):
    today = folder_today(world.folder)
    invoice = actions.create_invoice(world.folder, "sales", world.admin, {
        "number": "FA-2026-0815", "counterparty_name": "Librairie Papier", "total_incl_tax": "960.00",
        "issue_date": (today - timedelta(days=75)).isoformat(), "due_date": (today - timedelta(days=45)).isoformat()})
    BankAccount.objects.create(folder=world.folder, name="Compte courant", iban=ACCOUNT)
    login(page, world.approver.email, password)

    page.goto(f"/folders/{world.folder.pk}/forecast/")
    expect(page.locator("table.forecast tbody tr").first).to_contain_text("960,00")
    page.goto(f"/folders/{world.folder.pk}/analytics/")
    expect(page.locator('tr[data-bucket="31_60"]')).to_contain_text("960,00")

    path = tmp_path / "releve.xml"
    path.write_bytes(statement(today, ("960.00", "LIBRAIRIE PAPIER", "REGLEMENT FACTURE FA-2026-0815"),
                               ("45.50", "INCONNU", "REMBOURSEMENT")))
    page.get_by_role("link", name="Banque").click()
    page.get_by_role("link", name="Compte courant").click()
    page.set_input_files("input[name=file]", str(path))
    page.get_by_role("button", name="Importer le relevé").click()
    expect(page.locator("body")).to_contain_text("2 opérations importées")

    page.get_by_role("link", name="Rapprochement").click()
    row = page.locator("section.transaction", has_text="FA-2026-0815")
    best = row.locator("form.proposal.best")
    expect(best).to_contain_text("Librairie Papier")
    expect(best).to_contain_text("numéro cité")
    best.get_by_role("button", name="Rapprocher").click()
    expect(page.locator("body")).to_contain_text("Mouvement rapproché de 1 facture(s).")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"

    page.get_by_role("link", name="Clients").click()
    customer = page.locator("table.customers tr", has_text="Librairie Papier")
    expect(customer).to_contain_text("0,00")
    expect(customer).to_contain_text("75 j")  # paid today, 75 days after issue
    page.goto(f"/folders/{world.folder.pk}/analytics/")
    expect(page.locator('tr[data-bucket="31_60"]')).to_contain_text("0,00")

    page.goto(f"/folders/{world.folder.pk}/reconciliation/?status=reconciled")
    page.locator("section.transaction", has_text="FA-2026-0815").get_by_role(
        "button", name="Annuler le rapprochement").click()
    expect(page.locator("body")).to_contain_text("Rapprochement annulé")
    assert Invoice.objects.get(pk=invoice.pk).status == "unpaid"

    # The refund line: the person names the invoice and the amount is what is left of the line (a partial payment).
    page.goto(f"/folders/{world.folder.pk}/reconciliation/")
    other = page.locator("section.transaction", has_text="REMBOURSEMENT")
    other.locator("input[name=numbers]").fill("FA-2026-0815")
    other.get_by_role("button", name="Rapprocher").last.click()
    expect(page.locator("body")).to_contain_text("Mouvement rapproché de 1 facture(s).")
    paid = Invoice.objects.get(pk=invoice.pk)
    assert (paid.status, str(paid.amount_paid)) == ("partially_paid", "45.50")
