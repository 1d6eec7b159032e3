"""Customer payment figures and receivables/payables analytics: the pure core behind the ledger's KPIs.

Dataclasses in, dataclasses out, no ORM. Pass the validated items of one direction at a time (sales for receivables,
purchases for payables); every function reads them in a single pass (20,000 items: some tens of milliseconds each).

Definitions (the UI's French term in brackets):

- *Effective due date*: the due date, else the issue date + 30 days, the legal default when nothing was agreed (Code
  de commerce, art. L441-10); None when both dates are missing.
- *Paid* is `amount_paid` when the ledger gives it, else the sum of the dated payments. The *open amount* is
  total - paid, never below zero. A credit note's open amount is what is still available to offset or refund.
- *Amount due* ("montant dû"): open amounts of invoices minus open amounts of credit notes. Negative when the credit
  notes outweigh the invoices, i.e. we owe the counterparty.
- *Amount overdue* ("montant en souffrance"): open amounts of invoices whose effective due date is before today.
  Credit notes never reduce it: they are shown apart (`Aging.credit_available`).
- *Average payment delay* ("délai moyen de paiement"): days from the issue date to the payment day, averaged over the
  dated payments of invoices weighted by their amounts. Only payments made in the last `months` calendar months count
  (today - 12 months < day <= today), so that a customer who now pays on time is not held to an old habit. Invoices
  without an issue date are not measured (without it neither the delay nor a due date is known).
- *Average days late* ("retard moyen"): days from the effective due date to the payment day, over the same payments,
  same weights. Negative means paid early on average; the sign is kept rather than clamped to zero, because a
  customer paying 10 days early and one paying on the day are not the same customer.
- Day figures are `Decimal` rounded half up to one decimal; money is `Decimal` quantized to 0.01. None means
  "nothing to measure", never zero.
- *Aging* ("balance âgée"): open amounts of invoices by days overdue = today - effective due date. Due today is not
  due yet. An item with no date at all cannot be aged: it goes to `not_due` and is also counted in `undated`.
- *DSO* (days sales outstanding, "délai de recouvrement"), measured at each month end and, for today's month, at
  today: receivables(d) / sales(d) x days in the sales window. receivables(d) = what invoices issued on or before d
  still owed at d, minus what credit notes issued on or before d still offered at d. sales(d) = totals of invoices
  minus credit notes issued in the `window_months` calendar months ending at d (up to d). When the ledger says more
  is paid than the dated payments explain (marked paid by hand), the undated remainder is counted as paid on the
  effective due date, or at today if that is later: we know it is paid by today, and the due date is the likeliest
  day otherwise. Items without an issue date are left out of DSO: when they entered the receivables is unknown.
"""
from __future__ import annotations

from bisect import bisect_left
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
LEGAL_DEFAULT_TERM = timedelta(days=30)  # Code de commerce L441-10: 30 days after receipt when nothing was agreed
ZERO = Decimal("0.00")
CENT, TENTH = Decimal("0.01"), Decimal("0.1")

AGING_BUCKETS = (("not_due", _("Non échu")), ("1_30", _("1 à 30 jours")), ("31_60", _("31 à 60 jours")),
                 ("61_90", _("61 à 90 jours")), ("over_90", _("Plus de 90 jours")))
_BUCKET_LIMITS = (0, 30, 60, 90)  # upper bound (days overdue, inclusive) of every bucket but the last


@dataclass(frozen=True)
class Payment:
    day: date
    amount: Decimal  # positive, applied to the invoice


@dataclass(frozen=True)
class LedgerItem:  # one validated invoice or credit note (sales or purchases)
    invoice_id: int
    counterparty_id: int | None
    counterparty_name: str
    kind: str  # "invoice" | "credit_note"
    issue_date: date | None
    due_date: date | None
    total: Decimal  # incl. tax, positive
    payments: tuple[Payment, ...] = ()  # dated payments (from bank reconciliation), oldest first
    amount_paid: Decimal | None = None  # what the ledger says is paid now; may exceed the dated payments


