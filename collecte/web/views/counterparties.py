"""Customers and suppliers of a folder; on a customer's page, the folder users it is assigned to."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collecte.ledger import kpis
from collecte.tenancy import access
from collecte.tenancy.models import FolderMember


@login_required
def counterparty_list(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id)
    found = access.visible_counterparties(folder_access)
    q = request.GET.get("q", "").strip()
    if q:
        found = found.filter(Q(name__icontains=q) | Q(vat_id__icontains=q))
    visible = access.visible_invoices(folder_access)
    found = found.annotate(invoice_count=Count("invoices", filter=Q(invoices__in=visible.values("pk"))))
    page = Paginator(found.order_by("name", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "web/counterparty_list.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "counterparties", "page": page, "q": q})


class AssignmentForm(forms.Form):
    assigned_to = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Utilisateurs assignés à ce client"), required=False, queryset=FolderMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Quand l'accès aux créances est restreint (paramètres du dossier), seuls ces "
                               "utilisateurs et les administrateurs voient les factures de vente de ce client."))

    def __init__(self, *args, folder, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assigned_to"]
        field.queryset = FolderMember.objects.active().filter(folder=folder).select_related("user")
        field.label_from_instance = lambda m: f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})"


def _direction_of(counterparty):
    """A customer's figures are its receivables; a supplier's (only), its payables."""
    return "purchases" if counterparty.is_supplier and not counterparty.is_customer else "sales"


@login_required
def counterparty_detail(request, counterparty_id):
    folder_access, counterparty = access.get_counterparty_for_user(request.user, counterparty_id)
    form = None
    if folder_access.can_manage:
        form = AssignmentForm(request.POST if request.method == "POST" else None, folder=folder_access.folder,
                              initial={"assigned_to": counterparty.assigned_to.all()})
        if request.method == "POST" and form.is_valid():
            counterparty.assigned_to.set(form.cleaned_data["assigned_to"])
            messages.success(request, _("Assignation enregistrée."))
            return redirect("counterparty-detail", counterparty.pk)
    elif request.method == "POST":
        access.get_counterparty_for_user(request.user, counterparty.pk, manage=True)  # 403
    invoices = (access.visible_invoices(folder_access).filter(counterparty=counterparty)
                .select_related("counterparty").order_by("-issue_date", "-pk")[:100])
    return render(request, "web/counterparty_detail.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "counterparties",
        "counterparty": counterparty, "form": form, "invoices": invoices,
        "figures": kpis.counterparty_figures(folder_access, counterparty, _direction_of(counterparty)),
        "direction": _direction_of(counterparty),
        "assigned": counterparty.assigned_to.select_related("user")})
