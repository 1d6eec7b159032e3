"""Customer payment figures, aging, DSO and the overdue ranking, from hand-computed examples (the arithmetic is
written beside each expected value). Pure: no database."""
import random
from datetime import date, timedelta
from decimal import Decimal as D

from collecte.ledger.figures import (AGING_BUCKETS, CREDIT_NOTE, INVOICE, LedgerItem, Payment, add_months, aging,
                                     counterparty_figures, dso_by_month, effective_due, measurement_days,
                                     open_amount, settlements, top_overdue)

TODAY = date(2026, 11, 25)
_ids = iter(range(1, 10**9))


def item(total, issue=None, due=None, payments=(), paid=None, kind=INVOICE, cp=1, name="Client Un"):
    return LedgerItem(next(_ids), cp, name, kind, issue, due, D(total),
                      tuple(Payment(day, D(amount)) for day, amount in payments),
                      D(paid) if paid is not None else None)


def ago(days):
    return TODAY - timedelta(days=days)


# --- dates ---------------------------------------------------------------------------------------------------------

def test_it_defaults_the_due_date_to_thirty_days_after_issue():
    assert effective_due(item("1", issue=date(2026, 10, 1), due=date(2026, 12, 15))) == date(2026, 12, 15)
    assert effective_due(item("1", issue=date(2026, 10, 1))) == date(2026, 10, 31)  # 1 Oct + 30 days
    assert effective_due(item("1")) is None


def test_it_adds_calendar_months_clamped_to_the_month_length():
    assert add_months(date(2026, 11, 25), -12) == date(2025, 11, 25)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), -12) == date(2023, 2, 28)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)


# --- counterparty figures ------------------------------------------------------------------------------------------

def test_it_computes_amount_due_and_overdue_with_partial_payments_and_credit_notes():
    items = [item("1000", date(2026, 9, 1), date(2026, 10, 1), [(date(2026, 10, 15), "400")]),  # open 600, overdue
             item("500", date(2026, 11, 1), date(2026, 12, 1)),                                # open 500, not due
             item("200", date(2026, 11, 10), kind=CREDIT_NOTE),                                 # open credit 200
             item("300", date(2026, 8, 1), date(2026, 8, 31), [(date(2026, 8, 20), "300")])]    # paid early
    figures = counterparty_figures(items, TODAY)
    assert figures.amount_due == D("900.00")  # 600 + 500 - 200
    assert figures.amount_overdue == D("600.00")  # only the first: due 1 Oct < 25 Nov; the credit note is apart
    assert (figures.open_invoices, figures.overdue_invoices) == (2, 1)
    assert (figures.payments_measured, figures.amount_measured) == (2, D("700.00"))  # 400 + 300
    # delays: 15 Oct - 1 Sep = 44 days (x400), 20 Aug - 1 Aug = 19 days (x300): (17600 + 5700) / 700 = 33.2857
    assert figures.average_payment_delay == D("33.3")
    # lateness: 15 Oct - 1 Oct = 14 (x400), 20 Aug - 31 Aug = -11 (x300): (5600 - 3300) / 700 = 3.2857
    assert figures.average_days_late == D("3.3")


def test_it_keeps_the_sign_of_early_payments():
    items = [item("200", date(2026, 10, 1), date(2026, 10, 31),
                  [(date(2026, 10, 21), "100"), (date(2026, 11, 5), "50")])]
    figures = counterparty_figures(items, TODAY)
    # lateness: -10 days (x100), +5 days (x50): (-1000 + 250) / 150 = -5.0
    assert figures.average_days_late == D("-5.0")
    # delay: 20 days (x100), 35 days (x50): (2000 + 1750) / 150 = 25.0
    assert figures.average_payment_delay == D("25.0")
    assert figures.amount_overdue == D("50.00")  # 200 - 150, due 31 Oct


def test_it_measures_lateness_from_the_legal_default_when_the_due_date_is_missing():
    items = [item("100", date(2026, 9, 1), payments=[(date(2026, 10, 11), "100")]),  # due 1 Oct by default
             item("80", date(2026, 10, 20))]                                        # due 19 Nov by default
    figures = counterparty_figures(items, TODAY)
    assert figures.average_days_late == D("10.0")  # 11 Oct - 1 Oct
    assert figures.average_payment_delay == D("40.0")  # 11 Oct - 1 Sep = 30 + 10
    assert (figures.amount_overdue, figures.overdue_invoices) == (D("80.00"), 1)  # 19 Nov < 25 Nov


