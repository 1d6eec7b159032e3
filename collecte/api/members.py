"""Folder users, for the people who manage a folder (firm staff with access, folder admins)."""
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import field_validator

from collecte.accounts.models import User
from collecte.tenancy import actions
from collecte.tenancy.models import FolderMember, IntakeAddress, Invitation
from collecte.lib import phone

from .errors import ErrorOut, invalid
from .lookups import folder_access, managed_member

router = Router(tags=["users"])

READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut, 422: ErrorOut}


class MemberOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    role: FolderMember.Role
    employee_code: str
    can_self_submit_expenses: bool
    last_login: datetime | None
    personal_address: str | None
    invitation_state: str = Field(description="pending, accepted, expired, revoked, or none")
    invitation_id: int | None
    added_at: datetime


class MemberIn(Schema):
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=150)
    last_name: str = Field(max_length=150)
    phone: str = Field("", max_length=32, description="mobile, any usual form; France is the default region")
    role: FolderMember.Role
    employee_code: str = Field("", max_length=32)
    can_self_submit_expenses: bool = False
    by_email: bool = True
    by_sms: bool = False

    @field_validator("email")
    @classmethod
    def check_email(cls, value):
        value = User.objects.normalize_email(value)
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError(_("Saisissez une adresse email valide.")) from None
        return value

    @field_validator("first_name")
    @classmethod
    def check_first_name(cls, value):
        return _required(value, _("Indiquez le prénom."))

    @field_validator("last_name")
    @classmethod
    def check_last_name(cls, value):
        return _required(value, _("Indiquez le nom."))

    @field_validator("phone")
    @classmethod
    def check_phone(cls, value):
        try:
            return phone.normalize(value)
        except phone.InvalidPhone:
            raise ValueError(_("Ce numéro de téléphone n'est pas valide (exemple : 06 12 34 56 78).")) from None


class MemberPatch(Schema):
    role: FolderMember.Role | None = None
    employee_code: str | None = Field(None, max_length=32)
    can_self_submit_expenses: bool | None = None


def _required(value, message):
    value = value.strip()
    if not value:
        raise ValueError(message)
    return value


def _check_channels(payload):
    """Rules across fields, as in the web form: an SMS needs a number, and the invitation needs a channel."""
    if payload.by_sms and not payload.phone:
        raise invalid("phone", _("Indiquez un numéro de mobile pour envoyer l'invitation par SMS."))
    if not payload.by_email and not payload.by_sms:
        raise invalid("by_email", _("Choisissez au moins un moyen d'envoi de l'invitation."))


def _latest_invitation(member):
    if hasattr(member, "invitation_list"):  # prefetched by active_members, newest first
        return next(iter(member.invitation_list), None)
    return member.invitations.order_by("-created_at").first()


def _personal_address(member):
    if hasattr(member, "active_addresses"):
        address = next(iter(member.active_addresses), None)
    else:
        address = member.personal_address()
    return address.email if address else None


def member_out(member):
    user, invitation = member.user, _latest_invitation(member)
    shared = member.shares_profile  # an existing account only invited here stays an email (see the model)
    return {"id": member.pk, "email": user.email, "first_name": user.first_name if shared else "",
            "last_name": user.last_name if shared else "", "phone": user.phone if shared else "",
            "role": member.role, "employee_code": member.employee_code,
            "can_self_submit_expenses": member.can_self_submit_expenses,
            "last_login": user.last_login if shared else None,
            "personal_address": _personal_address(member),
            "invitation_state": invitation.state if invitation else "none",
            "invitation_id": invitation.pk if invitation else None, "added_at": member.created_at}


def active_members(folder):
    # Prefetched into lists so that a long member list costs three queries, not three per member.
    return (FolderMember.objects.active().filter(folder=folder).select_related("user").prefetch_related(
        Prefetch("invitations", queryset=Invitation.objects.order_by("-created_at"), to_attr="invitation_list"),
        Prefetch("addresses", queryset=IntakeAddress.objects.active(), to_attr="active_addresses")))


@router.get("/{folder_id}/users", response={200: list[MemberOut], **READ_ERRORS}, summary="Utilisateurs du dossier")
def list_members(request, folder_id: int):
    """Active users of the folder, with the state of their latest invitation."""
    found = folder_access(request, folder_id, manage=True)
    return [member_out(member) for member in active_members(found.folder)]


@router.post("/{folder_id}/users", response={201: MemberOut, **WRITE_ERRORS}, summary="Ajouter et inviter")
def add_member(request, folder_id: int, payload: MemberIn):
    """Give someone access to the folder and send them an invitation (email and/or SMS)."""
    found = folder_access(request, folder_id, manage=True)
    _check_channels(payload)
    data = actions.NewFolderUser(**payload.model_dump())
    member, _invitation = actions.add_folder_user(found.folder, data, added_by=request.auth)
    return Status(201, member_out(member))


@router.get("/{folder_id}/users/{member_id}", response={200: MemberOut, **READ_ERRORS}, summary="Un utilisateur")
def get_member(request, folder_id: int, member_id: int):
    return member_out(managed_member(request, folder_id, member_id))


@router.patch("/{folder_id}/users/{member_id}", response={200: MemberOut, **WRITE_ERRORS},
              summary="Changer le rôle")
def update_member(request, folder_id: int, member_id: int, payload: MemberPatch):
    """Change the role, employee code or expense autonomy; fields left out keep their value."""
    member = managed_member(request, folder_id, member_id)
    actions.change_member_role(member, payload.role or member.role, employee_code=payload.employee_code,
                               can_self_submit_expenses=payload.can_self_submit_expenses)
    return member_out(member)


@router.delete("/{folder_id}/users/{member_id}", response={204: None, **READ_ERRORS}, summary="Retirer l'accès")
def remove_member(request, folder_id: int, member_id: int):
    """Access ends and pending invitations die; the user's documents stay in the folder."""
    member = managed_member(request, folder_id, member_id)
    actions.remove_member(member)
    return Status(204, None)
