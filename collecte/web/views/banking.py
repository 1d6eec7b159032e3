"""Banque: the folder's bank accounts, statement imports (CAMT.053, OFX, CSV) and their transactions."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collecte.ledger import banking
from collecte.ledger.errors import LedgerError
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


@login_required
def bank_account(request, account_id):
    folder_access, account = access.get_bank_account_for_user(request.user, account_id)
    form = StatementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            form.add_error("file", _("Fichier trop volumineux : 20 Mo au plus."))
        else:
            try:
                record = banking.import_statement(account, upload.read(), upload.name, request.user)
            except LedgerError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _("%(created)s opérations importées, %(known)s déjà présentes.")
                                 % {"created": record.created, "known": record.already_there})
                for warning in record.warnings[:10]:
                    messages.warning(request, warning)
                return redirect("bank-account", account.pk)
    page = Paginator(account.transactions.all(), 50).get_page(request.GET.get("page"))
    return render(request, "web/bank_account.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "bank", "account": account, "form": form,
        "page": page, "imports": account.imports.select_related("imported_by")[:10]})
