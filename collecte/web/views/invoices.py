"""The review: the queue "En attente de vérification", the review screen, the invoice lists and their actions."""
from __future__ import annotations

import csv
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from collecte.intake import previews
from collecte.ledger import actions
from collecte.ledger.counterparties import search_counterparties
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import PURCHASES, SALES, Invoice, InvoiceEvent
from collecte.ledger.queries import folder_today, search_invoices
from collecte.tenancy import access
from collecte.lib.spreadsheet import as_text_cell

from .accounting import AccountInput, account_change, account_initial, setup_account_field

PAGE_SIZE = 50
LOW_CONFIDENCE = 0.8

# The extraction's field names (and positions) for each field of the review form.
EXTRACTION_FIELDS = {"kind": "document_type", "number": "invoice_number", "issue_date": "issue_date",
                     "due_date": "due_date", "currency": "currency", "total_excl_tax": "total_excl_tax",
                     "total_tax": "total_tax", "total_incl_tax": "total_incl_tax"}


def _direction(request):
    value = request.GET.get("direction") or request.POST.get("direction") or ""
    return value if value in (PURCHASES, SALES) else ""


# --- the queue ----------------------------------------------------------------------------------------------------

QUEUE_FILTERS = {"duplicates": Q(duplicate__gt=""), "low": Q(confidence__lt=LOW_CONFIDENCE) | Q(confidence=None),
                 "warnings": ~Q(warnings=[])}


@login_required
def review_queue(request, folder_id):
    """Oldest first: what waits longest is checked first."""
    folder_access = access.get_folder_access(request.user, folder_id)
    pending = access.visible_invoices(folder_access).filter(status=Invoice.Status.PENDING_REVIEW)
    counts = pending.aggregate(purchases=Count("pk", filter=Q(direction=PURCHASES)),
                               sales=Count("pk", filter=Q(direction=SALES)))
    direction = _direction(request) or (SALES if counts["purchases"] == 0 and counts["sales"] else PURCHASES)
    found = search_invoices(pending.filter(direction=direction), request.GET.get("q"))
    show = request.GET.get("show", "")
    if show in QUEUE_FILTERS:
        found = found.filter(QUEUE_FILTERS[show])
    source = request.GET.get("source", "")
    if source in Invoice.Source.values and source:
        found = found.filter(source=source)
    found = found.select_related("counterparty", "duplicate_of").order_by("created_at", "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {k: v for k, v in (("direction", direction), ("q", request.GET.get("q", "")), ("show", show),
                               ("source", source)) if v}
    return render(request, "web/review_queue.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "review", "page": page, "counts": counts,
        "direction": direction, "q": request.GET.get("q", ""), "show": show, "source": source,
        "sources": [c for c in Invoice.Source.choices if c[0]], "query": urlencode(query), "now": timezone.now()})


# --- the review screen --------------------------------------------------------------------------------------------

class ReviewForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Invoice.Kind.choices)
    number = forms.CharField(label=gettext_lazy("Numéro"), required=False, max_length=100)
    counterparty_name = forms.CharField(label=gettext_lazy("Tiers"), required=False, max_length=200)
    counterparty_vat_id = forms.CharField(label=gettext_lazy("N° de TVA du tiers"), required=False, max_length=30)
    total_excl_tax = forms.CharField(label=gettext_lazy("Total HT"), required=False, max_length=30)
    total_tax = forms.CharField(label=gettext_lazy("TVA"), required=False, max_length=30)
    total_incl_tax = forms.CharField(label=gettext_lazy("Total TTC"), required=False, max_length=30)
    currency = forms.CharField(label=gettext_lazy("Devise"), required=False, max_length=3)
    issue_date = forms.CharField(label=gettext_lazy("Date de facture"), required=False, max_length=10)
    due_date = forms.CharField(label=gettext_lazy("Date d'échéance"), required=False, max_length=10)
    account = forms.CharField(label=gettext_lazy("Compte de charge ou de produit"), required=False, max_length=20,
                              widget=AccountInput)

    ORDER = ("kind", "number", "counterparty_name", "counterparty_vat_id", "total_excl_tax", "total_tax",
             "total_incl_tax", "currency", "issue_date", "due_date", "account")

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, initial=initial_values(invoice), **kwargs)
        self.invoice = invoice
        setup_account_field(self.fields["account"], invoice, self.initial)
        if invoice.number_locked:
            self.fields["number"].disabled = True
            self.fields["number"].help_text = _("Verrouillé après validation.")

    def changes(self):
        return {**{name: self.cleaned_data.get(name, "") for name in self.ORDER
                   if not self.fields[name].disabled and name != "account"}, **account_change(self)}


