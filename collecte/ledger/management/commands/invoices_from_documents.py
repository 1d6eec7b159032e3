"""`collecte invoices_from_documents`: put documents read before the review existed (an upgrade) into the review
queue. Idempotent: a document that already has its invoice is left alone."""
from django.core.management.base import BaseCommand

from collecte.intake.models import Document
from collecte.ledger.actions import invoice_from_document


class Command(BaseCommand):
    help = "Create the pending invoice of every document read by extraction that has none yet."

    def handle(self, *args, **options):
        created = 0
        # An expense receipt's document becomes an invoice only when its report is approved (collecte.expenses).
        documents = (Document.objects.filter(status=Document.Status.EXTRACTED, invoices__isnull=True,
                                             expense_receipt__isnull=True)
                     .select_related("folder", "message").order_by("pk"))
        for document in documents.iterator(chunk_size=500):
            if invoice_from_document(document) is not None:
                created += 1
        self.stdout.write(f"{created} invoices waiting for review")
