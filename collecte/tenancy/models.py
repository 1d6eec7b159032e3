"""The tenancy layer: firms, their staff, client folders, folder users, invitations and dedicated addresses."""
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .sectors import NAF_SECTIONS

CURRENCIES = [("EUR", _("EUR — euro")), ("CHF", _("CHF — franc suisse")), ("GBP", _("GBP — livre sterling")),
              ("USD", _("USD — dollar américain")), ("CAD", _("CAD — dollar canadien")), ("XPF", _("XPF — franc CFP"))]
TIME_ZONES = ["Europe/Paris", "Europe/Brussels", "Europe/Luxembourg", "Europe/Zurich", "Europe/London",
              "America/Martinique", "America/Guadeloupe", "America/Cayenne", "Indian/Reunion",
              "Indian/Mayotte", "Pacific/Noumea", "Pacific/Tahiti", "America/Montreal", "UTC"]
LANGUAGES = [("fr", "Français"), ("en", "English")]


class Firm(models.Model):
    """A cabinet; a business using collecte alone is a firm of one."""

    name = models.CharField(_("nom du cabinet"), max_length=200)
    base_currency = models.CharField(_("devise de base"), max_length=3, choices=CURRENCIES, default="EUR")
    language = models.CharField(_("langue"), max_length=8, choices=LANGUAGES, default="fr")
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris",
                                choices=[(z, z) for z in TIME_ZONES])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cabinet")

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A member of the firm's staff."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Responsable du cabinet")
        COLLABORATOR = "collaborator", _("Collaborateur")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.COLLABORATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["firm", "user"], name="one_membership_per_firm")]
        ordering = ["user__last_name", "user__first_name", "user__email"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.firm})"

    @property
    def is_owner(self):
        return self.role == self.Role.OWNER


