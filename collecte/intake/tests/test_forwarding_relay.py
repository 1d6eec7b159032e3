"""Forwarding confirmations are never documents: they reach the right people at once, with code and link."""
from email.message import EmailMessage

import pytest

from collecte.intake.receive import accept_email
from collecte.outbound.models import OutboxMessage
from collecte.tenancy.models import FolderMember

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM = "https://mail-settings.google.com/mail/vf-%5BABCDEF%5D-Zra73ESu8vcr"
CANCEL = "https://mail-settings.google.com/mail/uf-%5BABCDEF%5D-Zra73ESu8vcr"


@pytest.fixture(autouse=True)
def outbox(product_mail):
    """Relayed confirmations are read from the outbox table."""


def gmail_confirmation(target, requester="client.compta@gmail.com", code="61234567"):
    msg = EmailMessage()
    msg["From"] = "Gmail Team <forwarding-noreply@google.com>"
    msg["To"] = target
    msg["Subject"] = f"(#{code}) Gmail Forwarding Confirmation - Receive Mail from {requester}"
    msg.set_content(
        f"{requester} has requested to automatically forward mail to your email\naddress {target}.\n"
        f"Confirmation code: {code}\n\nTo allow {requester} to automatically forward mail to your address,\n"
        f"please click the link below to confirm the request:\n\n{CONFIRM}\n\n"
        f"If you click the link and it appears to be broken, please copy and paste it\ninto a new browser window.\n\n"
        f"To cancel this request, click here:\n{CANCEL}\n")
    return msg.as_bytes()


def deliver(world, module="purchases", member=None):
    address = (member.personal_address() if member else
               world.folder.addresses.active().get(module=module, member__isnull=True))
    [row] = accept_email(gmail_confirmation(address.email), [address], envelope_from="")
    row.refresh_from_db()
    return row


def test_it_recognises_the_confirmation_and_makes_no_document(world):
    row = deliver(world)
    assert row.status == "forwarding" and not row.documents.exists()
    assert row.forwarding["code"] == "61234567"
    assert row.forwarding["requester"] == "client.compta@gmail.com"
    assert row.forwarding["confirm_url"] == CONFIRM


def test_it_relays_it_to_the_folder_admins_by_default(world):
    deliver(world)
    relayed = OutboxMessage.objects.get(folder=world.folder)
    assert relayed.to == world.admin.email
    assert "61234567" in relayed.body and CONFIRM in relayed.body and "client.compta@gmail.com" in relayed.body


def test_it_relays_it_to_a_typed_address_when_the_folder_says_so(world):
    world.folder.forwarding_recipients, world.folder.forwarding_address = "address", "it@client.example"
    world.folder.save()
    deliver(world)
    assert OutboxMessage.objects.get(folder=world.folder).to == "it@client.example"


def test_it_relays_it_to_chosen_collaborators(world):
    world.folder.forwarding_recipients = "collaborators"
    world.folder.save()
    world.folder.forwarding_collaborators.set([world.collab_membership])
    deliver(world)
    assert OutboxMessage.objects.get(folder=world.folder).to == world.collaborator.email


def test_it_relays_it_to_the_user_whose_personal_address_it_was(world):
    from collecte.tenancy import actions

    actions._create_address(world.folder, "personal", world.standard_member)
    deliver(world, member=FolderMember.objects.get(pk=world.standard_member.pk))
    assert OutboxMessage.objects.get(folder=world.folder).to == world.standard.email


def test_it_falls_back_to_the_firm_staff_when_the_folder_has_no_admin(world):
    world.admin_member.delete()
    deliver(world)
    recipients = set(OutboxMessage.objects.get(folder=world.folder).to.split(", "))
    assert recipients == {world.owner.email, world.collaborator.email}
