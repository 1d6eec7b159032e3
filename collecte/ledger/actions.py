"""State changes of invoices: the web views, the API and the worker all call these (and only these).

Every change leaves an InvoiceEvent (the audit trail) and, once an invoice is validated, goes through
`effects` so that the rest of the ledger follows.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import effects
from .counterparties import compact_id, find_counterparty, get_or_create_counterparty
from .errors import LedgerError
from .models import PURCHASES, SALES, Counterparty, Invoice, InvoiceEvent

log = logging.getLogger(__name__)

AMOUNTS = ("total_excl_tax", "total_tax", "total_incl_tax")
DATES = ("issue_date", "due_date")
EDITABLE = ("kind", "number", "currency", *AMOUNTS, *DATES, "counterparty_id", "counterparty_name",
            "counterparty_vat_id", "account")
MAX_AMOUNT = Decimal("1000000000000")  # the columns hold 14 digits, 2 of them decimals
KEY_FIELDS = ("invoice_number", "issue_date", "total_incl_tax")  # the confidence shown in the queue


def lock(invoice: Invoice) -> Invoice:
    """Take the invoice's row for the rest of the transaction and reload it: two people (or a person and the API)
    acting at once then act one after the other, each on what the other left, never on a stale copy."""
    Invoice.objects.select_for_update(of=("self",)).filter(pk=invoice.pk).values_list("pk", flat=True).first()
    invoice.refresh_from_db()
    return invoice


def record(invoice, actor, action, changes=None):
    return InvoiceEvent.objects.create(folder_id=invoice.folder_id, invoice=invoice, invoice_number=invoice.number,
                                       actor=actor if getattr(actor, "pk", None) else None, action=action,
                                       changes=changes or {})


# --- from a document read by extraction ---------------------------------------------------------------------------

def direction_of_module(module: str) -> str | None:
    if module.startswith("sales"):
        return SALES
    if module.startswith("purchases"):
        return PURCHASES
    return None  # personal receipts become expense reports, not invoices


def invoice_from_document(document) -> Invoice | None:
    """The pending invoice for a document extraction has just read (once per document)."""
    direction = direction_of_module(document.module)
    if direction is None or not document.extraction or Invoice.objects.filter(document=document).exists():
        return None
    data = document.extraction
    party = (data.get("buyer") if direction == SALES else data.get("seller")) or {}
    read = {k: party.get(k) for k in ("name", "vat_id", "siren", "iban") if party.get(k)}
    invoice = Invoice(
        folder_id=document.folder_id, direction=direction, document=document,
        kind=Invoice.Kind.CREDIT_NOTE if data.get("document_type") == "credit_note" else Invoice.Kind.INVOICE,
        number=(data.get("invoice_number") or "")[:100], counterparty_read=read,
        counterparty=find_counterparty(document.folder, **read) if read else None,
        currency=(data.get("currency") or document.folder.base_currency or "EUR")[:3],
        total_excl_tax=read_amount(data.get("total_excl_tax")), total_tax=read_amount(data.get("total_tax")),
        total_incl_tax=read_amount(data.get("total_incl_tax")),
        issue_date=read_date(data.get("issue_date")), due_date=read_date(data.get("due_date")),
        source=data.get("source") or "", confidence=_confidence(data), warnings=list(data.get("warnings") or []),
        submitted_by_id=document.submitted_by_id,
        created_by_id=document.message.uploaded_by_id if document.message_id else None,
        created_at=document.created_at or timezone.now())
    with transaction.atomic():
        invoice.save()
        detect_duplicate(invoice)
        record(invoice, None, InvoiceEvent.Action.EXTRACTED, {"source": invoice.source, "document": document.pk})
    return invoice


def _confidence(data) -> float | None:
    if not data.get("source"):
        return 0.0
    confidence = data.get("confidence") or {}
    values = [confidence.get(k, 0.0 if data.get(k) is None else 1.0) for k in KEY_FIELDS]
    return round(min(values), 3)


def read_amount(value):
    """A read amount as stored; None (the person types it) when it is not a number the columns can hold."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return amount if amount is None or (amount.is_finite() and abs(amount) < MAX_AMOUNT) else None


