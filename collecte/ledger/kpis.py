"""Customer payment figures and analytics from the database: the edge around the pure collecte.ledger.figures.

Figures are computed when read, from the invoices the user sees and the dated payments reconciliation recorded,
so they follow every validation, payment, change or undo at once and never need a recomputation job. Only the
folder's base currency is measured (amounts in other currencies cannot be added without a rate).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Q

from collecte.tenancy import access

from . import figures
from .figures import LedgerItem, Payment
from .models import Invoice, Reconciliation
from .queries import change_stamp, folder_today

CACHE_SECONDS = 3600
HISTORY_DAYS = 16 * 31  # DSO over 12 months needs the sales of the 3 months before the first one


def _items(invoices, folder_id, today, counterparty_ids=None) -> list[LedgerItem]:
    """Validated invoices still open, or issued or paid within the history the figures look at."""
    since = today - timedelta(days=HISTORY_DAYS)
    rows = invoices.filter(status__in=Invoice.VALIDATED, total_incl_tax__isnull=False).filter(
        Q(status__in=(*Invoice.OPEN, Invoice.Status.CREDIT_AVAILABLE)) | Q(issue_date__gte=since)
        | Q(paid_date__gte=since))
    if counterparty_ids is not None:
        rows = rows.filter(counterparty_id__in=counterparty_ids)
    values = list(rows.order_by().values_list("pk", "counterparty_id", "counterparty__name", "counterparty_read",
                                              "kind", "issue_date", "due_date", "total_incl_tax", "amount_paid")
                  .iterator(5000))
    wanted, payments = {row[0] for row in values}, defaultdict(list)
    # The folder's payments, kept for the invoices read above: cheaper than a subquery of that same filter.
    paid = Reconciliation.objects.filter(folder_id=folder_id)
    if counterparty_ids is not None:
        paid = paid.filter(invoice__counterparty_id__in=counterparty_ids)
    for invoice_id, day, amount in (paid.values_list("invoice_id", "transaction__booking_date", "amount")
                                    .order_by("transaction__booking_date").iterator(5000)):
        if invoice_id in wanted:
            payments[invoice_id].append(Payment(day, amount))
    return [LedgerItem(pk, party_id, name or (read or {}).get("name") or "", kind, issued, due, abs(total),
                       tuple(payments.get(pk, ())), paid)
            for pk, party_id, name, read, kind, issued, due, total, paid in values]


def _measured(folder_access, direction):
    folder = folder_access.folder
    return access.visible_invoices(folder_access).filter(direction=direction, currency=folder.base_currency)


def no_figures() -> figures.CounterpartyFigures:
    """The figures of a counterparty with nothing validated yet."""
    return figures.counterparty_figures([], date.today())


def counterparty_figures(folder_access, counterparty, direction="sales") -> figures.CounterpartyFigures:
    today = folder_today(folder_access.folder)
    items = _items(_measured(folder_access, direction), folder_access.folder.pk, today, [counterparty.pk])
    return figures.counterparty_figures(items, today)


def _remembered(folder_access, direction, what, compute):
    """Folder-wide figures are kept (per process) until an invoice they read changes: they are read on every page
    of a list or a chart, and a folder with 100,000 invoices takes some 600 ms to compute them."""
    today = folder_today(folder_access.folder)
    measured = _measured(folder_access, direction).filter(status__in=Invoice.VALIDATED)
    scope = "all" if access.sees_all_invoices(folder_access) else f"user:{folder_access.user.pk}"
    key = "kpis:" + hashlib.sha256(repr((folder_access.folder.pk, direction, what, scope, today,
                                         change_stamp(measured))).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = compute(today)
        cache.set(key, found, CACHE_SECONDS)
    return found


def figures_by_counterparty(folder_access, direction="sales") -> dict[int, figures.CounterpartyFigures]:
    """Every counterparty's figures in one read (a customers list sorts and pages them)."""
    return _remembered(folder_access, direction, "by_counterparty",
                       lambda today: _figures_by_counterparty(folder_access, direction, today))


def _figures_by_counterparty(folder_access, direction, today):
    grouped = defaultdict(list)
    for item in _items(_measured(folder_access, direction), folder_access.folder.pk, today):
        if item.counterparty_id is not None:
            grouped[item.counterparty_id].append(item)
    return {party_id: figures.counterparty_figures(items, today) for party_id, items in grouped.items()}


@dataclass
class Analytics:
    direction: str
    currency: str
    today: object
    totals: figures.CounterpartyFigures
    aging: figures.Aging
    dso: list[figures.MonthDSO]
    top_overdue: list[figures.OverdueCounterparty]


def analytics(folder_access, direction="sales") -> Analytics:
    return _remembered(folder_access, direction, "analytics",
                       lambda today: _analytics(folder_access, direction, today))


def _analytics(folder_access, direction, today) -> Analytics:
    items = _items(_measured(folder_access, direction), folder_access.folder.pk, today)
    return Analytics(direction, folder_access.folder.base_currency, today, figures.counterparty_figures(items, today),
                     figures.aging(items, today), figures.dso_by_month(items, today),
                     figures.top_overdue(items, today, 10))