def initial_values(invoice):
    read = invoice.counterparty_read or {}
    return {
        "kind": invoice.kind, "number": invoice.number, "currency": invoice.currency,
        "counterparty_name": invoice.counterparty.name if invoice.counterparty_id else read.get("name", ""),
        "counterparty_vat_id": (invoice.counterparty.vat_id if invoice.counterparty_id else read.get("vat_id"))
        or "",
        "total_excl_tax": _amount_text(invoice.total_excl_tax), "total_tax": _amount_text(invoice.total_tax),
        "total_incl_tax": _amount_text(invoice.total_incl_tax),
        "issue_date": invoice.issue_date.strftime("%d/%m/%Y") if invoice.issue_date else "",
        "due_date": invoice.due_date.strftime("%d/%m/%Y") if invoice.due_date else "",
        **account_initial(invoice),
    }


def _amount_text(value):
    return "" if value is None else format(value, "f").replace(".", ",")


def field_marks(invoice):
    """Per form field: where extraction read it ({page, bbox}) and how sure it was."""
    data = (invoice.document.extraction if invoice.document_id else None) or {}
    positions, confidence = data.get("positions") or {}, data.get("confidence") or {}
    role = "buyer" if invoice.direction == SALES else "seller"
    names = {**EXTRACTION_FIELDS, "counterparty_name": f"{role}.name", "counterparty_vat_id": f"{role}.vat_id"}
    marks = {}
    for field, source in names.items():
        mark = {}
        if positions.get(source):
            mark.update(positions[source])
        if data.get("source") and source in confidence:
            mark["confidence"] = confidence[source]
        marks[field] = mark
    return marks


def next_pending(folder_access, invoice, after=True):
    """The next invoice to review in the same queue: the one after this one, else the oldest one left."""
    pending = (access.visible_invoices(folder_access)
               .filter(status=Invoice.Status.PENDING_REVIEW, direction=invoice.direction).exclude(pk=invoice.pk)
               .order_by("created_at", "pk"))
    if after:
        later = pending.filter(Q(created_at__gt=invoice.created_at) | Q(created_at=invoice.created_at,
                                                                       pk__gt=invoice.pk)).first()
        if later:
            return later
    return pending.first()


def _after_review(folder_access, invoice, direction):
    following = next_pending(folder_access, invoice)
    if following:
        return redirect("invoice-review", following.pk)
    return redirect(f"{reverse('review-queue', args=[folder_access.folder.pk])}?direction={direction}")


@login_required
def invoice_review(request, invoice_id):
    folder_access, invoice = access.get_invoice_for_user(request.user, invoice_id)
    invoice = (Invoice.objects.select_related("counterparty", "document", "duplicate_of__counterparty",
                                              "duplicate_of__document", "folder").get(pk=invoice.pk))
    form = ReviewForm(request.POST if request.method == "POST" else None, invoice=invoice)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "skip":
            return _after_review(folder_access, invoice, invoice.direction)
        if form.is_valid():
            response = _apply_review(request, folder_access, invoice, form, action)
            if response:
                return response
    marks = field_marks(invoice)
    pages = previews.page_sizes(invoice.document) if invoice.document_id else []
    fields = [(form[name], marks.get(name, {})) for name in ReviewForm.ORDER]
    return render(request, "web/invoice_review.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "review", "invoice": invoice,
        "form": form, "fields": fields, "pages": pages, "marks_json": json.dumps(marks),
        "low": LOW_CONFIDENCE, "events": invoice.events.select_related("actor").order_by("-at", "-pk")[:30],
        "pending_count": access.visible_invoices(folder_access).filter(
            status=Invoice.Status.PENDING_REVIEW, direction=invoice.direction).count(),
        "can_delete": _can_delete(folder_access, invoice, request.user),
        "linked": invoice.linked_documents.all(), "confirm_replace": request.GET.get("confirm_replace") == "1",
        "duplicate_visible": bool(invoice.duplicate_of_id) and access.visible_invoices(folder_access).filter(
            pk=invoice.duplicate_of_id).exists()})


def _can_delete(folder_access, invoice, user):
    try:
        access.get_invoice_for_user(user, invoice.pk, manage=True)
    except Exception:
        return False
    return True


