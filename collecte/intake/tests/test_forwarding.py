"""Forwarding confirmations: the real Gmail sample of the corpus, variants built in code, and invoices that are not."""
import json
from email.message import EmailMessage

import pytest

from collecte.intake.forwarding import detect_forwarding_confirmation
from collecte.intake.tests import helpers as h

CORPUS_DIR = h.CORPUS / "email-gmail-forwarding"
OURS = "achats.k3y9@collecte.example"
CONFIRM = "https://mail-settings.google.com/mail/vf-%5BANGjdJ8xYz-Abc_123%5D-Qwerty12-AbC"
CANCEL = "https://mail-settings.google.com/mail/uf-%5BANGjdJ-9Zyx_Cba-321%5D-Qwerty12-AbC"


def corpus_samples():
    if not (CORPUS_DIR / "expected.json").exists():
        return []
    expected = json.loads((CORPUS_DIR / "expected.json").read_text())
    return [(name, facts) for name, facts in expected.items() if not name.startswith("_")]


@pytest.mark.parametrize("name, facts", corpus_samples() or [pytest.param(None, None, marks=pytest.mark.skip(
    reason="../shared/corpus/email-gmail-forwarding is absent"))])
def test_it_recognises_the_corpus_gmail_confirmation(name, facts):
    found = detect_forwarding_confirmation((CORPUS_DIR / name).read_bytes())
    assert found is not None
    assert (found.requester, found.code, found.confirm_url, found.cancel_url) == (
        facts["requester"], facts["confirmation_code"], facts["confirm_url"], facts["cancel_url"])
    assert (found.target, found.provider, found.language) == (facts["forward_target"], facts["provider"],
                                                              facts["language"])


