"""The client-folder wizard: company, collaborators (skipped when the firm has none), client invitation, confirmation.

The answers live in the session until the confirmation step, where everything is created in one transaction.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from collecte.tenancy import access, actions
from collecte.tenancy.models import FolderMember
from collecte.tenancy.sectors import NAF_SECTIONS
from collecte.web.forms import ClientStepForm, CollaboratorsStepForm, CompanyStepForm, collaborators_of, posted

SESSION_KEY = "folder_wizard"
STEPS = ["company", "collaborators", "client", "confirm"]


def _state(request):
    return request.session.setdefault(SESSION_KEY, {})


def _save(request, **values):
    state = _state(request)
    state.update(values)
    request.session.modified = True


def _steps_for(membership):
    has_collaborators = collaborators_of(membership.firm).exists()
    return [s for s in STEPS if s != "collaborators" or has_collaborators]


def _next(membership, step):
    steps = _steps_for(membership)
    return steps[steps.index(step) + 1]


def _previous(membership, step):
    steps = _steps_for(membership)
    index = steps.index(step)
    return steps[index - 1] if index else None


@login_required
def start(request):
    access.require_firm_staff(request.user)
    request.session[SESSION_KEY] = {}
    return redirect("folder-wizard", "company")


@login_required
def step(request, step):
    membership = access.require_firm_staff(request.user)
    steps = _steps_for(membership)
    if step not in steps:
        return redirect("folder-wizard", steps[0])
    state = _state(request)
    if step != "company" and not state.get("name"):
        return redirect("folder-wizard", "company")
    handler = {"company": _company, "collaborators": _collaborators, "client": _client, "confirm": _confirm}[step]
    return handler(request, membership, state)


def _render(request, membership, step, context):
    steps = _steps_for(membership)
    context.update(step=step, steps=steps, step_number=steps.index(step) + 1, step_count=len(steps),
                   previous=_previous(membership, step))
    return render(request, "web/wizard.html", context)


def _company(request, membership, state):
    form = CompanyStepForm(posted(request), initial=state)
    if request.method == "POST" and form.is_valid():
        _save(request, **form.cleaned_data)
        return redirect("folder-wizard", _next(membership, "company"))
    return _render(request, membership, "company", {"form": form})


def _collaborators(request, membership, state):
    initial = {"all_collaborators": state.get("all_collaborators", False),
               "collaborators": state.get("collaborator_ids", [])}
    form = CollaboratorsStepForm(posted(request), initial=initial, firm=membership.firm)
    if request.method == "POST" and form.is_valid():
        _save(request, all_collaborators=form.cleaned_data["all_collaborators"],
              collaborator_ids=[m.pk for m in form.cleaned_data["collaborators"]])
        return redirect("folder-wizard", "client")
    return _render(request, membership, "collaborators", {"form": form})


def _client(request, membership, state):
    form = ClientStepForm(posted(request), initial=state.get("client") or {"invite": "now", "by_email": True})
    if request.method == "POST" and form.is_valid():
        _save(request, client=form.cleaned_data)
        return redirect("folder-wizard", "confirm")
    return _render(request, membership, "client", {"form": form})


def _chosen_collaborators(membership, state):
    everyone = collaborators_of(membership.firm)
    if state.get("all_collaborators"):
        return list(everyone)
    return list(everyone.filter(pk__in=state.get("collaborator_ids", [])))


def _confirm(request, membership, state):
    client = state.get("client") or {}
    inviting = client.get("invite") == "now"
    # Only folders this person may see are named: another firm's client list is not ours to reveal.
    visible = access.visible_folders(request.user).values("pk")
    other_folders = list(actions.other_folders_of(client["email"], None).filter(pk__in=visible)) if inviting else []
    collaborators = _chosen_collaborators(membership, state)
    if request.method == "POST":
        if other_folders and request.POST.get("decision") != "invite_additional":
            messages.info(request, _("Invitation annulée : modifiez ou passez l'étape client."))
            return redirect("folder-wizard", "client")
        folder = _create(request, membership, state, collaborators, client if inviting else None)
        request.session.pop(SESSION_KEY, None)
        if inviting:
            messages.success(request, _("Le dossier %(name)s est créé et %(email)s est invité.")
                             % {"name": folder.name, "email": client["email"]})
        else:
            messages.success(request, _("Le dossier %(name)s est créé. Ses adresses dédiées fonctionnent déjà ; "
                                        "vous pourrez inviter le client plus tard.") % {"name": folder.name})
        return redirect("folder-detail", folder.pk)
    context = {"state": state, "client": client, "inviting": inviting, "other_folders": other_folders,
               "collaborators": collaborators, "firm": membership.firm,
               "sector_label": dict(NAF_SECTIONS).get(state.get("sector", ""), "")}
    return _render(request, membership, "confirm", context)


@transaction.atomic
def _create(request, membership, state, collaborators, client):
    folder = actions.create_client_folder(membership, state["name"], state.get("sector", ""), collaborators,
                                          created_by=request.user)
    if client:
        actions.add_folder_user(folder, actions.NewFolderUser(
            email=client["email"], first_name=client["first_name"], last_name=client["last_name"],
            phone=client.get("phone", ""), role=FolderMember.Role.ADMIN,
            by_email=client.get("by_email", True), by_sms=client.get("by_sms", False)), added_by=request.user)
    return folder