def _apply_review(request, folder_access, invoice, form, action):
    """Save the person's values, then validate or reject; a refusal goes back to the form, on its field."""
    try:
        actions.update_invoice(invoice, request.user, form.changes(),
                               counterparties=access.visible_counterparties(folder_access))
        if action == "validate":
            actions.validate_invoice(invoice, request.user)
            messages.success(request, _("Facture %(number)s validée.") % {"number": invoice.number})
            return _after_review(folder_access, invoice, invoice.direction)
        if action == "reject":
            actions.reject_invoice(invoice, request.user, request.POST.get("reason", ""))
            messages.info(request, _("Facture rejetée."))
            return _after_review(folder_access, invoice, invoice.direction)
    except LedgerError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)
        return None
    messages.success(request, _("Modifications enregistrées."))
    return redirect("invoice-review", invoice.pk)


@login_required
def counterparty_options(request, folder_id):
    """The picker's suggestions (a <datalist>), as the person types."""
    folder_access = access.get_folder_access(request.user, folder_id)
    found = search_counterparties(access.visible_counterparties(folder_access),
                                  request.GET.get("counterparty_name", ""))
    return render(request, "web/_counterparty_options.html", {"counterparties": found})


@login_required
def document_page(request, document_id, number):
    _access, document = access.get_document_for_user(request.user, document_id)
    data = previews.page_png(document, number)
    if data is None:
        raise Http404("No such page")
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- actions on one invoice ---------------------------------------------------------------------------------------

@login_required
@require_POST
def invoice_duplicate(request, invoice_id):
    folder_access, invoice = access.get_invoice_for_user(request.user, invoice_id)
    decision = request.POST.get("decision", "")
    try:
        shown = actions.resolve_duplicate(invoice, request.user, decision, confirm=request.POST.get("confirm") == "1",
                                          visible=access.visible_invoices(folder_access))
    except LedgerError as error:
        if error.code == "confirmation_required":
            messages.warning(request, error.message)
            return redirect(f"{reverse('invoice-review', args=[invoice.pk])}?confirm_replace=1")
        messages.error(request, error.message)
        return redirect("invoice-review", invoice.pk)
    done = {"link": _("Le document est lié à la facture existante %(number)s."),
            "replace": _("Le document de la facture %(number)s est remplacé (l'ancien reste joint)."),
            "keep_both": _("Les deux factures sont conservées.")}[decision]
    messages.success(request, done % {"number": shown.number})
    if decision == "keep_both":
        return redirect("invoice-review", shown.pk)
    return redirect("invoice-review", shown.pk)


@login_required
@require_POST
def invoice_delete(request, invoice_id):
    folder_access, invoice = access.get_invoice_for_user(request.user, invoice_id, manage=True)
    reimport = request.POST.get("reimport") == "1"
    try:
        if reimport:
            document = actions.delete_and_reimport(invoice, request.user)
            messages.success(request, _("Facture supprimée ; « %(name)s » est relu et reviendra dans la file "
                                        "« En attente de vérification ».") % {"name": document.filename})
        else:
            actions.delete_invoice(invoice, request.user)
            messages.success(request, _("Facture supprimée ; son document reste dans le dossier."))
    except LedgerError as error:
        messages.error(request, error.message)
        return redirect("invoice-review", invoice.pk)
    return redirect(f"{reverse('review-queue', args=[folder_access.folder.pk])}?direction={invoice.direction}")


@login_required
@require_POST
def invoice_reopen(request, invoice_id):
    _access, invoice = access.get_invoice_for_user(request.user, invoice_id)
    try:
        actions.reopen_invoice(invoice, request.user)
    except LedgerError as error:
        messages.error(request, error.message)
    return redirect("invoice-review", invoice.pk)


# --- the invoice lists ----------------------------------------------------------------------------------------------

def list_tabs(today):
    S = Invoice.Status
    return [
        ("pending", _("À vérifier"), Q(status=S.PENDING_REVIEW)),
        ("unpaid", _("En attente de paiement"), Q(status=S.UNPAID)),
        ("partially_paid", _("Partiellement payées"), Q(status=S.PARTIALLY_PAID)),
        ("paid", _("Payées"), Q(status=S.PAID)),
        ("overdue", _("En retard"), Q(status__in=Invoice.OPEN, due_date__lt=today)),
        ("credit_available", _("Avoirs disponibles"), Q(status=S.CREDIT_AVAILABLE)),
        ("credit_used", _("Avoirs utilisés"), Q(status=S.CREDIT_USED)),
        ("rejected", _("Rejetées"), Q(status=S.REJECTED)),
        ("all", _("Toutes"), Q()),
    ]


