"""What the review produces: counterparties, invoices and credit notes, and each invoice's audit trail."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .attach import number_key  # noqa: F401 (pure; re-exported: the ledger compares numbers with it)

PURCHASES, SALES = "purchases", "sales"
DIRECTIONS = [(PURCHASES, _("Achats")), (SALES, _("Ventes"))]


class Counterparty(models.Model):
    """A supplier or customer of one folder. Found again by VAT id, SIREN, IBAN or a close name."""

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="counterparties")
    name = models.CharField(_("nom"), max_length=200)
    name_key = models.CharField(max_length=200, db_index=True, editable=False)  # parties.name_key(name)
    vat_id = models.CharField(_("numéro de TVA"), max_length=20, blank=True, db_index=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_supplier = models.BooleanField(default=False)
    is_customer = models.BooleanField(default=False)
    account_number = models.CharField(_("compte auxiliaire"), max_length=20, blank=True)  # 401DUPONT / 411MOREAU
    einvoicing_refused = models.BooleanField(_("refus de la dématérialisation"), default=False)
    # The folder users who follow this customer: with the folder's access restriction on, the only non-admin users
    # who see its receivables.
    assigned_to = models.ManyToManyField("tenancy.FolderMember", blank=True, related_name="assigned_counterparties",
                                         verbose_name=_("utilisateurs assignés"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tiers")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["folder", "name_key"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from collecte.extraction.parties import name_key

        self.name_key = name_key(self.name)[:200]
        super().save(*args, **kwargs)


class Invoice(models.Model):
    """An invoice or credit note of a folder, from extraction (pending review), typed by hand or imported."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        CREDIT_NOTE = "credit_note", _("Avoir")

    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("En attente de vérification")
        UNPAID = "unpaid", _("En attente de paiement")
        PARTIALLY_PAID = "partially_paid", _("Partiellement payée")
        PAID = "paid", _("Payée")
        CREDIT_AVAILABLE = "credit_available", _("Avoir disponible")
        CREDIT_USED = "credit_used", _("Avoir utilisé")
        REJECTED = "rejected", _("Rejetée")

    class Source(models.TextChoices):
        FACTUR_X = "factur-x", "Factur-X"
        UBL = "ubl", "UBL"
        CII = "cii", "CII"
        PDF_TEXT = "pdf-text", _("Texte du PDF")
        OCR = "ocr", _("OCR")
        MANUAL = "manual", _("Saisie manuelle")
        IMPORT = "import", _("Import CSV/XLSX")
        EXPENSE = "expense", _("Note de frais")
        NONE = "", _("Non lu")

    class Duplicate(models.TextChoices):
        NONE = "", ""
        SAME_NUMBER = "same_number", _("Même numéro, même tiers")
        NEAR = "near", _("Même tiers, montant et date")

    VALIDATED = (Status.UNPAID, Status.PARTIALLY_PAID, Status.PAID, Status.CREDIT_AVAILABLE, Status.CREDIT_USED)
    OPEN = (Status.UNPAID, Status.PARTIALLY_PAID)

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="invoices")
    direction = models.CharField(_("sens"), max_length=16, choices=DIRECTIONS)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING_REVIEW)
    number = models.CharField(_("numéro"), max_length=100, blank=True)
    number_key = models.CharField(max_length=100, blank=True, editable=False)  # number_key(number)
    counterparty = models.ForeignKey(Counterparty, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="invoices")
    # What extraction read before a person picked the counterparty (also shown while none is linked).
    counterparty_read = models.JSONField(default=dict, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    total_excl_tax = models.DecimalField(_("total HT"), max_digits=14, decimal_places=2, null=True, blank=True)
    total_tax = models.DecimalField(_("TVA"), max_digits=14, decimal_places=2, null=True, blank=True)
    total_incl_tax = models.DecimalField(_("total TTC"), max_digits=14, decimal_places=2, null=True, blank=True)
    amount_paid = models.DecimalField(_("montant réglé"), max_digits=14, decimal_places=2, default=0)
    paid_date = models.DateField(_("date de paiement"), null=True, blank=True)  # when it became fully paid
    account = models.CharField(_("compte de charge ou de produit"), max_length=20, blank=True)
    issue_date = models.DateField(_("date de facture"), null=True, blank=True)
    due_date = models.DateField(_("date d'échéance"), null=True, blank=True)
    document = models.ForeignKey("intake.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="invoices")
    # Other copies of the same invoice a person chose to keep with it ("lier au document existant").
    linked_documents = models.ManyToManyField("intake.Document", blank=True, related_name="linked_invoices")
    source = models.CharField(max_length=16, choices=Source.choices, blank=True)
    confidence = models.FloatField(null=True, blank=True)  # the lowest confidence of the fields that matter
    warnings = models.JSONField(default=list, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="possible_duplicates")
    duplicate = models.CharField(max_length=16, choices=Duplicate.choices, blank=True, default="")
    kept_apart_from = models.PositiveBigIntegerField(null=True, blank=True)  # a person said: not a duplicate of it
    submitted_by = models.ForeignKey("tenancy.FolderMember", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    validated_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    rejected_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("facture")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["folder", "status", "direction", "created_at", "id"], name="invoice_queue"),
            models.Index(fields=["folder", "status", "due_date"], name="invoice_status_due"),
            models.Index(fields=["folder", "direction", "number_key"], name="invoice_number"),
            models.Index(fields=["folder", "direction", "issue_date", "total_incl_tax"], name="invoice_near"),
            models.Index(fields=["folder", "issue_date"], name="invoice_issue"),
            # The lists: a status tab of one direction in date order; the tab counts read from the index alone;
            # the amount sort.
            models.Index(fields=["folder", "status", "direction", "issue_date"], name="invoice_list"),
            models.Index(fields=["folder", "direction", "status", "due_date"], name="invoice_tabs"),
            models.Index(fields=["folder", "status", "total_incl_tax"], name="invoice_amount"),
        ]

    def __str__(self):
        return self.number or f"#{self.pk}"

    def save(self, *args, **kwargs):
        self.number_key = number_key(self.number)
        if kwargs.get("update_fields") and "number" in kwargs["update_fields"]:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"number_key"}
        super().save(*args, **kwargs)

    @property
    def is_validated(self):
        return self.validated_at is not None

    @property
    def number_locked(self):
        """A validated invoice keeps its number: the ledger, exports and the customer know it by that number."""
        return self.is_validated

    @property
    def is_credit_note(self):
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def counterparty_name(self):
        if self.counterparty_id:
            return self.counterparty.name
        return (self.counterparty_read or {}).get("name") or ""

    @property
    def amount_due(self):
        if self.total_incl_tax is None:
            return None
        return self.total_incl_tax - self.amount_paid

    def is_overdue(self, today):
        return self.status in self.OPEN and self.due_date is not None and self.due_date < today


