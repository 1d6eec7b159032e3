"""Folder users (tab "Utilisateurs"): list, add and invite, change role, remove access, resend or revoke invitations."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collecte.tenancy import access, actions
from collecte.tenancy.models import FolderMember, Invitation
from collecte.web.forms import FolderUserForm, MemberManageForm, posted


@login_required
def member_list(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id, manage=True)
    folder = folder_access.folder
    members = (FolderMember.objects.active().filter(folder=folder).select_related("user")
               .prefetch_related(Prefetch("invitations", queryset=Invitation.objects.order_by("-created_at"))))
    return render(request, "web/member_list.html", {"folder": folder, "access": folder_access, "tab": "users",
                                                    "members": members, "role_help": FolderMember.ROLE_HELP})


@login_required
def member_add(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id, manage=True)
    folder = folder_access.folder
    form = FolderUserForm(posted(request), folder=folder, initial={"by_email": True})
    if request.method == "POST" and form.is_valid():
        data = actions.NewFolderUser(**{k: form.cleaned_data[k] for k in (
            "email", "first_name", "last_name", "phone", "role", "employee_code", "can_self_submit_expenses",
            "by_email", "by_sms")})
        try:
            member, _invitation = actions.add_folder_user(folder, data, added_by=request.user)
        except actions.TenancyError as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(request, _("%(name)s est ajouté au dossier et invité.") % {"name": member.user})
            return redirect("member-list", folder.pk)
    return render(request, "web/member_add.html", {"folder": folder, "access": folder_access, "tab": "users",
                                                   "form": form, "role_help": FolderMember.ROLE_HELP})


@login_required
def member_manage(request, folder_id, member_id):
    folder_access, member = access.get_member_for_manager(request.user, folder_id, member_id)
    form = MemberManageForm(posted(request), instance=member)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Le rôle de %(name)s est enregistré.") % {"name": member.user})
        return redirect("member-list", folder_id)
    return render(request, "web/member_manage.html", {"folder": folder_access.folder, "access": folder_access,
                                                      "tab": "users", "member": member, "form": form,
                                                      "role_help": FolderMember.ROLE_HELP})


@login_required
@require_POST
def member_remove(request, folder_id, member_id):
    _access, member = access.get_member_for_manager(request.user, folder_id, member_id)
    actions.remove_member(member)
    messages.success(request, _("%(name)s n'a plus accès au dossier ; ses documents restent.") % {"name": member.user})
    return redirect("member-list", folder_id)


@login_required
@require_POST
def member_reinvite(request, folder_id, member_id):
    _access, member = access.get_member_for_manager(request.user, folder_id, member_id)
    pending = member.invitations.pending().first()
    if pending:
        actions.resend_invitation(pending)
    else:
        actions.invite(member, request.user, by_email=True, by_sms=bool(member.user.phone) and
                       request.POST.get("by_sms") == "on")
    messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": member.user.email})
    return redirect("member-list", folder_id)


@login_required
@require_POST
def invitation_revoke(request, invitation_id):
    folder_access, invitation = access.get_invitation_for_manager(request.user, invitation_id)
    try:
        actions.revoke_invitation(invitation)
        messages.success(request, _("L'invitation de %(email)s est annulée.") % {"email": invitation.email})
    except actions.TenancyError as exc:
        messages.error(request, exc.message)
    return redirect("member-list", folder_access.folder.pk)
