"""What arrives: inbound messages (raw bytes kept) and the documents taken out of them."""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collecte.tenancy.models import IntakeAddress

MODULES = IntakeAddress.Module.choices


class InboundMessage(models.Model):
    """One message (or upload) for one folder. The raw bytes are stored before the row exists."""

    class Source(models.TextChoices):
        SMTP = "smtp", _("Email (SMTP)")
        IMAP = "imap", _("Boîte IMAP")
        UPLOAD = "upload", _("Dépôt web")
        API = "api", _("API")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Reçu, en attente de traitement")
        DOCUMENTS = "documents", _("Documents créés")
        DUPLICATE = "duplicate", _("Doublon")
        NO_DOCUMENT = "no_document", _("Aucun document")
        HELD = "held", _("Retenu (expéditeur inconnu)")
        REJECTED = "rejected", _("Refusé (expéditeur non autorisé)")
        FAILED = "failed", _("Échec du traitement")
        FORWARDING = "forwarding", _("Confirmation de transfert")
        ALREADY_RECEIVED = "already_received", _("Déjà reçu (même Message-ID)")

    class RawKind(models.TextChoices):
        EMAIL = "email", _("Email")
        FILE = "file", _("Fichier")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="inbound_messages")
    address = models.ForeignKey(IntakeAddress, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    module = models.CharField(max_length=16, choices=MODULES)
    member = models.ForeignKey("tenancy.FolderMember", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbound_messages")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    raw_kind = models.CharField(max_length=8, choices=RawKind.choices, default=RawKind.EMAIL)
    raw = models.CharField(max_length=300)  # storage name of the raw bytes
    raw_filename = models.CharField(max_length=255, blank=True)  # for uploads: the file's own name
    raw_size = models.PositiveBigIntegerField(default=0)
    raw_sha256 = models.CharField(max_length=64, blank=True)
    envelope_from = models.CharField(max_length=500, blank=True)
    envelope_to = models.CharField(max_length=500, blank=True)
    remote_addr = models.CharField(max_length=100, blank=True)
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    from_header = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    status_reason = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    skipped_parts = models.JSONField(default=list, blank=True)  # [{"filename", "content_type", "reason"}]
    forwarding = models.JSONField(null=True, blank=True)  # provider, requester, code, confirm_url, cancel_url
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["folder", "-received_at"]), models.Index(fields=["folder", "message_id"])]

    def __str__(self):
        return f"{self.get_source_display()} {self.subject or self.raw_filename or self.pk}"

    def read_raw(self):
        from django.core.files.storage import default_storage

        with default_storage.open(self.raw, "rb") as f:
            return f.read()


class Document(models.Model):
    """One file that arrived (PDF, image, e-invoice XML), with its original bytes."""

    class Status(models.TextChoices):
        TO_EXTRACT = "to_extract", _("À extraire")
        DUPLICATE = "duplicate", _("Doublon")
        NEEDS_PASSWORD = "needs_password", _("Protégé par un mot de passe")
        UNREADABLE = "unreadable", _("Illisible (fichier endommagé)")
        SPLIT = "split", _("Découpé en pages")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="documents")
    module = models.CharField(max_length=16, choices=MODULES)
    message = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="documents")
    submitted_by = models.ForeignKey("tenancy.FolderMember", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="documents")
    file = models.CharField(max_length=300)  # storage name
    filename = models.CharField(max_length=255)  # decoded and sanitised, for display
    content_type = models.CharField(max_length=100)  # sniffed from the bytes, never taken from headers
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    einvoice_xml = models.CharField(max_length=300, blank=True)  # storage name of the XML that came beside it
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TO_EXTRACT, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="pages")
    page_number = models.PositiveIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)  # e.g. ["repaired", "encrypted", "unlocked"]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two workers racing on the same file: only one original per folder, the other becomes a duplicate.
            models.UniqueConstraint(fields=["folder", "sha256"], condition=models.Q(duplicate_of__isnull=True),
                                    name="one_original_per_folder_sha256"),
        ]

    def __str__(self):
        return self.filename