def read_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


# --- duplicates ---------------------------------------------------------------------------------------------------

def _same_counterparty(a: Invoice, b: Invoice) -> bool:
    from collecte.extraction.parties import same_name

    if a.counterparty_id and b.counterparty_id:
        return a.counterparty_id == b.counterparty_id
    ids_a = _party_ids(a)
    ids_b = _party_ids(b)
    if ids_a["vat_id"] and ids_b["vat_id"]:
        return ids_a["vat_id"] == ids_b["vat_id"]
    return same_name(a.counterparty_name, b.counterparty_name)


def _party_ids(invoice):
    if invoice.counterparty_id:
        return {"vat_id": invoice.counterparty.vat_id}
    return {"vat_id": compact_id((invoice.counterparty_read or {}).get("vat_id"))}


def detect_duplicate(invoice: Invoice) -> None:
    """Flag a pending invoice that repeats another of the folder: the same number for the same counterparty and
    direction ("déjà importée"), or, softer, the same counterparty, date and amount under another number."""
    if invoice.is_validated:
        return
    found, kind = None, Invoice.Duplicate.NONE
    others = (Invoice.objects.filter(folder_id=invoice.folder_id, direction=invoice.direction)
              .exclude(pk=invoice.pk).exclude(status=Invoice.Status.REJECTED).select_related("counterparty")
              .order_by(F("validated_at").desc(nulls_last=True), "created_at"))  # the validated one first
    if invoice.kept_apart_from:
        others = others.exclude(pk=invoice.kept_apart_from)
    others = others.exclude(kept_apart_from=invoice.pk)  # a person said the other one is not a copy of this one
    if invoice.number_key:
        found = next((o for o in others.filter(number_key=invoice.number_key)[:20]
                      if _same_counterparty(invoice, o)), None)
        kind = Invoice.Duplicate.SAME_NUMBER if found else kind
    if found is None and invoice.issue_date and invoice.total_incl_tax is not None:
        found = next((o for o in others.filter(issue_date=invoice.issue_date,
                                               total_incl_tax=invoice.total_incl_tax)[:20]
                      if _same_counterparty(invoice, o)), None)
        kind = Invoice.Duplicate.NEAR if found else kind
    invoice.duplicate_of, invoice.duplicate = found, kind
    Invoice.objects.filter(pk=invoice.pk).update(duplicate_of=found, duplicate=kind)


DECISIONS = ("link", "replace", "keep_both")


