"""Banque: the folder's bank accounts, statement imports (CAMT.053, OFX, CSV) and their transactions."""
import uuid

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collecte.ledger import banking
from collecte.ledger.errors import LedgerError
from collecte.ledger.statements import CsvMapping
from collecte.ledger.statements_csv import csv_preview
from collecte.tenancy import access
from collecte.tenancy.models import CURRENCIES

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


class AccountForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom du compte"), max_length=100)
    iban = forms.CharField(label=gettext_lazy("IBAN"), max_length=50)
    currency = forms.ChoiceField(label=gettext_lazy("Devise"), choices=CURRENCIES, initial="EUR")


class StatementForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Relevé (CAMT.053, OFX ou CSV)"),
                           help_text=gettext_lazy("Importer deux fois le même relevé, ou des périodes qui se "
                                                  "chevauchent, ne crée aucune opération en double."))


DATE_FORMATS = [("%d/%m/%Y", "31/12/2026"), ("%d/%m/%y", "31/12/26"), ("%Y-%m-%d", "2026-12-31"),
                ("%d.%m.%Y", "31.12.2026"), ("%d-%m-%Y", "31-12-2026"), ("%m/%d/%Y", "12/31/2026")]
DELIMITERS = [("", gettext_lazy("Détecté")), (";", ";"), (",", ","), ("\t", gettext_lazy("Tabulation")), ("|", "|")]
PENDING = "statement-uploads/{account}/{token}.csv"  # a CSV waiting for its column mapping


class MappingForm(forms.Form):
    """Which column holds what, for a CSV whose header we do not recognise; kept for the account's next statements."""

    token = forms.CharField(widget=forms.HiddenInput)
    filename = forms.CharField(widget=forms.HiddenInput)
    date = forms.ChoiceField(label=gettext_lazy("Date d'opération"))
    label = forms.ChoiceField(label=gettext_lazy("Libellé"))
    amount = forms.ChoiceField(label=gettext_lazy("Montant (signé)"), required=False,
                               help_text=gettext_lazy("Ou bien une colonne débit et une colonne crédit."))
    debit = forms.ChoiceField(label=gettext_lazy("Débit"), required=False)
    credit = forms.ChoiceField(label=gettext_lazy("Crédit"), required=False)
    value_date = forms.ChoiceField(label=gettext_lazy("Date de valeur"), required=False)
    counterparty = forms.ChoiceField(label=gettext_lazy("Tiers"), required=False)
    reference = forms.ChoiceField(label=gettext_lazy("Référence"), required=False)
    date_format = forms.ChoiceField(label=gettext_lazy("Format des dates"), choices=DATE_FORMATS)
    decimal_comma = forms.BooleanField(label=gettext_lazy("Virgule décimale (1 234,56)"), required=False,
                                       initial=True)
    skip_lines = forms.IntegerField(label=gettext_lazy("Lignes à ignorer avant l'en-tête"), min_value=0,
                                    max_value=50, initial=0)
    delimiter = forms.ChoiceField(label=gettext_lazy("Séparateur"), choices=DELIMITERS, required=False)

    def __init__(self, *args, columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        options = [("", "—")] + [(c, c) for c in columns if c.strip()]
        for name in ("date", "label", "amount", "debit", "credit", "value_date", "counterparty", "reference"):
            self.fields[name].choices = options

    def clean(self):
        data = super().clean()
        if not data.get("amount") and not (data.get("debit") and data.get("credit")):
            raise forms.ValidationError(_("Choisissez la colonne du montant, ou celles du débit et du crédit."))
        return data

    def mapping(self, currency) -> CsvMapping:
        d = self.cleaned_data
        return CsvMapping(date=d["date"], label=d["label"], amount=d["amount"] or None,
                          debit=None if d["amount"] else d["debit"], credit=None if d["amount"] else d["credit"],
                          value_date=d["value_date"] or None, counterparty=d["counterparty"] or None,
                          reference=d["reference"] or None, delimiter=d["delimiter"] or None,
                          date_format=d["date_format"], decimal_comma=d["decimal_comma"], skip_lines=d["skip_lines"],
                          currency=currency)


def _keep_for_mapping(account, data):
    token = uuid.uuid4().hex
    default_storage.save(PENDING.format(account=account.pk, token=token), ContentFile(data))
    return token


def _pending(account, token):
    name = PENDING.format(account=account.pk, token=token if token.isalnum() else "invalid")
    if not default_storage.exists(name):
        return name, None
    with default_storage.open(name, "rb") as f:
        return name, f.read()


def _mapping_form(account, data, filename, token, post=None):
    skip = int(post.get("skip_lines") or 0) if post and str(post.get("skip_lines", "")).isdigit() else 0
    delimiter, header, rows = csv_preview(data, skip)
    saved = {k: v for k, v in (account.csv_mapping or {}).items() if k in MappingForm.base_fields}
    form = MappingForm(post, columns=header, initial={"token": token, "filename": filename, **saved})
    return form, header, rows


@login_required
def bank_accounts(request, folder_id):
    folder_access = access.get_bank_access(request.user, folder_id)
    form = AccountForm(request.POST or None, initial={"currency": folder_access.folder.base_currency})
    if request.method == "POST":
        access.get_bank_access(request.user, folder_id, manage=True)  # 403 for an approver
        if form.is_valid():
            try:
                banking.add_account(folder_access.folder, **form.cleaned_data)
            except LedgerError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Compte ajouté."))
                return redirect("bank-accounts", folder_id)
    return render(request, "web/bank_accounts.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "bank", "form": form,
        "accounts": folder_access.folder.bank_accounts.all()})


