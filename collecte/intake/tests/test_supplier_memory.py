"""Supplier memory: a deliberately awkward layout is read wrongly the first time, corrected by a person through the API,
and the same supplier's next invoice is read right. Corrections are checked and kept; outsiders cannot correct."""
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collecte.extraction import memory
from collecte.extraction.registry import Options, extract
from collecte.extraction.tests.invoice_pdfs import pdf
from collecte.intake.models import Document, SupplierMemory
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api_for(db):
    from collecte.accounts.models import ApiToken
    from collecte.api.tests.helpers import ApiClient

    return lambda user: ApiClient(ApiToken.issue(user, "tests")[1])

SUPPLIER_VAT = "DE136695976"


def awkward(number: str, when: str, total: str) -> bytes:
    """A supplier whose invoice number sits under "Doc. ref.", whose dates are month-first, and whose total is
    labelled "Sum" with the currency before it: none of the generic labels, and an ambiguous numeric date."""
    return pdf([
        (50, 60, "NORDWIND HANDELS GMBH"), (50, 74, f"USt-IdNr. {SUPPLIER_VAT}"),
        (50, 88, "IBAN DE89 3704 0044 0532 0130 00"),
        (330, 60, "Customer no. 100234"), (330, 74, "Order no. 7781-22"),
        (50, 140, "Ship to: Boulangerie Martin SARL, 3 rue Haute, Lyon"),
        (50, 200, "Doc. ref."), (50, 214, number),
        (200, 200, "Dated"), (200, 214, when),
        (50, 300, "Goods"), (450, 300, total),
        (330, 400, "Sum"), (470, 400, f"EUR {total}"),
    ])


def upload(api, folder_id, name, content):
    data = {"module": "purchases", "file": SimpleUploadedFile(name, content)}
    response = api.client.post(f"/api/v1/folders/{folder_id}/documents", data, **api.headers)
    assert response.status_code == 201, response.content
    return response.json()["documents"][0]


def correct(api, document_id, fields):
    return api.post(f"/api/v1/documents/{document_id}/corrections", {"fields": fields})


def test_the_generic_rules_misread_the_awkward_layout():
    r = extract(awkward("ZX-5531", "03/04/2024", "1,250.00"), "a.pdf", Options(use_xml=False))
    assert r.seller.vat_id == SUPPLIER_VAT
    assert (r.invoice_number, r.issue_date, r.total_incl_tax) != ("ZX-5531", "2024-03-04", Decimal("1250.00"))


def test_a_correction_teaches_the_next_invoice_of_the_same_supplier(world, api_for, media):
    api = api_for(world.collaborator)
    first = upload(api, world.folder.pk, "nordwind-1.pdf", awkward("ZX-5531", "03/04/2024", "1,250.00"))
    read = first["extraction"]
    assert read["seller"]["vat_id"] == SUPPLIER_VAT
    assert read["invoice_number"] != "ZX-5531" and read["issue_date"] != "2024-03-04"

    response = correct(api, first["id"], {"invoice_number": "ZX-5531", "issue_date": "2024-03-04",
                                          "total_incl_tax": "1250.00", "seller.name": "Nordwind Handels GmbH"})
    assert response.status_code == 200, response.content
    stored = Document.objects.get(pk=first["id"]).extraction
    assert stored["invoice_number"] == "ZX-5531" and stored["confidence"]["invoice_number"] == 1.0
    assert stored["corrections"][-1]["by"] == world.collaborator.pk
    assert set(stored["corrections"][-1]["fields"]) == {"invoice_number", "issue_date", "total_incl_tax",
                                                        "seller.name"}
    keys = set(SupplierMemory.objects.filter(folder=world.folder).values_list("key", flat=True))
    assert f"vat:{SUPPLIER_VAT}" in keys

    second = upload(api, world.folder.pk, "nordwind-2.pdf", awkward("ZX-5602", "04/11/2024", "980.40"))
    again = second["extraction"]
    assert again["invoice_number"] == "ZX-5602"
    assert again["issue_date"] == "2024-04-11"  # month first, as this supplier writes it
    assert again["total_incl_tax"] == "980.40"
    assert {"invoice_number", "issue_date", "total_incl_tax"} <= set(again["learned"])


def test_memory_stays_in_its_folder(world, api_for, media):
    api = api_for(world.owner)
    first = upload(api, world.folder.pk, "n1.pdf", awkward("ZX-5531", "03/04/2024", "1,250.00"))
    assert correct(api, first["id"], {"invoice_number": "ZX-5531"}).status_code == 200
    elsewhere = upload(api, world.other_folder.pk, "n2.pdf", awkward("ZX-5602", "04/11/2024", "980.40"))
    assert elsewhere["extraction"]["learned"] == []


def test_bad_values_are_refused_with_the_field_named(world, api_for, media):
    api = api_for(world.owner)
    document = upload(api, world.folder.pk, "n1.pdf", awkward("ZX-5531", "03/04/2024", "1,250.00"))
    for fields, code in (({"issue_date": "4 mars"}, "invalid_date"), ({"total_tax": "douze"}, "invalid_amount"),
                         ({"currency": "euro"}, "invalid_currency"), ({"color": "red"}, "unknown_field")):
        response = correct(api, document["id"], fields)
        assert response.status_code == 422 and response.json()["code"] == code, response.content
    assert "corrections" not in Document.objects.get(pk=document["id"]).extraction


def test_outsiders_and_other_users_cannot_correct(world, api_for, media):
    document = upload(api_for(world.standard), world.folder.pk, "n1.pdf", awkward("Z-1", "03/04/2024", "1.00"))
    mine = upload(api_for(world.admin), world.folder.pk, "n2.pdf", awkward("Z-2", "03/04/2024", "2.00"))
    assert correct(api_for(world.outsider), document["id"], {"invoice_number": "X"}).status_code == 404
    assert correct(api_for(world.unassigned), document["id"], {"invoice_number": "X"}).status_code == 404
    # A standard user sees (and corrects) only what they submitted.
    assert correct(api_for(world.standard), mine["id"], {"invoice_number": "X"}).status_code == 404
    assert correct(api_for(world.standard), document["id"], {"invoice_number": "Z-1b"}).status_code == 200
    assert correct(api_for(world.admin), document["id"], {"invoice_number": "Z-1c"}).status_code == 200


def test_learn_and_apply_are_pure_functions_of_the_page():
    first = extract(awkward("ZX-5531", "03/04/2024", "1,250.00"), "a.pdf", Options(use_xml=False))
    from datetime import date

    hints = memory.learn(first, {"invoice_number": "ZX-5531", "issue_date": date(2024, 3, 4)})
    assert hints["fields"]["invoice_number"]["label"] == "doc. ref" and hints["fields"]["invoice_number"]["where"] \
        == "below"
    assert hints["month_first"] is True
    second = extract(awkward("ZX-9", "12/30/2024", "5.00"), "b.pdf", Options(use_xml=False),
                     memory=lambda keys: hints if f"vat:{SUPPLIER_VAT}" in keys else None)
    assert (second.invoice_number, second.issue_date) == ("ZX-9", date(2024, 12, 30))
    assert second.confidence["invoice_number"] == memory.LEARNED_CONFIDENCE
    assert second.positions["invoice_number"]["page"] == 1