@transaction.atomic
def resolve_duplicate(invoice: Invoice, user, decision: str, confirm=False, visible=None) -> Invoice:
    """The person's answer to "Il semble que cette facture ait déjà été importée". Returns the invoice to show next:
    the existing one after link or replace (the new row is gone, its document kept with the existing invoice),
    the new one after keep_both. `visible`: the invoices the person may see; the decision touches the existing
    invoice too, so someone who cannot see it cannot decide (an approver or an admin does)."""
    lock(invoice)
    if invoice.is_validated:
        raise LedgerError(_("Cette facture est déjà validée : elle n'attend plus de décision sur un doublon."),
                          "already_validated", status=409)
    detect_duplicate(invoice)  # on today's state: the other one may have been rejected or deleted since
    existing = invoice.duplicate_of
    if not invoice.duplicate or existing is None:
        raise LedgerError(_("Cette facture n'est pas signalée comme un doublon."), "not_a_duplicate", status=409)
    lock(existing)
    if visible is not None and not visible.filter(pk=existing.pk).exists():
        raise LedgerError(_("La facture existante ne vous est pas visible : un approbateur ou un administrateur du "
                            "dossier décidera de ce doublon."), "forbidden", status=403)
    if decision not in DECISIONS:
        raise LedgerError(_("Choix inconnu : link, replace ou keep_both."), "invalid_decision")
    if decision == "keep_both":
        invoice.duplicate, invoice.duplicate_of, invoice.kept_apart_from = "", None, existing.pk
        invoice.save(update_fields=["duplicate", "duplicate_of", "kept_apart_from", "updated_at"])
        record(invoice, user, InvoiceEvent.Action.DUPLICATE_KEPT, {"other": existing.pk, "number": existing.number})
        return invoice
    new_document = invoice.document
    if new_document is None:
        raise LedgerError(_("Cette facture n'a pas de document à rattacher."), "no_document", status=409)
    existing.linked_documents.add(*invoice.linked_documents.all())  # the copy's other files stay with the invoice
    if decision == "link":
        existing.linked_documents.add(new_document)
        record(existing, user, InvoiceEvent.Action.DUPLICATE_LINKED,
               {"document": new_document.pk, "filename": new_document.filename})
    else:
        old = existing.document
        if old is not None and old.filename != new_document.filename and not confirm:
            raise LedgerError(
                _("Le nouveau fichier ne porte pas le même nom (« %(new)s » au lieu de « %(old)s ») : confirmez le "
                  "remplacement du document de la facture existante.") % {"new": new_document.filename,
                                                                        "old": old.filename},
                "confirmation_required", status=409)
        if old is not None:
            existing.linked_documents.add(old)  # kept, never lost: the replaced file stays with the invoice
        existing.document = new_document
        existing.save(update_fields=["document", "updated_at"])
        record(existing, user, InvoiceEvent.Action.DUPLICATE_REPLACED,
               {"document": new_document.pk, "replaced": old.pk if old else None, "filename": new_document.filename})
    _delete(invoice, user, {"reason": decision, "kept_with": existing.pk})
    return existing


# --- changes, validation, rejection, deletion ---------------------------------------------------------------------

def parse_changes(changes: dict) -> dict:
    """Strings from a form or JSON -> typed values; "" clears a field. Unknown fields are refused by name."""
    typed = {}
    for name, raw in changes.items():
        if name not in EDITABLE:
            raise LedgerError(_("Ce champ ne peut pas être modifié : %(field)s.") % {"field": name}, "unknown_field",
                              name)
        value = "" if raw is None else str(raw).strip()
        typed[name] = _parse(name, value) if value else None
    return typed


def _parse(name, value):
    if name in AMOUNTS:
        cleaned = re.sub(r"[\s\u00a0\u202f€]", "", value)
        if "," in cleaned and "." in cleaned:
            cleaned = cleaned.replace(".", "").replace(",", ".") if cleaned.rfind(",") > cleaned.rfind(".") \
                else cleaned.replace(",", "")
        try:
            amount = Decimal(cleaned.replace(",", "."))
            if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
                raise InvalidOperation
            return amount.quantize(Decimal("0.01"))
        except InvalidOperation:
            raise LedgerError(_("Montant invalide (exemple : 1234,56)."), "invalid_amount", name) from None
    if name in DATES:
        for pattern in (r"(\d{4})-(\d{2})-(\d{2})", r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})"):
            m = re.fullmatch(pattern, value)
            if m:
                y, mo, d = (m[1], m[2], m[3]) if len(m[1]) == 4 else (m[3], m[2], m[1])
                try:
                    return date(int(y), int(mo), int(d))
                except ValueError:
                    break
        raise LedgerError(_("Date invalide : JJ/MM/AAAA ou AAAA-MM-JJ."), "invalid_date", name)
    if name == "currency":
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise LedgerError(_("Devise invalide : un code à trois lettres (EUR, USD…)."), "invalid_currency", name)
        return value.upper()
    if name == "kind":
        if value not in Invoice.Kind.values:
            raise LedgerError(_("Type invalide : invoice ou credit_note."), "invalid_kind", name)
        return value
    if name == "counterparty_id":
        if not value.isdigit():
            raise LedgerError(_("Tiers inconnu."), "invalid_counterparty", name)
        return int(value)
    if name == "number":
        return value[:100]
    if name == "account":
        return re.sub(r"\s", "", value).upper()  # checked against the folder's chart in _apply_account
    return value


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def update_invoice(invoice: Invoice, user, changes: dict, counterparties=None) -> Invoice:
    """Apply a person's changes. A validated invoice's number is locked: to change it, delete the invoice and
    import its document again; it also keeps its type and every field validation needed. `counterparties`: those
    the person may see (a `counterparty_id` is looked up among them)."""
    typed = parse_changes(changes)
    lock(invoice)
    try:
        diff = _apply_changes(invoice, typed, counterparties)
    except LedgerError:
        invoice.refresh_from_db()  # what the person sent is refused as a whole
        raise
    if not diff:
        return invoice
    invoice.save()
    if not invoice.is_validated and diff.keys() & {"number", "counterparty", "issue_date", "total_incl_tax"}:
        detect_duplicate(invoice)
    record(invoice, user, InvoiceEvent.Action.CHANGED, diff)
    if invoice.is_validated:
        effects.invoice_changed(invoice, user, diff)
    return invoice


