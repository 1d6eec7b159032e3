"""The firm page ("Cabinet"): its defaults for new folders, and its staff. Owners manage; collaborators read."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from collecte.tenancy import access, actions
from collecte.tenancy.models import Membership
from collecte.web.forms import FirmSettingsForm, StaffForm, posted


@login_required
def firm_page(request):
    membership = access.require_firm_staff(request.user)
    firm = membership.firm
    settings_form = FirmSettingsForm(posted(request) if "save_settings" in request.POST else None, instance=firm)
    staff_form = StaffForm(posted(request) if "add_staff" in request.POST else None)
    if request.method == "POST":
        if not membership.is_owner:
            raise PermissionDenied("Only the firm's owners manage it")
        if "save_settings" in request.POST and settings_form.is_valid():
            settings_form.save()
            messages.success(request, _("Les paramètres du cabinet sont enregistrés. Ils s'appliquent aux "
                                        "prochains dossiers créés."))
            return redirect("firm")
        if "add_staff" in request.POST and staff_form.is_valid():
            try:
                added = actions.add_staff_member(firm, added_by=request.user, **staff_form.cleaned_data)
            except actions.TenancyError as exc:
                staff_form.add_error("email", exc.message)
            else:
                messages.success(request, _("%(email)s a rejoint le cabinet et reçoit un lien pour choisir son mot "
                                            "de passe.") % {"email": added.user.email})
                return redirect("firm")
    staff = Membership.objects.filter(firm=firm).select_related("user").prefetch_related("assigned_folders")
    return render(request, "web/firm.html", {"firm": firm, "membership": membership, "staff": staff,
                                             "settings_form": settings_form, "staff_form": staff_form})
