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
        EXTRACTED = "extracted", _("Lu")
        DUPLICATE = "duplicate", _("Doublon")
        NEEDS_PASSWORD = "needs_password", _("Protégé par un mot de passe")
        UNREADABLE = "unreadable", _("Illisible (fichier endommagé)")
        SPLIT = "split", _("Découpé en pages")
        ATTACHED = "attached", _("Joint à une facture (sans lecture)")

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
    original_file = models.CharField(max_length=300, blank=True)  # the file as it arrived, when `file` was unlocked
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TO_EXTRACT, db_index=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="duplicates")
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="pages")
    page_number = models.PositiveIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)  # e.g. ["repaired", "encrypted", "unlocked"]
    # The extraction output contract of DESIGN.md (ExtractionResult.to_dict()), as the last reading left it.
    extraction = models.JSONField(null=True, blank=True)
    extracted_at = models.DateTimeField(null=True, blank=True)
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


class SupplierMemory(models.Model):
    """What people's corrections taught about one counterparty of a folder (collecte.extraction.memory hints).

    One row per key naming the counterparty (vat:…, siren:…, iban:…, name:…), all rows of a counterparty holding the
    same hints: the next invoice is found by whichever key it shows. Kept per folder: folders are separate tenants
    of the firm's clients, and what one client's supplier prints is that client's business.
    """

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="supplier_memories")
    direction = models.CharField(max_length=16)  # "purchases" | "sales"
    key = models.CharField(max_length=200)
    hints = models.JSONField(default=dict)
    corrections = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["folder", "direction", "key"], name="one_memory_per_key")]

    def __str__(self):
        return f"{self.folder_id} {self.direction} {self.key}"


# --- IMAP mailboxes, a second source of messages (polled by the worker, see intake/imap.py) -----------------------

from datetime import timedelta  # noqa: E402  (kept with the IMAP models this block appends)

