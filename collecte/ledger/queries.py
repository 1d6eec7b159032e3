"""Reads of the ledger that the web views and the API share (the state changes are in actions.py)."""
from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from collecte.tenancy import access

from .forecast import Movement, weekly_forecast
from .models import ForecastEntry, Invoice


def change_stamp(invoices) -> tuple:
    """Changes whenever one of these invoices does (added, removed, saved, paid): what keeps a result computed from
    them (a matcher, folder-wide figures) until it is stale. One aggregate over the rows."""
    stamp = invoices.aggregate(n=Count("pk"), top=Max("pk"), changed=Max("updated_at"), paid=Sum("amount_paid"))
    return tuple(sorted(stamp.items()))


def folder_today(folder):
    """'Today' in the folder's time zone: what is overdue depends on it."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(folder.timezone or "Europe/Paris")).date()


def search_invoices(invoices, q):
    """Invoices whose number or counterparty (linked, or as read) contains `q`."""
    q = (q or "").strip()
    if not q:
        return invoices
    return invoices.filter(Q(number__icontains=q) | Q(counterparty__name__icontains=q)
                           | Q(counterparty_read__name__icontains=q))


def folder_forecast(folder_access):
    """The forecast from the open entries of the invoices this user sees, in the folder's currency, from the
    balances of its bank accounts in that currency (None when it has none with a balance yet)."""
    folder = folder_access.folder
    balances = [a.balance for a in folder.bank_accounts.filter(currency=folder.base_currency, balance__isnull=False)]
    opening_balance = sum(balances) if balances else None
    entries = (ForecastEntry.objects.filter(folder=folder, status=ForecastEntry.Status.OPEN,
                                            invoice__in=access.visible_invoices(folder_access).values("pk"))
               .values_list("expected_date", "amount", "currency"))
    return weekly_forecast([Movement(*row) for row in entries], folder_today(folder), folder.base_currency,
                           opening_balance)


def attach_candidates(folder_access, direction):
    """The invoices a dropped file may go to: the user's, of that direction, with a number and no document yet."""
    from .attach import Candidate

    found = (access.visible_invoices(folder_access).filter(direction=direction).exclude(number="")
             .exclude(status=Invoice.Status.REJECTED).filter(document__isnull=True).values_list("pk", "number"))
    return [Candidate(pk, number) for pk, number in found]


def store_and_propose(folder_access, direction, files):
    """Keep each dropped file as a document of the folder, then propose an invoice for each (by the number in its
    name, else in its text). `files`: (filename, bytes). Returns ([(document, proposal)], [(filename, refusal)])."""
    from collecte.intake.actions import IntakeError, store_attachment

    from .attach import pdf_text, propose

    stored, refused = [], []
    for filename, content in files:
        try:
            stored.append((store_attachment(folder_access, direction, filename, content), content))
        except IntakeError as error:
            refused.append((filename, error.message))
    proposals = propose([(d.filename, pdf_text(c) if d.content_type == "application/pdf" else "")
                         for d, c in stored], attach_candidates(folder_access, direction))
    return [(document, proposal) for (document, _content), proposal in zip(stored, proposals)], refused


# --- reconciliation ("rapprochement") -------------------------------------------------------------------------------

@dataclass
class Proposal:
    """A suggestion as the screen and the API show it: the invoices with what each would settle."""

    suggestion: object
    lines: list  # [(invoice, amount applied)]

    @property
    def key(self):
        return ",".join(str(i) for i in sorted(self.suggestion.invoice_ids))


def bank_transactions(folder_access, status="open", account_id=None):
    from .models import BankTransaction

    rows = BankTransaction.objects.filter(folder=folder_access.folder, status=status).select_related("account")
    if account_id:
        rows = rows.filter(account_id=account_id)
    return rows.order_by("booking_date", "pk") if status == "open" else rows.order_by("-booking_date", "-pk")


def proposals_for(folder_access, transactions, limit=5) -> dict[int, list[Proposal]]:
    """Suggestions for each open transaction of a page, from the open invoices this user sees (one matcher per
    currency, one query for the invoices shown)."""
    from .reconcile import applied, cached_matcher, open_invoices, suggestions_for

    folder, sees_all = folder_access.folder, access.sees_all_invoices(folder_access)
    visible = access.visible_invoices(folder_access).values("pk")
    matchers, found = {}, {}
    for tx in transactions:
        if tx.currency not in matchers:
            invoices = open_invoices(folder.pk, tx.currency)
            invoices = invoices if sees_all else invoices.filter(pk__in=visible)
            scope = (folder.pk, tx.currency, "all" if sees_all else f"user:{folder_access.user.pk}")
            matchers[tx.currency] = cached_matcher(invoices, scope)
        found[tx.pk] = suggestions_for(tx, matchers[tx.currency], limit)
    ids = {i for suggestions in found.values() for s in suggestions for i in s.invoice_ids}
    invoices = Invoice.objects.select_related("counterparty").in_bulk(ids)
    return {tx_id: [Proposal(s, [(invoices[i], a) for i, a in sorted(applied(s).items())]) for s in suggestions]
            for tx_id, suggestions in found.items()}


def open_invoices_by_number(folder_access, numbers: str, currency):
    """The open invoices a person names by number (several separated by commas, semicolons or lines)."""
    from .attach import number_key
    from .reconcile import open_invoices

    keys = {number_key(n) for n in re.split(r"[,;\n]+", numbers or "") if n.strip()} - {""}
    if not keys:
        return []
    return list(open_invoices(folder_access.folder.pk, currency).filter(
        number_key__in=keys, pk__in=access.visible_invoices(folder_access).values("pk")).order_by("due_date", "pk"))
