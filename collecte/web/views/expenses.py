"""Notes de frais: an employee's receipts and reports, and the approvers' decisions.

Every state change goes through collecte.expenses.actions; every lookup through collecte.tenancy.access.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from collecte.expenses import actions
from collecte.expenses.errors import ExpenseError
from collecte.expenses.models import ExpenseReceipt, ExpenseReport
from collecte.tenancy import access

from .documents import MultipleFileField, MultipleFileInput


class ReceiptUploadForm(forms.Form):
    files = MultipleFileField(
        label=gettext_lazy("Justificatifs"), required=False, widget=MultipleFileInput(attrs={"multiple": True}),
        help_text=gettext_lazy("Tickets, factures ou photos (PDF, images) ; plusieurs fichiers à la fois. Vous pouvez "
                               "aussi les envoyer par email à votre adresse personnelle."))


class ReceiptForm(forms.Form):
    """One receipt's fields in a row of a table: the inputs name their row's <form> by its id (HTML `form=`)."""

    date = forms.CharField(label=gettext_lazy("Date"), required=False,
                           widget=forms.TextInput(attrs={"placeholder": "JJ/MM/AAAA", "size": 10}))
    merchant = forms.CharField(label=gettext_lazy("Commerçant"), required=False, max_length=200)
    total_incl_tax = forms.CharField(label=gettext_lazy("Montant TTC"), required=False,
                                     widget=forms.TextInput(attrs={"size": 8, "inputmode": "decimal"}))
    total_tax = forms.CharField(label=gettext_lazy("TVA"), required=False,
                                widget=forms.TextInput(attrs={"size": 7, "inputmode": "decimal"}))
    currency = forms.CharField(label=gettext_lazy("Devise"), required=False, max_length=3,
                               widget=forms.TextInput(attrs={"size": 3}))
    category = forms.ChoiceField(label=gettext_lazy("Catégorie"), required=False,
                                 choices=ExpenseReceipt.Category.choices)
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=300)

    def __init__(self, *args, receipt, **kwargs):
        kwargs.setdefault("initial", initial_of(receipt))
        super().__init__(*args, prefix=f"r{receipt.pk}", **kwargs)
        self.receipt, self.form_id = receipt, f"receipt-{receipt.pk}"
        for field in self.fields.values():
            # The table's header names the column; a screen reader reads the label on the input itself.
            field.widget.attrs.update({"form": self.form_id, "aria-label": field.label})


def _decimal_text(value):
    return "" if value is None else str(value).replace(".", ",")


def initial_of(receipt):
    return {"date": receipt.date.strftime("%d/%m/%Y") if receipt.date else "", "merchant": receipt.merchant,
            "total_incl_tax": _decimal_text(receipt.total_incl_tax), "total_tax": _decimal_text(receipt.total_tax),
            "currency": receipt.currency, "category": receipt.category, "description": receipt.description}


class ReportForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Intitulé"), required=False, max_length=200,
                            widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Déplacement à Lyon, mars")}))
    employee_code = forms.CharField(
        label=gettext_lazy("Code salarié"), required=False, max_length=32,
        help_text=gettext_lazy("Obligatoire pour soumettre la note de frais : il permet au cabinet de vous "
                               "rembourser."))


class DecisionForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Commentaire (obligatoire pour rejeter)"), required=False,
                              max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _error_into(form, error):
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _receipt_forms(receipts, bound=None):
    """One form per receipt; `bound` replaces the one whose POST was refused, so its errors show in place."""
    return [bound if bound is not None and bound.receipt.pk == r.pk else ReceiptForm(receipt=r) for r in receipts]


# --- the expenses page ------------------------------------------------------------------------------------------

@login_required
def expense_home(request, folder_id):
    folder_access = access.get_expense_access(request.user, folder_id)
    return _home_page(request, folder_access)


def _home_page(request, folder_access, upload_form=None, bound_receipt=None, status=200):
    member = folder_access.member
    own_receipts = (ExpenseReceipt.objects.none() if member is None else access.visible_expense_receipts(
        folder_access).filter(member=member, status=ExpenseReceipt.Status.UNASSIGNED).select_related("document"))
    reports = access.visible_expense_reports(folder_access).select_related("member__user").prefetch_related(
        "receipts")
    own_reports = reports.none() if member is None else reports.filter(member=member)
    others = reports.exclude(member=member) if member is not None else reports
    return render(request, "web/expenses.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "expenses",
        "upload_form": upload_form or ReceiptUploadForm(), "receipt_forms": _receipt_forms(own_receipts, bound_receipt),
        "own_reports": own_reports,
        "to_approve": others.filter(status=ExpenseReport.Status.SUBMITTED) if folder_access.can_approve_expenses
        else [],
        "others": others.exclude(status=ExpenseReport.Status.SUBMITTED)[:50] if folder_access.can_approve_expenses
        else []}, status=status)


@login_required
@require_POST
def expense_upload(request, folder_id):
    folder_access = access.get_expense_access(request.user, folder_id, create=True)
    form = ReceiptUploadForm(request.POST, request.FILES)
    uploaded = request.FILES.getlist("files") if form.is_valid() else []
    if not uploaded:
        form.add_error("files", _("Choisissez au moins un justificatif à déposer."))
        return _home_page(request, folder_access, upload_form=form, status=422)
    accepted = 0
    for file in uploaded:
        try:
            actions.upload_receipt(folder_access, file)
            accepted += 1
        except ExpenseError as error:
            messages.error(request, error.message)
    if accepted:
        messages.success(request, _("%(count)s justificatif(s) déposé(s) : ils apparaissent ci-dessous dès leur "
                                    "lecture.") % {"count": accepted})
    return redirect("expenses", folder_id)


@login_required
@require_POST
def expense_report_create(request, folder_id):
    folder_access = access.get_expense_access(request.user, folder_id, create=True)
    ids = [pk for pk in request.POST.getlist("receipts") if pk.isdigit()]
    try:
        report = actions.create_report(folder_access, request.user, ids, request.POST.get("title", ""))
    except ExpenseError as error:
        messages.error(request, error.message)
        return redirect("expenses", folder_id)
    messages.success(request, _("Note de frais créée : vérifiez les justificatifs puis soumettez-la."))
    return redirect("expense-report", report.pk)


@login_required
@require_POST
def expense_receipt_edit(request, receipt_id):
    folder_access, receipt = access.get_expense_receipt_for_user(request.user, receipt_id, edit=True)
    form = ReceiptForm(request.POST, receipt=receipt)
    if form.is_valid():
        try:
            actions.update_receipt(receipt, request.user, form.cleaned_data)
        except ExpenseError as error:
            _error_into(form, error)
        else:
            messages.success(request, _("Justificatif enregistré."))
            return redirect(*_back_to(receipt))
    receipt.refresh_from_db()
    if receipt.report_id:
        return _report_page(request, folder_access, receipt.report, bound_receipt=form, status=422)
    return _home_page(request, folder_access, bound_receipt=form, status=422)


def _back_to(receipt):
    return ("expense-report", receipt.report_id) if receipt.report_id else ("expenses", receipt.folder_id)


# --- one report -------------------------------------------------------------------------------------------------

@login_required
def expense_report(request, report_id):
    folder_access, report = access.get_expense_report_for_user(request.user, report_id)
    return _report_page(request, folder_access, report)


def _report_page(request, folder_access, report, report_form=None, decision_form=None, bound_receipt=None,
                 status=200):
    own = folder_access.member is not None and report.member_id == folder_access.member.pk
    editable = own and report.is_editable
    receipts = report.receipts.select_related("document", "invoice").order_by("date", "pk")
    addable = (ExpenseReceipt.objects.filter(member=report.member, status=ExpenseReceipt.Status.UNASSIGNED)
               .select_related("document") if editable else [])
    return render(request, "web/expense_report.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "expenses", "report": report,
        "own": own, "editable": editable, "receipts": receipts,
        "receipt_forms": _receipt_forms(receipts, bound_receipt) if editable else [],
        "report_form": report_form or ReportForm(initial={"title": report.title,
                                                          "employee_code": report.employee_code}),
        "addable": addable, "can_decide": folder_access.can_approve_expenses and not own
        and report.status == ExpenseReport.Status.SUBMITTED,
        "decision_form": decision_form or DecisionForm(), "events": report.events.select_related("actor")},
        status=status)


@login_required
@require_POST
def expense_report_edit(request, report_id):
    folder_access, report = access.get_expense_report_for_user(request.user, report_id, edit=True)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            actions.update_report(report, request.user, form.cleaned_data["title"],
                                  form.cleaned_data["employee_code"])
        except ExpenseError as error:
            _error_into(form, error)
        else:
            messages.success(request, _("Note de frais enregistrée."))
            return redirect("expense-report", report.pk)
    return _report_page(request, folder_access, report, report_form=form, status=422)


@login_required
@require_POST
def expense_report_receipts(request, report_id):
    """Add the chosen unassigned receipts, or take one back out (`remove`)."""
    _access, report = access.get_expense_report_for_user(request.user, report_id, edit=True)
    try:
        if request.POST.get("remove", "").isdigit():
            actions.remove_receipt(report, request.user, int(request.POST["remove"]))
            messages.success(request, _("Justificatif retiré de la note de frais."))
        else:
            ids = [pk for pk in request.POST.getlist("receipts") if pk.isdigit()]
            actions.add_receipts(report, request.user, ids)
            messages.success(request, _("Justificatifs ajoutés."))
    except ExpenseError as error:
        messages.error(request, error.message)
    return redirect("expense-report", report.pk)


@login_required
@require_POST
def expense_report_submit(request, report_id):
    folder_access, report = access.get_expense_report_for_user(request.user, report_id, edit=True)
    try:
        actions.submit_report(report, request.user)
    except ExpenseError as error:
        if error.status == 403:
            raise PermissionDenied(error.message) from None
        messages.error(request, error.message)
        return redirect("expense-report", report.pk)
    messages.success(request, _("Note de frais soumise : un approbateur du dossier va l'examiner."))
    return redirect("expense-report", report.pk)


@login_required
@require_POST
def expense_report_decide(request, report_id):
    folder_access, report = access.get_expense_report_for_user(request.user, report_id, decide=True)
    form = DecisionForm(request.POST)
    decision = request.POST.get("decision")
    if form.is_valid() and decision in ("approve", "reject"):
        try:
            if decision == "approve":
                actions.approve_report(report, request.user, form.cleaned_data["comment"])
                messages.success(request, _("Note de frais approuvée : ses dépenses sont enregistrées dans les "
                                            "achats."))
            else:
                actions.reject_report(report, request.user, form.cleaned_data["comment"])
                messages.success(request, _("Note de frais rejetée : l'employé voit votre commentaire."))
        except ExpenseError as error:
            if error.status == 403:
                raise PermissionDenied(error.message) from None
            _error_into(form, error)
            report.refresh_from_db()
            return _report_page(request, folder_access, report, decision_form=form, status=error.status)
        return redirect("expense-report", report.pk)
    form.add_error(None, _("Choisissez d'approuver ou de rejeter la note de frais."))
    return _report_page(request, folder_access, report, decision_form=form, status=422)
