"""The outbox: emails and SMS collecte sent or kept, for the people who manage the folders concerned."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render

from collecte.outbound.models import OutboxMessage
from collecte.tenancy import access
from collecte.tenancy.models import Membership


def visible_outbox(user):
    if user.is_staff:
        return OutboxMessage.objects.all()
    owned_firms = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values("firm")
    return OutboxMessage.objects.filter(
        Q(folder__in=access.manageable_folders(user)) | Q(firm__in=owned_firms, folder__isnull=True))


def can_open_outbox(user):
    """Support staff, firm owners, and whoever manages at least one folder."""
    return (user.is_staff or Membership.objects.filter(user=user, role=Membership.Role.OWNER).exists()
            or access.manageable_folders(user).exists())


@login_required
def outbox(request):
    if not can_open_outbox(request.user):
        raise Http404("The outbox is for folder administrators")
    messages = visible_outbox(request.user)
    page = Paginator(messages.select_related("folder"), 30).get_page(request.GET.get("page"))
    return render(request, "web/outbox.html", {"page": page})
