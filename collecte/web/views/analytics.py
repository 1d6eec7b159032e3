"""Analyse: aging of receivables or payables, DSO over 12 months, top overdue; the customers list with their payment
figures. Figures are computed when the page is read (collecte.ledger.kpis), from the invoices the user sees."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from collecte.ledger import kpis
from collecte.tenancy import access

DIRECTIONS = ("sales", "purchases")
AGING_COLOURS = ("#137a4b", "#c9a227", "#e07b24", "#c4471d", "#8f1d14")
CUSTOMER_SORTS = {
    "due": lambda row: -row[1].amount_due, "overdue": lambda row: -row[1].amount_overdue,
    "delay": lambda row: -(row[1].average_payment_delay if row[1].average_payment_delay is not None else -1),
    "late": lambda row: -(row[1].average_days_late if row[1].average_days_late is not None else -10_000),
    "name": lambda row: row[0].name.lower(),
}


def aging_bars(aging, width=230):
    """Horizontal bars, scaled to the largest bucket, with the bucket's colour from green (not due) to dark red."""
    top = max([b.amount for b in aging.buckets] + [1])
    return [{"bucket": b, "width": float(b.amount / top) * width, "y": i * 34 + 4, "colour": AGING_COLOURS[i]}
            for i, b in enumerate(aging.buckets)]


DSO_WIDTH, DSO_HEIGHT = 440, 150


def dso_points(dso, width=DSO_WIDTH, height=DSO_HEIGHT):
    """Points of the measured months on a line from 0 to the highest DSO (a month without sales has none: the line
    skips it), and every month's label under its place on the axis."""
    values = [m.dso for m in dso if m.dso is not None]
    top = max(values + [1])
    step = (width - 60) / max(len(dso) - 1, 1)
    months = [{"x": round(30 + i * step, 1), "month": m,
               "y": None if m.dso is None else round(height - 10 - float(m.dso / top) * (height - 30), 1)}
              for i, m in enumerate(dso)]
    points = [p for p in months if p["y"] is not None]
    return months, points, " ".join(f"{p['x']},{p['y']}" for p in points), top


@login_required
def analytics_page(request, folder_id):
    folder_access = access.get_forecast_access(request.user, folder_id)
    direction = request.GET.get("direction") if request.GET.get("direction") in DIRECTIONS else "sales"
    figures = kpis.analytics(folder_access, direction)
    months, points, polyline, top = dso_points(figures.dso)
    return render(request, "web/analytics.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "analytics", "direction": direction,
        "a": figures, "bars": aging_bars(figures.aging), "months": months, "points": points, "polyline": polyline,
        "dso_top": top, "dso_axis": DSO_HEIGHT - 10})


@login_required
def customer_list(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id)
    by_party = kpis.figures_by_counterparty(folder_access, "sales")
    customers = access.visible_counterparties(folder_access).filter(is_customer=True)
    q = request.GET.get("q", "").strip()
    if q:
        customers = customers.filter(name__icontains=q)
    empty = kpis.no_figures()
    rows = [(c, by_party.get(c.pk, empty)) for c in customers]
    sort = request.GET.get("sort") if request.GET.get("sort") in CUSTOMER_SORTS else "overdue"
    rows.sort(key=lambda row: (CUSTOMER_SORTS[sort](row), row[0].name.lower()))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "web/customer_list.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "customers", "page": page, "sort": sort,
        "q": q, "currency": folder_access.folder.base_currency})
