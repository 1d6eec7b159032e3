import pytest
from datetime import date
from decimal import Decimal as D
from collecte.ledger.tests.helpers import arrive, invoice_pdf
from collecte.web.tests.intake_helpers import media  # noqa: F401
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

def test_explore(world, api_for):
    a = arrive(world.standard, world.folder)
    api = api_for(world.owner)
    print(api.get(f"/api/v1/invoices/{a.pk}").json())
    b = arrive(world.admin, world.folder, "autre.pdf", due=date(2024, 4, 12))
    print(api.get(f"/api/v1/invoices/{b.pk}").json())
    c = arrive(world.admin, world.folder, "near.pdf", number="FA2024-0117-B")
    print(api.get(f"/api/v1/invoices/{c.pk}").json())
    d = arrive(world.admin, world.folder, "avoir.pdf", number="AV-1", credit_note=True, due=None)
    print(api.get(f"/api/v1/invoices/{d.pk}").json())
    print(api.get(f"/api/v1/invoices/{d.pk}/events").json())
    assert 0
