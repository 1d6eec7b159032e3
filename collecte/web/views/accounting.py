"""Comptabilité: the accounting export (FEC and CSV) of validated invoices, the folder's chart of accounts, the
counterparties' sub-accounts, and the account field of the review form."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from collecte.ledger import chart, exports
from collecte.ledger.errors import LedgerError
from collecte.ledger.models import PURCHASES, SALES, LedgerAccount
from collecte.tenancy import access

# --- the review form's account field (collecte.web.views.invoices.ReviewForm) ----------------------------------


class AccountInput(forms.TextInput):
    """A text input offering the chart's accounts (a <datalist>): picked by number, or typed."""

    def __init__(self, attrs=None):
        super().__init__({"list": "account-options", "autocomplete": "off", **(attrs or {})})
        self.options = []

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join("", '<option value="{}">{}</option>', ((a.number, a.label) for a in self.options))
        return super().render(name, value, attrs, renderer) + format_html(
            '<datalist id="account-options">{}</datalist>', options)


def account_initial(invoice):
    """The invoice's account, or the one proposed for it (supplier memory, its last invoices, the chart)."""
    if invoice.account:
        return {"account": invoice.account, "account_source": ""}
    proposal = exports.account_proposal(invoice)
    return {"account": proposal.number, "account_source": proposal.source}


def account_change(form):
    """The account the person gave; nothing when they kept the proposal on an invoice without one: validation books
    the proposal itself (exports.remember_validated), and an untouched field is no change for the audit trail."""
    if not form.invoice.account and "account" not in form.changed_data:
        return {}
    return {"account": form.cleaned_data.get("account", "")}


def setup_account_field(field, invoice, initial):
    field.widget.options = exports.usable_accounts(exports.chart_rows(invoice.folder), invoice.direction)
    source = initial.get("account_source")
    if source in ("memory", "history"):
        field.help_text = (_("Proposé d'après les factures précédentes de ce client.") if invoice.direction == SALES
                           else _("Proposé d'après les factures précédentes de ce fournisseur."))
    elif source == "default":
        field.help_text = _("Proposé : le compte par défaut du plan comptable du dossier.")


# --- the export ---------------------------------------------------------------------------------------------------

def _period_from(request, folder_access):
    """(export, error): the export of the period and direction asked for; on a bad value, the default period's."""
    direction = request.GET.get("direction", "")
    direction = direction if direction in (PURCHASES, SALES) else ""
    try:
        start, end = exports.parse_day(request.GET.get("start")), exports.parse_day(request.GET.get("end"))
        return exports.build_export(folder_access, start, end, direction), None
    except LedgerError as error:
        return exports.build_export(folder_access, None, None, direction), error.message


def fec_response(export):
    response = HttpResponse(export.fec_bytes(), content_type=f"text/plain; charset={exports.accounting.FEC_ENCODING}")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def csv_response(export, folder):
    response = HttpResponse(export.csv_text(), content_type="text/csv; charset=utf-8")
    name = f"ecritures-{folder.slug}-{export.start:%Y%m%d}-{export.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def accounting_page(request, folder_id):
    folder_access = exports.get_accounting_access(request.user, folder_id)
    folder = folder_access.folder
    export, error = _period_from(request, folder_access)
    if error:
        messages.error(request, error)
    elif request.GET.get("format") == "fec":
        return fec_response(export)
    elif request.GET.get("format") == "csv":
        return csv_response(export, folder)
    query = urlencode({"start": export.start.isoformat(), "end": export.end.isoformat(),
                       **({"direction": export.direction} if export.direction else {})})
    return render(request, "web/accounting.html", {
        "folder": folder, "access": folder_access, "tab": "accounting", "export": export, "query": query,
        "direction": export.direction or ""})


# --- the chart of accounts ----------------------------------------------------------------------------------------

class AccountForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Numéro"), max_length=20)
    label = forms.CharField(label=gettext_lazy("Intitulé"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Nature"), choices=LedgerAccount.Kind.choices)
    vat_rate = forms.CharField(label=gettext_lazy("Taux de TVA (comptes de TVA)"), required=False, max_length=6)
    is_default = forms.BooleanField(label=gettext_lazy("Compte proposé par défaut pour sa nature"), required=False)

    def __init__(self, *args, account=None, **kwargs):
        if account is not None:
            kwargs["initial"] = {"number": account.number, "label": account.label, "kind": account.kind,
                                 "vat_rate": "" if account.vat_rate is None else f"{account.vat_rate.normalize():f}",
                                 "is_default": account.is_default}
        super().__init__(*args, **kwargs)
        if account is not None:
            self.fields["number"].disabled = True
            self.fields["number"].help_text = _("Le numéro ne change pas : ajoutez un nouveau compte au besoin.")
        else:
            del self.fields["is_default"]


def _form_error(form, error):
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def ledger_accounts(request, folder_id):
    """Everyone who exports reads the chart; folder admins and firm staff edit it (403 for an approver's POST)."""
    folder_access = exports.get_accounting_access(request.user, folder_id)
    form = AccountForm(request.POST or None) if folder_access.can_manage else None
    if request.method == "POST":
        exports.get_accounting_access(request.user, folder_id, manage=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                chart.add_account(folder_access.folder, data["number"], data["label"], data["kind"], data["vat_rate"])
            except LedgerError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Compte ajouté."))
                return redirect("ledger-accounts", folder_id)
    accounts = sorted(exports.chart_rows(folder_access.folder), key=lambda row: row.number)
    usage = chart.usage_counts(folder_access.folder, access.visible_invoices(folder_access))
    for row in accounts:
        row.used = usage.get(row.number, 0)
    return render(request, "web/ledger_accounts.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "accounting", "form": form,
        "accounts": accounts})


@login_required
def ledger_account_edit(request, account_id):
    folder_access, account = exports.get_ledger_account_for_user(request.user, account_id, manage=True)
    form = AccountForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            chart.update_account(account, data["label"], data["kind"], data["vat_rate"] or None, data["is_default"])
        except LedgerError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Compte %(number)s enregistré.") % {"number": account.number})
            return redirect("ledger-accounts", folder_access.folder.pk)
    return render(request, "web/ledger_account_edit.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "accounting", "form": form,
        "account": account, "used": chart.invoices_using(account).count()})


@login_required
@require_POST
def ledger_account_delete(request, account_id):
    folder_access, account = exports.get_ledger_account_for_user(request.user, account_id, manage=True)
    try:
        chart.delete_account(account)
    except LedgerError as error:
        messages.error(request, error.message)
        return redirect("ledger-account-edit", account.pk)
    messages.success(request, _("Compte %(number)s supprimé.") % {"number": account.number})
    return redirect("ledger-accounts", folder_access.folder.pk)


# --- a counterparty's sub-account (shown on its page) -------------------------------------------------------------

@login_required
@require_POST
def counterparty_account(request, counterparty_id):
    _access, counterparty = access.get_counterparty_for_user(request.user, counterparty_id, manage=True)
    try:
        exports.set_subaccount(counterparty, request.POST.get("account_number", ""))
    except LedgerError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Compte auxiliaire enregistré."))
    return redirect(reverse("counterparty-detail", args=[counterparty.pk]))
