"""The one domain event of the review: an invoice became part of the ledger, changed in it, or left it.

Validation, later changes and deletion call `invoice_validated`, `invoice_changed` and `invoice_removed` inside
their transaction. The ledger's effects (treasury forecast, reconciliation, customer figures) register here as
plain functions, in order: an explicit list, not signals, so that reading this file tells everything validation does.
"""
from __future__ import annotations

from typing import Callable

from . import exports, forecast


def _follow_total(invoice, user, changes):
    from .reconcile import follow_total  # reconcile calls invoice_changed: imported when first needed

    follow_total(invoice, user, changes)


# The treasury forecast ("opérations engagées") follows every change, including the payments reconciliation applies
# (reconcile.py calls invoice_changed), after the paid status follows a corrected total. Customer figures are
# computed from the invoices when read: nothing to keep. The supplier memory remembers the expense/revenue account
# chosen, to propose it for the next invoice.
ON_VALIDATED: list[Callable] = [forecast.sync_entry, exports.remember_validated]  # effect(invoice, user)
# effect(invoice, user, changes): {"field": [before, after]}
ON_CHANGED: list[Callable] = [_follow_total, forecast.sync_entry, exports.remember_changed]


def _release_transactions(invoice, user):
    from .reconcile import release_transactions  # reconcile calls invoice_changed: imported when first needed

    release_transactions(invoice, user)


ON_REMOVED: list[Callable] = [forecast.remove_entry, _release_transactions]  # effect(invoice, user): before deletion


def invoice_validated(invoice, user) -> None:
    for effect in ON_VALIDATED:
        effect(invoice, user)


def invoice_changed(invoice, user, changes: dict) -> None:
    for effect in ON_CHANGED:
        effect(invoice, user, changes)


def invoice_removed(invoice, user) -> None:
    for effect in ON_REMOVED:
        effect(invoice, user)