from django.core.exceptions import ValidationError  # noqa: E402
from django.core.validators import MaxValueValidator, MinValueValidator  # noqa: E402

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class ImapMailbox(models.Model):
    """A mailbox collecte polls for a folder and module. The secret (password or OAuth2 access token) is
    encrypted at rest with a key derived from SECRET_KEY (see intake/imap_secret.py)."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS (port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")
        NONE = "none", _("Aucun chiffrement (serveur local uniquement)")

    class Auth(models.TextChoices):
        PASSWORD = "password", _("Mot de passe")
        XOAUTH2 = "xoauth2", _("Jeton OAuth2 (XOAUTH2 : Microsoft 365, Gmail)")

    class Selection(models.TextChoices):
        UNSEEN = "unseen", _("Les messages non lus")
        SINCE = "since", _("Tous les messages depuis une date")

    class AfterAction(models.TextChoices):
        MARK_SEEN = "mark_seen", _("Les marquer comme lus")
        MOVE = "move", _("Les déplacer dans un autre dossier IMAP")
        DELETE = "delete", _("Les supprimer de la boîte")

    folder = models.ForeignKey("tenancy.ClientFolder", on_delete=models.CASCADE, related_name="imap_mailboxes")
    module = models.CharField(_("Module"), max_length=16, default=IntakeAddress.Module.PURCHASES,
                              choices=[(m.value, m.label) for m in IntakeAddress.FOLDER_MODULES])
    host = models.CharField(_("Serveur IMAP"), max_length=255)
    port = models.PositiveIntegerField(_("Port"), default=993, validators=[MinValueValidator(1),
                                                                            MaxValueValidator(65535)])
    security = models.CharField(_("Sécurité"), max_length=8, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("Identifiant"), max_length=255)
    auth = models.CharField(_("Authentification"), max_length=8, choices=Auth.choices, default=Auth.PASSWORD)
    secret_encrypted = models.TextField(blank=True, editable=False)  # Fernet token, never the plain secret
    imap_folder = models.CharField(_("Dossier à relever"), max_length=255, default="INBOX")
    selection = models.CharField(_("Messages à relever"), max_length=8, choices=Selection.choices,
                                 default=Selection.UNSEEN)
    since_date = models.DateField(_("Depuis le"), null=True, blank=True)
    after_action = models.CharField(_("Ensuite"), max_length=16, choices=AfterAction.choices,
                                    default=AfterAction.MARK_SEEN)
    move_to = models.CharField(_("Dossier de destination"), max_length=255, blank=True)
    poll_interval_minutes = models.PositiveIntegerField(_("Relever toutes les (minutes)"), default=5,
                                                        validators=[MinValueValidator(1)])
    enabled = models.BooleanField(_("Relève automatique active"), default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # a sentence for the person who can fix it; empty after a good poll
    last_uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    # Two pollers on one mailbox (the periodic job and "Relever maintenant", or two workers) would fetch the same
    # messages twice: a poller first claims the mailbox until this time.
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.label

    @property
    def label(self):
        """How people recognise the mailbox: the address when the login is one, else login@server."""
        return self.username if "@" in self.username else f"{self.username}@{self.host}"

    @property
    def has_secret(self):
        return bool(self.secret_encrypted)

    def set_secret(self, plain):
        from .imap_secret import encrypt

        self.secret_encrypted = encrypt(plain)

    def get_secret(self):
        """The plain secret; raises imap_secret.SecretUnreadable after a SECRET_KEY rotation."""
        from .imap_secret import decrypt

        return decrypt(self.secret_encrypted)

    def is_due(self, now):
        """Due when the interval has elapsed. The periodic job runs each minute at second 0 but a poll ends some
        seconds later: half a minute of slack keeps a 5-minute mailbox on a 5-minute rhythm, not 6."""
        if self.last_polled_at is None:
            return True
        return now - self.last_polled_at >= timedelta(minutes=self.poll_interval_minutes, seconds=-30)

    def clean(self):
        errors = {}
        host = (self.host or "").strip().lower()
        if self.security == self.Security.NONE and host not in LOCAL_HOSTS:
            errors["security"] = _("Sans chiffrement, le mot de passe circulerait en clair sur le réseau : ce mode "
                                   "n'est permis que pour un serveur local (localhost ou 127.0.0.1). Choisissez "
                                   "SSL/TLS ou STARTTLS.")
        elif self.security == self.Security.STARTTLS and self.port == 993:
            errors["port"] = _("Le port 993 s'utilise avec SSL/TLS ; STARTTLS se fait sur le port 143.")
        if self.selection == self.Selection.SINCE and not self.since_date:
            errors["since_date"] = _("Indiquez la date à partir de laquelle relever les messages.")
        if self.after_action == self.AfterAction.MOVE:
            if not self.move_to.strip():
                errors["move_to"] = _("Indiquez le dossier IMAP où déplacer les messages relevés.")
            elif self.move_to.strip() == self.imap_folder.strip():
                errors["move_to"] = _("Le dossier de destination doit être différent du dossier relevé.")
        if errors:
            raise ValidationError(errors)


class ImapSeenMessage(models.Model):
    """A message already taken from a mailbox, by UID within one UIDVALIDITY (RFC 3501 §2.3.1.1): it is never
    fetched again, whether or not it held a document. When the server changes UIDVALIDITY these records stop
    matching and the messages are fetched again; the pipeline's Message-ID check keeps them from becoming
    documents twice."""

    mailbox = models.ForeignKey(ImapMailbox, on_delete=models.CASCADE, related_name="seen_messages")
    uidvalidity = models.PositiveBigIntegerField()
    uid = models.PositiveBigIntegerField()
    message = models.ForeignKey(InboundMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"],
                                               name="one_seen_record_per_mailbox_uid")]

    def __str__(self):
        return f"{self.mailbox} {self.uidvalidity}/{self.uid}"
