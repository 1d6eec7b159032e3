"""The accounting export wired to the product: validated purchases and sales become a FEC that balances (in total and
per entry) and a CSV, downloaded through the web page and the API; counterparties get stable 401/411 sub-accounts;
pending, rejected and out-of-period invoices stay out; a foreign-currency invoice is reported; the review proposes
the account the supplier memory remembers; folder admins edit the chart, others read it or are kept out."""
from collections import defaultdict
from decimal import Decimal as D

import pytest
from django.urls import reverse

from collecte.api.tests.conftest import api_for  # noqa: F401
from collecte.intake.models import SupplierMemory
from collecte.ledger import actions, exports
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import Counterparty, Invoice, LedgerAccount
from collecte.web.tests.helpers import html

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = "start=2026-01-01&end=2026-12-31"
DUPONT, MOREAU = "Atelier Dupont SARL", "Client Moreau"


def book(world, direction, number, name, incl, tax=None, excl=None, day="2026-03-10", **more):
    values = {"number": number, "counterparty_name": name, "total_incl_tax": incl, "issue_date": day,
              "due_date": "" if more.get("kind") == "credit_note" else "2026-04-30", **more}
    values.update({k: v for k, v in (("total_tax", tax), ("total_excl_tax", excl)) if v is not None})
    return actions.create_invoice(world.folder, direction, world.admin, values)


@pytest.fixture
def books(world):
    """A year of a small company: 20 %, 5.5 %, a credit note, a mixed-rate invoice, sales, and what stays out."""
    made = {
        "p20": book(world, "purchases", "FA-1", DUPONT, "1200.00", "200.00", "1000.00", account="6064"),
        "p55": book(world, "purchases", "FA-2", "Épicerie Lœw", "105.50", "5.50", "100.00", day="2026-03-11"),
        "p_credit": book(world, "purchases", "AV-1", DUPONT, "120.00", "20.00", "100.00", kind="credit_note",
                         day="2026-03-12"),
        "p_mixed": book(world, "purchases", "FA-3", "Quincaillerie Mixte", "225.50", "25.50", "200.00",
                        day="2026-03-13"),
        "s20": book(world, "sales", "V-1", MOREAU, "600.00", "100.00", "500.00", day="2026-03-14"),
        "s_credit": book(world, "sales", "VAV-1", MOREAU, "60.00", "10.00", "50.00", kind="credit_note",
                         day="2026-03-15"),
        "s_both": book(world, "sales", "V-2", DUPONT, "240.00", "40.00", "200.00", day="2026-03-16"),
        "usd": book(world, "purchases", "US-1", "Acme Inc", "500.00", "0", "500.00", currency="USD",
                    day="2026-03-17"),
        "last_year": book(world, "purchases", "FA-0", DUPONT, "12.00", "2.00", "10.00", day="2025-12-31"),
    }
    made["pending"] = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "FA-9", "counterparty_name": DUPONT, "total_incl_tax": "999.00", "issue_date": "2026-03-20",
        "due_date": "2026-04-20"}, validate=False)
    made["rejected"] = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "FA-8", "counterparty_name": DUPONT, "total_incl_tax": "888.00", "issue_date": "2026-03-20",
        "due_date": "2026-04-20"}, validate=False)
    actions.reject_invoice(made["rejected"], world.admin, "pas pour nous")
    return made


def parse_fec(content: bytes):
    """Records of the FEC as dicts; every line must have the 18 columns."""
    lines = content.decode("iso-8859-15").split("\r\n")
    assert lines[-1] == ""
    header, *records = [line.split("\t") for line in lines[:-1]]
    assert len(header) == 18 and header[0] == "JournalCode" and header[-1] == "Idevise"
    assert all(len(record) == 18 for record in records)
    return [dict(zip(header, record)) for record in records]


def amount(text):
    return D(text.replace(",", ".")) if text else D("0")


