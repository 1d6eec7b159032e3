"""Forms of the web UI. Labels and errors are in French (the msgids) and translated to English."""
import re

from django import forms
from django.db.models import Q
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from collecte.accounts import ratelimit
from collecte.accounts.forms import EmailLoginForm
from collecte.lib import phone
from collecte.tenancy.models import ClientFolder, Firm, FolderMember, Membership
from collecte.tenancy.sectors import NAF_SECTIONS

User = get_user_model()


def normalize_phone(raw, region="FR"):
    try:
        return phone.normalize(raw, region)
    except phone.InvalidPhone:
        raise forms.ValidationError(_("Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78)."),
                                    code="invalid_phone") from None


class PhoneField(forms.CharField):
    def clean(self, value):
        return normalize_phone(super().clean(value))


class CompanyStepForm(forms.Form):
    name = forms.CharField(label=_("Raison sociale"), max_length=200,
                           error_messages={"required": _("Indiquez le nom de la société.")})
    sector = forms.ChoiceField(label=_("Secteur d'activité (facultatif)"), required=False,
                               choices=[("", _("— Non précisé —"))] + NAF_SECTIONS)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Indiquez le nom de la société."), code="required")
        return name


class CollaboratorsStepForm(forms.Form):
    all_collaborators = forms.BooleanField(label=_("Tous les collaborateurs"), required=False)
    collaborators = forms.ModelMultipleChoiceField(label=_("Ou seulement ceux-ci"), required=False,
                                                   queryset=Membership.objects.none(),
                                                   widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, firm=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collaborators"].queryset = collaborators_of(firm)
        self.fields["collaborators"].label_from_instance = lambda m: m.user.get_full_name() or m.user.email


def collaborators_of(firm):
    return Membership.objects.filter(firm=firm, role=Membership.Role.COLLABORATOR).select_related("user")


class InviteChannelsMixin(forms.Form):
    by_email = forms.BooleanField(label=_("Par email"), required=False, initial=True)
    by_sms = forms.BooleanField(label=_("Par SMS"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("by_sms") and not data.get("phone"):
            self.add_error("phone", _("Indiquez un numéro de mobile pour envoyer l'invitation par SMS."))
        if not data.get("by_email") and not data.get("by_sms"):
            self.add_error("by_email", _("Choisissez au moins un moyen d'envoi de l'invitation."))
        return data


class ClientStepForm(InviteChannelsMixin):
    invite = forms.ChoiceField(label=_("Inviter le client"), widget=forms.RadioSelect, initial="now",
                               choices=[("now", _("Inviter le client maintenant")),
                                        ("skip", _("Passer cette étape (personne ne pourra se connecter côté client "
                                                   "pour l'instant)"))])
    first_name = forms.CharField(label=_("Prénom"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), required=False,
                             error_messages={"invalid": _("Saisissez une adresse email valide.")})
    phone = PhoneField(label=_("Téléphone mobile (facultatif)"), required=False)

    def clean(self):
        data = forms.Form.clean(self)
        if data.get("invite") != "now":
            return data
        for name in ("first_name", "last_name", "email"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, _("Ce champ est obligatoire pour inviter le client."))
        return super().clean()


class FolderUserForm(InviteChannelsMixin):
    first_name = forms.CharField(label=_("Prénom"), max_length=150,
                                 error_messages={"required": _("Indiquez le prénom.")})
    last_name = forms.CharField(label=_("Nom"), max_length=150, error_messages={"required": _("Indiquez le nom.")})
    email = forms.EmailField(label=_("Email (identifiant de connexion)"),
                             error_messages={"required": _("L'email est obligatoire : c'est l'identifiant de "
                                                           "connexion."),
                                             "invalid": _("Saisissez une adresse email valide.")})
    phone = PhoneField(label=_("Téléphone mobile (facultatif)"), required=False)
    employee_code = forms.CharField(label=_("Code salarié (facultatif, pour les notes de frais)"), max_length=32,
                                    required=False)
    role = forms.ChoiceField(label=_("Rôle"), choices=FolderMember.Role.choices, initial=FolderMember.Role.STANDARD,
                             widget=forms.RadioSelect)
    can_self_submit_expenses = forms.BooleanField(
        label=_("Peut créer ses notes de frais de manière autonome"), required=False)

    def __init__(self, *args, folder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = folder

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if self.folder and FolderMember.objects.active().filter(folder=self.folder, user__email=email).exists():
            raise forms.ValidationError(_("Cette personne a déjà accès à ce dossier."), code="duplicate")
        return email


class MemberManageForm(forms.ModelForm):
    class Meta:
        model = FolderMember
        fields = ["role", "employee_code", "can_self_submit_expenses"]
        widgets = {"role": forms.RadioSelect}


class FolderSettingsForm(forms.ModelForm):
    # Wider than the stored compact forms: people paste "732 829 320" or "FR76 3000 6000 …".
    siren = forms.CharField(label=_("SIREN"), required=False, max_length=20)
    vat_id = forms.CharField(label=_("Numéro de TVA intracommunautaire"), required=False, max_length=30)
    iban = forms.CharField(label=_("IBAN"), required=False, max_length=50)

    class Meta:
        model = ClientFolder
        fields = ["name", "sector", "siren", "vat_id", "iban", "base_currency", "language", "timezone",
                  "forwarding_recipients",
                  "forwarding_collaborators", "forwarding_address", "sender_policy", "allowed_senders",
                  "keep_body_as_pdf", "restrict_receivables", "auto_reconcile"]
        widgets = {"forwarding_recipients": forms.RadioSelect, "sender_policy": forms.RadioSelect,
                   "allowed_senders": forms.Textarea(attrs={"rows": 4}),
                   "forwarding_collaborators": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Indiquez le nom de la société.")
        self.fields["siren"].help_text = _("Identifiants de la société du dossier : collecte ne la prend jamais pour "
                                           "le fournisseur ou le client d'une facture.")
        # Only staff who can open this folder: owners and its assigned collaborators.
        folder = self.instance
        self.fields["forwarding_collaborators"].queryset = Membership.objects.filter(
            Q(role=Membership.Role.OWNER) | Q(assigned_folders=folder), firm=folder.firm).distinct().select_related("user")
        self.fields["forwarding_collaborators"].label_from_instance = lambda m: m.user.get_full_name() or m.user.email

    def clean(self):
        data = super().clean()
        mode = data.get("forwarding_recipients")
        if mode == ClientFolder.ForwardingRecipients.ADDRESS and not data.get("forwarding_address"):
            self.add_error("forwarding_address", _("Indiquez l'adresse qui recevra les confirmations de transfert."))
        if mode == ClientFolder.ForwardingRecipients.COLLABORATORS and not data.get("forwarding_collaborators"):
            self.add_error("forwarding_collaborators", _("Choisissez au moins un collaborateur."))
        if data.get("sender_policy", "open") != ClientFolder.SenderPolicy.OPEN and not data.get("allowed_senders"):
            self.add_error("allowed_senders", _("Indiquez au moins un expéditeur autorisé, sinon tout serait "
                                                "retenu ou refusé."))
        return data

    def clean_siren(self):
        from stdnum.fr import siren

        value = re.sub(r"[\s.]", "", self.cleaned_data.get("siren") or "")
        if value and not siren.is_valid(value):
            raise forms.ValidationError(_("Ce SIREN n'est pas valide (9 chiffres, clé de contrôle)."))
        return value

    def clean_vat_id(self):
        from stdnum.eu import vat

        value = re.sub(r"[\s.\-]", "", self.cleaned_data.get("vat_id") or "").upper()
        if value and not vat.is_valid(value):
            raise forms.ValidationError(_("Ce numéro de TVA n'est pas valide (exemple : FR40303265045)."))
        return value

    def clean_iban(self):
        from schwifty import IBAN
        from schwifty.exceptions import SchwiftyException

        raw = (self.cleaned_data.get("iban") or "").replace(" ", "").upper()
        if not raw:
            return ""
        try:
            return IBAN(raw).compact
        except SchwiftyException:
            raise forms.ValidationError(_("Cet IBAN n'est pas valide.")) from None

    def clean_allowed_senders(self):
        from collecte.intake.senders import parse_allowed

        text = self.cleaned_data.get("allowed_senders", "")
        bad = [e for e in parse_allowed(text) if "." not in e.rpartition("@")[2]]
        if bad:
            raise forms.ValidationError(_("Ces lignes ne sont ni une adresse ni un domaine : %(bad)s")
                                        % {"bad": ", ".join(bad)})
        return text


class AcceptInvitationForm(forms.Form):
    password1 = forms.CharField(label=_("Mot de passe"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("Confirmation du mot de passe"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        from django.contrib.auth.password_validation import validate_password

        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Les deux mots de passe ne correspondent pas."))
        elif p1:
            try:
                validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ExistingAccountForm(forms.Form):
    """An invited person who already has an account confirms with their password, under the login's rate limit
    (whoever can read the invitation link must not get unlimited guesses at someone's password)."""

    password = forms.CharField(label=_("Votre mot de passe actuel"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, user=None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.request = user, request

    def clean_password(self):
        ip = ratelimit.client_ip(self.request) if self.request else ""
        if ratelimit.is_blocked(self.user.email, ip):
            raise forms.ValidationError(EmailLoginForm.error_messages["rate_limited"], code="rate_limited")
        if not self.user.check_password(self.cleaned_data["password"]):
            ratelimit.record_failure(self.user.email, ip)
            raise forms.ValidationError(_("Mot de passe incorrect."), code="invalid_password")
        ratelimit.clear(self.user.email)
        return self.cleaned_data["password"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Nom du jeton"), max_length=100,
                           error_messages={"required": _("Donnez un nom au jeton (par exemple : export comptable).")})


def posted(request):
    """The submitted data, or None for a GET. (`request.POST or None` would ignore a POST of only unchecked boxes.)"""
    return request.POST if request.method == "POST" else None


class FirmSettingsForm(forms.ModelForm):
    class Meta:
        model = Firm
        fields = ["name", "base_currency", "language", "timezone"]


class StaffForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Email (identifiant de connexion)"),
                             error_messages={"invalid": _("Saisissez une adresse email valide.")})
    role = forms.ChoiceField(label=_("Rôle"), choices=Membership.Role.choices, initial=Membership.Role.COLLABORATOR,
                             widget=forms.RadioSelect)
