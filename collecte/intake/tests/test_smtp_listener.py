"""The SMTP listener over a real socket: recipients checked at RCPT, size limits, TLS, durable storage before 250."""
import datetime
import smtplib
import ssl
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest
from django.core.files.storage import default_storage

from collecte.intake.models import InboundMessage
from collecte.intake.ratelimit import FolderRateLimiter
from collecte.intake.smtpd import IntakeHandler
from collecte.tenancy import actions

from .smtp_server import RunningListener

pytestmark = pytest.mark.django_db(transaction=True)


def message(to, subject="Facture", body="Bonjour, voici la facture.", size=0):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "fournisseur@example.com", to, subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}-{size}@example.com>"
    msg.set_content(body + ("x" * 76 + "\n") * (size // 77))
    return msg


def address(folder, module="purchases"):
    return folder.addresses.active().get(module=module, member__isnull=True).email


@pytest.fixture
def listener(world, settings):
    settings.MEDIA_ROOT = settings.MEDIA_ROOT  # each test may change it before starting
    with RunningListener() as running:
        yield running


def send(listener, msg, **kwargs):
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        return client.send_message(msg, **kwargs)


def test_it_stores_a_message_for_a_known_address_before_answering(world, listener):
    to = address(world.folder)
    msg = message(to)
    assert send(listener, msg) == {}
    row = InboundMessage.objects.get(folder=world.folder)
    assert row.module == "purchases" and row.source == "smtp" and row.envelope_to == to
    with default_storage.open(row.raw, "rb") as f:
        stored = f.read()
    assert b"Bonjour, voici la facture." in stored
    assert row.raw_size == len(stored)


def test_it_refuses_an_unknown_address_with_550(world, listener):
    unknown = "boulangerie-martin-achats.aaaaaaaaaaaaaa@localhost"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(listener, message(unknown))
    code, text = refused.value.recipients[unknown]
    assert code == 550 and text.startswith(b"5.1.1")
    assert not InboundMessage.objects.exists()


def test_it_ignores_the_slug_and_refuses_a_regenerated_address(world, listener):
    old = world.folder.addresses.active().get(module="sales", member__isnull=True)
    token_with_other_slug = f"anything-else.{old.token}@localhost"
    assert send(listener, message(token_with_other_slug, subject="slug")) == {}
    actions.regenerate_address(old)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(listener, message(old.email, subject="after"))
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_it_lands_once_in_each_folder_of_several_recipients(world, listener):
    msg = message(address(world.folder))
    recipients = [address(world.folder), address(world.folder, "sales"), address(world.other_folder)]
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        assert client.send_message(msg, to_addrs=recipients) == {}
    rows = InboundMessage.objects.order_by("folder_id")
    assert [r.folder_id for r in rows] == sorted([world.folder.pk, world.other_folder.pk])
    assert len({r.raw for r in rows}) == 1  # one stored copy


def test_it_accepts_the_good_recipients_and_refuses_the_unknown_ones(world, listener):
    good, bad = address(world.folder), "x.bbbbbbbbbbbbbb@localhost"
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        refused = client.send_message(message(good), to_addrs=[good, bad])
    assert list(refused) == [bad]
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_it_advertises_its_size_limit_and_no_auth(world, settings):
    settings.SMTP_MAX_MESSAGE_BYTES = 50_000
    with RunningListener() as listener, smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("size") and client.esmtp_features["size"] == "50000"
        assert not client.has_extn("auth")
        assert not client.has_extn("starttls")


def test_it_refuses_an_oversized_message_with_552(world, settings):
    settings.SMTP_MAX_MESSAGE_BYTES = 50_000
    with RunningListener() as listener:
        big = message(address(world.folder), size=80_000)
        with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
            # smtplib announces SIZE=, so the refusal comes at MAIL FROM.
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(big)
            assert refused.value.smtp_code == 552 and refused.value.smtp_error.startswith(b"5.3.4")
        with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
            client.ehlo()
            client.esmtp_features.pop("size")  # a sender that does not announce the size: refused at DATA
            with pytest.raises(smtplib.SMTPDataError) as refused:
                client.sendmail("a@example.com", [address(world.folder)], big.as_bytes(policy=SMTP_POLICY))
            assert refused.value.smtp_code == 552 and refused.value.smtp_error.startswith(b"5.3.4")
    assert not InboundMessage.objects.exists()


def test_it_answers_451_when_a_folder_is_over_its_rate(world):
    handler = IntakeHandler(limiter=FolderRateLimiter(per_minute=1, burst=2))
    to = address(world.folder)
    with RunningListener(handler=handler) as listener:
        send(listener, message(to, subject="one"))
        send(listener, message(to, subject="two"))
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(listener, message(to, subject="three"))
        code, text = refused.value.recipients[to]
        assert code == 451 and text.startswith(b"4.7.1")
        send(listener, message(address(world.other_folder), subject="other folder"))  # its own bucket
    assert InboundMessage.objects.count() == 3


def test_it_answers_451_and_keeps_nothing_half_done_when_storage_fails(world, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("storage cannot create folders under a file")
    settings.MEDIA_ROOT = str(blocker)
    with RunningListener() as listener:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(listener, message(address(world.folder)))
    assert refused.value.smtp_code == 451 and refused.value.smtp_error.startswith(b"4.3.0")
    assert not InboundMessage.objects.exists()


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_it_offers_starttls_when_a_certificate_is_configured(world, settings, tmp_path):
    settings.SMTP_TLS_CERT, settings.SMTP_TLS_KEY = _self_signed(tmp_path)
    with RunningListener() as listener, smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=ssl._create_unverified_context())
        client.ehlo()
        assert client.send_message(message(address(world.folder))) == {}
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_it_takes_lines_longer_than_the_rfc_allows(world, listener):
    """Broken senders exist; their invoices must not bounce."""
    to = address(world.folder)
    raw = (f"From: a@example.com\r\nTo: {to}\r\nSubject: long\r\n\r\n" + "y" * 5000 + "\r\n").encode()
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        assert client.sendmail("a@example.com", [to], raw) == {}
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def stored_raw(folder):
    row = InboundMessage.objects.get(folder=folder)
    with default_storage.open(row.raw, "rb") as f:
        return f.read()


def test_it_stores_the_message_byte_for_byte_after_dot_unstuffing(world, listener):
    to = address(world.folder)
    raw = (f"From: a@example.com\r\nTo: {to}\r\nSubject: dots\r\n\r\n.leading dot\r\n..two dots\r\nend.\r\n"
           ".\r\n.").encode()
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.sendmail("a@example.com", [to], raw)  # smtplib dot-stuffs; the listener must undo it exactly
    assert stored_raw(world.folder) == raw + b"\r\n"


def test_it_takes_several_messages_on_one_connection(world, listener):
    to = address(world.folder)
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        for n in range(3):
            client.sendmail("a@example.com", [to], f"Subject: {n}\r\n\r\nbody {n}\r\n".encode())
    assert InboundMessage.objects.filter(folder=world.folder).count() == 3


def test_it_refuses_auth_even_after_starttls(world, settings, tmp_path):
    settings.SMTP_TLS_CERT, settings.SMTP_TLS_KEY = _self_signed(tmp_path)
    with RunningListener() as listener, smtplib.SMTP(listener.host, listener.port, timeout=10) as client:
        client.starttls(context=ssl._create_unverified_context())
        client.ehlo()
        assert not client.has_extn("auth")
        code, _text = client.docmd("AUTH", "PLAIN AGFAAGI=")
        assert code == 502
