"""Relaying forwarding confirmations at once to the people who can click them.

Gmail and others send a verification to the target address before they forward anything. The message is not a
document; the person who set up the forwarding must see its code or link, fast (they are waiting for it).
"""
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation

from collecte.outbound.backends import context_headers
from collecte.tenancy.models import ClientFolder, FolderMember, Membership


def forwarding_recipients(message):
    """The personal address's owner; otherwise what the folder's setting says, falling back to its staff."""
    if message.member_id and message.member.is_active:
        return [message.member.user.email]
    folder = message.folder
    mode = folder.forwarding_recipients
    if mode == ClientFolder.ForwardingRecipients.ADDRESS and folder.forwarding_address:
        return [folder.forwarding_address]
    if mode == ClientFolder.ForwardingRecipients.COLLABORATORS:
        # Only staff who can still open the folder: an unassigned collaborator no longer receives its mail.
        chosen = folder.forwarding_collaborators.filter(
            Q(role=Membership.Role.OWNER) | Q(assigned_folders=folder)).distinct().select_related("user")
        emails = [m.user.email for m in chosen]
        if emails:
            return emails
    admins = [m.user.email for m in FolderMember.objects.active().filter(folder=folder, role=FolderMember.Role.ADMIN)
              .select_related("user")]
    return admins or _folder_staff(folder)


def _folder_staff(folder):
    owners = Membership.objects.filter(firm=folder.firm, role=Membership.Role.OWNER).select_related("user")
    return sorted({m.user.email for m in owners} | {m.user.email for m in folder.collaborators.select_related("user")})


def relay_forwarding_confirmation(message):
    recipients = forwarding_recipients(message)
    if not recipients:
        return 0
    context = {"message": message, "folder": message.folder, "f": message.forwarding or {}}
    with translation.override(message.folder.language):
        subject = render_to_string("intake/forwarding_relay_subject.txt", context).strip()
        body = render_to_string("intake/forwarding_relay_email.txt", context)
    email = EmailMessage(subject, body, to=recipients,
                         headers=context_headers(firm=message.folder.firm, folder=message.folder))
    email.attach("confirmation.eml", message.read_raw(), "application/octet-stream")
    return email.send()
