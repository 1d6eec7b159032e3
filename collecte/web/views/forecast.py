"""Trésorerie: the 12-week forecast of what validated invoices announce ("opérations engagées")."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from collecte.ledger.queries import folder_forecast
from collecte.tenancy import access


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