def _apply_changes(invoice, typed, counterparties):
    diff = {}
    if "number" in typed and (typed["number"] or "") != invoice.number:
        if invoice.number_locked:
            raise LedgerError(_("Le numéro d'une facture validée ne peut plus être modifié. Pour le changer, "
                                "supprimez la facture et importez à nouveau son document."), "number_locked",
                              "number", status=409)
        diff["number"] = [invoice.number, typed["number"] or ""]
        invoice.number = typed["number"] or ""
    for name in ("kind", "currency", *AMOUNTS, *DATES):
        if name in typed and typed[name] != getattr(invoice, name):
            if name in ("kind", "currency") and typed[name] is None:
                continue
            diff[name] = [_json(getattr(invoice, name)), _json(typed[name])]
            setattr(invoice, name, typed[name])
    _apply_counterparty(invoice, typed, diff, counterparties)
    _apply_account(invoice, typed, diff)
    if invoice.is_validated:
        if "kind" in diff:
            raise LedgerError(_("Le type d'une facture validée ne change plus : supprimez-la et importez à nouveau "
                                "son document."), "kind_locked", "kind", status=409)
        missing = missing_fields(invoice)
        if missing:
            labels = ", ".join(_(FIELD_LABELS[m]) for m in missing)
            raise LedgerError(_("Une facture validée garde ses champs obligatoires : %(fields)s.")
                              % {"fields": labels}, "missing_fields", missing[0])
    return diff


def _apply_account(invoice, typed, diff):
    """The expense or revenue account: one of the folder's chart ("" goes back to the chart's default)."""
    if "account" not in typed or (typed["account"] or "") == invoice.account:
        return
    from .exports import check_invoice_account

    account = check_invoice_account(invoice.folder, invoice.direction, typed["account"]) if typed["account"] else ""
    diff["account"] = [invoice.account, account]
    invoice.account = account


