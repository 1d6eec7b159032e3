"""State changes of the tenancy layer. Web views, the API and commands all call these."""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.text import slugify

from collecte.outbound.backends import context_headers, send_sms

from .models import ClientFolder, FolderMember, IntakeAddress, Invitation, Membership, new_token

User = get_user_model()
INVITATION_SALT = "collecte.invitation"


class TenancyError(Exception):
    """A request we refuse, with a sentence for the person and a machine code."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message, self.code = message, code


# --- client folders -------------------------------------------------------------------------------------------

@transaction.atomic
def create_client_folder(membership, name, sector="", collaborators=(), created_by=None):
    """A folder inheriting the firm's defaults, with its four dedicated addresses."""
    firm = membership.firm
    folder = ClientFolder.objects.create(
        firm=firm, name=name.strip(), sector=sector or "", base_currency=firm.base_currency,
        language=firm.language, timezone=firm.timezone, created_by=created_by or membership.user)
    chosen = set(collaborators)
    if membership.role == Membership.Role.COLLABORATOR:
        chosen.add(membership)  # whoever creates a folder keeps access to it
    folder.collaborators.set([m for m in chosen if m.firm_id == firm.pk])
    for module in IntakeAddress.FOLDER_MODULES:
        _create_address(folder, module)
    return folder


def _create_address(folder, module, member=None):
    if member is not None:
        slug = slugify(f"{folder.slug}-{member.user.first_name or member.user.email.split('@')[0]}")[:50]
    else:
        slug = f"{folder.slug}-{IntakeAddress.SLUG_SUFFIX[module]}"
    for _attempt in range(5):  # a token collision is astronomically rare; retry rather than fail
        try:
            with transaction.atomic():
                return IntakeAddress.objects.create(folder=folder, module=module, member=member, slug=slug,
                                                    token=new_token())
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a unique address token")


@transaction.atomic
def regenerate_address(address):
    """Retire an address (it stops receiving at once) and give its folder, module and user a new one."""
    address = IntakeAddress.objects.select_for_update().get(pk=address.pk)
    if address.retired_at is None:
        address.retired_at = timezone.now()
        address.save(update_fields=["retired_at"])
    return _create_address(address.folder, address.module, address.member)


# --- firm staff -----------------------------------------------------------------------------------------------

@transaction.atomic
def add_staff_member(firm, email, first_name, last_name, role, added_by):
    """Add someone to the firm's staff and email them a link to choose their password."""
    email = User.objects.normalize_email(email)
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email, first_name=first_name.strip(), last_name=last_name.strip(),
                                        language=firm.language)
    if Membership.objects.filter(firm=firm, user=user).exists():
        raise TenancyError(_("Cette personne fait déjà partie du cabinet."), "already_member")
    membership = Membership.objects.create(firm=firm, user=user, role=role)
    _send_staff_welcome(membership, added_by, created=created)
    return membership


def _send_staff_welcome(membership, added_by, created):
    # Django's password-reset token: single use (it changes once a password is set) and short-lived.
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user, firm = membership.user, membership.firm
    link = None
    # The set-password link only for an account created now: the firm's outbox shows it, and an existing
    # account (of another firm, perhaps) is not this firm's to open.
    if created:
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = settings.BASE_URL + reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    context = {"membership": membership, "firm": firm, "inviter": added_by, "link": link,
               "login_url": settings.BASE_URL + reverse("login")}
    with translation.override(user.language or firm.language):
        subject = render_to_string("tenancy/staff_welcome_subject.txt", context).strip()
        body = render_to_string("tenancy/staff_welcome_email.txt", context)
    EmailMessage(subject, body, to=[user.email], headers=context_headers(firm=firm)).send()


# --- folder users ---------------------------------------------------------------------------------------------

@dataclass
class NewFolderUser:
    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    role: str = FolderMember.Role.STANDARD
    employee_code: str = ""
    can_self_submit_expenses: bool = False
    by_email: bool = True
    by_sms: bool = False


def other_folders_of(email, folder):
    """Folders where this email is already a client-side user (one person may run several companies)."""
    return ClientFolder.objects.filter(
        members__user__email=User.objects.normalize_email(email), members__removed_at__isnull=True
    ).exclude(pk=folder.pk if folder else None).distinct()


@transaction.atomic
def add_folder_user(folder, data: NewFolderUser, added_by):
    """Give someone access to a folder and invite them. Returns (member, invitation)."""
    email = User.objects.normalize_email(data.email)
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(email, first_name=data.first_name.strip(), last_name=data.last_name.strip(),
                                        phone=data.phone, language=folder.language)
    # An existing account belongs to its owner (maybe in another firm): nothing typed here changes it.
    member = FolderMember.objects.filter(folder=folder, user=user).first()
    if member and member.is_active:
        raise TenancyError(_("Cette personne a déjà accès à ce dossier."), "already_member")
    if member:  # access given back after a removal: the same row, so their documents are theirs again
        member.removed_at = None
    else:
        member = FolderMember(folder=folder, user=user, created_user=created)
    member.role, member.employee_code = data.role, data.employee_code.strip()
    member.can_self_submit_expenses, member.added_by = data.can_self_submit_expenses, added_by
    member.save()
    if member.personal_address() is None:
        _create_address(folder, IntakeAddress.Module.PERSONAL, member)
    # An SMS goes to the number on the account, never to one typed for an existing account: whoever holds the
    # link of a passwordless account could otherwise choose its password.
    invitation = invite(member, added_by, by_email=data.by_email, by_sms=data.by_sms and bool(user.phone))
    return member, invitation


