import json
from datetime import date
from decimal import Decimal as D
import pytest
from collecte.ledger.tests.helpers import arrive, SUPPLIER, SUPPLIER_VAT, BUYER
from collecte.extraction.tests.invoice_pdfs import Invoice as Drawn, layout_label_above
from collecte.web.tests.intake_helpers import media  # noqa

pytestmark = [pytest.mark.django_db(transaction=True)]

def test_x(world, media):
    pdf = layout_label_above(Drawn("fr", "FA-2024-0200", date(2024, 3, 12), [("Prestation de conseil", D("1000.00"), D(20))], SUPPLIER, SUPPLIER_VAT,
                                   "FR7630006000011234567890189", BUYER, due=date(2024, 4, 11)))
    inv = arrive(world.admin, world.folder, content=pdf)
    d = inv.document
    print(json.dumps(d.extraction["confidence"]), json.dumps(d.extraction["positions"]))
    print(inv.confidence, inv.status, inv.number, inv.duplicate, inv.issue_date, inv.due_date, inv.total_incl_tax, inv.counterparty_read)