def _apply_counterparty(invoice, typed, diff, counterparties=None):
    before = invoice.counterparty_name
    if typed.get("counterparty_id"):
        chosen = _counterparty_by_id(invoice.folder_id, typed["counterparty_id"], counterparties)
        if chosen is None:
            raise LedgerError(_("Ce tiers n'existe pas dans ce dossier."), "invalid_counterparty", "counterparty_id")
        if chosen.pk != invoice.counterparty_id:
            invoice.counterparty = chosen
            diff["counterparty"] = [before, chosen.name]
        return
    if "counterparty_name" not in typed and "counterparty_vat_id" not in typed:
        return
    read = dict(invoice.counterparty_read or {})
    name = typed.get("counterparty_name", read.get("name"))
    vat_id = compact_id(typed.get("counterparty_vat_id", read.get("vat_id")))
    linked = invoice.counterparty
    if linked is not None and linked.name == name and (not vat_id or vat_id == linked.vat_id):
        return  # the person kept the counterparty the invoice already points at
    before_read, before_id = dict(read), invoice.counterparty_id
    read.update(name=name or None, vat_id=vat_id or None)
    invoice.counterparty_read = {k: v for k, v in read.items() if v}
    if invoice.is_validated:
        if not name:
            raise LedgerError(_("Indiquez le fournisseur ou le client."), "missing_counterparty", "counterparty_name")
        invoice.counterparty = get_or_create_counterparty(invoice.folder, invoice.direction, name, vat_id)
    else:
        invoice.counterparty = find_counterparty(invoice.folder, name=name, vat_id=vat_id)
        if invoice.counterparty and name and not _names_match(invoice.counterparty.name, name) and not vat_id:
            invoice.counterparty = None
    if invoice.counterparty_read != {k: v for k, v in before_read.items() if v} or \
            invoice.counterparty_id != before_id:
        diff["counterparty"] = [before, invoice.counterparty_name]


def _counterparty_by_id(folder_id, counterparty_id, counterparties=None):
    """A counterparty named by id, among those the person may see (all of the folder's when the caller does not
    restrict them): an id is never a way to read one the person does not see."""
    within = counterparties if counterparties is not None else Counterparty.objects.all()
    return within.filter(pk=counterparty_id, folder_id=folder_id).first()


def _names_match(a, b):
    from collecte.extraction.parties import same_name

    return same_name(a, b)


def missing_fields(invoice: Invoice) -> list[str]:
    """What validation needs: type, number, counterparty, amount and currency, issue date, and a due date for an
    invoice (a credit note has none)."""
    missing = []
    if not invoice.number:
        missing.append("number")
    if not invoice.counterparty_id and not (invoice.counterparty_read or {}).get("name"):
        missing.append("counterparty_name")
    if invoice.total_incl_tax is None:
        missing.append("total_incl_tax")
    if not invoice.currency:
        missing.append("currency")
    if invoice.issue_date is None:
        missing.append("issue_date")
    if invoice.kind == Invoice.Kind.INVOICE and invoice.due_date is None:
        missing.append("due_date")
    return missing


FIELD_LABELS = {"number": gettext_noop("numéro"), "counterparty_name": gettext_noop("tiers"),
                "total_incl_tax": gettext_noop("montant TTC"), "currency": gettext_noop("devise"),
                "issue_date": gettext_noop("date de facture"), "due_date": gettext_noop("date d'échéance")}


@transaction.atomic
def validate_invoice(invoice: Invoice, user, teach=True) -> Invoice:
    """Confirm a pending invoice: its number locks, it becomes unpaid (an invoice) or available (a credit note),
    and the ledger's effects run on the same transaction."""
    lock(invoice)  # the caller's copy is brought up to date and then validated
    if invoice.is_validated:
        raise LedgerError(_("Cette facture est déjà validée."), "already_validated", status=409)
    if invoice.status == Invoice.Status.REJECTED:
        raise LedgerError(_("Cette facture a été rejetée : remettez-la en vérification avant de la valider."),
                          "rejected", status=409)
    missing = missing_fields(invoice)
    if missing:
        labels = ", ".join(_(FIELD_LABELS[m]) for m in missing)
        raise LedgerError(_("Il manque pour valider : %(fields)s.") % {"fields": labels}, "missing_fields",
                          missing[0])
    detect_duplicate(invoice)
    if invoice.duplicate == Invoice.Duplicate.SAME_NUMBER:
        raise LedgerError(_("Il semble que cette facture ait déjà été importée (%(number)s). Choisissez : lier le "
                            "document à la facture existante, remplacer son document, ou conserver les deux.")
                          % {"number": invoice.duplicate_of.number}, "duplicate_undecided", status=409)
    if invoice.counterparty_id is None:
        read = invoice.counterparty_read or {}
        invoice.counterparty = get_or_create_counterparty(invoice.folder, invoice.direction, read["name"],
                                                          read.get("vat_id"), read.get("siren"), read.get("iban"))
    invoice.duplicate, invoice.duplicate_of = "", None  # a "near" warning the person saw and validated anyway
    invoice.status = (Invoice.Status.CREDIT_AVAILABLE if invoice.is_credit_note else Invoice.Status.UNPAID)
    invoice.validated_at, invoice.validated_by = timezone.now(), user if getattr(user, "pk", None) else None
    invoice.save()
    record(invoice, user, InvoiceEvent.Action.VALIDATED, {"status": invoice.status})
    effects.invoice_validated(invoice, user)
    if teach:
        transaction.on_commit(lambda: _teach_memory(invoice, user))
    return invoice


