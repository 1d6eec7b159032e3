"""The page an invited person opens: choose a password (or confirm an existing one) and land in the folder."""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import PasswordResetForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from collecte.accounts.passwords import send_password_link
from collecte.tenancy import actions
from collecte.web.forms import AcceptInvitationForm, ExistingAccountForm, posted


def accept(request, token):
    try:
        invitation = actions.invitation_from_link(token)
    except actions.InvitationProblem as problem:
        return _problem(request, problem)
    user = invitation.member.user
    if not user.has_usable_password() and not actions.may_choose_password(invitation):
        return _account_needs_its_own_password(request, invitation)
    existing = user.has_usable_password()
    form_class = ExistingAccountForm if existing else AcceptInvitationForm
    form = form_class(posted(request), user=user, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.accept_invitation(invitation, None if existing else form.cleaned_data["password1"])
        except actions.InvitationProblem as problem:
            return _problem(request, problem)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("folder-detail", invitation.member.folder_id)
    return render(request, "web/invitation_accept.html", {"invitation": invitation, "form": form,
                                                          "existing": existing, "folder": invitation.member.folder})


def _problem(request, problem):
    return render(request, "web/invitation_problem.html", {"problem": problem, "invitation": problem.invitation},
                  status=410)


def _account_needs_its_own_password(request, invitation):
    """The account exists (another folder or firm created it) and has no password yet: this link may not choose
    one. A password link goes to the account's own address; then this invitation is confirmed with it."""
    if request.method == "POST":
        form = PasswordResetForm({"email": invitation.member.user.email})
        if form.is_valid():
            send_password_link(form, request)
        messages.success(request, _("Un lien pour choisir votre mot de passe vient d'être envoyé à %(email)s. "
                                    "Revenez ensuite sur cette invitation.") % {"email": invitation.email})
    return render(request, "web/invitation_set_password_first.html",
                  {"invitation": invitation, "folder": invitation.member.folder})
