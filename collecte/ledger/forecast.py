"""The treasury forecast: what validated invoices announce, week by week.

`entry_for(invoice)` says which cash movement an invoice announces (pure). `weekly_forecast` sums open movements into
weeks (pure). `sync_entry` keeps an invoice's ForecastEntry in step with it; it is one of the ledger's effects
(collecte.ledger.effects) and runs in the transaction of the validation, change or deletion.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .models import SALES

WEEKS = 12
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Movement:
    expected_date: date
    amount: Decimal  # + in, - out
    currency: str


def entry_for(invoice) -> Movement | None:
    """The movement a validated invoice still announces, or None (nothing left to pay, or no amount).

    The sign: a sale brings money in, a purchase takes it out; a credit note goes the other way. The date: the
    due date, else the issue date (a credit note has no due date: it is available at once)."""
    if not invoice.is_validated or invoice.total_incl_tax is None:
        return None
    if invoice.status in ("paid", "credit_used"):
        return None
    # Totals compared as positive amounts, as reconciliation does (some sources sign credit notes).
    remaining = abs(invoice.total_incl_tax) - (invoice.amount_paid or Decimal(0))
    if remaining == 0:
        return None
    sign = 1 if invoice.direction == SALES else -1
    if invoice.is_credit_note:
        sign = -sign
    when = invoice.due_date or invoice.issue_date
    if when is None:
        return None
    return Movement(when, sign * abs(remaining), invoice.currency)


@dataclass
class Week:
    start: date
    money_in: Decimal = ZERO
    money_out: Decimal = ZERO  # negative or zero
    balance: Decimal | None = None  # at the end of the week, from the opening balance
    overdue_in: Decimal = ZERO  # of money_in: already due before the first week, expected now
    overdue_out: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.money_in + self.money_out


@dataclass
class Forecast:
    today: date
    currency: str
    opening_balance: Decimal | None
    weeks: list[Week] = field(default_factory=list)
    later_in: Decimal = ZERO  # beyond the last week
    later_out: Decimal = ZERO
    other_currencies: dict[str, Decimal] = field(default_factory=dict)  # net amounts not in the folder's currency


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())  # Monday, as French calendars start the week


def weekly_forecast(movements, today: date, currency: str, opening_balance: Decimal | None = None,
                    weeks: int = WEEKS) -> Forecast:
    """Open movements summed per week (Monday to Sunday) from this week on. What is overdue counts in this week,
    as expected now. Movements in another currency are totalled apart: converting them would be a guess."""
    first = week_start(today)
    result = Forecast(today, currency, opening_balance,
                      [Week(first + timedelta(weeks=i)) for i in range(weeks)])
    for movement in movements:
        if movement.currency != currency:
            result.other_currencies[movement.currency] = (result.other_currencies.get(movement.currency, Decimal(0))
                                                          + movement.amount)
            continue
        index = max(0, (week_start(movement.expected_date) - first).days // 7)
        if index >= weeks:
            if movement.amount > 0:
                result.later_in += movement.amount
            else:
                result.later_out += movement.amount
            continue
        week = result.weeks[index]
        overdue = movement.expected_date < today
        if movement.amount > 0:
            week.money_in += movement.amount
            week.overdue_in += movement.amount if overdue else 0
        else:
            week.money_out += movement.amount
            week.overdue_out += movement.amount if overdue else 0
    if opening_balance is not None:
        running = opening_balance
        for week in result.weeks:
            running += week.net
            week.balance = running
    return result


# --- the effect: an invoice's entry follows it --------------------------------------------------------------------

def sync_entry(invoice, user=None, changes=None) -> None:
    """Create, update or close the invoice's ForecastEntry to match what it announces now."""
    from .models import ForecastEntry

    movement = entry_for(invoice)
    existing = ForecastEntry.objects.filter(invoice=invoice).first()
    if movement is None:
        if existing is not None and existing.status != ForecastEntry.Status.CLOSED:
            existing.status = ForecastEntry.Status.CLOSED
            existing.save(update_fields=["status", "updated_at"])
        return
    values = {"expected_date": movement.expected_date, "amount": movement.amount, "currency": movement.currency,
              "status": ForecastEntry.Status.OPEN}
    if existing is None:
        ForecastEntry.objects.create(folder_id=invoice.folder_id, invoice=invoice, **values)
    elif any(getattr(existing, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(existing, k, v)
        existing.save()


def remove_entry(invoice, user=None) -> None:
    """The invoice leaves the ledger (deleted, or its document read again): its announced movement goes too."""
    from .models import ForecastEntry

    ForecastEntry.objects.filter(invoice=invoice).delete()
