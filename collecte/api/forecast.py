"""The treasury forecast of a folder: 12 weeks of what validated invoices announce."""
from datetime import date
from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from collecte.tenancy import access
from collecte.ledger.queries import folder_forecast

from .errors import ErrorOut, not_found

router = Router(tags=["forecast"])


class WeekOut(Schema):
    start: date
    money_in: Decimal
    money_out: Decimal
    net: Decimal
    overdue_in: Decimal
    overdue_out: Decimal
    balance: Decimal | None


class ForecastOut(Schema):
    today: date
    currency: str
    opening_balance: Decimal | None
    weeks: list[WeekOut]
    later_in: Decimal
    later_out: Decimal
    other_currencies: dict[str, Decimal]


@router.get("/folders/{folder_id}/forecast", response={200: ForecastOut, 401: ErrorOut, 403: ErrorOut,
                                                        404: ErrorOut},
            summary="Prévision de trésorerie (12 semaines)")
def get_forecast(request, folder_id: int):
    """Weeks from Monday; money_in positive, money_out negative; what is overdue counts in the first week
    (overdue_in/out say how much). Amounts in other currencies are totalled apart, unconverted. Approvers, admins
    and firm staff; 403 for a standard user."""
    try:
        reach = access.get_forecast_access(request.auth, folder_id)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None
    forecast = folder_forecast(reach)
    return {"today": forecast.today, "currency": forecast.currency, "opening_balance": forecast.opening_balance,
            "weeks": [{"start": w.start, "money_in": w.money_in, "money_out": w.money_out, "net": w.net,
                       "overdue_in": w.overdue_in, "overdue_out": w.overdue_out, "balance": w.balance}
                      for w in forecast.weeks],
            "later_in": forecast.later_in, "later_out": forecast.later_out,
            "other_currencies": forecast.other_currencies}