class InvoiceEvent(models.Model):
    """The audit trail: who extracted, changed, validated, deleted what and when. Kept when the invoice is deleted
    (the folder and the number stay on the row)."""

    class Action(models.TextChoices):
        EXTRACTED = "extracted", _("Lue par l'extraction")
        CREATED = "created", _("Saisie")
        IMPORTED = "imported", _("Importée")
        CHANGED = "changed", _("Modifiée")
        VALIDATED = "validated", _("Validée")
        REJECTED = "rejected", _("Rejetée")
        REOPENED = "reopened", _("Remise en vérification")
        DELETED = "deleted", _("Supprimée")
        DUPLICATE_LINKED = "duplicate_linked", _("Document lié à la facture existante")
        DUPLICATE_REPLACED = "duplicate_replaced", _("Document de la facture remplacé")
        DUPLICATE_KEPT = "duplicate_kept", _("Conservée malgré le doublon")
        DOCUMENT_ATTACHED = "document_attached", _("Document joint")
        RECONCILED = "reconciled", _("Rapprochée d'un mouvement bancaire")
        UNRECONCILED = "unreconciled", _("Rapprochement annulé")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    invoice_number = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    action = models.CharField(max_length=24, choices=Action.choices)
    changes = models.JSONField(default=dict, blank=True)  # {"field": [before, after]} or details of the action
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["invoice", "at"])]

    def __str__(self):
        return f"{self.invoice_number or self.invoice_id} {self.action}"


class ForecastEntry(models.Model):
    """An "opération engagée": the cash movement a validated invoice announces, at its due date. Positive comes in
    (a sale, a supplier's credit note), negative goes out (a purchase, a credit note granted to a customer). It
    follows its invoice: changed with it, closed when it is paid, gone when it is deleted."""

    class Status(models.TextChoices):
        OPEN = "open", _("Prévue")
        CLOSED = "closed", _("Réalisée")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="forecast_entries")
    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="forecast")
    expected_date = models.DateField(_("date prévue"))
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("opération engagée")
        indexes = [models.Index(fields=["folder", "status", "expected_date"], name="forecast_open")]

    def __str__(self):
        return f"{self.expected_date} {self.amount} {self.currency}"


