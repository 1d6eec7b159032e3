"""Mes clients, the folder page with its dedicated addresses, and the folder's settings."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collecte.tenancy import access, actions
from collecte.web.forms import FolderSettingsForm, posted


@login_required
def home(request):
    return redirect("folder-list")


@login_required
def folder_list(request):
    query = request.GET.get("q", "").strip()
    folders = access.visible_folders(request.user).select_related("firm")
    if query:
        # A pasted dedicated address finds its folder by its token; the slug (`<name>-achats`…) would match all.
        token = query.lower().rpartition("@")[0].rsplit(".", 1)[-1] if "@" in query else query.lower()
        folders = folders.filter(Q(name__icontains=query) | Q(addresses__token=token)).distinct()
    page = Paginator(folders.order_by("name"), 50).get_page(request.GET.get("page"))
    context = {"page": page, "query": query, "membership": access.primary_membership(request.user)}
    # htmx asks for the rows only while the user types in the search box.
    template = "web/folder_rows.html" if request.headers.get("HX-Request") else "web/folder_list.html"
    return render(request, template, context)


@login_required
def folder_detail(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id)
    folder = folder_access.folder
    context = {"folder": folder, "access": folder_access, "tab": "addresses",
               "addresses": folder.folder_addresses(),
               "personal": folder_access.member.personal_address() if folder_access.member else None}
    return render(request, "web/folder_detail.html", context)


@login_required
@require_POST
def regenerate_address(request, folder_id, address_id):
    _access, address = access.get_address_to_regenerate(request.user, folder_id, address_id)
    new = actions.regenerate_address(address)
    messages.success(request, _("Nouvelle adresse : %(new)s. L'ancienne ne reçoit plus rien.") % {"new": new.email})
    return redirect("folder-detail", folder_id)


@login_required
def folder_settings(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id, manage=True)
    form = FolderSettingsForm(posted(request), instance=folder_access.folder)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Les paramètres du dossier sont enregistrés."))
        return redirect("folder-settings", folder_id)
    return render(request, "web/folder_settings.html",
                  {"folder": folder_access.folder, "access": folder_access, "form": form, "tab": "settings"})
