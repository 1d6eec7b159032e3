"""Invitations of folder users: list them, send a new one, resend or revoke one. Managers only."""
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from collecte.tenancy import actions
from collecte.tenancy.models import Invitation

from .errors import ApiError, ErrorOut
from .lookups import folder_access, managed_invitation, managed_member

router = Router(tags=["invitations"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
State = Literal["pending", "accepted", "expired", "revoked"]


class InvitationOut(Schema):
    id: int
    member_id: int
    email: str
    phone: str
    by_email: bool
    by_sms: bool
    state: State
    send_count: int
    invited_by: str | None
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


def invitation_out(invitation):
    inviter = invitation.invited_by
    return {"id": invitation.pk, "member_id": invitation.member_id, "email": invitation.email,
            "phone": invitation.phone, "by_email": invitation.by_email, "by_sms": invitation.by_sms,
            "state": invitation.state, "send_count": invitation.send_count,
            "invited_by": inviter.email if inviter else None, "created_at": invitation.created_at,
            "sent_at": invitation.sent_at, "expires_at": invitation.expires_at,
            "accepted_at": invitation.accepted_at, "revoked_at": invitation.revoked_at}


def _ensure_member_active(invitation):
    # remove_member revokes only *pending* invitations: an expired one of a removed user could still be resent.
    if not invitation.member.is_active:
        raise ApiError(409, _("Cette personne n'a plus accès au dossier : son invitation ne peut plus être "
                              "envoyée."), "member_removed")


@router.get("/folders/{folder_id}/invitations", response={200: list[InvitationOut], **ERRORS},
            summary="Invitations du dossier")
def list_invitations(request, folder_id: int, state: State | None = None):
    """Invitations of the folder's active users, newest first; `state` keeps only one state."""
    found = folder_access(request, folder_id, manage=True)
    invitations = (Invitation.objects.filter(member__folder=found.folder, member__removed_at__isnull=True)
                   .select_related("invited_by").order_by("-created_at", "-pk"))
    return [invitation_out(i) for i in invitations if state is None or i.state == state]


@router.post("/folders/{folder_id}/users/{member_id}/invitations", response={201: InvitationOut, **ERRORS},
             summary="Inviter à nouveau")
def reinvite_member(request, folder_id: int, member_id: int, by_sms: bool = False):
    """A fresh invitation by email (earlier pending ones are revoked), e.g. after a revoked one; `?by_sms=true`
    also texts it when the user has a mobile number."""
    # A query parameter rather than an optional body: ninja answers 400 to a POST with an empty JSON body.
    member = managed_member(request, folder_id, member_id)
    by_sms = by_sms and bool(member.user.phone)
    invitation = actions.invite(member, request.auth, by_email=True, by_sms=by_sms)
    return Status(201, invitation_out(invitation))


@router.post("/invitations/{invitation_id}/resend", response={200: InvitationOut, **ERRORS, 409: ErrorOut},
             summary="Renvoyer une invitation")
def resend_invitation(request, invitation_id: int):
    """Send the invitation again: a new link (older ones stop working), valid for the full period again."""
    invitation = managed_invitation(request, invitation_id)
    _ensure_member_active(invitation)
    return invitation_out(actions.resend_invitation(invitation))


@router.post("/invitations/{invitation_id}/revoke", response={200: InvitationOut, **ERRORS, 409: ErrorOut},
             summary="Annuler une invitation")
def revoke_invitation(request, invitation_id: int):
    """The link stops working at once. An accepted invitation cannot be revoked (remove the user instead)."""
    invitation = managed_invitation(request, invitation_id)
    return invitation_out(actions.revoke_invitation(invitation))