def test_it_excludes_payments_older_than_the_window_and_credit_note_refunds():
    items = [item("100", date(2025, 10, 1), date(2025, 10, 31), [(date(2025, 11, 25), "100")]),  # = today - 12 m: out
             item("100", date(2025, 10, 27), date(2025, 11, 26), [(date(2025, 11, 26), "100")]),  # first day in
             item("50", date(2026, 10, 1), kind=CREDIT_NOTE, payments=[(date(2026, 11, 1), "50")])]  # a refund
    figures = counterparty_figures(items, TODAY)
    assert (figures.payments_measured, figures.amount_measured) == (1, D("100.00"))
    assert figures.average_payment_delay == D("30.0")  # 26 Nov - 27 Oct = 4 + 26
    assert figures.average_days_late == D("0.0")  # paid on the due date
    assert counterparty_figures(items, TODAY, months=6).payments_measured == 0  # after 25 May 2026 only


def test_it_trusts_amount_paid_beyond_the_dated_payments():
    items = [item("100", date(2026, 9, 1), date(2026, 10, 1), paid="100"),  # marked paid by hand, no date
             item("100", date(2026, 9, 1), date(2026, 10, 1), [(date(2026, 9, 21), "40")], paid="100")]
    figures = counterparty_figures(items, TODAY)
    assert (figures.amount_due, figures.amount_overdue, figures.open_invoices) == (D("0.00"), D("0.00"), 0)
    assert (figures.payments_measured, figures.amount_measured) == (1, D("40.00"))  # only the dated 40 is measured
    assert figures.average_payment_delay == D("20.0")  # 21 Sep - 1 Sep
    assert figures.average_days_late == D("-10.0")  # 21 Sep - 1 Oct


def test_it_gives_no_averages_without_a_measured_payment_and_a_negative_amount_due_when_we_owe():
    items = [item("100", date(2026, 11, 1), paid="30"), item("250", date(2026, 11, 2), kind=CREDIT_NOTE),
             item("40", payments=[(date(2026, 11, 3), "10")])]  # no issue date: its payment is not measured
    figures = counterparty_figures(items, TODAY)
    assert figures.amount_due == D("-150.00")  # (100 - 30) + (40 - 10) - 250
    assert (figures.average_payment_delay, figures.average_days_late, figures.payments_measured) == (None, None, 0)
    assert open_amount(item("100", paid="120")) == D("0.00")  # overpaid: never below zero


# --- aging -------------------------------------------------------------------------------------------------------

def test_it_ages_open_invoices_at_the_bucket_boundaries():
    items = [item("1", due=ago(0)), item("2", due=ago(-5)), item("4"),          # not due (due today, later, undated)
             item("10", due=ago(1)), item("20", due=ago(30)),                   # 1..30
             item("100", due=ago(31)), item("250", due=ago(60), paid="50"),     # 31..60 (200 open)
             item("1000", due=ago(61)), item("2000", due=ago(90)),              # 61..90
             item("10000", due=ago(91)),                                       # over 90
             item("500", due=ago(200), paid="500"),                             # paid: not aged
             item("70", issue=ago(3), kind=CREDIT_NOTE)]                        # credit: apart
    result = aging(items, TODAY)
    assert [b.key for b in result.buckets] == [key for key, _ in AGING_BUCKETS]
    assert [(b.amount, b.count) for b in result.buckets] == [
        (D("7.00"), 3),       # 1 + 2 + 4
        (D("30.00"), 2),      # 10 + 20
        (D("300.00"), 2),     # 100 + (250 - 50)
        (D("3000.00"), 2),    # 1000 + 2000
        (D("10000.00"), 1)]
    assert result.undated == 1
    assert (result.total_amount, result.total_count) == (D("13337.00"), 10)  # 7 + 30 + 300 + 3000 + 10000
    assert result.credit_available == D("70.00")
    assert result.bucket("31_60").count == 2


def test_it_ages_an_invoice_without_due_date_from_its_issue_date():
    result = aging([item("100", issue=ago(45))], TODAY)  # due at 45 - 30 = 15 days ago
    assert result.bucket("1_30").amount == D("100.00") and result.undated == 0


