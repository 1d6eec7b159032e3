"""The ledger's jobs."""
from huey.contrib.djhuey import db_task


@db_task()
def auto_reconcile_task(statement_id):
    """Automatic reconciliation of a large statement, after its import committed."""
    from .models import StatementImport
    from .reconcile import auto_reconcile_statement

    record = StatementImport.objects.select_related("account__folder").filter(pk=statement_id).first()
    if record is None:
        return
    record.auto_reconciled = auto_reconcile_statement(record).reconciled
    record.save(update_fields=["auto_reconciled"])
