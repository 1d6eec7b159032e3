"""Emails of the expense report flow: approvers hear of a report to decide, the employee of the decision. Sent after
the transaction commits (a refused approval sends nothing), in each recipient's language, through the product's
mail (the outbox when no relay is configured)."""
from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from collecte.outbound.backends import context_headers
from collecte.tenancy.models import FolderMember, Membership


def _approvers(report) -> list:
    """The folder's admins and approvers other than the employee; the firm's owners when the folder has none."""
    members = (FolderMember.objects.active().filter(folder_id=report.folder_id)
               .filter(role__in=(FolderMember.Role.ADMIN, FolderMember.Role.APPROVER))
               .exclude(user_id=report.member.user_id).select_related("user"))
    users = [m.user for m in members]
    if not users:
        users = [m.user for m in Membership.objects.filter(firm_id=report.folder.firm_id, role=Membership.Role.OWNER)
                 .exclude(user_id=report.member.user_id).select_related("user")]
    return [u for u in users if u.is_active and u.email]


def _send(report, user, template, context):
    folder = report.folder
    context = {**context, "report": report, "folder": folder, "recipient": user,
               "link": settings.BASE_URL + reverse("expense-report", args=[report.pk])}
    with translation.override(getattr(user, "language", "") or folder.language):
        subject = render_to_string(f"expenses/{template}_subject.txt", context).strip()
        body = render_to_string(f"expenses/{template}_email.txt", context)
    EmailMessage(subject, body, to=[user.email], headers=context_headers(firm=folder.firm, folder=folder)).send()


def report_submitted(report) -> None:
    def send():
        employee = report.member.user
        for user in _approvers(report):
            _send(report, user, "report_submitted", {"employee": employee, "total": report_total(report)})

    transaction.on_commit(send)


def report_decided(report) -> None:
    def send():
        employee = report.member.user
        if employee.is_active and employee.email:
            _send(report, employee, "report_decided", {"decider": report.decided_by, "total": report_total(report)})

    transaction.on_commit(send)


def report_total(report) -> str:
    from collecte.ledger.templatetags.ledger_tags import money

    return ", ".join(money(amount, currency) for currency, amount in report.totals()) or "—"