# --- top overdue -------------------------------------------------------------------------------------------------

def test_it_ranks_counterparties_by_overdue_amount_then_name():
    items = [item("300", due=ago(10), cp=1, name="Beta"), item("200", due=ago(40), cp=1, name="Beta"),
             item("500", due=ago(5), cp=2, name="alpha"),
             item("900", due=ago(0), cp=3, name="Gamma"), item("1000", ago(1), kind=CREDIT_NOTE, cp=3, name="Gamma"),
             item("50", due=ago(100), cp=None, name="Sans fiche"),
             item("1000", due=ago(1), paid="999.99", cp=4, name="Delta")]
    ranked = top_overdue(items, TODAY)
    assert [(r.counterparty_name, r.counterparty_id, r.amount_overdue, r.oldest_days_overdue, r.overdue_invoices)
            for r in ranked] == [("alpha", 2, D("500.00"), 5, 1),       # ties with Beta at 500: "alpha" < "beta"
                                 ("Beta", 1, D("500.00"), 40, 2),       # 300 + 200, oldest 40 days
                                 ("Sans fiche", None, D("50.00"), 100, 1),
                                 ("Delta", 4, D("0.01"), 1, 1)]         # 1000 - 999.99; Gamma is not due yet
    assert [r.counterparty_name for r in top_overdue(items, TODAY, n=2)] == ["alpha", "Beta"]


# --- DSO ---------------------------------------------------------------------------------------------------------

DSO_TODAY = date(2026, 3, 15)
DSO_ITEMS = [
    item("300", date(2025, 12, 15), payments=[(date(2026, 2, 10), "300")]),
    item("1000", date(2026, 1, 10), date(2026, 2, 9), [(date(2026, 2, 5), "400"), (date(2026, 3, 10), "600")]),
    item("600", date(2026, 2, 1), paid="600"),  # no dated payment: counted as paid when due, 3 Mar (1 Feb + 30)
    item("100", date(2026, 2, 15), kind=CREDIT_NOTE),
    item("2000", date(2026, 3, 1), date(2026, 3, 31)),
    item("500", date(2026, 3, 20)),  # issued after today: not yet
    item("700")]  # no issue date: left out
# Receivables: 31 Jan = 300 + 1000 = 1300; 28 Feb = 0 + 600 + 600 - 100 = 1100; 15 Mar = 0 + 0 - 100 + 2000 = 1900.


def test_it_computes_dso_over_a_one_month_window():
    months = dso_by_month(DSO_ITEMS, DSO_TODAY, months=3, window_months=1)
    assert [(m.day, m.receivables, m.sales, m.days, m.dso) for m in months] == [
        (date(2026, 1, 31), D("1300.00"), D("1000.00"), 31, D("40.3")),   # 1300 / 1000 x 31 = 40.3
        (date(2026, 2, 28), D("1100.00"), D("500.00"), 28, D("61.6")),    # sales 600 - 100; 1100 / 500 x 28 = 61.6
        (date(2026, 3, 15), D("1900.00"), D("2000.00"), 15, D("14.3"))]   # to today: 1900 / 2000 x 15 = 14.25


def test_it_computes_dso_over_a_three_month_window():
    months = dso_by_month(DSO_ITEMS, DSO_TODAY, months=3, window_months=3)
    assert [(m.sales, m.days, m.dso) for m in months] == [
        (D("1300.00"), 92, D("92.0")),   # Nov-Jan: 300 + 1000; 30 + 31 + 31 days; 1300 / 1300 x 92
        (D("1800.00"), 90, D("55.0")),   # Dec-Feb: 300 + 1000 + 500; 31 + 31 + 28 days; 1100 / 1800 x 90
        (D("3500.00"), 74, D("40.2"))]   # Jan-15 Mar: 1000 + 500 + 2000; 31 + 28 + 15 days; 1900 / 3500 x 74 = 40.17


def test_it_gives_no_dso_for_a_month_without_sales():
    months = dso_by_month([item("1000", date(2026, 1, 10))], DSO_TODAY, months=3, window_months=1)
    assert [(m.receivables, m.sales, m.dso) for m in months] == [(D("1000.00"), D("1000.00"), D("31.0")),  # x 31
                                                                 (D("1000.00"), D("0.00"), None),
                                                                 (D("1000.00"), D("0.00"), None)]


