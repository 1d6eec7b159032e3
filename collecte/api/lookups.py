"""Tenant lookups for the API: collecte.tenancy.access does the work; here its 404s get a sentence naming what
was asked for. The sentence never depends on whether the object exists elsewhere, so it reveals nothing."""
from django.http import Http404
from django.utils.translation import gettext as _

from collecte.tenancy import access

from .errors import not_found


def folder_access(request, folder_id, manage=False):
    """The caller's FolderAccess; 404 for outsiders, 403 (PermissionDenied) for a lower role asking to manage."""
    try:
        return access.get_folder_access(request.auth, folder_id, manage=manage)
    except Http404:
        raise not_found(_("Dossier introuvable.")) from None


def managed_member(request, folder_id, member_id):
    """An active user of a folder the caller manages."""
    # The folder first, so that its own 404/403 come with the folder's sentence.
    folder_access(request, folder_id, manage=True)
    try:
        _access, member = access.get_member_for_manager(request.auth, folder_id, member_id)
    except Http404:
        member = None
    # A removed user keeps their row (and documents) but is no longer a user of the folder.
    if member is None or not member.is_active:
        raise not_found(_("Utilisateur introuvable dans ce dossier."))
    return member


def managed_invitation(request, invitation_id):
    """An invitation of a folder the caller manages. Unknown ids and other firms' invitations read the same."""
    try:
        _access, invitation = access.get_invitation_for_manager(request.auth, invitation_id)
    except Http404:
        raise not_found(_("Invitation introuvable.")) from None
    return invitation


def visible_message(request, message_id, manage=False):
    """A message the caller may see (its folder's log, or their own submissions); `manage` → 403 for others."""
    try:
        return access.get_message_for_user(request.auth, message_id, manage=manage)
    except Http404:
        raise not_found(_("Message introuvable.")) from None


def visible_document(request, document_id):
    try:
        return access.get_document_for_user(request.auth, document_id)
    except Http404:
        raise not_found(_("Document introuvable.")) from None


def visible_invoice(request, invoice_id, manage=False):
    try:
        return access.get_invoice_for_user(request.auth, invoice_id, manage=manage)
    except Http404:
        raise not_found(_("Facture introuvable.")) from None
