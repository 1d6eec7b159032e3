"""The folder's message log ("Messages reçus"): everything that arrived, what became of it, and why."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collecte.intake import actions
from collecte.intake.models import Document, InboundMessage
from collecte.tenancy import access

PAGE_SIZE = 50


def with_details(messages_qs):
    """Everything a log entry shows, in a fixed number of queries whatever the number of messages."""
    documents = Document.objects.select_related("duplicate_of").order_by("pk")
    return (messages_qs.select_related("uploaded_by", "member__user")
            .prefetch_related(Prefetch("documents", queryset=documents), "documents__invoices"))


@login_required
def message_log(request, folder_id):
    folder_access = access.get_folder_access(request.user, folder_id)
    status = request.GET.get("status", "")
    found = access.visible_messages(folder_access)
    if status in InboundMessage.Status.values:
        found = found.filter(status=status)
    else:
        status = ""
    page = Paginator(with_details(found), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/message_log.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "messages", "page": page,
        "status": status, "statuses": InboundMessage.Status.choices})


@login_required
def message_detail(request, message_id):
    folder_access, message = access.get_message_for_user(request.user, message_id)
    message = with_details(InboundMessage.objects.filter(pk=message.pk)).get()
    return render(request, "web/message_detail.html", {
        "folder": folder_access.folder, "access": folder_access, "tab": "messages", "message": message,
        "rows": [message]})


@login_required
def message_raw(request, message_id):
    """The message exactly as it arrived (an .eml), or the uploaded file itself. Managers only: it may hold
    other people's addresses and text that the log does not show."""
    _access, message = access.get_message_for_user(request.user, message_id, manage=True)
    filename, content_type = actions.raw_download(message)
    return FileResponse(default_storage.open(message.raw, "rb"), as_attachment=True, filename=filename,
                        content_type=content_type)


@login_required
@require_POST
def message_retry(request, message_id):
    _access, message = access.get_message_for_user(request.user, message_id, manage=True)
    try:
        actions.retry_message(message)
    except actions.IntakeError as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, _("Le message est remis en traitement."))
    return redirect("message-detail", message.pk)


@login_required
@require_POST
def message_release(request, message_id):
    """Accept a message the sender policy held: its sender was unknown, a manager vouches for it."""
    _access, message = access.get_message_for_user(request.user, message_id, manage=True)
    try:
        actions.release_message(message, request.user)
    except actions.IntakeError as error:
        messages.warning(request, error.message)
    else:
        messages.success(request, _("Le message est accepté et passe en traitement."))
    return redirect("message-detail", message.pk)
