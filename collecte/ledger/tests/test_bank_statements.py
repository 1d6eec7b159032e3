"""Bank accounts and statement imports: the IBAN is checked, a statement imported twice or overlapping creates no
transaction twice, a bad file says which line or element, another account's statement is refused, the balance
feeds the forecast; approvers import, only admins add accounts, standard users and outsiders are kept out."""
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collecte.api.tests.conftest import api_for  # noqa: F401
from collecte.ledger import banking
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import BankTransaction
from collecte.ledger.tests.test_statements import ACCOUNT, balance, camt, entry, stmt
from collecte.web.tests.helpers import html

pytestmark = pytest.mark.django_db(transaction=True)

OTHER = "DE89370400440532013000"


def statement(*entries, closing="1150.00", end="2024-03-31", iban=ACCOUNT):
    return camt(stmt(entries, iban=iban, end=end,
                     balances=[balance("OPBD", "1000.00"), balance("CLBD", closing, day=end)]))


MARCH = statement(entry("200.00", "CRDT", ref="R1"), entry("50.00", "DBIT", ref="R2"))
OVERLAP = statement(entry("50.00", "DBIT", ref="R2"), entry("75.00", "CRDT", booked="2024-04-02", ref="R3"),
                    closing="1225.00", end="2024-04-05")


def test_it_checks_the_iban_and_refuses_an_account_twice(world):
    with pytest.raises(LedgerError) as bad:
        banking.add_account(world.folder, "Courant", "FR76 3000 6000 0112 3456 7890 188")
    assert bad.value.code == "invalid_iban"
    account = banking.add_account(world.folder, "Courant", "fr76 3000 6000 0112 3456 7890 189")
    assert account.iban == ACCOUNT
    with pytest.raises(LedgerError) as twice:
        banking.add_account(world.folder, "Encore", ACCOUNT)
    assert twice.value.code == "duplicate_account"


def test_the_same_statement_or_an_overlapping_one_creates_nothing_twice(world):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    first = banking.import_statement(account, MARCH, "mars.xml", world.admin)
    again = banking.import_statement(account, MARCH, "mars.xml", world.admin)
    overlap = banking.import_statement(account, OVERLAP, "avril.xml", world.admin)
    assert (first.created, again.created, again.already_there) == (2, 0, 2)
    assert (overlap.created, overlap.already_there) == (1, 1)
    assert sorted(BankTransaction.objects.values_list("amount", flat=True)) == [D("-50.00"), D("75.00"),
                                                                               D("200.00")]
    account.refresh_from_db()
    assert (account.balance, str(account.balance_date)) == (D("1225.00"), "2024-04-05")
    banking.import_statement(account, MARCH, "mars.xml")  # an older statement does not move the balance back
    account.refresh_from_db()
    assert account.balance == D("1225.00")


def test_a_bad_file_says_which_element_and_another_accounts_statement_is_refused(world):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    broken = camt(stmt([entry(amount_xml="")]))
    with pytest.raises(LedgerError) as unreadable:
        banking.import_statement(account, broken, "casse.xml")
    assert unreadable.value.code == "unreadable_statement" and "<Ntry>" in unreadable.value.message
    with pytest.raises(LedgerError) as other:
        banking.import_statement(account, statement(entry(ref="X"), iban=OTHER), "autre.xml")
    assert other.value.code == "other_account"
    assert not BankTransaction.objects.exists()


def test_the_balance_opens_the_forecast(world, client_for):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    banking.import_statement(account, MARCH, "mars.xml")
    forecast = client_for(world.owner).get(reverse("folder-forecast", args=[world.folder.pk])).context["forecast"]
    assert forecast.opening_balance == D("1150.00") and forecast.weeks[-1].balance == D("1150.00")


