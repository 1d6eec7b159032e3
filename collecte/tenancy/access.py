"""Who may see and do what. Views, the API and jobs look tenant data up through these functions only.

Firm owner: every folder of the firm. Collaborator: the folders assigned to them. Folder admin: everything in
the folder. Approver: all the folder's documents, approves expense reports. Standard user: only what they
submitted. Anyone else gets a 404: we do not confirm that a folder exists.
"""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from .models import ClientFolder, Firm, FolderMember, IntakeAddress, Invitation, Membership


@dataclass(frozen=True)
class FolderAccess:
    """What one user may do in one folder."""

    folder: ClientFolder
    user: object
    firm_membership: Membership | None
    member: FolderMember | None

    @property
    def is_firm_owner(self):
        return bool(self.firm_membership and self.firm_membership.is_owner)

    @property
    def is_firm_staff(self):
        return self.firm_membership is not None

    @property
    def member_role(self):
        return self.member.role if self.member else None

    @property
    def can_manage(self):
        """Settings, users, addresses: firm staff with access and folder admins."""
        return self.is_firm_staff or self.member_role == FolderMember.Role.ADMIN

    @property
    def can_see_all_documents(self):
        return self.can_manage or self.member_role == FolderMember.Role.APPROVER

    @property
    def can_approve_expenses(self):
        return self.can_see_all_documents

    @property
    def can_create_expense_reports(self):
        """Only a folder user has receipts of their own (firm staff without a member row have none)."""
        return self.member is not None and may_create_expense_reports(self.member)

    @property
    def role_label(self):
        if self.firm_membership:
            return self.firm_membership.get_role_display()
        return self.member.get_role_display()


