"""Customer payment figures and analytics (aging, DSO, top overdue), computed when read from the invoices the user
sees. The definitions are those of collecte.ledger.figures (also shown on the web pages)."""
from datetime import date
from decimal import Decimal
from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from collecte.ledger import kpis
from collecte.tenancy import access

from .errors import ErrorOut, not_found

router = Router(tags=["figures"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class FiguresOut(Schema):
    amount_due: Decimal
    amount_overdue: Decimal
    average_payment_delay: Decimal | None  # days from issue to payment, weighted by amount, last 12 months
    average_days_late: Decimal | None      # days from due date to payment, same weights; negative = early
    open_invoices: int
    overdue_invoices: int
    payments_measured: int


class CustomerFiguresOut(FiguresOut):
    counterparty_id: int
    name: str


class BucketOut(Schema):
    key: str
    label: str
    amount: Decimal
    count: int


class MonthOut(Schema):
    day: date
    receivables: Decimal
    sales: Decimal
    days: int
    dso: Decimal | None


class OverdueOut(Schema):
    counterparty_id: int | None
    counterparty_name: str
    amount_overdue: Decimal
    oldest_days_overdue: int
    overdue_invoices: int


class AnalyticsOut(Schema):
    direction: str
    currency: str
    today: date
    totals: FiguresOut
    aging: list[BucketOut]
    credit_available: Decimal
    dso: list[MonthOut]
    top_overdue: list[OverdueOut]


def _figures(figures) -> dict:
    return {k: getattr(figures, k) for k in FiguresOut.model_fields}


def _folder(request, folder_id, get=access.get_folder_access):
    try:
        return get(request.auth, folder_id)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None


@router.get("/folders/{folder_id}/customers", response={200: list[CustomerFiguresOut], **ERRORS},
            summary="Clients : montant dû, en souffrance, délai moyen de paiement")
def customers(request, folder_id: int):
    """Every customer the user sees, with the figures of the sales invoices the user sees, most overdue first."""
    reach = _folder(request, folder_id)
    by_party = kpis.figures_by_counterparty(reach, "sales")
    empty = kpis.no_figures()
    rows = [{"counterparty_id": c.pk, "name": c.name, **_figures(by_party.get(c.pk, empty))}
            for c in access.visible_counterparties(reach).filter(is_customer=True)]
    return sorted(rows, key=lambda r: (-r["amount_overdue"], -r["amount_due"], r["name"].lower()))


@router.get("/counterparties/{counterparty_id}/figures", response={200: FiguresOut, **ERRORS},
            summary="Chiffres de paiement d'un tiers")
def counterparty_figures(request, counterparty_id: int, direction: Literal["sales", "purchases"] = "sales"):
    try:
        reach, counterparty = access.get_counterparty_for_user(request.auth, counterparty_id)
    except Http404:
        raise not_found(_("Tiers introuvable.")) from None
    return _figures(kpis.counterparty_figures(reach, counterparty, direction))


@router.get("/folders/{folder_id}/analytics", response={200: AnalyticsOut, **ERRORS},
            summary="Balance âgée, DSO sur 12 mois, retards les plus importants")
def analytics(request, folder_id: int, direction: Literal["sales", "purchases"] = "sales"):
    """Approvers, admins and firm staff (403 for a standard user), as for the treasury forecast."""
    a = kpis.analytics(_folder(request, folder_id, access.get_forecast_access), direction)
    return {"direction": a.direction, "currency": a.currency, "today": a.today, "totals": _figures(a.totals),
            "aging": [{"key": b.key, "label": str(b.label), "amount": b.amount, "count": b.count}
                      for b in a.aging.buckets],
            "credit_available": a.aging.credit_available, "dso": a.dso, "top_overdue": a.top_overdue}