def change_member_role(member, role, employee_code=None, can_self_submit_expenses=None):
    member.role = role
    if employee_code is not None:
        member.employee_code = employee_code.strip()
    if can_self_submit_expenses is not None:
        member.can_self_submit_expenses = can_self_submit_expenses
    member.save()
    return member


@transaction.atomic
def remove_member(member):
    """Access ends; the row stays so that what they submitted keeps its author. Pending invitations die."""
    member.removed_at = timezone.now()
    member.save(update_fields=["removed_at"])
    member.invitations.pending().update(revoked_at=timezone.now())
    member.addresses.active().update(retired_at=timezone.now())


# --- invitations ----------------------------------------------------------------------------------------------

def invite(member, invited_by, by_email=True, by_sms=False):
    """Create an invitation and send it; earlier pending invitations of this member are revoked."""
    member.invitations.pending().update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        member=member, email=member.user.email, phone=member.user.phone, by_email=by_email, by_sms=by_sms,
        invited_by=invited_by, expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS))
    send_invitation(invitation)
    return invitation


def invitation_link(invitation):
    token = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT, compress=True)
    return settings.BASE_URL + reverse("invitation-accept", args=[token])


def send_invitation(invitation):
    """(Re)send: a fresh nonce kills earlier links, and the 7 days start again."""
    invitation.nonce = secrets.token_urlsafe(12)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    invitation.sent_at, invitation.send_count = timezone.now(), invitation.send_count + 1
    invitation.save()
    folder, link = invitation.member.folder, invitation_link(invitation)
    inviter = invitation.invited_by
    context = {"invitation": invitation, "folder": folder, "link": link, "inviter": inviter,
               "days": settings.INVITATION_MAX_AGE_DAYS, "existing_account": invitation.member.user.has_usable_password()}
    with translation.override(invitation.member.user.language or folder.language):
        if invitation.by_email:
            subject = render_to_string("tenancy/invitation_subject.txt", context).strip()
            body = render_to_string("tenancy/invitation_email.txt", context)
            EmailMessage(subject, body, to=[invitation.email],
                         headers=context_headers(firm=folder.firm, folder=folder)).send()
        if invitation.by_sms and invitation.phone:
            send_sms(invitation.phone, render_to_string("tenancy/invitation_sms.txt", context).strip(),
                     firm=folder.firm, folder=folder)


def resend_invitation(invitation):
    if invitation.accepted_at or invitation.revoked_at or not invitation.member.is_active:
        raise TenancyError(_("Cette invitation n'est plus active : créez-en une nouvelle."), "invitation_inactive")
    send_invitation(invitation)
    return invitation


def revoke_invitation(invitation):
    if invitation.accepted_at:
        raise TenancyError(_("Cette invitation a déjà été acceptée."), "invitation_accepted")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


class InvitationProblem(TenancyError):
    """Why a link cannot be used, and the invitation when we know it (to say who to ask)."""

    def __init__(self, message, code, invitation=None):
        super().__init__(message, code)
        self.invitation = invitation


def invitation_from_link(token):
    """The invitation a link opens, or InvitationProblem saying why it cannot be used."""
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=timedelta(days=settings.INVITATION_MAX_AGE_DAYS))
    except signing.SignatureExpired:
        raise InvitationProblem(_("Ce lien d'invitation a expiré."), "expired") from None
    except signing.BadSignature:
        raise InvitationProblem(_("Ce lien d'invitation n'est pas valide."), "invalid") from None
    invitation = (Invitation.objects.select_related("member__folder__firm", "member__user", "invited_by")
                  .filter(pk=data.get("i")).first())
    if invitation is None:
        raise InvitationProblem(_("Ce lien d'invitation n'est pas valide."), "invalid")
    if invitation.accepted_at:
        raise InvitationProblem(_("Cette invitation a déjà été utilisée."), "used", invitation)
    if invitation.revoked_at or not invitation.member.is_active:
        raise InvitationProblem(_("Cette invitation a été annulée."), "revoked", invitation)
    if invitation.nonce != data.get("n"):
        raise InvitationProblem(_("Ce lien a été remplacé par un envoi plus récent."), "superseded", invitation)
    if invitation.expires_at <= timezone.now():
        raise InvitationProblem(_("Ce lien d'invitation a expiré."), "expired", invitation)
    return invitation


def may_choose_password(invitation):
    """Only the invitation of the folder that created the account chooses its first password."""
    return invitation.member.created_user and not invitation.member.user.has_usable_password()


@transaction.atomic
def accept_invitation(invitation, password=None):
    """Mark the invitation used; a new user sets their password here. Returns the user to log in."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvitationProblem(_("Cette invitation a déjà été utilisée."), "used", invitation)
    user = invitation.member.user
    if not user.is_active:
        raise InvitationProblem(_("Ce compte est désactivé."), "inactive", invitation)
    if password:
        if not may_choose_password(invitation):
            raise InvitationProblem(_("Ce lien ne permet pas de choisir le mot de passe de ce compte."),
                                    "password_not_allowed", invitation)
        user.set_password(password)
        user.save()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user