def _money(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(CENT, ROUND_HALF_UP)


def _days(value: Decimal) -> Decimal:
    return value.quantize(TENTH, ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (earlier if negative), clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def effective_due(item: LedgerItem) -> date | None:
    if item.due_date is not None:
        return item.due_date
    return item.issue_date + LEGAL_DEFAULT_TERM if item.issue_date is not None else None


def paid(item: LedgerItem) -> Decimal:
    return item.amount_paid if item.amount_paid is not None else sum((p.amount for p in item.payments), ZERO)


def open_amount(item: LedgerItem) -> Decimal:
    return max(ZERO, item.total - paid(item))


def days_overdue(item: LedgerItem, today: date) -> int | None:
    """Days past the effective due date (0 or less: not due yet), None when the item has no date at all."""
    due = effective_due(item)
    return (today - due).days if due is not None else None


# --- one counterparty's figures -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CounterpartyFigures:
    amount_due: Decimal  # montant dû; negative: we owe them
    amount_overdue: Decimal  # montant en souffrance
    average_payment_delay: Decimal | None  # délai moyen de paiement, days
    average_days_late: Decimal | None  # retard moyen, days; negative: paid early
    open_invoices: int
    overdue_invoices: int
    payments_measured: int
    amount_measured: Decimal  # the weight of the two averages


def counterparty_figures(items, today: date, months: int = 12) -> CounterpartyFigures:
    """The figures of the given items: pass one counterparty's (over a whole folder it gives the folder's)."""
    since = add_months(today, -months)
    due = overdue = weight = delay_sum = late_sum = ZERO
    open_count = overdue_count = measured = 0
    for item in items:
        left = open_amount(item)
        if item.kind == CREDIT_NOTE:
            due -= left
            continue
        due += left
        late = days_overdue(item, today)
        if left > 0:
            open_count += 1
            if late is not None and late > 0:
                overdue += left
                overdue_count += 1
        if item.issue_date is None:
            continue
        when = effective_due(item)
        for payment in item.payments:
            if since < payment.day <= today and payment.amount > 0:
                measured += 1
                weight += payment.amount
                delay_sum += (payment.day - item.issue_date).days * payment.amount
                late_sum += (payment.day - when).days * payment.amount
    return CounterpartyFigures(
        amount_due=_money(due), amount_overdue=_money(overdue),
        average_payment_delay=_days(delay_sum / weight) if weight else None,
        average_days_late=_days(late_sum / weight) if weight else None,
        open_invoices=open_count, overdue_invoices=overdue_count,
        payments_measured=measured, amount_measured=_money(weight))


# --- aging ("balance âgée") ---------------------------------------------------------------------------------------

@dataclass
class Bucket:
    key: str
    label: str
    amount: Decimal = ZERO
    count: int = 0


@dataclass
class Aging:
    today: date
    buckets: list[Bucket]
    undated: int = 0  # open invoices without any date, counted in not_due
    credit_available: Decimal = ZERO  # open credit notes, kept apart from the buckets

    def bucket(self, key: str) -> Bucket:
        return next(b for b in self.buckets if b.key == key)

    @property
    def total_amount(self) -> Decimal:
        return sum((b.amount for b in self.buckets), ZERO)

    @property
    def total_count(self) -> int:
        return sum(b.count for b in self.buckets)


def bucket_index(days: int | None) -> int:
    """Index in AGING_BUCKETS for days overdue: 0 (and None) not due, 1..30, 31..60, 61..90, 91 and more."""
    return 0 if days is None else bisect_left(_BUCKET_LIMITS, days)


def aging(items, today: date) -> Aging:
    result = Aging(today, [Bucket(key, label) for key, label in AGING_BUCKETS])
    credit = ZERO
    for item in items:
        left = open_amount(item)
        if left <= 0:
            continue
        if item.kind == CREDIT_NOTE:
            credit += left
            continue
        days = days_overdue(item, today)
        bucket = result.buckets[bucket_index(days)]
        bucket.amount += left
        bucket.count += 1
        result.undated += days is None
    for bucket in result.buckets:
        bucket.amount = _money(bucket.amount)
    result.credit_available = _money(credit)
    return result


# --- who owes the most overdue ------------------------------------------------------------------------------------

@dataclass
class OverdueCounterparty:
    counterparty_id: int | None
    counterparty_name: str
    amount_overdue: Decimal = ZERO
    oldest_days_overdue: int = 0
    overdue_invoices: int = 0


def top_overdue(items, today: date, n: int = 10) -> list[OverdueCounterparty]:
    """Counterparties with an overdue amount, largest first (ties by name). Items without a counterparty id are
    grouped by their name as written."""
    groups: dict[object, OverdueCounterparty] = {}
    for item in items:
        if item.kind == CREDIT_NOTE:
            continue
        days = days_overdue(item, today)
        left = open_amount(item) if days is not None and days > 0 else ZERO
        if left <= 0:
            continue
        key = item.counterparty_id if item.counterparty_id is not None else ("name", item.counterparty_name)
        group = groups.get(key)
        if group is None:
            group = groups[key] = OverdueCounterparty(item.counterparty_id, item.counterparty_name)
        group.amount_overdue += left
        group.oldest_days_overdue = max(group.oldest_days_overdue, days)
        group.overdue_invoices += 1
    ranked = sorted(groups.values(), key=lambda g: (-g.amount_overdue, g.counterparty_name.casefold(),
                                                    g.counterparty_id or 0))
    for group in ranked[:n]:
        group.amount_overdue = _money(group.amount_overdue)
    return ranked[:n]


# --- DSO ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthDSO:
    day: date  # the measurement day: the month's last day, or today for today's month
    receivables: Decimal
    sales: Decimal  # over the window ending at `day`
    days: int  # days in that window
    dso: Decimal | None  # None when sales are zero or negative: no meaningful ratio


def settlements(item: LedgerItem, today: date) -> list[tuple[date, Decimal]]:
    """When the paid amount reduced the item, oldest first: the dated payments, then the undated remainder at the
    effective due date (today at the latest); together never more than the total nor than what the ledger says."""
    events = [(p.day, p.amount) for p in item.payments]
    dated = sum((p.amount for p in item.payments), ZERO)
    remainder = paid(item) - dated
    if remainder > 0:
        events.append((min(effective_due(item) or today, today), remainder))
        events.sort(key=lambda e: e[0])
    room = min(item.total, paid(item))
    capped = []
    for day, amount in events:
        if room <= 0:
            break
        applied = min(amount, room)
        if applied <= 0:
            continue
        room -= applied
        capped.append((day, applied))
    return capped


def measurement_days(today: date, months: int) -> list[date]:
    return [min(month_end(add_months(today, -back)), today) for back in range(months - 1, -1, -1)]


def dso_by_month(items, today: date, months: int = 12, window_months: int = 3) -> list[MonthDSO]:
    """One MonthDSO per month, oldest first. Every item's balance changes (issue, settlements) are added to the first
    measurement day on or after them, so the work is one pass over items and payments, not one per month."""
    days = measurement_days(today, months)
    changes = [ZERO] * months
    sales_by_month: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for item in items:
        issued = item.issue_date
        if issued is None or issued > today:
            continue
        sign = -1 if item.kind == CREDIT_NOTE else 1
        sales_by_month[(issued.year, issued.month)] += sign * item.total
        changes[bisect_left(days, issued)] += sign * item.total
        for day, amount in settlements(item, today):
            day = max(day, issued)  # paid before it was issued (a deposit): it only counts once issued
            if day <= today:
                changes[bisect_left(days, day)] -= sign * amount
    result, receivables = [], ZERO
    for day, change in zip(days, changes):
        receivables += change
        start = add_months(day.replace(day=1), -(window_months - 1))
        sales = sum((sales_by_month[(m.year, m.month)] for m in _months_from(start, window_months)), ZERO)
        length = (day - start).days + 1
        dso = _days(receivables / sales * length) if sales > 0 else None
        result.append(MonthDSO(day, _money(receivables), _money(sales), length, dso))
    return result


def _months_from(start: date, count: int):
    return (add_months(start, k) for k in range(count))
