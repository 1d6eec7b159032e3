"""The folder's "Boîtes IMAP" tab: mailboxes collecte polls for invoices, for managers only.

The password or token is write-only: typed in, encrypted, never rendered back. Leaving the field empty keeps the
stored one, except when the server or the login changes: a secret typed for one server is never sent to another.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from collecte.intake.imap import test_connection
from collecte.intake.imap_tasks import poll_imap_mailbox_task
from collecte.intake.models import ImapMailbox
from collecte.tenancy import access
from collecte.web.forms import posted

XOAUTH2_HELP = gettext_lazy(
    "Mot de passe : celui de la boîte (ou un mot de passe d'application si la double authentification est active). "
    "OAuth2 (XOAUTH2) : le jeton d'accès s'obtient en dehors de collecte, puis se colle dans le champ « Mot de passe "
    "ou jeton ». Microsoft 365 : une inscription d'application dans Entra ID avec la permission déléguée "
    "IMAP.AccessAsUser.All. Gmail : un client OAuth Google avec la portée https://mail.google.com/. Un jeton "
    "d'accès expire au bout d'une heure environ et collecte ne le renouvelle pas encore automatiquement : il faut "
    "alors en coller un nouveau.")

# Changing any of these sends the stored secret somewhere new: ask for it again.
WHERE_THE_SECRET_GOES = ("host", "port", "security", "username", "auth")


class ImapMailboxForm(forms.ModelForm):
    secret = forms.CharField(
        label=gettext_lazy("Mot de passe ou jeton"), required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Chiffré dans la base, jamais réaffiché."))

    class Meta:
        model = ImapMailbox
        fields = ["module", "host", "port", "security", "username", "auth", "secret", "imap_folder", "selection",
                  "since_date", "after_action", "move_to", "poll_interval_minutes", "enabled"]
        widgets = {"since_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "security": forms.RadioSelect, "auth": forms.RadioSelect, "selection": forms.RadioSelect,
                   "after_action": forms.RadioSelect}
        help_texts = {"host": gettext_lazy("Par exemple outlook.office365.com, imap.gmail.com, ssl0.ovh.net."),
                      "username": gettext_lazy("Souvent l'adresse email complète."),
                      "auth": XOAUTH2_HELP,
                      "imap_folder": gettext_lazy("INBOX pour la boîte de réception, ou le nom exact d'un dossier."),
                      "move_to": gettext_lazy("Seulement pour « Les déplacer » : le dossier doit exister."),
                      "since_date": gettext_lazy("Seulement pour « Tous les messages depuis une date »."),
                      "security": gettext_lazy("Sans chiffrement : seulement pour un serveur local (localhost ou "
                                               "127.0.0.1), jamais sur Internet.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].error_messages["required"] = _("Indiquez le serveur IMAP.")
        self.fields["username"].error_messages["required"] = _("Indiquez l'identifiant de la boîte.")
        if self.instance.has_secret:
            self.fields["secret"].widget.attrs["placeholder"] = _("(enregistré — laisser vide pour le garder)")
            self.fields["secret"].help_text = _("Chiffré dans la base, jamais réaffiché. Laissez vide pour garder "
                                                "celui enregistré.")

    def clean_host(self):
        return self.cleaned_data["host"].strip()

    def clean(self):
        data = super().clean()
        if not data.get("secret") and self._secret_needed():
            self.add_error("secret", self._secret_missing_message())
        return data

    def _secret_needed(self):
        if not self.instance.has_secret:
            return True
        return any(name in self.changed_data for name in WHERE_THE_SECRET_GOES)

    def _secret_missing_message(self):
        if not self.instance.has_secret:
            return _("Saisissez le mot de passe de la boîte (ou le jeton d'accès OAuth2).")
        return _("Le serveur, le port, la sécurité ou l'identifiant a changé : saisissez à nouveau le mot de passe "
                 "(un mot de passe saisi pour un serveur n'est jamais envoyé à un autre).")

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        secret = self.cleaned_data.get("secret")
        if secret:
            # A pasted token often drags a line end along; a password keeps its spaces, they may be part of it.
            mailbox.set_secret(secret.strip() if mailbox.auth == ImapMailbox.Auth.XOAUTH2 else secret)
        if commit:
            mailbox.save()
        return mailbox


def _managed_mailbox(request, folder_id, mailbox_id):
    """The mailbox, looked up within a folder the user manages (404 outsiders, 403 lower roles)."""
    folder_access = access.get_folder_access(request.user, folder_id, manage=True)
    mailbox = ImapMailbox.objects.filter(pk=mailbox_id, folder=folder_access.folder).first()
    if mailbox is None:
        raise Http404("No such IMAP mailbox")
    return folder_access, mailbox


@login_required
def imap_list(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id, manage=True)
    mailboxes = ImapMailbox.objects.filter(folder=folder_access.folder)
    return render(request, "web/imap_list.html", {"folder": folder_access.folder, "access": folder_access,
                                                  "tab": "imap", "mailboxes": mailboxes})


@login_required
def imap_add(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id, manage=True)
    form = ImapMailboxForm(posted(request), instance=ImapMailbox(folder=folder_access.folder))
    if request.method == "POST" and form.is_valid():
        mailbox = form.save()
        messages.success(request, _("La boîte %(mailbox)s est ajoutée. Testez la connexion pour vérifier les "
                                    "réglages.") % {"mailbox": mailbox.label})
        return redirect("imap-list", folder_id)
    return render(request, "web/imap_form.html", {"folder": folder_access.folder, "access": folder_access,
                                                  "tab": "imap", "form": form, "mailbox": None})


@login_required
def imap_edit(request, folder_id, mailbox_id):
    folder_access, mailbox = _managed_mailbox(request, folder_id, mailbox_id)
    form = ImapMailboxForm(posted(request), instance=mailbox)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Les réglages de la boîte %(mailbox)s sont enregistrés.") % {
            "mailbox": mailbox.label})
        return redirect("imap-list", folder_id)
    return render(request, "web/imap_form.html", {"folder": folder_access.folder, "access": folder_access,
                                                  "tab": "imap", "form": form, "mailbox": mailbox})


@login_required
@require_POST
def imap_test(request, folder_id, mailbox_id):
    _access, mailbox = _managed_mailbox(request, folder_id, mailbox_id)
    ok, sentence = test_connection(mailbox)
    (messages.success if ok else messages.error)(request, f"{mailbox.label} : {sentence}")
    return redirect("imap-list", folder_id)


@login_required
@require_POST
def imap_poll(request, folder_id, mailbox_id):
    """Queued, not run here: a first poll of a full mailbox can take longer than a page should."""
    _access, mailbox = _managed_mailbox(request, folder_id, mailbox_id)
    poll_imap_mailbox_task(mailbox.pk)
    messages.info(request, _("Relève de %(mailbox)s demandée : son résultat apparaît dans la colonne « Dernière "
                             "relève » dès qu'elle est faite.") % {"mailbox": mailbox.label})
    return redirect("imap-list", folder_id)


@login_required
@require_POST
def imap_delete(request, folder_id, mailbox_id):
    _access, mailbox = _managed_mailbox(request, folder_id, mailbox_id)
    label = mailbox.label
    mailbox.delete()
    messages.success(request, _("La boîte %(mailbox)s n'est plus relevée. Les messages déjà reçus restent dans le "
                                "dossier.") % {"mailbox": label})
    return redirect("imap-list", folder_id)