def test_an_approver_imports_through_the_page_but_does_not_add_accounts(world, client_for):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    client = client_for(world.approver)
    response = client.post(reverse("bank-account", args=[account.pk]),
                           {"file": SimpleUploadedFile("mars.xml", MARCH)}, follow=True)
    assert "2 opérations importées, 0 déjà présentes." in html(response)
    denied = client.post(reverse("bank-accounts", args=[world.folder.pk]), {"name": "X", "iban": OTHER})
    assert denied.status_code == 403
    shown = html(client.post(reverse("bank-account", args=[account.pk]),
                             {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 nothing")}))
    assert "Les relevés PDF ne sont pas lisibles ici" in shown


@pytest.mark.parametrize("persona, status", [("standard", 403), ("outsider", 404), ("unassigned", 404)])
def test_others_are_kept_out(world, client_for, api_for, persona, status):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    user = getattr(world, persona)
    assert client_for(user).get(reverse("bank-accounts", args=[world.folder.pk])).status_code == status
    assert client_for(user).get(reverse("bank-account", args=[account.pk])).status_code == status
    api = api_for(user)
    assert api.get(f"/api/v1/folders/{world.folder.pk}/bank-accounts").status_code == status
    assert api.get(f"/api/v1/bank-accounts/{account.pk}/transactions").status_code == status
    assert api.get(f"/api/v1/bank-accounts/{account.pk}/csv-mapping").status_code == status
    posted = api.client.post(f"/api/v1/bank-accounts/{account.pk}/statements",
                             {"file": SimpleUploadedFile("mars.xml", MARCH)}, **api.headers)
    assert posted.status_code == status
    assert not BankTransaction.objects.exists()


def test_the_api_adds_an_account_imports_and_lists(world, api_for):
    api = api_for(world.admin)
    created = api.post(f"/api/v1/folders/{world.folder.pk}/bank-accounts", {"name": "Courant", "iban": ACCOUNT})
    assert created.status_code == 201, created.content
    account_id = created.json()["id"]
    bad = api.post(f"/api/v1/folders/{world.folder.pk}/bank-accounts", {"name": "X", "iban": "FR00"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_iban"
    imported = api.client.post(f"/api/v1/bank-accounts/{account_id}/statements",
                               {"file": SimpleUploadedFile("mars.xml", MARCH)}, **api.headers)
    assert imported.status_code == 201 and imported.json()["created"] == 2
    again = api.client.post(f"/api/v1/bank-accounts/{account_id}/statements",
                            {"file": SimpleUploadedFile("mars.xml", MARCH)}, **api.headers)
    assert again.json()["already_there"] == 2
    listed = api.get(f"/api/v1/bank-accounts/{account_id}/transactions").json()
    assert listed["count"] == 2 and {t["amount"] for t in listed["items"]} == {"200.00", "-50.00"}
    broken = api.client.post(f"/api/v1/bank-accounts/{account_id}/statements",
                             {"file": SimpleUploadedFile("x.xml", b"<a>")}, **api.headers)
    assert broken.status_code == 422 and broken.json()["code"] == "unreadable_statement"


UNUSUAL_CSV = ("Jour;Texte;Sortie;Entrée;Divers\n"
               "04/03/2024;PRLV EDF;45,10;;x\n"
               "05/03/2024;VIR CLIENT DUPONT;;1 200,00;y\n").encode("cp1252")


def test_a_csv_with_unknown_columns_asks_for_them_once_then_remembers(world, client_for):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    client = client_for(world.approver)
    url = reverse("bank-account", args=[account.pk])
    asked = client.post(url, {"file": SimpleUploadedFile("export.csv", UNUSUAL_CSV)})
    page = html(asked)
    assert "Les colonnes de ce CSV ne sont pas reconnues" in page and "Colonnes du relevé CSV" in page
    assert "VIR CLIENT DUPONT" in page  # the rows are shown to choose from
    token = asked.context["mapping"][0].initial["token"]
    mapping = {"token": token, "filename": "export.csv", "date": "Jour", "label": "Texte", "debit": "Sortie",
               "credit": "Entrée", "date_format": "%d/%m/%Y", "decimal_comma": "on", "skip_lines": "0"}
    missing = client.post(url, {**mapping, "debit": ""})
    assert "Choisissez la colonne du montant" in html(missing) and not BankTransaction.objects.exists()
    done = client.post(url, mapping, follow=True)
    assert "2 opérations importées" in html(done)
    assert sorted(BankTransaction.objects.values_list("amount", flat=True)) == [D("-45.10"), D("1200.00")]
    account.refresh_from_db()
    assert account.csv_mapping["debit"] == "Sortie" and account.csv_mapping["credit"] == "Entrée"
    later = UNUSUAL_CSV + "06/03/2024;CB BOULANGERIE;3,20;;z\n".encode("cp1252")
    record = banking.import_statement(account, later, "mars.csv", world.approver)  # no question the second time
    assert (record.created, record.already_there) == (1, 2)
    assert client.post(url, {**mapping, "token": "../../etc"}, follow=True).status_code == 200  # expired, not read


def test_the_api_imports_a_csv_with_a_mapping(world, api_for):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    api = api_for(world.admin)
    url = f"/api/v1/bank-accounts/{account.pk}/statements"
    refused = api.client.post(url, {"file": SimpleUploadedFile("export.csv", UNUSUAL_CSV)}, **api.headers)
    assert refused.status_code == 422 and refused.json()["code"] == "csv_mapping_needed"
    mapping = '{"date": "Jour", "label": "Texte", "debit": "Sortie", "credit": "Entrée"}'
    wrong = api.client.post(url, {"file": SimpleUploadedFile("export.csv", UNUSUAL_CSV), "mapping": "{nope"},
                            **api.headers)
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_mapping"
    done = api.client.post(url, {"file": SimpleUploadedFile("export.csv", UNUSUAL_CSV), "mapping": mapping},
                           **api.headers)
    assert done.status_code == 201 and done.json()["created"] == 2
    assert api.get(f"/api/v1/bank-accounts/{account.pk}/csv-mapping").json()["debit"] == "Sortie"



@pytest.mark.parametrize("mapping", ['{"date": "Jour", "label": "Texte", "amount": "Sortie", "skip_lines": "x"}',
                                     '{"date": "Jour", "label": "Texte", "amount": "Sortie", "delimiter": ";;"}',
                                     '{"date": "Jour", "label": "Texte", "amount": "Sortie", "date_format": 5}',
                                     '{"date": 3, "label": "Texte", "amount": "Sortie"}',
                                     '{"date": "Jour", "label": "Texte", "amount": "Sortie", "decimal_comma": "no"}',
                                     '{"label": "Texte", "amount": "Sortie"}'])
def test_the_api_refuses_a_mapping_of_the_wrong_types(world, api_for, mapping):
    account = banking.add_account(world.folder, "Courant", ACCOUNT)
    api = api_for(world.admin)
    response = api.client.post(f"/api/v1/bank-accounts/{account.pk}/statements",
                               {"file": SimpleUploadedFile("export.csv", UNUSUAL_CSV), "mapping": mapping},
                               **api.headers)
    assert response.status_code == 422 and response.json()["code"] == "invalid_mapping"
    account.refresh_from_db()
    assert account.csv_mapping == {}