def _teach_memory(invoice, user):
    """What the person confirmed differs from what extraction read: the supplier memory learns it (issue 4)."""
    from collecte.intake.corrections import CorrectionError, correct_document

    document = invoice.document
    if document is None or not document.extraction or not document.extraction.get("source"):
        return
    data = document.extraction
    role = "buyer" if invoice.direction == SALES else "seller"
    party = data.get(role) or {}
    confirmed = {"invoice_number": invoice.number, "document_type": invoice.kind, "currency": invoice.currency,
                 "issue_date": _json(invoice.issue_date), "due_date": _json(invoice.due_date),
                 "total_incl_tax": _json(invoice.total_incl_tax), "total_excl_tax": _json(invoice.total_excl_tax),
                 "total_tax": _json(invoice.total_tax), f"{role}.name": invoice.counterparty.name}
    current = {**{k: data.get(k) for k in confirmed if "." not in k}, f"{role}.name": party.get("name")}
    changes = {k: v for k, v in confirmed.items() if v not in (None, "") and v != current.get(k)}
    if not changes:
        return
    try:
        correct_document(document, user, changes)
    except CorrectionError as error:
        log.info("invoice %s: the memory cannot learn from it: %s", invoice.pk, error.code)


@transaction.atomic
def reject_invoice(invoice: Invoice, user, reason="") -> Invoice:
    lock(invoice)
    if invoice.status != Invoice.Status.PENDING_REVIEW:
        raise LedgerError(_("Seule une facture en attente de vérification peut être rejetée."), "not_pending",
                          status=409)
    invoice.status, invoice.rejected_reason = Invoice.Status.REJECTED, reason.strip()[:1000]
    invoice.save(update_fields=["status", "rejected_reason", "updated_at"])
    record(invoice, user, InvoiceEvent.Action.REJECTED, {"reason": invoice.rejected_reason})
    return invoice


@transaction.atomic
def reopen_invoice(invoice: Invoice, user) -> Invoice:
    lock(invoice)
    if invoice.status != Invoice.Status.REJECTED:
        raise LedgerError(_("Seule une facture rejetée peut être remise en vérification."), "not_rejected",
                          status=409)
    invoice.status, invoice.rejected_reason = Invoice.Status.PENDING_REVIEW, ""
    invoice.save(update_fields=["status", "rejected_reason", "updated_at"])
    detect_duplicate(invoice)
    record(invoice, user, InvoiceEvent.Action.REOPENED)
    return invoice


def _delete(invoice, user, details=None):
    if invoice.is_validated:
        effects.invoice_removed(invoice, user)
    snapshot = {"number": invoice.number, "status": invoice.status, "counterparty": invoice.counterparty_name,
                "total_incl_tax": _json(invoice.total_incl_tax), "document": invoice.document_id, **(details or {})}
    record(invoice, user, InvoiceEvent.Action.DELETED, snapshot)
    Invoice.objects.filter(duplicate_of=invoice).update(duplicate_of=None, duplicate="")
    invoice.delete()


@transaction.atomic
def delete_invoice(invoice: Invoice, user) -> None:
    """The invoice goes; its document stays in the folder (nothing received is lost) and the audit trail keeps
    the deletion."""
    _delete(invoice, user)