class BankAccount(models.Model):
    """A bank account of the folder's company; its balance is the last imported statement's closing balance."""

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="bank_accounts")
    name = models.CharField(_("nom du compte"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34)  # compact, upper case, checked with schwifty
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    balance = models.DecimalField(_("solde"), max_digits=14, decimal_places=2, null=True, blank=True)
    balance_date = models.DateField(_("solde au"), null=True, blank=True)
    csv_mapping = models.JSONField(default=dict, blank=True)  # statements.CsvMapping fields, saved by a person
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compte bancaire")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["folder", "iban"], name="one_account_per_iban")]

    def __str__(self):
        return f"{self.name} ({self.iban[-4:]})"


class StatementImport(models.Model):
    """One imported statement file: what it brought, what was already there, and what it warned about."""

    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="imports")
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)  # camt053 | ofx | csv
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    already_there = models.PositiveIntegerField(default=0)
    auto_reconciled = models.PositiveIntegerField(null=True, blank=True)  # None: not run (setting off, or queued)
    warnings = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]


class BankTransaction(models.Model):
    """One booked line of a statement. `bank_id` (the bank's own id, or a hash of the line) is unique per account:
    the same statement, or overlapping periods, imported twice create nothing twice."""

    class Status(models.TextChoices):
        OPEN = "open", _("À rapprocher")
        RECONCILED = "reconciled", _("Rapprochée")
        IGNORED = "ignored", _("Sans facture")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="bank_transactions")
    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="transactions")
    statement = models.ForeignKey(StatementImport, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="transactions")
    bank_id = models.CharField(max_length=100)
    booking_date = models.DateField(_("date"))
    value_date = models.DateField(_("date de valeur"), null=True, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)  # + in, - out
    currency = models.CharField(max_length=3)
    label = models.TextField(_("libellé"), blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=34, blank=True)
    reference = models.CharField(max_length=140, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    # Suggestions a person turned down, as sorted lists of invoice ids: never proposed again for this line.
    rejected = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-booking_date", "-pk"]
        constraints = [models.UniqueConstraint(fields=["account", "bank_id"], name="one_transaction_per_bank_id")]
        indexes = [models.Index(fields=["account", "-booking_date"], name="transaction_account_date"),
                   models.Index(fields=["folder", "status", "-booking_date"], name="transaction_folder_status")]

    def __str__(self):
        return f"{self.booking_date} {self.amount} {self.label[:30]}"


class Reconciliation(models.Model):
    """A bank transaction settling (part of) an invoice ("rapprochement"). One transaction may settle several
    invoices and one invoice may be paid by several transactions. `amount` is what this transaction applies to the
    invoice's open amount, always positive; a credit note offsetting invoices in the same transfer has its own row.
    Undoing deletes the rows of a transaction (the invoices' events keep the history)."""

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="+")
    transaction = models.ForeignKey(BankTransaction, on_delete=models.CASCADE, related_name="reconciliations")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reconciliations")
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    automatic = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transaction", "invoice"], name="one_reconciliation_per_pair")]

    def __str__(self):
        return f"{self.transaction_id} -> {self.invoice_id}: {self.amount}"


class LedgerAccount(models.Model):
    """One account of the folder's chart ("plan comptable"), seeded from accounting.default_chart() and edited by
    folder admins. Counterparty sub-accounts (401…/411…) live on the counterparty, not here."""

    class Kind(models.TextChoices):
        SUPPLIER = "supplier", _("Fournisseurs (collectif)")
        CUSTOMER = "customer", _("Clients (collectif)")
        EXPENSE = "expense", _("Charge")
        REVENUE = "revenue", _("Produit")
        VAT_DEDUCTIBLE = "vat_deductible", _("TVA déductible")
        VAT_COLLECTED = "vat_collected", _("TVA collectée")
        BANK = "bank", _("Banque")
        OTHER = "other", _("Autre")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="ledger_accounts")
    number = models.CharField(_("numéro"), max_length=20)
    label = models.CharField(_("intitulé"), max_length=120)
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2, null=True, blank=True)
    is_default = models.BooleanField(_("compte par défaut"), default=False)  # the one proposed for its kind

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["folder", "number"], name="one_account_number_per_folder")]

    def __str__(self):
        return f"{self.number} {self.label}"