def gmail(subject: str, body: str, sender="Gmail Team <forwarding-noreply@google.com>", to=OURS,
          html: str | None = None, cte: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = "<CAAbjFO5-fixture@mail.gmail.com>"
    if body is not None:
        msg.set_content(body, cte=cte) if cte else msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return msg


FRENCH_BODY = f"""marie.dupont@gmail.com a demandé à transférer automatiquement les e-mails vers votre adresse
{OURS}.
Code de confirmation : 61425397

Pour autoriser marie.dupont@gmail.com à transférer automatiquement les e-mails vers votre adresse, cliquez sur
le lien ci-dessous pour confirmer la demande :

{CONFIRM}

Si vous n'approuvez pas cette demande, aucune action n'est requise. Pour annuler cette validation :
{CANCEL}

Merci d'utiliser Gmail !
L'équipe Gmail
"""


def test_it_recognises_a_french_confirmation_with_code():
    msg = gmail("(#61425397) Confirmation de transfert Gmail - Recevoir les messages de marie.dupont@gmail.com",
                FRENCH_BODY)
    found = detect_forwarding_confirmation(h.raw(msg))
    assert (found.provider, found.requester, found.target, found.code, found.language) == (
        "gmail", "marie.dupont@gmail.com", OURS, "61425397", "fr")
    assert (found.confirm_url, found.cancel_url) == (CONFIRM, CANCEL)


def test_it_recognises_the_newer_format_without_code_for_a_workspace_account():
    body = (f"compta@boulangerie-martin.fr has requested to automatically forward mail to your email address "
            f"{OURS}.\n\nTo allow compta@boulangerie-martin.fr to automatically forward mail to your address, "
            f"please click the link below to confirm the request:\n\n{CONFIRM}\n\nThanks for using Gmail!\n")
    found = detect_forwarding_confirmation(h.raw(gmail("Gmail Forwarding Confirmation", body)))
    assert (found.provider, found.requester, found.target, found.code, found.confirm_url, found.cancel_url) == (
        "google_workspace", "compta@boulangerie-martin.fr", OURS, None, CONFIRM, None)
    assert found.language == "en"


def test_it_recognises_an_html_only_confirmation():
    html = (f'<div dir="ltr"><p>bob@gmail.com has requested to automatically forward mail to your email address '
            f'{OURS}.</p><p>Confirmation code: 99887766</p><p><a href="{CONFIRM}&amp;hl=en">confirm</a></p>'
            f'<p><a href="{CANCEL}">cancel</a></p></div>')
    found = detect_forwarding_confirmation(h.raw(gmail("Gmail Forwarding Confirmation", None, html=html)))
    assert (found.requester, found.code, found.confirm_url, found.cancel_url) == (
        "bob@gmail.com", "99887766", CONFIRM + "&hl=en", CANCEL)


def test_it_recognises_a_quoted_printable_confirmation_with_a_wrapped_link():
    msg = gmail("(#61425397) Confirmation de transfert Gmail - Recevoir les messages de marie.dupont@gmail.com",
                FRENCH_BODY.replace(CONFIRM, CONFIRM + "-" + "x" * 120), cte="quoted-printable")
    raw = h.raw(msg)
    assert b"=\r\n" in raw  # the long link really is cut by soft line breaks
    found = detect_forwarding_confirmation(raw)
    assert found.confirm_url == CONFIRM + "-" + "x" * 120
    assert found.code == "61425397"


def test_it_recognises_a_german_confirmation_with_an_encoded_subject():
    msg = gmail("(#55566677) Gmail-Weiterleitungsbestätigung – E-Mails von hans.muller@googlemail.com empfangen",
                f"hans.muller@googlemail.com möchte E-Mails automatisch an Ihre E-Mail-Adresse {OURS} "
                f"weiterleiten.\nBestätigungscode: 55566677\n\n{CONFIRM}\n")
    raw = h.raw(msg)
    assert b"=?utf-8?" in raw
    found = detect_forwarding_confirmation(raw)
    assert (found.requester, found.code, found.language, found.provider) == (
        "hans.muller@googlemail.com", "55566677", "de", "gmail")


def test_it_recognises_a_confirmation_relayed_by_a_mailing_list():
    msg = gmail("[compta] (#61425397) Gmail Forwarding Confirmation - Receive Mail from x.y@gmail.com",
                f"x.y@gmail.com has requested to automatically forward mail to your email address "
                f"compta@lists.example.\nConfirmation code: 61425397\n\n{CONFIRM}\n\n"
                "_______________________________________________\ncompta mailing list\ncompta@lists.example\n",
                sender="Gmail Team via compta <compta@lists.example>", to="compta@lists.example")
    msg["List-Id"] = "<compta.lists.example>"
    found = detect_forwarding_confirmation(h.raw(msg))
    assert (found.requester, found.target, found.code, found.confirm_url) == (
        "x.y@gmail.com", "compta@lists.example", "61425397", CONFIRM)


def test_it_recognises_a_confirmation_forwarded_by_hand_as_an_attachment():
    inner = gmail("(#61425397) Confirmation de transfert Gmail - Recevoir les messages de marie.dupont@gmail.com",
                  FRENCH_BODY)
    outer = h.message(subject="Tr: confirmation", body="Peux-tu valider ?")
    outer.add_attachment(inner)
    found = detect_forwarding_confirmation(h.raw(outer))
    assert found is not None and found.confirm_url == CONFIRM and found.code == "61425397"


def test_it_recognises_the_google_sender_even_without_a_link():
    found = detect_forwarding_confirmation(h.raw(gmail("Gmail Forwarding Confirmation", "Something changed.")))
    assert found is not None and found.confirm_url is None


def test_it_accepts_the_older_mail_google_com_link():
    link = "https://mail.google.com/mail/vf-abcdef123456-XYZ"
    found = detect_forwarding_confirmation(h.raw(gmail("Fwd", f"see {link}.", sender="someone@example.com")))
    assert found.confirm_url == link


def test_it_does_not_take_an_invoice_for_a_confirmation():
    assert detect_forwarding_confirmation(h.raw(h.attach(h.message(), h.make_pdf()))) is None


def test_it_does_not_take_google_s_own_invoice_for_a_confirmation():
    msg = gmail("Your Google Workspace invoice is available", "Your invoice for March is attached. "
                "Manage billing at https://mail.google.com/mail/u/0/#settings and https://admin.google.com/",
                sender="Google Payments <payments-noreply@google.com>")
    h.attach(msg, h.make_pdf(), filename="invoice_5069.pdf")
    assert detect_forwarding_confirmation(h.raw(msg)) is None


def test_it_does_not_trust_the_words_alone():
    msg = gmail("Gmail Forwarding Confirmation - Receive Mail from x@gmail.com",
                "Please click http://phishing.example/mail/vf-123 to confirm", sender="x@phishing.example")
    assert detect_forwarding_confirmation(h.raw(msg)) is None


@pytest.mark.parametrize("raw", [b"", b"\xff" * 100, b"From: forwarding-noreply@google.com\r\n"])
def test_it_never_raises(raw):
    detect_forwarding_confirmation(raw)
