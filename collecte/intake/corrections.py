"""A person corrects what extraction read on a document: the values are checked, stored on the document (with who
and when, confidence 1), and the counterparty's supplier memory learns from them in a job.

The review screen of the next issue and the API call `correct_document`; validation into an invoice builds on it.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from collecte.extraction.page import DATE_FIELDS
from collecte.extraction.result import format_amount

from .models import Document

AMOUNT_FIELDS = ("total_excl_tax", "total_tax", "total_incl_tax", "amount_due")
TEXT_FIELDS = ("invoice_number", "seller.name", "buyer.name")
ID_FIELDS = ("seller.vat_id", "seller.siren", "seller.iban", "buyer.vat_id", "buyer.siren")
CORRECTABLE = ("document_type", "currency") + TEXT_FIELDS + DATE_FIELDS + AMOUNT_FIELDS + ID_FIELDS


class CorrectionError(ValueError):
    def __init__(self, message, code, field=None):
        super().__init__(message)
        self.message, self.code, self.field = message, code, field


def typed_changes(changes: dict) -> dict:
    """Raw values (strings from a form or JSON) -> typed values; an empty value clears the field (None)."""
    typed = {}
    for name, raw in changes.items():
        if name not in CORRECTABLE:
            raise CorrectionError(_("Ce champ ne peut pas être corrigé : %(field)s.") % {"field": name},
                                  "unknown_field", name)
        value = None if raw is None else str(raw).strip()
        typed[name] = _parse(name, value) if value else None
    return typed


def _parse(name: str, value: str):
    if name in DATE_FIELDS:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CorrectionError(_("Date invalide pour %(field)s : indiquez-la au format AAAA-MM-JJ.")
                                  % {"field": name}, "invalid_date", name) from None
    if name in AMOUNT_FIELDS:
        try:
            return Decimal(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise CorrectionError(_("Montant invalide pour %(field)s (exemple : 1234.56).") % {"field": name},
                                  "invalid_amount", name) from None
    if name == "currency":
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise CorrectionError(_("Devise invalide : un code à trois lettres (EUR, USD…)."), "invalid_currency",
                                  name)
        return value.upper()
    if name == "document_type":
        if value not in ("invoice", "credit_note"):
            raise CorrectionError(_("Type de document invalide : invoice ou credit_note."), "invalid_type", name)
        return value
    if name in ID_FIELDS:
        return re.sub(r"[\s.\-]", "", value).upper()
    return value


def _json(value):
    if isinstance(value, Decimal):
        return format_amount(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def correct_document(document: Document, user, changes: dict) -> Document:
    """Store the corrected values and queue the supplier memory's learning. Only fields that really change count."""
    from .tasks import learn_from_correction_task

    if document.status != Document.Status.EXTRACTED or not document.extraction:
        raise CorrectionError(_("Ce document n'a pas encore été lu : corrigez-le une fois la lecture terminée."),
                              "not_extracted")
    typed = typed_changes(changes)
    data = dict(document.extraction)
    changed = {}
    for name, value in typed.items():
        if "." in name:
            role, key = name.split(".", 1)
            party = dict(data.get(role) or {})
            if party.get(key) != _json(value):
                changed[name] = _json(value)
            party[key] = _json(value)
            data[role] = party
        else:
            if data.get(name) != _json(value):
                changed[name] = _json(value)
            data[name] = _json(value)
        data.setdefault("confidence", {})[name] = 1.0
    if not changed:
        return document
    data["corrections"] = list(data.get("corrections") or []) + [
        {"by": user.pk, "at": timezone.now().isoformat(timespec="seconds"), "fields": changed}]
    with transaction.atomic():
        updated = Document.objects.filter(pk=document.pk, status=Document.Status.EXTRACTED).update(extraction=data)
        if updated:
            transaction.on_commit(lambda: learn_from_correction_task(document.pk, changed))
    document.extraction = data
    return document