@transaction.atomic
def delete_and_reimport(invoice: Invoice, user):
    """The one way to change a validated number: delete the invoice and read its document again into a new
    pending invoice."""
    from collecte.intake.extract import queue_extraction
    from collecte.intake.models import Document

    lock(invoice)
    document = invoice.document
    if document is None:
        raise LedgerError(_("Cette facture n'a pas de document à importer à nouveau : supprimez-la et saisissez-la "
                            "à nouveau."), "no_document", status=409)
    if Invoice.objects.filter(Q(document=document) | Q(linked_documents=document)).exclude(pk=invoice.pk).exists():
        raise LedgerError(_("Ce document sert aussi à une autre facture : il ne peut pas être relu. Supprimez la "
                            "facture et saisissez-la à nouveau."), "document_shared", status=409)
    _delete(invoice, user, {"reason": "reimport"})
    Document.objects.filter(pk=document.pk).update(status=Document.Status.TO_EXTRACT, extraction=None,
                                                   extracted_at=None)
    document.status = Document.Status.TO_EXTRACT
    queue_extraction([document])
    return document


# --- invoices without OCR: typed by hand, imported, documents attached --------------------------------------------

@transaction.atomic
def create_invoice(folder, direction, user, values: dict, member=None, source=Invoice.Source.MANUAL,
                   validate=True, counterparties=None) -> Invoice:
    """A person types an invoice (or a CSV row brings it): checked like a review, validated at once unless asked
    otherwise. A number already used for the same counterparty is refused."""
    typed = parse_changes(values)
    invoice = Invoice(folder=folder, direction=direction, source=source, submitted_by=member,
                      created_by=user if getattr(user, "pk", None) else None,
                      currency=typed.get("currency") or folder.base_currency or "EUR",
                      kind=typed.get("kind") or Invoice.Kind.INVOICE, number=typed.get("number") or "",
                      **{k: typed.get(k) for k in (*AMOUNTS, *DATES)})
    name, vat_id = typed.get("counterparty_name"), typed.get("counterparty_vat_id")
    if typed.get("counterparty_id"):
        invoice.counterparty = _counterparty_by_id(folder.pk, typed["counterparty_id"], counterparties)
        if invoice.counterparty is None:
            raise LedgerError(_("Ce tiers n'existe pas dans ce dossier."), "invalid_counterparty", "counterparty_id")
    elif name:
        invoice.counterparty_read = {k: v for k, v in (("name", name), ("vat_id", compact_id(vat_id))) if v}
        invoice.counterparty = find_counterparty(folder, name=name, vat_id=vat_id)
    if typed.get("account"):
        from .exports import check_invoice_account

        invoice.account = check_invoice_account(folder, direction, typed["account"])
    invoice.confidence = 1.0
    invoice.save()
    action = InvoiceEvent.Action.IMPORTED if source == Invoice.Source.IMPORT else InvoiceEvent.Action.CREATED
    record(invoice, user, action, {k: _json(v) for k, v in typed.items() if v is not None})
    detect_duplicate(invoice)
    if invoice.duplicate == Invoice.Duplicate.SAME_NUMBER:
        raise LedgerError(_("La facture %(number)s de ce tiers existe déjà.") % {"number": invoice.number},
                          "duplicate", "number", status=409)
    if validate:
        invoice = validate_invoice(invoice, user, teach=False)
    return invoice


@transaction.atomic
def attach_document(invoice: Invoice, document, user) -> Invoice:
    """Give an invoice its file (typed or imported invoices have none); a file it already had stays linked."""
    if invoice.document_id == document.pk:
        return invoice
    if invoice.document_id:
        invoice.linked_documents.add(invoice.document_id)
    invoice.document = document
    invoice.save(update_fields=["document", "updated_at"])
    record(invoice, user, InvoiceEvent.Action.DOCUMENT_ATTACHED, {"document": document.pk,
                                                                  "filename": document.filename})
    return invoice