def test_it_measures_today_s_month_at_today_and_earlier_months_at_their_end():
    assert measurement_days(DSO_TODAY, 3) == [date(2026, 1, 31), date(2026, 2, 28), DSO_TODAY]
    assert measurement_days(date(2026, 3, 31), 2) == [date(2026, 2, 28), date(2026, 3, 31)]
    assert len(dso_by_month([], TODAY)) == 12 and dso_by_month([], TODAY)[-1].day == TODAY


def test_it_counts_a_deposit_only_once_the_invoice_is_issued_and_caps_payments_at_the_total():
    deposit = item("1000", date(2026, 2, 10), payments=[(date(2026, 1, 20), "300")])
    assert [m.receivables for m in dso_by_month([deposit], DSO_TODAY, months=3)] == [
        D("0.00"), D("700.00"), D("700.00")]  # nothing before 10 Feb, then 1000 - 300
    overpaid = item("100", date(2026, 1, 1), payments=[(date(2026, 1, 5), "80"), (date(2026, 1, 9), "80")])
    assert settlements(overpaid, DSO_TODAY) == [(date(2026, 1, 5), D("80")), (date(2026, 1, 9), D("20"))]
    late_by_hand = item("100", date(2026, 3, 1), date(2026, 4, 30), paid="100")  # due after today: paid by today
    assert settlements(late_by_hand, DSO_TODAY) == [(DSO_TODAY, D("100"))]


# --- consistency at scale ------------------------------------------------------------------------------------------

def _random_items(count, seed=7):
    rng = random.Random(seed)
    items = []
    for n in range(count):
        issue = TODAY - timedelta(days=rng.randint(0, 500)) if rng.random() > 0.02 else None
        due = issue + timedelta(days=rng.choice((0, 15, 30, 45, 60))) if issue and rng.random() > 0.2 else None
        total = D(rng.randint(100, 500000)).scaleb(-2)
        payments, left = [], total
        for k in range(rng.choice((0, 0, 1, 1, 2, 3))):
            amount = min(left, D(rng.randint(1, 300000)).scaleb(-2))
            if issue and amount > 0:
                payments.append(Payment(min(TODAY, issue + timedelta(days=10 * (k + 1))), amount))
                left -= amount
        paid = total if rng.random() < 0.05 else None  # marked paid by hand
        kind = CREDIT_NOTE if rng.random() < 0.1 else INVOICE
        cp = rng.randint(1, 800)
        items.append(LedgerItem(n, cp, f"Client {cp}", kind, issue, due, total, tuple(payments), paid))
    return items


def test_it_gives_consistent_figures_on_twenty_thousand_items():
    items = _random_items(20_000)
    result = aging(items, TODAY)
    figures = counterparty_figures(items, TODAY)
    ranked = top_overdue(items, TODAY, n=10_000)
    months = dso_by_month(items, TODAY)

    invoices = [i for i in items if i.kind == INVOICE and open_amount(i) > 0]
    assert result.total_count == figures.open_invoices == len(invoices)
    assert result.total_amount == sum(open_amount(i) for i in invoices)
    assert figures.amount_due == result.total_amount - result.credit_available
    overdue = sum(b.amount for b in result.buckets[1:])
    assert figures.amount_overdue == overdue == sum(r.amount_overdue for r in ranked)
    assert figures.overdue_invoices == sum(b.count for b in result.buckets[1:]) == sum(
        r.overdue_invoices for r in ranked)
    assert [r.amount_overdue for r in ranked] == sorted((r.amount_overdue for r in ranked), reverse=True)
    assert [r.counterparty_name for r in top_overdue(items, TODAY)] == [r.counterparty_name for r in ranked[:10]]

    assert len(months) == 12 and months[-1].day == TODAY
    dated = [i for i in items if i.issue_date is not None]
    signed = sum(open_amount(i) if i.kind == INVOICE else -open_amount(i) for i in dated)
    assert months[-1].receivables == signed  # today every settlement has happened
    assert all(m.dso is not None and m.dso > 0 for m in months)
    assert figures.payments_measured > 0 and figures.average_payment_delay is not None
