"""Invoices without OCR: typed by hand, imported from CSV/XLSX (previewed first), and PDFs attached in bulk."""
from __future__ import annotations

import re
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collecte.ledger import actions
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import DIRECTIONS, PURCHASES, SALES, Invoice, number_key
from collecte.ledger.queries import store_and_propose
from collecte.tenancy import access

from .documents import MultipleFileField, MultipleFileInput

MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_ATTACH_FILES = 500


class InvoiceForm(forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("Sens"), choices=DIRECTIONS)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Invoice.Kind.choices)
    number = forms.CharField(label=gettext_lazy("Numéro"), max_length=100)
    counterparty_name = forms.CharField(label=gettext_lazy("Tiers"), max_length=200)
    counterparty_vat_id = forms.CharField(label=gettext_lazy("N° de TVA du tiers"), required=False, max_length=30)
    total_excl_tax = forms.CharField(label=gettext_lazy("Total HT"), required=False, max_length=30)
    total_tax = forms.CharField(label=gettext_lazy("TVA"), required=False, max_length=30)
    total_incl_tax = forms.CharField(label=gettext_lazy("Total TTC"), max_length=30)
    currency = forms.CharField(label=gettext_lazy("Devise"), max_length=3, initial="EUR")
    issue_date = forms.CharField(label=gettext_lazy("Date de facture"), max_length=10,
                                 widget=forms.TextInput(attrs={"placeholder": "JJ/MM/AAAA"}))
    due_date = forms.CharField(label=gettext_lazy("Date d'échéance"), required=False, max_length=10,
                               widget=forms.TextInput(attrs={"placeholder": "JJ/MM/AAAA"}),
                               help_text=gettext_lazy("Obligatoire pour une facture, pas pour un avoir."))


@login_required
def invoice_new(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id)
    form = InvoiceForm(request.POST if request.method == "POST" else None,
                       initial={"currency": folder_access.folder.base_currency,
                                "direction": request.GET.get("direction", PURCHASES)})
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "direction"}
        try:
            invoice = actions.create_invoice(folder_access.folder, form.cleaned_data["direction"], request.user,
                                             values, member=folder_access.member,
                                             counterparties=access.visible_counterparties(folder_access))
        except LedgerError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Facture %(number)s enregistrée et validée.") % {"number": invoice.number})
            return redirect(f"{reverse('invoice-list', args=[folder_id])}?status={invoice.status}")
    return render(request, "web/invoice_new.html", {"folder": folder_access.folder, "access": folder_access,
                                                    "tab": "invoices", "form": form})


# --- CSV / XLSX import ------------------------------------------------------------------------------------------

class ImportForm(forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("Ces factures sont des"), choices=DIRECTIONS)
    file = forms.FileField(label=gettext_lazy("Fichier CSV ou XLSX"),
                           help_text=gettext_lazy("Colonnes : numéro, tiers, date, échéance, HT, TVA, TTC, devise, "
                                                  "type (facture ou avoir). La première ligne nomme les colonnes."))


def _import_name(folder_id, token):
    return f"imports/{folder_id}/{token}"


def _preview(folder, direction, data, filename):
    from collecte.ledger.importing import read_invoice_table

    preview = read_invoice_table(data, filename)
    _flag_existing(folder, direction, preview)
    return preview


def _flag_existing(folder, direction, preview):
    """Rows whose number the folder already has for the same counterparty: an error before anything is written."""
    from collecte.extraction.parties import same_name

    keys = {number_key(row.values.get("number")) for row in preview.rows if row.values.get("number")}
    existing = {}
    for key, name, party in (Invoice.objects.filter(folder=folder, direction=direction, number_key__in=keys)
                             .values_list("number_key", "counterparty__name", "counterparty_read")):
        existing.setdefault(key, []).append(name or (party or {}).get("name"))
    for row in preview.rows:
        names = existing.get(number_key(row.values.get("number")), [])
        if any(same_name(n, row.values.get("counterparty_name")) for n in names):
            row.errors.append(_("Ligne %(line)s : la facture %(number)s de ce tiers existe déjà dans le dossier.")
                              % {"line": row.line, "number": row.values.get("number")})


@login_required
def invoice_import(request, folder_id):
    """Upload -> preview (per-row errors, nothing written) -> import of the valid rows, validated."""
    folder_access = access.get_folder_access(request.user, folder_id)
    folder = folder_access.folder
    context = {"folder": folder, "access": folder_access, "tab": "invoices"}
    if request.method == "POST" and request.POST.get("token"):
        return _import_confirmed(request, folder_access, context)
    form = ImportForm(request.POST if request.method == "POST" else None, request.FILES or None,
                      initial={"direction": request.GET.get("direction", SALES)})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            form.add_error("file", _("Fichier trop volumineux : 10 Mo au plus."))
        else:
            data = upload.read()
            token = uuid.uuid4().hex
            default_storage.save(_import_name(folder.pk, token), ContentFile(data))
            direction = form.cleaned_data["direction"]
            preview = _preview(folder, direction, data, upload.name)
            context.update(preview=preview, token=token, direction=direction, filename=upload.name,
                           invalid=[r for r in preview.rows if r.errors])
            return render(request, "web/invoice_import_preview.html", context)
    return render(request, "web/invoice_import.html", {**context, "form": form})