def assert_balanced(records):
    per_entry = defaultdict(lambda: [D("0"), D("0")])
    for r in records:
        per_entry[r["EcritureNum"]][0] += amount(r["Debit"])
        per_entry[r["EcritureNum"]][1] += amount(r["Credit"])
    assert per_entry and all(debit == credit for debit, credit in per_entry.values()), dict(per_entry)
    assert sum(amount(r["Debit"]) for r in records) == sum(amount(r["Credit"]) for r in records)


def test_the_fec_from_the_web_page_balances_with_sub_accounts_and_vat_per_rate(world, client_for, books):
    response = client_for(world.owner).get(reverse("folder-accounting", args=[world.folder.pk]) + f"?{YEAR}&format=fec")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert 'filename="SANSSIRENFEC20261231.txt"' in response["Content-Disposition"]
    records = parse_fec(response.content)
    assert_balanced(records)
    pieces = {r["PieceRef"] for r in records}
    assert pieces == {"FA-1", "FA-2", "AV-1", "FA-3", "V-1", "VAV-1", "V-2"}  # not pending, rejected, USD, 2025
    dupont = Counterparty.objects.get(name=DUPONT)
    moreau = Counterparty.objects.get(name=MOREAU)
    assert dupont.account_number == "401ATELIERD" and moreau.account_number == "411CLIENTMO"
    by_piece = defaultdict(list)
    for r in records:
        by_piece[r["PieceRef"]].append(r)
    fa1 = {r["CompteNum"]: r for r in by_piece["FA-1"]}
    assert (fa1["6064"]["Debit"], fa1["44566200"]["Debit"], fa1["401"]["Credit"]) == ("1000,00", "200,00", "1200,00")
    assert {r["CompAuxNum"] for r in records if r["CompAuxLib"] == DUPONT} == {"401ATELIERD", "411ATELIERD"}
    assert {r["CompAuxNum"] for r in records if r["CompAuxLib"] == "Épicerie Lœw"} == {"401EPICERIE"}
    assert {r["CompteNum"] for r in by_piece["FA-2"]} == {"606", "44566055", "401"}
    credit = {r["CompteNum"]: r for r in by_piece["AV-1"]}
    assert credit["401"]["Debit"] == "120,00" and credit["6064"]["Credit"] == "100,00"  # remembered account
    assert "44566" in {r["CompteNum"] for r in by_piece["FA-3"]}  # mixed rates: the generic VAT account
    sale = {r["CompteNum"]: r for r in by_piece["V-1"]}
    assert (sale["411"]["Debit"], sale["706"]["Credit"], sale["44571200"]["Credit"]) == ("600,00", "500,00",
                                                                                          "100,00")
    # Dupont is a supplier and a customer: one stored number, mirrored under 411 for its sales.
    assert {r["CompAuxNum"] for r in by_piece["V-2"] if r["CompteNum"] == "411"} == {"411ATELIERD"}


def test_the_page_summarizes_balances_and_lists_warnings_with_links(world, client_for, books):
    response = client_for(world.approver).get(reverse("folder-accounting", args=[world.folder.pk]) + f"?{YEAR}")
    export = response.context["export"]
    assert export.balanced and export.debit == export.credit and len(export.entries) == 7
    page = html(response)
    assert "équilibré" in page and "Télécharger le FEC" in page and "Télécharger le CSV" in page
    assert "le fichier est nommé avec SANSSIREN" in page
    usd = books["usd"]
    assert reverse("invoice-review", args=[usd.pk]) in page and "US-1 en USD non exportée" in page
    assert {w.code for w in export.warnings} >= {"foreign_currency_skipped", "mixed_vat_rates"}


def test_the_csv_has_a_bom_semicolons_and_the_same_entries(world, client_for, books):
    response = client_for(world.admin).get(reverse("folder-accounting", args=[world.folder.pk]) + f"?{YEAR}&format=csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffJournal;Date;Pièce;Compte")
    rows = [line.split(";") for line in text.splitlines()[1:]]
    assert sum(amount(r[-2]) for r in rows) == sum(amount(r[-1]) for r in rows) == D("2551.00")
    assert any(r[3] == "401ATELIERD" for r in rows)


