"""What the intake tests of the web UI and the API share: messages pushed through the real intake, uploads done as
a given persona, and a private storage folder per test."""
import io
from email.message import EmailMessage
from types import SimpleNamespace

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collecte.intake import actions
from collecte.intake.models import InboundMessage
from collecte.intake.receive import accept_email
from collecte.intake.tests.helpers import make_encrypted_pdf, make_pdf  # noqa: F401 (re-exported for the tests)
from collecte.tenancy import access

CONFIRM = "https://mail-settings.google.com/mail/vf-%5BABCDEF%5D-Zra73ESu8vcr"
CANCEL = "https://mail-settings.google.com/mail/uf-%5BABCDEF%5D-Zra73ESu8vcr"


@pytest.fixture
def media(settings, tmp_path):
    """Stored files go to the test's own folder (FileSystemStorage follows MEDIA_ROOT changes)."""
    settings.MEDIA_ROOT = str(tmp_path / "files")
    return tmp_path


def distinct_pages_pdf(pages=3, tag="lot", password=None):
    """A PDF whose pages differ (blank pages of one size would be duplicates of each other once split)."""
    with pikepdf.new() as pdf:
        for number in range(pages):
            pdf.add_blank_page(page_size=(595, 842 + number))
        pdf.docinfo["/Title"] = tag
        out = io.BytesIO()
        encryption = pikepdf.Encryption(user=password, owner=password) if password else False
        pdf.save(out, deterministic_id=not password, encryption=encryption)
        return out.getvalue()


def invoice_mail(*attachments, subject="Facture mars", sender="Fournisseur <factures@fournisseur.example>",
                 message_id=None, body="Bonjour, veuillez trouver notre facture."):
    """attachments: (filename, bytes, "type/subtype")."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "achats@localhost", subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def gmail_confirmation(target, requester="client.compta@gmail.com", code="61234567", confirm=CONFIRM):
    msg = EmailMessage()
    msg["From"] = "Gmail Team <forwarding-noreply@google.com>"
    msg["To"] = target
    if code:
        msg["Subject"] = f"(#{code}) Gmail Forwarding Confirmation - Receive Mail from {requester}"
        code_line = f"Confirmation code: {code}\n"
    else:
        msg["Subject"] = f"Gmail Forwarding Confirmation - Receive Mail from {requester}"
        code_line = ""
    msg.set_content(
        f"{requester} has requested to automatically forward mail to your email\naddress {target}.\n{code_line}\n"
        f"To allow {requester} to automatically forward mail to your address,\n"
        f"please click the link below to confirm the request:\n\n{confirm}\n\n"
        f"To cancel this request, click here:\n{CANCEL}\n")
    return msg.as_bytes()


def personal_address(member):
    """The member's own address (world's members are created bare, without the one add_folder_user gives)."""
    from collecte.tenancy import actions as tenancy_actions

    return member.personal_address() or tenancy_actions._create_address(member.folder, "personal", member)


def receive(folder, raw, module="purchases", member=None):
    """An email through the real intake (stored, queued, processed inline as HUEY is immediate in tests)."""
    address = personal_address(member) if member else folder.addresses.active().get(module=module,
                                                                                      member__isnull=True)
    [row] = accept_email(raw, [address], source=InboundMessage.Source.SMTP,
                         envelope_from="factures@fournisseur.example")
    row.refresh_from_db()
    return row


def upload_as(user, folder, filename, content, module="purchases"):
    """An upload by `user`, through the same action the web form and the API use."""
    found = access.get_folder_access(user, folder.pk)
    row = actions.upload_file(found, module, SimpleUploadedFile(filename, content))
    row.refresh_from_db()
    return row


def failed(row, error="RuntimeError: disk on fire"):
    """Put a message in the state the pipeline leaves after its last attempt."""
    InboundMessage.objects.filter(pk=row.pk).update(status=InboundMessage.Status.FAILED, status_reason=error,
                                                    last_error=error, attempts=5)
    row.refresh_from_db()
    return row


def log_world(world):
    """The message log most tests look at: an invoice email, a standard user's upload, an admin's upload."""
    return SimpleNamespace(
        email=receive(world.folder, invoice_mail(("facture-12.pdf", make_pdf(tag="email-12"), "application/pdf"))),
        standard_upload=upload_as(world.standard, world.folder, "ticket-taxi.pdf", make_pdf(tag="taxi")),
        admin_upload=upload_as(world.admin, world.folder, "releve.pdf", make_pdf(tag="releve")),
    )
