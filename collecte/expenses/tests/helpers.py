"""Receipts that arrive the way real ones do: a PDF drawn in code, mailed to a folder user's personal address (or
uploaded on the expenses page) and read by extraction inline (huey runs jobs immediately in tests)."""
from datetime import date
from decimal import Decimal as D

from django.core.files.uploadedfile import SimpleUploadedFile

from collecte.expenses import actions
from collecte.expenses.models import ExpenseReceipt
from collecte.ledger.tests.helpers import invoice_pdf
from collecte.tenancy import access
from collecte.web.tests.intake_helpers import invoice_mail, receive

MERCHANT = ("Hôtel du Parc SARL", "4 place Bellecour", "69002 Lyon")


def receipt_pdf(number="H-2024-311", issue=date(2024, 3, 12), net=D("100.00")) -> bytes:
    """A hotel bill: 100.00 + 20 % VAT = 120.00, issued by MERCHANT."""
    return invoice_pdf(number=number, issue=issue, net=net, seller=MERCHANT)


def mail_receipt(member, content=None, filename="hotel.pdf", **drawn):
    """An email with one PDF to the member's personal address, through the real intake; the message row."""
    raw = invoice_mail((filename, content or receipt_pdf(**drawn), "application/pdf"), subject="Justificatif")
    return receive(member.folder, raw, member=member)


def upload_receipt(user, folder, content=None, filename="ticket.pdf", **drawn):
    """An upload on the expenses page as `user`; the receipt extraction made of it."""
    found = access.get_expense_access(user, folder.pk, create=True)
    message = actions.upload_receipt(found, SimpleUploadedFile(filename, content or receipt_pdf(**drawn)))
    return ExpenseReceipt.objects.get(document__message=message)


def allow_expenses(member, employee_code=""):
    member.can_self_submit_expenses, member.employee_code = True, employee_code
    member.save()
    return member
