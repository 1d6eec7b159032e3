"""Money, confidence and status as the review screens show them."""
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.translation import get_language, gettext, gettext_lazy

register = template.Library()

STATUS_BADGES = {"pending_review": "warn", "unpaid": "info", "partially_paid": "info", "paid": "ok",
                 "credit_available": "ok", "credit_used": "", "rejected": "err"}


def _locale():
    return "fr_FR" if (get_language() or "fr").startswith("fr") else "en_GB"


@register.filter
def money(value, currency="EUR"):
    if value in (None, ""):
        return "—"
    locale = _locale()
    try:
        return format_currency(Decimal(value), currency or "EUR", locale=locale)
    except Exception:  # an unknown currency code read from a document: show the number and the code
        return f"{value} {currency}"


@register.filter
def confidence_level(value):
    """high / medium / low, for the dot the queue shows."""
    if value is None:
        return "low"
    return "high" if value >= 0.9 else "medium" if value >= 0.7 else "low"


@register.filter
def percent(value):
    return "—" if value is None else f"{round(value * 100)} %"


@register.filter
def status_badge(status):
    return STATUS_BADGES.get(status, "")


@register.filter
def dmy(value):
    return value.strftime("%d/%m/%Y") if value else ""


@register.filter
def overdue(invoice, today):
    return invoice.is_overdue(today)


@register.filter
def sub(value, other):
    return value - other


REASONS = {
    "number_in_label": gettext_lazy("numéro cité"), "exact_amount": gettext_lazy("montant exact"),
    "iban": gettext_lazy("IBAN du tiers"), "name": gettext_lazy("nom du tiers"),
    "date_near_due": gettext_lazy("proche de l'échéance"), "several_invoices": gettext_lazy("plusieurs factures"),
    "partial": gettext_lazy("paiement partiel"), "credit_note_offset": gettext_lazy("avoir déduit"),
}


@register.filter
def reason_label(reason):
    """Why the matcher suggests an invoice, in the user's words."""
    return REASONS.get(reason, reason)


@register.filter
def days(value):
    """A day figure of collecte.ledger.figures ('12,5 j'); a dash when there was nothing to measure."""
    if value is None:
        return "—"
    return gettext("%(n)s j") % {"n": format_decimal(value, locale=_locale())}