class ClientFolder(models.Model):
    """One client company of the firm."""

    class SenderPolicy(models.TextChoices):
        OPEN = "open", _("Accepter tous les expéditeurs")
        HOLD = "hold", _("Retenir pour approbation les messages d'expéditeurs non autorisés")
        REJECT = "reject", _("Refuser les messages d'expéditeurs non autorisés (conservés, sans documents)")

    class ForwardingRecipients(models.TextChoices):
        ADMINS = "admins", _("Les administrateurs du dossier")
        COLLABORATORS = "collaborators", _("Des collaborateurs choisis")
        ADDRESS = "address", _("Une adresse email saisie")

    firm = models.ForeignKey(Firm, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(_("raison sociale"), max_length=200)
    sector = models.CharField(_("secteur d'activité"), max_length=1, choices=NAF_SECTIONS, blank=True)
    # The folder's own company: extraction never takes it for the counterparty (stored compact, upper case).
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    vat_id = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    base_currency = models.CharField(_("devise de base"), max_length=3, choices=CURRENCIES, default="EUR")
    language = models.CharField(_("langue"), max_length=8, choices=LANGUAGES, default="fr")
    timezone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris",
                                choices=[(z, z) for z in TIME_ZONES])
    collaborators = models.ManyToManyField(Membership, blank=True, related_name="assigned_folders",
                                           verbose_name=_("collaborateurs ayant accès"))
    forwarding_recipients = models.CharField(
        _("destinataires des confirmations de transfert"), max_length=16,
        choices=ForwardingRecipients.choices, default=ForwardingRecipients.ADMINS)
    forwarding_collaborators = models.ManyToManyField(
        Membership, blank=True, related_name="forwarding_folders", verbose_name=_("collaborateurs destinataires"))
    forwarding_address = models.EmailField(_("adresse destinataire"), blank=True)
    sender_policy = models.CharField(_("expéditeurs inconnus"), max_length=16, choices=SenderPolicy.choices,
                                     default=SenderPolicy.OPEN)
    allowed_senders = models.TextField(
        _("expéditeurs autorisés"), blank=True,
        help_text=_("Une adresse ou un domaine par ligne (par exemple : factures@fournisseur.fr, @fournisseur.fr)."))
    keep_body_as_pdf = models.BooleanField(
        _("conserver le corps de l'email en PDF quand il n'y a pas de pièce jointe"), default=False,
        help_text=_("Pour les reçus qui figurent dans le texte du message."))
    restrict_receivables = models.BooleanField(
        _("restreindre l'accès aux créances"), default=False,
        help_text=_("Les utilisateurs qui ne sont pas administrateurs ne voient que les factures de vente des clients "
                    "qui leur sont assignés ; ils peuvent toujours importer et valider toute facture."))
    auto_reconcile = models.BooleanField(
        _("rapprochement automatique"), default=False,
        help_text=_("Les mouvements bancaires qui ne correspondent sans ambiguïté qu'à une facture (numéro cité et "
                    "montant exact, ou IBAN et montant) sont rapprochés dès l'import ; tout reste annulable."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dossier client")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def own_company(self):
        """The folder's own company as extraction knows it (pure dataclass, no ORM)."""
        from collecte.extraction.parties import Company

        return Company(name=self.name, siren=self.siren or None, vat_id=self.vat_id or None, iban=self.iban or None)

    @property
    def slug(self):
        return slugify(self.name)[:30].strip("-") or "dossier"

    def folder_addresses(self):
        """The four module addresses, in display order."""
        order = [m.value for m in IntakeAddress.FOLDER_MODULES]
        found = {a.module: a for a in self.addresses.active().filter(member__isnull=True)}
        return [found[m] for m in order if m in found]


class FolderMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(removed_at__isnull=True)


class FolderMember(models.Model):
    """A client-side user of one folder. Removing access keeps the row (and their documents)."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrateur")
        APPROVER = "approver", _("Approbateur de dépenses")
        STANDARD = "standard", _("Utilisateur standard")

    ROLE_HELP = {
        Role.ADMIN: _("Accès complet au dossier, y compris ses paramètres, ses utilisateurs, le plan comptable "
                      "et les règles d'automatisation."),
        Role.APPROVER: _("Voit tous les documents du dossier et approuve les notes de frais."),
        Role.STANDARD: _("Ne voit que les documents qu'il a lui-même envoyés."),
    }

    folder = models.ForeignKey(ClientFolder, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folder_memberships")
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.STANDARD)
    employee_code = models.CharField(_("code salarié"), max_length=32, blank=True)
    can_self_submit_expenses = models.BooleanField(
        _("peut créer ses notes de frais de manière autonome"), default=False)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    # True when adding this member created the account: only then may this folder's invitation link choose the
    # account's first password. Anyone else (an account of another folder or firm) proves who they are.
    created_user = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = FolderMemberQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["folder", "user"], name="one_member_row_per_folder_user")]
        ordering = ["user__last_name", "user__first_name", "user__email"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.folder})"

    @property
    def is_active(self):
        return self.removed_at is None

    @property
    def role_help(self):
        return self.ROLE_HELP[self.Role(self.role)]

    @property
    def shares_profile(self):
        """Whether this folder sees the account's profile (names, phone, last login): the account was created
        here, its owner accepted this folder's invitation, or they were added without one (support, demo).
        An existing account (perhaps another firm's) that is only invited here stays an email until it says yes."""
        if self.created_user:
            return True
        invitations = getattr(self, "invitation_list", None)
        if invitations is None:
            invitations = list(self.invitations.all())
        return not invitations or any(i.accepted_at for i in invitations)

    def personal_address(self):
        return self.addresses.active().first()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An invitation of a folder user: a single-use, expiring link sent by email and/or SMS."""

    member = models.ForeignKey(FolderMember, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    phone = models.CharField(max_length=32, blank=True)
    by_email = models.BooleanField(default=True)
    by_sms = models.BooleanField(default=False)
    # Rotated on every resend, so an older link stops working.
    nonce = models.CharField(max_length=32, default="")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"invitation {self.email} → {self.member.folder}"

    @property
    def folder(self):
        return self.member.folder

    @property
    def state(self):
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


# Lowercase and without look-alikes (no 0/o, 1/l/i), so an address read aloud or retyped stays right.
TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOKEN_LENGTH = 14  # 14 × log2(31) ≈ 69 bits


def new_token():
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


class IntakeAddressQuerySet(models.QuerySet):
    def active(self):
        return self.filter(retired_at__isnull=True)


class IntakeAddress(models.Model):
    """A dedicated address `<slug>.<token>@<domain>`: the token identifies it, the slug is decoration."""

    class Module(models.TextChoices):
        PURCHASES = "purchases", _("Achats")
        SALES = "sales", _("Ventes")
        PURCHASES_SPLIT = "purchases_split", _("Achats — multiple")
        SALES_SPLIT = "sales_split", _("Ventes — multiple")
        PERSONAL = "personal", _("Personnelle")

    FOLDER_MODULES = [Module.PURCHASES, Module.SALES, Module.PURCHASES_SPLIT, Module.SALES_SPLIT]
    SLUG_SUFFIX = {"purchases": "achats", "sales": "ventes", "purchases_split": "achats-multiple",
                   "sales_split": "ventes-multiple"}
    PURPOSE = {
        Module.PURCHASES: _("Factures fournisseurs : chaque fichier reçu devient un document d'achat."),
        Module.SALES: _("Factures clients : chaque fichier reçu devient un document de vente."),
        Module.PURCHASES_SPLIT: _("Achats, un PDF de plusieurs factures : chaque page devient son propre document."),
        Module.SALES_SPLIT: _("Ventes, un PDF de plusieurs factures : chaque page devient son propre document."),
        Module.PERSONAL: _("Adresse personnelle : les justificatifs envoyés ici sont rattachés à cet utilisateur."),
    }

    folder = models.ForeignKey(ClientFolder, on_delete=models.CASCADE, related_name="addresses")
    module = models.CharField(max_length=16, choices=Module.choices)
    member = models.ForeignKey(FolderMember, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="addresses")
    slug = models.CharField(max_length=60)
    token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = IntakeAddressQuerySet.as_manager()

    class Meta:
        verbose_name = _("adresse email dédiée")
        constraints = [
            models.UniqueConstraint(fields=["folder", "module"], condition=models.Q(retired_at__isnull=True,
                                    member__isnull=True), name="one_active_address_per_folder_module"),
            models.UniqueConstraint(fields=["member"], condition=models.Q(retired_at__isnull=True),
                                    name="one_active_personal_address"),
        ]

    def __str__(self):
        return self.email

    @property
    def email(self):
        return f"{self.slug}.{self.token}@{settings.INBOUND_DOMAIN}"

    @property
    def purpose(self):
        return self.PURPOSE[self.Module(self.module)]

    @property
    def is_active(self):
        return self.retired_at is None

    @classmethod
    def resolve(cls, address):
        """The active address an incoming recipient names, or None; only the token counts."""
        local, _, domain = (address or "").strip().lower().rpartition("@")
        if not local or domain != settings.INBOUND_DOMAIN.lower():
            return None
        token = local.rsplit(".", 1)[-1]
        if len(token) != TOKEN_LENGTH:
            return None
        return cls.objects.active().select_related("folder", "member").filter(token=token).first()
