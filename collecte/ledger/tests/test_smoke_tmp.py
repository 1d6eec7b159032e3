import pytest
from django.urls import reverse
from collecte.ledger.models import Invoice
from collecte.ledger.tests.helpers import arrive
from collecte.web.tests.intake_helpers import media  # noqa

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]

def test_smoke(world, client_for):
    inv = arrive(world.admin, world.folder)
    print(inv.__dict__)
    c = client_for(world.owner)
    r = c.get(reverse("review-queue", args=[world.folder.pk]))
    assert r.status_code == 200, r.content
    r = c.get(reverse("invoice-review", args=[inv.pk]))
    assert r.status_code == 200
    r = c.get(reverse("document-page", args=[inv.document_id, 1]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    form = r = c.get(reverse("invoice-review", args=[inv.pk])).context["form"]
    data = {k: form.initial.get(k) or "" for k in form.fields}
    r = c.post(reverse("invoice-review", args=[inv.pk]), {**data, "action": "validate"})
    assert r.status_code == 302, r.content.decode()[-3000:]
    inv.refresh_from_db()
    assert inv.status == "unpaid"
    for st in ["unpaid", "overdue", "all", "pending"]:
        r = c.get(reverse("invoice-list", args=[world.folder.pk]) + "?status=" + st)
        assert r.status_code == 200
    r = c.get(reverse("invoice-list", args=[world.folder.pk]) + "?status=all&format=csv")
    print(b"".join(r.streaming_content).decode())
    r = c.get(reverse("counterparty-list", args=[world.folder.pk]))
    assert r.status_code == 200
    r = c.get(reverse("counterparty-detail", args=[inv.counterparty_id]))
    assert r.status_code == 200
    r = c.get(reverse("invoice-new", args=[world.folder.pk]))
    assert r.status_code == 200
    r = c.get(reverse("invoice-import", args=[world.folder.pk]))
    assert r.status_code == 200
    r = c.get(reverse("invoice-attach", args=[world.folder.pk]))
    assert r.status_code == 200