def _imported(request, account, record):
    messages.success(request, _("%(created)s opérations importées, %(known)s déjà présentes.")
                     % {"created": record.created, "known": record.already_there})
    if record.auto_reconciled:
        messages.success(request, _("%(n)s rapprochées automatiquement.") % {"n": record.auto_reconciled})
    for warning in record.warnings[:10]:
        messages.warning(request, warning)
    return redirect("bank-account", account.pk)


@login_required
def bank_account(request, account_id):
    folder_access, account = access.get_bank_account_for_user(request.user, account_id)
    if request.method == "POST" and "token" in request.POST:
        return _import_with_mapping(request, folder_access, account)
    form = StatementForm(request.POST or None, request.FILES or None)
    mapping = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            form.add_error("file", _("Fichier trop volumineux : 20 Mo au plus."))
        else:
            data = upload.read()
            try:
                record = banking.import_statement(account, data, upload.name, request.user)
            except LedgerError as error:
                form.add_error("file", error.message)
                if error.code == "csv_mapping_needed" or (error.code == "unreadable_statement"
                                                         and csv_like(upload.name, data)):
                    mapping = _mapping_form(account, data, upload.name, _keep_for_mapping(account, data))
            else:
                return _imported(request, account, record)
    return _account_page(request, folder_access, account, form, mapping)


def csv_like(filename, data):
    from collecte.ledger.statements import StatementError, detect_format

    try:
        return detect_format(data, filename) == "csv"
    except StatementError:
        return False


def _import_with_mapping(request, folder_access, account):
    """The person said which column holds what: import the kept file with it (the mapping is then saved)."""
    name, data = _pending(account, request.POST.get("token", ""))
    if data is None:
        messages.error(request, _("Le fichier à importer a expiré : choisissez-le de nouveau."))
        return redirect("bank-account", account.pk)
    mapping = _mapping_form(account, data, request.POST.get("filename", ""), request.POST.get("token"), request.POST)
    form = mapping[0]
    if form.is_valid():
        try:
            record = banking.import_statement(account, data, form.cleaned_data["filename"], request.user,
                                              mapping=form.mapping(account.currency))
        except LedgerError as error:
            form.add_error(None, error.message)
        else:
            default_storage.delete(name)
            return _imported(request, account, record)
    return _account_page(request, folder_access, account, StatementForm(), mapping)


def _account_page(request, folder_access, account, form, mapping=None):
    page = Paginator(account.transactions.all(), 50).get_page(request.GET.get("page"))
    return render(request, "web/bank_account.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "bank", "account": account, "form": form,
        "mapping": mapping, "page": page, "imports": account.imports.select_related("imported_by")[:10]})
