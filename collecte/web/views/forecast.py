"""Trésorerie: the 12-week forecast of what validated invoices announce ("opérations engagées")."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from collecte.ledger.forecast import Movement, weekly_forecast
from collecte.ledger.models import ForecastEntry
from collecte.tenancy import access

from .invoices import folder_today


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


def chart(forecast, height=160):
    """Bars for the SVG chart: in above the axis, out below, scaled to the largest week."""
    top = max([w.money_in for w in forecast.weeks] + [-w.money_out for w in forecast.weeks] + [1])
    half = height / 2
    return [{"x": i * 56 + 8, "in": float(w.money_in / top) * (half - 6), "out": float(-w.money_out / top) * (half - 6),
             "week": w} for i, w in enumerate(forecast.weeks)], half


@login_required
def forecast_page(request, folder_id):
    folder_access = access.get_forecast_access(request.user, folder_id)
    forecast = folder_forecast(folder_access)
    bars, half = chart(forecast)
    return render(request, "web/forecast.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "forecast", "forecast": forecast,
        "bars": bars, "half": half, "height": half * 2})
