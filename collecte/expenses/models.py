"""Expense reports ("notes de frais"): an employee's receipts, grouped into a report that an approver decides on.

A receipt keeps the intake Document it was read from (the original file). Once its report is approved, each
receipt becomes a validated purchase invoice (source "expense") and points to it.
"""
from collections import defaultdict

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExpenseReceipt(models.Model):
    """One receipt of one folder user: what extraction read, corrected by the employee."""

    class Status(models.TextChoices):
        UNASSIGNED = "unassigned", _("Non rattaché")
        IN_REPORT = "in_report", _("Dans une note de frais")

    class Category(models.TextChoices):
        NONE = "", _("— Non précisée —")
        MEALS = "meals", _("Repas")
        TRAVEL = "travel", _("Transport")
        LODGING = "lodging", _("Hébergement")
        FUEL = "fuel", _("Carburant et péages")
        SUPPLIES = "supplies", _("Fournitures")
        OTHER = "other", _("Autre")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="expense_receipts")
    # RESTRICT: a member row is never deleted (removal keeps it), and a receipt must not lose its employee; deleting
    # the whole folder still goes through.
    member = models.ForeignKey("tenancy.FolderMember", on_delete=models.RESTRICT, related_name="expense_receipts")
    document = models.OneToOneField("intake.Document", on_delete=models.CASCADE, related_name="expense_receipt")
    status = models.CharField(_("statut"), max_length=16, choices=Status.choices, default=Status.UNASSIGNED)
    report = models.ForeignKey("ExpenseReport", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="receipts")
    date = models.DateField(_("date"), null=True, blank=True)
    merchant = models.CharField(_("commerçant"), max_length=200, blank=True)
    number = models.CharField(_("numéro du justificatif"), max_length=100, blank=True)
    total_incl_tax = models.DecimalField(_("montant TTC"), max_digits=14, decimal_places=2, null=True, blank=True)
    total_tax = models.DecimalField(_("TVA"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    category = models.CharField(_("catégorie"), max_length=16, choices=Category.choices, blank=True, default="")
    description = models.CharField(_("description"), max_length=300, blank=True)
    # The validated purchase invoice this receipt became when its report was approved.
    invoice = models.ForeignKey("ledger.Invoice", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="expense_receipts")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("justificatif de dépense")
        ordering = ["date", "pk"]
        indexes = [models.Index(fields=["folder", "member", "status"], name="receipt_member_status")]

    def __str__(self):
        return f"{self.merchant or self.document.filename} {self.total_incl_tax or ''}".strip()

    @property
    def total_excl_tax(self):
        if self.total_incl_tax is None or self.total_tax is None:
            return None
        return self.total_incl_tax - self.total_tax


class ExpenseReport(models.Model):
    """A note de frais: receipts of one employee, submitted with their employee code, approved or rejected."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Soumise, en attente d'approbation")
        APPROVED = "approved", _("Approuvée")
        REJECTED = "rejected", _("Rejetée, à corriger")

    # A rejected report goes back to its employee, who corrects it and submits it again.
    EDITABLE = (Status.DRAFT, Status.REJECTED)

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="expense_reports")
    member = models.ForeignKey("tenancy.FolderMember", on_delete=models.RESTRICT, related_name="expense_reports")
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    employee_code = models.CharField(_("code salarié"), max_length=32, blank=True)
    status = models.CharField(_("statut"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decision_comment = models.TextField(_("commentaire de l'approbateur"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("note de frais")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["folder", "status"], name="expense_report_status")]

    def __str__(self):
        return self.title or f"NDF-{self.pk}"

    @property
    def is_editable(self):
        return self.status in self.EDITABLE

    def totals(self):
        """Total incl. tax per currency, in code order: receipts of a trip abroad keep their own currency."""
        sums = defaultdict(lambda: 0)
        for receipt in self.receipts.all():
            if receipt.total_incl_tax is not None:
                sums[receipt.currency] += receipt.total_incl_tax
        return sorted(sums.items())

    def period(self):
        """(first, last) receipt date, or None while no receipt is dated."""
        dates = [r.date for r in self.receipts.all() if r.date]
        return (min(dates), max(dates)) if dates else None


class ExpenseReportEvent(models.Model):
    """The audit trail of a report: who created, changed, submitted, approved or rejected it, and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Créée")
        CHANGED = "changed", _("Modifiée")
        RECEIPT_ADDED = "receipt_added", _("Justificatif ajouté")
        RECEIPT_REMOVED = "receipt_removed", _("Justificatif retiré")
        SUBMITTED = "submitted", _("Soumise")
        APPROVED = "approved", _("Approuvée")
        REJECTED = "rejected", _("Rejetée")

    report = models.ForeignKey(ExpenseReport, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    comment = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.report_id} {self.action}"


class ReceiptUpload(models.Model):
    """Marks a file uploaded on the expenses page (web or API): its documents become receipts of `member`, the way
    mail to the member's personal address does. The intake pipeline itself knows nothing of expenses."""

    message = models.OneToOneField("intake.InboundMessage", on_delete=models.CASCADE, related_name="receipt_upload")
    member = models.ForeignKey("tenancy.FolderMember", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