def test_the_api_fec_parses_and_balances_and_the_summary_says_so(world, api_for, books):
    world.folder.siren = "732829320"
    world.folder.save(update_fields=["siren"])
    api = api_for(world.owner)
    response = api.get(f"/api/v1/folders/{world.folder.pk}/exports/fec?{YEAR}")
    assert response.status_code == 200, response.content
    assert 'filename="732829320FEC20261231.txt"' in response["Content-Disposition"]
    records = parse_fec(response.content)
    assert_balanced(records)
    summary = api.get(f"/api/v1/folders/{world.folder.pk}/exports/summary?{YEAR}").json()
    assert summary["balanced"] and summary["debit"] == summary["credit"] == "2551.00"
    assert summary["entries"] == 7 and summary["lines"] == len(records) and not summary["siren_missing"]
    assert any(w["code"] == "foreign_currency_skipped" and w["invoice_id"] == books["usd"].pk
               for w in summary["warnings"])
    purchases = api.get(f"/api/v1/folders/{world.folder.pk}/exports/fec?{YEAR}&direction=purchases")
    assert {r["JournalCode"] for r in parse_fec(purchases.content)} == {"AC"}
    csv = api.get(f"/api/v1/folders/{world.folder.pk}/exports/csv?{YEAR}")
    assert csv.status_code == 200 and csv.content.decode("utf-8").startswith("\ufeffJournal;")
    bad = api.get(f"/api/v1/folders/{world.folder.pk}/exports/summary?start=2026-12-31&end=2026-01-01")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_period"


def test_sub_accounts_stay_stable_and_the_period_filters(world, api_for, books):
    api = api_for(world.owner)
    first = parse_fec(api.get(f"/api/v1/folders/{world.folder.pk}/exports/fec?{YEAR}").content)
    Counterparty.objects.create(folder=world.folder, name="Atelier Dupontel", is_supplier=True)  # same 8 letters
    book(world, "purchases", "FA-4", "Atelier Dupontel", "12.00", "2.00", "10.00", day="2026-05-01")
    second = parse_fec(api.get(f"/api/v1/folders/{world.folder.pk}/exports/fec?{YEAR}").content)
    aux = {(r["PieceRef"], r["CompAuxNum"]) for r in first if r["CompAuxNum"]}
    assert aux <= {(r["PieceRef"], r["CompAuxNum"]) for r in second if r["CompAuxNum"]}
    assert Counterparty.objects.get(name="Atelier Dupontel").account_number == "401ATELIER1"
    older = parse_fec(api.get(f"/api/v1/folders/{world.folder.pk}/exports/fec?start=2025-01-01&end=2025-12-31")
                      .content)
    assert {r["PieceRef"] for r in older} == {"FA-0"}
    assert {r["CompAuxNum"] for r in older if r["CompAuxNum"]} == {"401ATELIERD"}


def test_a_fully_paid_invoice_is_lettered(world, client_for, books):
    from datetime import date

    Invoice.objects.filter(pk=books["p20"].pk).update(status=Invoice.Status.PAID, amount_paid=D("1200.00"),
                                                      paid_date=date(2026, 4, 2))
    content = client_for(world.owner).get(reverse("folder-accounting", args=[world.folder.pk])
                                          + f"?{YEAR}&format=fec").content
    party = next(r for r in parse_fec(content) if r["PieceRef"] == "FA-1" and r["CompteNum"] == "401")
    assert party["EcritureLet"] == exports.lettering_code(books["p20"].pk) and party["DateLet"] == "20260402"


def test_the_default_period_is_the_current_calendar_year(world, api_for):
    summary = api_for(world.admin).get(f"/api/v1/folders/{world.folder.pk}/exports/summary").json()
    start, end = exports.default_period(world.folder)
    assert (summary["start"], summary["end"]) == (start.isoformat(), end.isoformat())
    assert start.month == start.day == 1 and (end.month, end.day) == (12, 31)
    assert summary["entries"] == 0 and summary["balanced"]


# --- the account proposed by the supplier memory ----------------------------------------------------------------