def firm_memberships(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("firm")


def primary_membership(user):
    """The firm a staff member works in (the first one when they belong to several)."""
    return firm_memberships(user).order_by("created_at").first()


def visible_folders(user):
    """Every folder the user may open, as a queryset."""
    if not user.is_authenticated or not user.is_active:
        return ClientFolder.objects.none()
    member_of = FolderMember.objects.active().filter(user=user, folder=OuterRef("pk"))
    return ClientFolder.objects.filter(_staff_condition(user) | Exists(member_of)).distinct()


def _staff_condition(user):
    """Folders open to the user as firm staff: all of an owner's firm, the assigned ones of a collaborator."""
    owner_of = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values("firm")
    assigned = Membership.objects.filter(user=user, role=Membership.Role.COLLABORATOR, assigned_folders=OuterRef("pk"))
    return Q(firm__in=owner_of) | Exists(assigned)


def folder_access(user, folder):
    """The user's access to a folder, or None when they have none."""
    if not user.is_authenticated or not user.is_active:
        return None
    membership = Membership.objects.filter(user=user, firm_id=folder.firm_id).first()
    if membership and not membership.is_owner and not folder.collaborators.filter(pk=membership.pk).exists():
        membership = None
    member = FolderMember.objects.active().filter(user=user, folder=folder).first()
    if membership is None and member is None:
        return None
    return FolderAccess(folder=folder, user=user, firm_membership=membership, member=member)


def get_folder_access(user, folder_id, manage=False):
    """Look a folder up within the user's reach: 404 for outsiders, 403 for a lower role asking to manage."""
    folder = ClientFolder.objects.select_related("firm").filter(pk=folder_id).first()
    access = folder_access(user, folder) if folder else None
    if access is None:
        raise Http404("No such folder")
    if manage and not access.can_manage:
        raise PermissionDenied("Managing this folder needs the admin role")
    return access


def get_member_for_manager(user, folder_id, member_id):
    access = get_folder_access(user, folder_id, manage=True)
    member = (FolderMember.objects.active().select_related("user", "folder")
              .filter(pk=member_id, folder=access.folder).first())
    if member is None:
        raise Http404("No such folder user")
    return access, member


def get_invitation_for_manager(user, invitation_id):
    invitation = Invitation.objects.select_related("member__folder", "member__user").filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    access = get_folder_access(user, invitation.member.folder_id, manage=True)
    return access, invitation


def get_address_to_regenerate(user, folder_id, address_id):
    """Managers may regenerate any address of the folder; a folder user, their own personal one."""
    folder_access = get_folder_access(user, folder_id)
    address = IntakeAddress.objects.active().filter(pk=address_id, folder=folder_access.folder).first()
    if address is None:
        raise Http404("No such address")
    own = folder_access.member is not None and address.member_id == folder_access.member.pk
    if not (folder_access.can_manage or own):
        raise PermissionDenied("Only managers may regenerate the folder's addresses")
    return folder_access, address


def require_firm_staff(user):
    """The membership a folder creator acts through; 404 for people who are not firm staff."""
    membership = primary_membership(user)
    if membership is None:
        raise Http404("Not a member of a firm")
    return membership


def manageable_folders(user):
    """Folders whose settings and users the user may manage (staff with access, folder admins)."""
    admin_of = FolderMember.objects.active().filter(user=user, folder=OuterRef("pk"), role=FolderMember.Role.ADMIN)
    return ClientFolder.objects.filter(_staff_condition(user) | Exists(admin_of)).distinct()


def visible_firms(user):
    return Firm.objects.filter(memberships__user=user)


# --- what arrived in a folder: messages (the intake log) and their documents -----------------------------------

def _own_submissions(folder_access_, member_field, user_field):
    """A standard user's own things: sent to their personal address, or uploaded by them.

    A staff member without a folder-member row has no member; `Q(member=None)` would then match every message
    without one, so the member condition is only added when there is a member."""
    condition = Q(**{user_field: folder_access_.user})
    if folder_access_.member is not None:
        condition |= Q(**{member_field: folder_access_.member})
    return condition


def visible_messages(folder_access_):
    """The folder's inbound messages the user may see: all of them, or a standard user's own."""
    from collecte.intake.models import InboundMessage

    messages = InboundMessage.objects.filter(folder=folder_access_.folder)
    hidden = hidden_receivables(folder_access_)
    if hidden is not None:
        messages = messages.exclude(documents__invoices__in=hidden)
    if folder_access_.can_see_all_documents:
        return messages
    return messages.filter(_own_submissions(folder_access_, "member", "uploaded_by"))


def visible_documents(folder_access_):
    """The folder's documents the user may see: all of them, or what a standard user submitted."""
    from collecte.intake.models import Document

    documents = Document.objects.filter(folder=folder_access_.folder)
    hidden = hidden_receivables(folder_access_)
    if hidden is not None:
        documents = documents.exclude(invoices__in=hidden)
    if folder_access_.can_see_all_documents:
        return documents
    return documents.filter(_own_submissions(folder_access_, "submitted_by", "message__uploaded_by"))


def _get_visible(user, model, object_id, visible):
    """(access, object) for an object of a folder, looked up within what the user may see; 404 otherwise."""
    folder_id = model.objects.filter(pk=object_id).values_list("folder_id", flat=True).first()
    if folder_id is None:
        raise Http404(f"No such {model._meta.model_name}")
    folder_access_ = get_folder_access(user, folder_id)
    found = visible(folder_access_).filter(pk=object_id).first()
    if found is None:
        raise Http404(f"No such {model._meta.model_name}")
    return folder_access_, found


def get_message_for_user(user, message_id, manage=False):
    """(access, message) for a message the user may see; 404 otherwise. `manage` (raw download, retry) needs the
    admin role: 403 for a folder user looking at a message they may see but not manage."""
    from collecte.intake.models import InboundMessage

    folder_access_, message = _get_visible(user, InboundMessage, message_id, visible_messages)
    if manage and not folder_access_.can_manage:
        raise PermissionDenied("Managing messages needs the admin role")
    return folder_access_, message


def get_document_for_user(user, document_id):
    """(access, document) for a document the user may see; 404 otherwise."""
    from collecte.intake.models import Document

    return _get_visible(user, Document, document_id, visible_documents)


def visible_forwarding_confirmations(folder_access_):
    """Forwarding confirmations for the folder's banner: all of them for managers; for anyone else only those sent
    to their own personal address (the forwarding they are setting up themselves)."""
    from collecte.intake.models import InboundMessage

    confirmations = InboundMessage.objects.filter(folder=folder_access_.folder,
                                                  status=InboundMessage.Status.FORWARDING)
    if folder_access_.can_manage:
        return confirmations
    if folder_access_.member is None:
        return confirmations.none()
    return confirmations.filter(member=folder_access_.member)


# --- invoices: what the review produced ---------------------------------------------------------------------------

def visible_invoices(folder_access_):
    """The folder's invoices the user may see. Approvers and managers: all; a standard user: what they submitted.
    With the folder's access restriction on, non-admin users see the receivables (validated sales) of the
    customers assigned to them only; pending and rejected ones stay visible so that anyone may validate them."""
    from collecte.ledger.models import SALES, Invoice

    invoices = Invoice.objects.filter(folder=folder_access_.folder)
    if not folder_access_.can_see_all_documents:
        invoices = invoices.filter(_own_submissions(folder_access_, "submitted_by", "created_by"))
    if _receivables_restricted(folder_access_):
        invoices = invoices.filter(~Q(direction=SALES) | ~Q(status__in=Invoice.VALIDATED)
                                   | Q(counterparty__in=_assigned_customers(folder_access_)))
    return invoices


def _receivables_restricted(folder_access_):
    return folder_access_.folder.restrict_receivables and not folder_access_.can_manage


def sees_all_invoices(folder_access_) -> bool:
    """Does visible_invoices() give this user every invoice of the folder? Then what is computed from them may be
    shared with every other such user (a cached matcher or figures)."""
    return folder_access_.can_see_all_documents and not _receivables_restricted(folder_access_)


def _assigned_customers(folder_access_):
    from collecte.ledger.models import Counterparty

    if folder_access_.member is None:
        return Counterparty.objects.none().values("pk")
    return Counterparty.objects.filter(assigned_to=folder_access_.member).values("pk")


def hidden_receivables(folder_access_):
    """The validated sales invoices the folder's access restriction hides from this user, or None when it hides
    none. Their documents and messages are hidden with them: a receivable is not read through its PDF instead."""
    from collecte.ledger.models import SALES, Invoice

    if not _receivables_restricted(folder_access_):
        return None
    return (Invoice.objects.filter(folder=folder_access_.folder, direction=SALES, status__in=Invoice.VALIDATED)
            .exclude(counterparty__in=_assigned_customers(folder_access_)))


def get_invoice_for_user(user, invoice_id, manage=False):
    """(access, invoice) for an invoice the user may see; 404 otherwise. `manage` (delete, folder-wide settings)
    needs the admin role, or being the one who submitted a still pending invoice."""
    from collecte.ledger.models import Invoice

    folder_access_, invoice = _get_visible(user, Invoice, invoice_id, visible_invoices)
    if manage and not folder_access_.can_manage:
        own = invoice.created_by_id == user.pk or (folder_access_.member is not None
                                                   and invoice.submitted_by_id == folder_access_.member.pk)
        if not (own and not invoice.is_validated):
            raise PermissionDenied("Deleting this invoice needs the admin role")
    return folder_access_, invoice


def visible_counterparties(folder_access_):
    """The folder's suppliers and customers the user may see: all of them for managers; for an approver, all but the
    customers not assigned to them when receivables are restricted; for a standard user, those of the invoices
    they submitted."""
    from collecte.ledger.models import Counterparty

    counterparties = Counterparty.objects.filter(folder=folder_access_.folder)
    if folder_access_.can_manage:
        return counterparties
    if not folder_access_.can_see_all_documents:
        return counterparties.filter(pk__in=visible_invoices(folder_access_).values("counterparty"))
    if folder_access_.folder.restrict_receivables:
        assigned = Q(assigned_to=folder_access_.member) if folder_access_.member else Q(pk__in=[])
        return counterparties.filter(Q(is_customer=False) | Q(is_supplier=True) | assigned).distinct()
    return counterparties


def get_counterparty_for_user(user, counterparty_id, manage=False):
    """(access, counterparty) among those the user may see; 404 otherwise. Assigning users to it (`manage`) needs
    the admin role."""
    from collecte.ledger.models import Counterparty

    folder_access_, counterparty = _get_visible(user, Counterparty, counterparty_id, visible_counterparties)
    if manage and not folder_access_.can_manage:
        raise PermissionDenied("Assigning customers needs the admin role")
    return folder_access_, counterparty


def get_forecast_access(user, folder_id):
    """The treasury forecast is the folder's whole money picture: approvers, admins and firm staff (403 for a
    standard user). Its figures come from the invoices the user sees (the access restriction applies)."""
    folder_access_ = get_folder_access(user, folder_id)
    if not folder_access_.can_see_all_documents:
        raise PermissionDenied("The forecast needs the approver or admin role")
    return folder_access_


def get_bank_access(user, folder_id, manage=False):
    """Bank accounts and statements: approvers, admins and firm staff see and import them (403 for a standard
    user); adding an account (`manage`) needs the admin role."""
    folder_access_ = get_folder_access(user, folder_id, manage=manage)
    if not folder_access_.can_see_all_documents:
        raise PermissionDenied("Bank accounts need the approver or admin role")
    return folder_access_


def get_bank_account_for_user(user, account_id):
    from collecte.ledger.models import BankAccount

    folder_id = BankAccount.objects.filter(pk=account_id).values_list("folder_id", flat=True).first()
    if folder_id is None:
        raise Http404("No such bank account")
    folder_access_ = get_bank_access(user, folder_id)
    return folder_access_, BankAccount.objects.get(pk=account_id)


def get_bank_transaction_for_user(user, transaction_id):
    """(access, transaction) for reconciling: whoever sees the folder's bank (approvers, admins, firm staff)."""
    from collecte.ledger.models import BankTransaction

    folder_id = BankTransaction.objects.filter(pk=transaction_id).values_list("folder_id", flat=True).first()
    if folder_id is None:
        raise Http404("No such bank transaction")
    folder_access_ = get_bank_access(user, folder_id)
    return folder_access_, BankTransaction.objects.select_related("account").get(pk=transaction_id)



def get_accounting_access(user, folder_id, manage=False):
    """The export and the chart are the folder's whole books: approvers, admins and firm staff (403 for a standard
    user, 404 for outsiders). `manage` (editing the chart) needs the admin role: 403 for an approver."""
    folder_access_ = get_folder_access(user, folder_id, manage=manage)
    if not folder_access_.can_see_all_documents:
        raise PermissionDenied("Accounting needs the approver or admin role")
    return folder_access_


def get_ledger_account_for_user(user, account_id, manage=False):
    """(access, account) of a chart the user may read; 404 when the account is not in a folder they see."""
    from collecte.ledger.models import LedgerAccount

    folder_id = LedgerAccount.objects.filter(pk=account_id).values_list("folder_id", flat=True).first()
    if folder_id is None:
        raise Http404("No such account")
    folder_access_ = get_accounting_access(user, folder_id, manage=manage)
    return folder_access_, LedgerAccount.objects.get(pk=account_id)


# --- expense reports: an employee's receipts and reports, decided by an approver -------------------------------

def may_create_expense_reports(member):
    """Folder admins and approvers for themselves; a standard user when allowed to (`can_self_submit_expenses`).
    Anyone else's receipts stay purchase invoices waiting for review, as before expense reports existed."""
    if member is None or not member.is_active:
        return False
    return member.can_self_submit_expenses or member.role in (FolderMember.Role.ADMIN, FolderMember.Role.APPROVER)


def get_expense_access(user, folder_id, create=False):
    """The folder's expenses page: every folder user (404 for outsiders); `create` (upload a receipt, create a
    report) needs the right to create expense reports: 403 otherwise."""
    folder_access_ = get_folder_access(user, folder_id)
    if create and not folder_access_.can_create_expense_reports:
        raise PermissionDenied("Creating expense reports is not allowed for this user")
    return folder_access_


def _own_expenses(folder_access_, rows):
    if folder_access_.can_approve_expenses:
        return rows
    if folder_access_.member is None:
        return rows.none()
    return rows.filter(member=folder_access_.member)


def visible_expense_receipts(folder_access_):
    """All of the folder's receipts for approvers, admins and firm staff; a standard user's own otherwise."""
    from collecte.expenses.models import ExpenseReceipt

    return _own_expenses(folder_access_, ExpenseReceipt.objects.filter(folder=folder_access_.folder))


def visible_expense_reports(folder_access_):
    from collecte.expenses.models import ExpenseReport

    return _own_expenses(folder_access_, ExpenseReport.objects.filter(folder=folder_access_.folder))


def _is_own(folder_access_, row):
    return folder_access_.member is not None and row.member_id == folder_access_.member.pk


def get_expense_receipt_for_user(user, receipt_id, edit=False):
    """(access, receipt) among those the user may see; 404 otherwise. Only its employee edits it (`edit`): 403 for
    an approver looking at someone else's."""
    from collecte.expenses.models import ExpenseReceipt

    folder_access_, receipt = _get_visible(user, ExpenseReceipt, receipt_id, visible_expense_receipts)
    if edit and not _is_own(folder_access_, receipt):
        raise PermissionDenied("Only the employee edits their receipts")
    return folder_access_, receipt


def get_expense_report_for_user(user, report_id, edit=False, decide=False):
    """(access, report) among those the user may see; 404 otherwise. `edit` (title, code, receipts, submit) is for
    its employee only; `decide` (approve, reject) needs the approver role or above: 403 otherwise."""
    from collecte.expenses.models import ExpenseReport

    folder_access_, report = _get_visible(user, ExpenseReport, report_id, visible_expense_reports)
    if edit and not _is_own(folder_access_, report):
        raise PermissionDenied("Only the employee edits their expense report")
    if decide and not folder_access_.can_approve_expenses:
        raise PermissionDenied("Deciding on expense reports needs the approver role")
    return folder_access_, report
