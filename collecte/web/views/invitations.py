"""The page an invited person opens: choose a password (or confirm an existing one) and land in the folder."""
from django.contrib.auth import login
from django.shortcuts import redirect, render

from collecte.tenancy import actions
from collecte.web.forms import AcceptInvitationForm, ExistingAccountForm, posted


def accept(request, token):
    try:
        invitation = actions.invitation_from_link(token)
    except actions.InvitationProblem as problem:
        return render(request, "web/invitation_problem.html", {"problem": problem,
                                                               "invitation": problem.invitation}, status=410)
    user = invitation.member.user
    existing = user.has_usable_password()
    form_class = ExistingAccountForm if existing else AcceptInvitationForm
    form = form_class(posted(request), user=user, request=request)
    if request.method == "POST" and form.is_valid():
        user = actions.accept_invitation(invitation, None if existing else form.cleaned_data["password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("folder-detail", invitation.member.folder_id)
    return render(request, "web/invitation_accept.html", {"invitation": invitation, "form": form,
                                                          "existing": existing, "folder": invitation.member.folder})
