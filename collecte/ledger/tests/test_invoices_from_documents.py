"""After an upgrade, documents read before the review existed join the queue, once."""
import pytest
from django.core.management import call_command

from collecte.ledger.models import Invoice
from collecte.ledger.tests.helpers import arrive
from collecte.web.tests.intake_helpers import media  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("media")]


def test_it_queues_documents_read_before_the_review_existed_once(world, capsys):
    invoice = arrive(world.admin, world.folder)
    Invoice.objects.all().delete()
    call_command("invoices_from_documents")
    call_command("invoices_from_documents")
    again = Invoice.objects.get()
    assert again.document_id == invoice.document_id and again.status == Invoice.Status.PENDING_REVIEW
    assert capsys.readouterr().out.splitlines() == ["1 invoices waiting for review", "0 invoices waiting for review"]