def _import_confirmed(request, folder_access, context):
    folder = folder_access.folder
    token, direction = request.POST.get("token", ""), request.POST.get("direction", "")
    name = _import_name(folder.pk, token)
    if not re.fullmatch(r"[0-9a-f]{32}", token) or direction not in (PURCHASES, SALES) or \
            not default_storage.exists(name):
        messages.error(request, _("Cet import a expiré : déposez à nouveau le fichier."))
        return redirect("invoice-import", folder.pk)
    with default_storage.open(name, "rb") as f:
        data = f.read()
    preview = _preview(folder, direction, data, request.POST.get("filename", ""))
    created, failed = 0, []
    # One transaction for the file (one disk sync on SQLite, not one per row), a savepoint per row: a row refused
    # at this point (a number typed meanwhile) is named and skipped, the others go in.
    with transaction.atomic():
        for row in preview.valid_rows:
            try:
                with transaction.atomic():
                    actions.create_invoice(folder, direction, request.user, row.values, member=folder_access.member,
                                           source=Invoice.Source.IMPORT)
                created += 1
            except LedgerError as error:
                failed.append(_("Ligne %(line)s : %(reason)s") % {"line": row.line, "reason": error.message})
    default_storage.delete(name)
    skipped = len(preview.rows) - len(preview.valid_rows)
    messages.success(request, _("%(created)s factures importées ; %(skipped)s lignes en erreur ignorées.")
                     % {"created": created, "skipped": skipped + len(failed)})
    for message in failed[:20]:
        messages.error(request, message)
    return redirect(f"{reverse('invoice-list', args=[folder.pk])}?status=all&direction={direction}&sort=-created_at")


# --- attaching PDFs in bulk -------------------------------------------------------------------------------------

class AttachForm(forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("Factures"), choices=DIRECTIONS)
    files = MultipleFileField(
        label=gettext_lazy("PDF à joindre"), required=False, widget=MultipleFileInput(attrs={"multiple": True}),
        help_text=gettext_lazy("Jusqu'à 500 fichiers à la fois. Chacun est rapproché d'une facture par le numéro "
                               "trouvé dans son nom ou dans son texte ; vous vérifiez avant d'appliquer."))


@login_required
def invoice_attach(request, folder_id):
    """Upload -> proposals (file -> invoice number) -> a person checks and applies."""
    folder_access = access.get_folder_access(request.user, folder_id)
    folder = folder_access.folder
    context = {"folder": folder, "access": folder_access, "tab": "invoices"}
    if request.method == "POST" and request.POST.get("apply"):
        return _apply_attachments(request, folder_access)
    form = AttachForm(request.POST if request.method == "POST" else None, request.FILES or None,
                      initial={"direction": request.GET.get("direction", SALES)})
    if request.method == "POST" and form.is_valid():
        uploaded = request.FILES.getlist("files")
        if not uploaded:
            form.add_error("files", _("Choisissez au moins un fichier."))
        elif len(uploaded) > MAX_ATTACH_FILES:
            form.add_error("files", _("%(max)s fichiers au plus à la fois.") % {"max": MAX_ATTACH_FILES})
        else:
            context["rows"] = _store_and_propose(request, folder_access, form.cleaned_data["direction"], uploaded)
            context["direction"] = form.cleaned_data["direction"]
            return render(request, "web/invoice_attach_review.html", context)
    return render(request, "web/invoice_attach.html", {**context, "form": form})


def _store_and_propose(request, folder_access, direction, uploaded):
    proposed, refused = store_and_propose(folder_access, direction, [(f.name, f.read()) for f in uploaded])
    for _name, message in refused:
        messages.error(request, message)
    return [{"document": d, "proposal": p} for d, p in proposed]


def _apply_attachments(request, folder_access):
    """Each checked row: the document (one of the folder's, seen by the user) goes to the invoice of that number."""
    folder = folder_access.folder
    direction = request.POST.get("direction") if request.POST.get("direction") in (PURCHASES, SALES) else SALES
    visible_docs = access.visible_documents(folder_access)
    invoices = access.visible_invoices(folder_access).filter(direction=direction)
    applied, problems = 0, []
    for doc_id in request.POST.getlist("document"):
        if not doc_id.isdigit() or not request.POST.get(f"use-{doc_id}"):
            continue
        document = visible_docs.filter(pk=int(doc_id)).first()
        number = request.POST.get(f"number-{doc_id}", "").strip()
        if document is None:
            continue
        matches = list(invoices.filter(number_key=number_key(number))[:2]) if number else []
        if len(matches) != 1:
            problems.append(_("« %(name)s » : aucune facture unique ne porte le numéro « %(number)s ».")
                            % {"name": document.filename, "number": number or "—"})
            continue
        actions.attach_document(matches[0], document, request.user)
        applied += 1
    messages.success(request, _("%(n)s documents joints à leurs factures.") % {"n": applied})
    for problem in problems[:30]:
        messages.error(request, problem)
    return redirect(f"{reverse('invoice-list', args=[folder.pk])}?status=all&direction={direction}")