SORTS = {"issue_date", "-issue_date", "due_date", "-due_date", "number", "-number", "total_incl_tax",
         "-total_incl_tax", "counterparty", "-counterparty", "created_at", "-created_at"}


def filtered_invoices(request, folder_access, today):
    """The list's invoices for the request's tab, direction, search, dates and sort (shared with the CSV)."""
    tabs = list_tabs(today)
    status = request.GET.get("status", "unpaid")
    condition = next((q for key, _label, q in tabs if key == status), None)
    if condition is None:
        status, condition = "unpaid", tabs[1][2]
    found = access.visible_invoices(folder_access).filter(condition)
    direction = _direction(request)
    if direction:
        found = found.filter(direction=direction)
    found = search_invoices(found, request.GET.get("q"))
    for param, lookup in (("from", "issue_date__gte"), ("to", "issue_date__lte")):
        value = request.GET.get(param)
        if value:
            try:
                found = found.filter(**{lookup: actions._parse("issue_date", value)})
            except LedgerError:
                pass
    sort = request.GET.get("sort", "-issue_date")
    sort = sort if sort in SORTS else "-issue_date"
    order = sort.replace("counterparty", "counterparty__name")
    found = found.select_related("counterparty").order_by(order, "-pk" if sort.startswith("-") else "pk")
    return found, status, direction, sort, tabs


@login_required
def invoice_list(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id)
    today = folder_today(folder_access.folder)
    found, status, direction, sort, tabs = filtered_invoices(request, folder_access, today)
    if request.GET.get("format") == "csv":
        return _csv(found, folder_access.folder)
    visible = access.visible_invoices(folder_access)
    if direction:
        visible = visible.filter(direction=direction)
    counts = visible.aggregate(**{key: Count("pk", filter=q) for key, _label, q in tabs if key != "all"})
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    base = {k: v for k, v in (("direction", direction), ("q", request.GET.get("q", "")),
                              ("from", request.GET.get("from", "")), ("to", request.GET.get("to", ""))) if v}
    return render(request, "web/invoice_list.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "invoices", "page": page,
        "tabs": [(key, label, counts.get(key)) for key, label, _q in tabs], "status": status,
        "direction": direction, "sort": sort, "q": request.GET.get("q", ""), "today": today,
        "date_from": request.GET.get("from", ""), "date_to": request.GET.get("to", ""),
        "base_query": urlencode(base), "query": urlencode({**base, "status": status, "sort": sort})})


CSV_COLUMNS = ["numero", "type", "sens", "statut", "tiers", "tva_tiers", "date", "echeance", "devise", "ht", "tva",
               "ttc", "regle", "source"]


class _Echo:
    def write(self, value):
        return value


CSV_CHUNK = 2000


def _csv(found, folder):
    """Streamed: 100,000 rows never sit in memory, and the download starts at once. The rows come from an async
    generator because under ASGI Django reads a synchronous one whole before sending; each chunk is read in a
    thread. `;` and a BOM, so that Excel in France opens it as is."""
    from asgiref.sync import sync_to_async

    writer = csv.writer(_Echo(), delimiter=";")
    found = found.order_by(*found.query.order_by)  # a fixed order, so the chunks neither skip nor repeat rows

    def chunk(offset):
        return "".join(writer.writerow(_csv_row(inv)) for inv in found[offset:offset + CSV_CHUNK])

    async def rows():
        yield "\ufeff" + writer.writerow(CSV_COLUMNS)
        offset = 0
        while True:
            text = await sync_to_async(chunk, thread_sensitive=True)(offset)
            if not text:
                return
            yield text
            offset += CSV_CHUNK

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="factures-{folder.slug}.csv"'
    return response


def _csv_row(inv):
    return [as_text_cell(inv.number), inv.kind, inv.direction, inv.status, as_text_cell(inv.counterparty_name),
            as_text_cell(inv.counterparty.vat_id if inv.counterparty_id else ""), inv.issue_date or "",
            inv.due_date or "", inv.currency, inv.total_excl_tax or "", inv.total_tax or "", inv.total_incl_tax or "",
            inv.amount_paid, inv.source]


def event_label(event):
    return InvoiceEvent.Action(event.action).label