def test_the_next_invoice_of_a_supplier_proposes_the_account_chosen_before(world, client_for):
    book(world, "purchases", "X-1", "Papeterie Xavier", "120.00", "20.00", "100.00", account="6064")
    memory = SupplierMemory.objects.get(folder=world.folder, direction="purchases", key="name:papeterie xavier")
    assert memory.hints["accounts"] == {"purchases": "6064"}
    following = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "X-2", "counterparty_name": "Papeterie Xavier", "total_incl_tax": "60.00",
        "issue_date": "2026-06-01", "due_date": "2026-07-01"}, validate=False)
    assert exports.account_proposal(following) == exports.Proposal("6064", "memory")
    response = client_for(world.admin).get(reverse("invoice-review", args=[following.pk]))
    assert response.context["form"]["account"].value() == "6064"
    assert "Proposé d'après les factures précédentes de ce fournisseur." in html(response)
    stranger = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "Y-1", "counterparty_name": "Inconnu", "total_incl_tax": "60.00", "issue_date": "2026-06-01",
        "due_date": "2026-07-01"}, validate=False)
    assert exports.account_proposal(stranger) == exports.Proposal("606", "default")


def test_validating_through_the_review_teaches_the_account_and_an_unknown_one_is_refused(world, client_for):
    pending = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "Z-1", "counterparty_name": "Garage Zola", "total_incl_tax": "60.00", "issue_date": "2026-06-01",
        "due_date": "2026-07-01"}, validate=False)
    client = client_for(world.admin)
    form = client.get(reverse("invoice-review", args=[pending.pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.ORDER}
    refused = client.post(reverse("invoice-review", args=[pending.pk]), {**data, "account": "6999",
                                                                         "action": "validate"})
    assert "n'est pas dans le plan comptable du dossier" in html(refused)
    client.post(reverse("invoice-review", args=[pending.pk]), {**data, "account": "615", "action": "validate"})
    pending.refresh_from_db()
    assert pending.is_validated and pending.account == "615"
    nxt = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "Z-2", "counterparty_name": "Garage Zola", "total_incl_tax": "30.00", "issue_date": "2026-06-02",
        "due_date": "2026-07-02"}, validate=False)
    assert exports.propose_account(nxt) == "615"


