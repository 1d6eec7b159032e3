"""DKIM and SPF results, computed against a fixed DNS zone given to the checker (no network in tests)."""
import base64
from email.message import EmailMessage

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from collecte.intake.mailauth import check_authentication


def zone_resolver(zone):
    def resolve(name, qtype):
        return list(zone.get((name.lower(), qtype), []))
    return resolve


def signed_message(domain="supplier.example", body="Votre facture est jointe."):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = f"factures@{domain}", "x@localhost", "Facture"
    msg.set_content(body)
    raw = msg.as_bytes()
    signature = dkim.sign(raw, b"sel", domain.encode(), private, include_headers=[b"from", b"to", b"subject"])
    record = f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"
    return signature + raw, {(f"sel._domainkey.{domain}", "TXT"): [record]}


def test_it_passes_a_valid_dkim_signature():
    raw, zone = signed_message()
    results = check_authentication(raw, "", "", resolver=zone_resolver(zone))
    assert (results.dkim, results.dkim_domain) == ("pass", "supplier.example")
    assert results.warnings() == []


def test_it_flags_a_message_altered_after_signing():
    raw, zone = signed_message()
    tampered = raw.replace(b"Votre facture est jointe.", b"Payez sur ce nouvel IBAN.")
    results = check_authentication(tampered, "", "", resolver=zone_resolver(zone))
    assert results.dkim == "fail"
    assert results.warnings() == [{"code": "dkim_fail", "detail": "supplier.example"}]


def test_it_says_none_for_an_unsigned_message_without_warning():
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg.set_content("x")
    results = check_authentication(msg.as_bytes(), "", "", resolver=zone_resolver({}))
    assert results.dkim == "none" and results.warnings() == []


def test_it_evaluates_spf_for_the_connecting_ip():
    zone = {("supplier.example", "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"]}
    good = check_authentication(b"From: a@supplier.example\r\n\r\nx", "billing@supplier.example", "192.0.2.10",
                                resolver=zone_resolver(zone))
    bad = check_authentication(b"From: a@supplier.example\r\n\r\nx", "billing@supplier.example", "198.51.100.7",
                               resolver=zone_resolver(zone))
    assert good.spf == "pass"
    assert bad.spf == "fail" and bad.warnings() == [{"code": "spf_fail", "detail": "supplier.example"}]


def test_it_follows_includes_and_reports_dns_trouble_as_temporary():
    zone = {("supplier.example", "TXT"): ["v=spf1 include:_spf.mailer.example ~all"],
            ("_spf.mailer.example", "TXT"): ["v=spf1 ip4:203.0.113.5 -all"]}
    assert check_authentication(b"\r\n", "x@supplier.example", "203.0.113.5",
                                resolver=zone_resolver(zone)).spf == "pass"
    assert check_authentication(b"\r\n", "x@supplier.example", "203.0.113.6",
                                resolver=zone_resolver(zone)).spf == "softfail"

    def broken(name, qtype):
        raise LookupError("DNS TXT supplier.example: Timeout")

    assert check_authentication(b"\r\n", "x@supplier.example", "203.0.113.6", resolver=broken).spf == "temperror"


def test_it_never_raises_on_a_garbled_signature():
    raw = b"DKIM-Signature: v=1; a=rsa-sha256; d=x.example; s=s; b=!!!\r\nFrom: a@x.example\r\n\r\nbody"
    results = check_authentication(raw, "", "", resolver=zone_resolver({}))
    assert results.dkim in ("fail", "temperror")
