"""Uploading files into a folder, opening a document's file, and unlocking a password-protected PDF."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collecte.intake import actions
from collecte.intake.models import InboundMessage
from collecte.tenancy import access
from collecte.tenancy.models import IntakeAddress
from collecte.web.forms import posted

from .messages import with_details

# Browsers show these themselves; anything else (XML, SVG, HEIC...) is downloaded, never rendered from our origin.
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp"}
UPLOAD_DONE_LIMIT = 100  # the ids of one upload travel in the URL


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field. Each file is checked by collecte.intake.actions, one by one, so that one bad
    file in a drop is named and refused without refusing the others."""

    def clean(self, data, initial=None):
        return [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]


class UploadForm(forms.Form):
    module = forms.ChoiceField(
        label=gettext_lazy("Déposer dans"), initial=IntakeAddress.Module.PURCHASES,
        choices=[(m.value, m.label) for m in IntakeAddress.FOLDER_MODULES],
        help_text=gettext_lazy("« Multiple » : chaque page d'un PDF devient son propre document."))
    files = MultipleFileField(
        label=gettext_lazy("Fichiers"), required=False, widget=MultipleFileInput(attrs={"multiple": True}),
        help_text=gettext_lazy("PDF, images ou factures électroniques (XML), ZIP ; plusieurs fichiers à la fois."))


@login_required
def upload(request, folder_id):
    """GET: the upload form on its own page (the folder page embeds the same form). POST: store every file."""
    folder_access = access.get_folder_access(request.user, folder_id)
    form = UploadForm(posted(request), request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        accepted = _store_files(request, folder_access, form)
        if accepted:
            query = urlencode([("m", message.pk) for message in accepted])
            return redirect(f"{reverse('upload-done', args=[folder_id])}?{query}")
    return render(request, "web/upload.html", {"folder": folder_access.folder, "access": folder_access,
                                               "form": form, "tab": "addresses"})


def _store_files(request, folder_access, form):
    """Accept each good file; name each refused one. A drop of ten files with one too big still takes nine."""
    uploaded = request.FILES.getlist("files")
    if not uploaded:
        form.add_error("files", _("Choisissez au moins un fichier à déposer."))
        return []
    accepted, refused = [], []
    for file in uploaded:
        try:
            accepted.append(actions.upload_file(folder_access, form.cleaned_data["module"], file))
        except actions.IntakeError as error:
            refused.append(error.message)
    if not accepted:
        for message in refused:
            form.add_error("files", message)
    for message in refused:
        messages.error(request, message)
    return accepted


@login_required
def upload_done(request, folder_id):
    """What became of each file just uploaded (processing may still be running: the page says so)."""
    folder_access = access.get_folder_access(request.user, folder_id)
    ids = [int(pk) for pk in request.GET.getlist("m") if pk.isdigit()][:UPLOAD_DONE_LIMIT]
    uploads = with_details(access.visible_messages(folder_access).filter(pk__in=ids))
    pending = any(m.status == InboundMessage.Status.RECEIVED for m in uploads)
    return render(request, "web/upload_done.html", {"folder": folder_access.folder, "access": folder_access,
                                                    "uploads": uploads, "pending": pending, "tab": "addresses"})


@login_required
def document_file(request, document_id):
    _access, document = access.get_document_for_user(request.user, document_id)
    inline = document.content_type in INLINE_TYPES
    return FileResponse(default_storage.open(document.file, "rb"), as_attachment=not inline,
                        filename=document.filename, content_type=document.content_type)


class UnlockForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Mot de passe du PDF"), strip=False, max_length=1000,
                               widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
                               error_messages={"required": gettext_lazy("Saisissez le mot de passe du PDF.")})


@login_required
def document_unlock(request, document_id):
    """GET: the password form. POST: unlock, then back to the message the document came with."""
    folder_access, document = access.get_document_for_user(request.user, document_id)
    form = UnlockForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            document = actions.unlock_document(document, form.cleaned_data["password"])
        except actions.IntakeError as error:
            form.add_error("password", error.message)
        else:
            messages.success(request, _("« %(name)s » est déverrouillé : il passe à l'extraction.")
                             % {"name": document.filename})
            return _back_to_message(document)
    return render(request, "web/document_unlock.html", {"folder": folder_access.folder, "access": folder_access,
                                                        "document": document, "form": form, "tab": "messages"})


def _back_to_message(document):
    if document.message_id:
        return redirect("message-detail", document.message_id)
    return redirect("folder-messages", document.folder_id)


class CorrectionForm(forms.Form):
    """What a person checks on a document read by extraction; blank clears a field."""

    invoice_number = forms.CharField(label=gettext_lazy("Numéro de facture"), required=False, max_length=100)
    document_type = forms.ChoiceField(label=gettext_lazy("Type"), required=False,
                                      choices=[("invoice", gettext_lazy("Facture")),
                                               ("credit_note", gettext_lazy("Avoir"))])
    issue_date = forms.DateField(label=gettext_lazy("Date de facture"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    due_date = forms.DateField(label=gettext_lazy("Date d'échéance"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    currency = forms.CharField(label=gettext_lazy("Devise"), required=False, max_length=3)
    total_excl_tax = forms.CharField(label=gettext_lazy("Total HT"), required=False, max_length=30)
    total_tax = forms.CharField(label=gettext_lazy("TVA"), required=False, max_length=30)
    total_incl_tax = forms.CharField(label=gettext_lazy("Total TTC"), required=False, max_length=30)
    counterparty_name = forms.CharField(label=gettext_lazy("Nom du fournisseur ou du client"), required=False,
                                        max_length=200)
    counterparty_vat_id = forms.CharField(label=gettext_lazy("Son numéro de TVA"), required=False, max_length=30)

    PARTY_FIELDS = {"counterparty_name": "name", "counterparty_vat_id": "vat_id"}

    @classmethod
    def initial_from(cls, extraction, role):
        x = extraction or {}
        party = x.get(role) or {}
        return {**{k: x.get(k) for k in ("invoice_number", "document_type", "issue_date", "due_date", "currency",
                                         "total_excl_tax", "total_tax", "total_incl_tax")},
                "counterparty_name": party.get("name"), "counterparty_vat_id": party.get("vat_id")}

    def changes(self, role):
        """The fields that differ from what was read, named as collecte.intake.corrections expects."""
        out = {}
        for name in self.changed_data:
            value = self.cleaned_data[name]
            key = f"{role}.{self.PARTY_FIELDS[name]}" if name in self.PARTY_FIELDS else name
            out[key] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


@login_required
def document_correct(request, document_id):
    """GET: what was read, as a form. POST: store the corrections; the supplier memory learns from them."""
    from collecte.intake.corrections import CorrectionError, correct_document
    from collecte.intake.extract import direction_of

    folder_access, document = access.get_document_for_user(request.user, document_id)
    role = "buyer" if direction_of(document.module) == "sales" else "seller"
    form = CorrectionForm(posted(request), initial=CorrectionForm.initial_from(document.extraction, role))
    if request.method == "POST" and form.is_valid():
        try:
            correct_document(document, request.user, form.changes(role))
        except CorrectionError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Corrections enregistrées pour « %(name)s » : les prochaines factures de ce "
                                        "fournisseur en tiendront compte.") % {"name": document.filename})
            return _back_to_message(document)
    return render(request, "web/document_correct.html", {
        "folder": folder_access.folder, "access": folder_access, "document": document, "form": form,
        "tab": "messages", "learned": (document.extraction or {}).get("learned") or []})