def test_the_api_sets_the_account_checks_it_and_the_memory_follows(world, api_for):
    invoice = book(world, "purchases", "W-1", "Papeterie Xavier", "120.00", "20.00", "100.00", account="6064")
    api = api_for(world.approver)
    unknown = api.patch(f"/api/v1/invoices/{invoice.pk}", {"account": "6999"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_account"
    vat = api.patch(f"/api/v1/invoices/{invoice.pk}", {"account": "44566200"})
    assert vat.status_code == 422 and vat.json()["code"] == "wrong_account_kind"
    changed = api.patch(f"/api/v1/invoices/{invoice.pk}", {"account": "6063"})
    assert changed.status_code == 200 and changed.json()["account"] == "6063"
    pending = actions.create_invoice(world.folder, "purchases", world.admin, {
        "number": "W-2", "counterparty_name": "Papeterie Xavier", "total_incl_tax": "6.00",
        "issue_date": "2026-06-01", "due_date": "2026-07-01"}, validate=False)
    proposal = api.get(f"/api/v1/invoices/{pending.pk}/account-proposal").json()
    assert proposal == {"number": "6063", "label": "Fournitures d'entretien et de petit équipement",
                        "source": "memory"}


# --- the chart of accounts ----------------------------------------------------------------------------------------

def test_the_chart_is_seeded_once_and_admins_edit_it_on_the_page(world, client_for, books):
    exports.chart_rows(world.folder)
    assert LedgerAccount.objects.filter(folder=world.folder).count() == len(exports.accounting.default_chart())
    client = client_for(world.admin)
    added = client.post(reverse("ledger-accounts", args=[world.folder.pk]),
                        {"number": "6226", "label": "Honoraires", "kind": "expense"})
    assert added.status_code == 302
    wrong = client.post(reverse("ledger-accounts", args=[world.folder.pk]),
                        {"number": "706", "label": "X", "kind": "expense"})
    assert "ne peut pas être de nature" in html(wrong)
    account = LedgerAccount.objects.get(folder=world.folder, number="6226")
    client.post(reverse("ledger-account-edit", args=[account.pk]), {"label": "Honoraires comptables",
                                                                    "kind": "expense"})
    account.refresh_from_db()
    assert account.label == "Honoraires comptables"
    assert "Supprimer ce compte" in html(client.get(reverse("ledger-account-edit", args=[account.pk])))
    listed = html(client.get(reverse("ledger-accounts", args=[world.folder.pk])))
    assert 'data-account="6226"' in listed and "Ajouter un compte" in listed
    used = LedgerAccount.objects.get(folder=world.folder, number="6064")
    refused = client.post(reverse("ledger-account-delete", args=[used.pk]), follow=True)
    assert "est utilisé par 3 facture(s)" in html(refused)
    collective = LedgerAccount.objects.get(folder=world.folder, number="401")
    refused = client.post(reverse("ledger-account-delete", args=[collective.pk]), follow=True)
    assert "doit garder au moins un compte de chacune de ces natures" in html(refused)
    client.post(reverse("ledger-account-delete", args=[account.pk]))
    assert not LedgerAccount.objects.filter(pk=account.pk).exists()


def test_the_api_edits_the_chart_for_admins_only(world, api_for):
    api = api_for(world.admin)
    listed = api.get(f"/api/v1/folders/{world.folder.pk}/accounts").json()
    assert {"401", "411", "606", "706", "44566", "44571200"} <= {a["number"] for a in listed}
    created = api.post(f"/api/v1/folders/{world.folder.pk}/accounts",
                       {"number": "2183", "label": "Matériel informatique", "kind": "other"})
    assert created.status_code == 201, created.content
    twice = api.post(f"/api/v1/folders/{world.folder.pk}/accounts",
                     {"number": "2183", "label": "Encore", "kind": "other"})
    assert twice.status_code == 409 and twice.json()["code"] == "duplicate_account"
    account_id = created.json()["id"]
    patched = api.patch(f"/api/v1/accounts/{account_id}", {"label": "Informatique"})
    assert patched.status_code == 200 and patched.json()["label"] == "Informatique"
    generic = LedgerAccount.objects.get(folder=world.folder, number="44566")
    rerated = api.patch(f"/api/v1/accounts/{generic.pk}", {"vat_rate": "20"})
    assert rerated.status_code == 409 and rerated.json()["code"] == "required_account"
    book(world, "purchases", "I-1", "Informatique Plus", "1200", "200", "1000", account="2183")
    in_use = api.delete(f"/api/v1/accounts/{account_id}")
    assert in_use.status_code == 409 and in_use.json()["code"] == "account_in_use"
    unused = LedgerAccount.objects.get(folder=world.folder, number="6251")
    assert api.delete(f"/api/v1/accounts/{unused.pk}").status_code == 204
    approver = api_for(world.approver)
    assert approver.get(f"/api/v1/folders/{world.folder.pk}/accounts").status_code == 200
    assert approver.post(f"/api/v1/folders/{world.folder.pk}/accounts",
                         {"number": "6227", "label": "X", "kind": "expense"}).status_code == 403
    assert approver.patch(f"/api/v1/accounts/{account_id}", {"label": "Y"}).status_code == 403
    assert approver.delete(f"/api/v1/accounts/{account_id}").status_code == 403


def test_an_approver_reads_the_chart_but_does_not_edit_it(world, client_for):
    client = client_for(world.approver)
    page = client.get(reverse("ledger-accounts", args=[world.folder.pk]))
    assert page.status_code == 200 and page.context["form"] is None
    account = LedgerAccount.objects.get(folder=world.folder, number="6064")
    assert client.post(reverse("ledger-accounts", args=[world.folder.pk]),
                       {"number": "6227", "label": "X", "kind": "expense"}).status_code == 403
    assert client.get(reverse("ledger-account-edit", args=[account.pk])).status_code == 403
    assert client.post(reverse("ledger-account-delete", args=[account.pk])).status_code == 403
    assert LedgerAccount.objects.filter(pk=account.pk).exists()



def test_the_chart_counts_only_the_invoices_the_reader_sees(world, client_for):
    """With the receivables restriction on, the chart's invoice counts do not tell an approver how many sales of
    customers not assigned to them there are."""
    book(world, "sales", "V-9", MOREAU, "120.00", "20.00", "100.00", account="706")
    world.folder.restrict_receivables = True
    world.folder.save()
    approver = client_for(world.approver).get(reverse("ledger-accounts", args=[world.folder.pk]))
    assert next(a for a in approver.context["accounts"] if a.number == "706").used == 0
    admin = client_for(world.admin).get(reverse("ledger-accounts", args=[world.folder.pk]))
    assert next(a for a in admin.context["accounts"] if a.number == "706").used == 1

def test_an_admin_sets_a_counterparty_sub_account_and_duplicates_are_refused(world, client_for, books):
    dupont, moreau = Counterparty.objects.get(name=DUPONT), Counterparty.objects.get(name=MOREAU)
    client = client_for(world.admin)
    client.post(reverse("counterparty-account", args=[dupont.pk]), {"account_number": "401 dupont"})
    dupont.refresh_from_db()
    assert dupont.account_number == "401DUPONT"
    assert "401DUPONT" in html(client.get(reverse("counterparty-detail", args=[dupont.pk])))
    refused = client.post(reverse("counterparty-account", args=[moreau.pk]), {"account_number": "411DUPONT"},
                          follow=True)
    assert "déjà celui d'un autre tiers" in html(refused)
    with pytest.raises(LedgerError):
        exports.set_subaccount(moreau, "411-DUP")
    assert client_for(world.approver).post(reverse("counterparty-account", args=[dupont.pk]),
                                           {"account_number": "401X"}).status_code == 403


# --- denials ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona, status", [("standard", 403), ("outsider", 404), ("unassigned", 404)])
def test_others_are_kept_out(world, client_for, api_for, persona, status):
    account = exports.chart_rows(world.folder)[0]
    dupont = Counterparty.objects.create(folder=world.folder, name=DUPONT, is_supplier=True)
    user = getattr(world, persona)
    client = client_for(user)
    folder = world.folder.pk
    for url in (reverse("folder-accounting", args=[folder]), reverse("folder-accounting", args=[folder])
                + "?format=fec", reverse("folder-accounting", args=[folder]) + "?format=csv",
                reverse("ledger-accounts", args=[folder]), reverse("ledger-account-edit", args=[account.pk])):
        assert client.get(url).status_code == status, url
    for url in (reverse("ledger-accounts", args=[folder]), reverse("ledger-account-delete", args=[account.pk])):
        assert client.post(url, {"number": "6227", "label": "X", "kind": "expense"}).status_code == status, url
    # 404 for a standard user too: they do not see a supplier of invoices they did not submit.
    assert client.post(reverse("counterparty-account", args=[dupont.pk]), {"account_number": "401X"}).status_code == 404
    api = api_for(user)
    for path in ("exports/summary", "exports/fec", "exports/csv", "accounts"):
        response = api.get(f"/api/v1/folders/{folder}/{path}")
        assert response.status_code == status and response.json()["code"] in ("forbidden", "not_found"), path
    assert api.post(f"/api/v1/folders/{folder}/accounts",
                    {"number": "6227", "label": "X", "kind": "expense"}).status_code == status
    assert api.patch(f"/api/v1/accounts/{account.pk}", {"label": "Y"}).status_code == status
    assert api.delete(f"/api/v1/accounts/{account.pk}").status_code == status
    assert LedgerAccount.objects.filter(pk=account.pk, label=account.label).exists()
    assert not LedgerAccount.objects.filter(number="6227").exists()
    dupont.refresh_from_db()
    assert dupont.account_number == ""


def test_outsiders_do_not_get_an_account_proposal(world, api_for):
    invoice = book(world, "purchases", "P-1", DUPONT, "12.00", "2.00", "10.00")
    assert api_for(world.outsider).get(f"/api/v1/invoices/{invoice.pk}/account-proposal").status_code == 404
    assert api_for(world.standard).get(f"/api/v1/invoices/{invoice.pk}/account-proposal").status_code == 404
