"""Every email and TNEF file of the shared corpus (messages nobody here wrote) through the walk: no crash, and every
attachment ends up as a document or a recorded reason. Skipped cleanly when ../shared/corpus is absent."""
import json
from email import policy
from email.parser import BytesParser

import pytest

from collecte.intake.mime import walk_message
from collecte.intake.tests import helpers as h

EMAILS = sorted(p for d in sorted(h.CORPUS.glob("email-*")) for p in d.rglob("*.eml")) if h.CORPUS.exists() else []
TNEF_DIR = h.CORPUS / "tnef-tnefparse"
needs_emails = pytest.mark.skipif(not EMAILS, reason="../shared/corpus/email-* is absent")
needs_tnef = pytest.mark.skipif(not (TNEF_DIR / "expected.json").exists(), reason="../shared/corpus/tnef-* is absent")


def attachment_like_parts(raw: bytes) -> int:
    """Independent count (stdlib only) of parts that are not a text body: what the walk must account for."""
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
        count = 0
        for part in msg.walk():
            if part.is_multipart() or part.get_content_maintype() in ("multipart", "message"):
                continue  # containers (also those whose boundary the parser could not find)
            ctype = part.get_content_type()
            named = bool(part.get_filename()) or part.get("content-disposition", "").lower().startswith("attach")
            if named or not ctype.startswith("text/"):
                count += 1
        return count
    except Exception:
        return -1  # the stdlib itself gives up: nothing independent to compare with


@needs_emails
def test_it_walks_every_corpus_email(capsys):
    with_files, reasons_only, no_attachment = [], [], []
    for path in EMAILS:
        raw = path.read_bytes()
        result = walk_message(raw)  # must not raise
        name = str(path.relative_to(h.CORPUS))
        assert all(f.content and f.filename and f.kind in ("pdf", "image", "xml", "other") for f in result.files)
        assert all(s.reason and s.detail is not None for s in result.skipped)
        if result.files:
            with_files.append(name)
        elif result.skipped:
            reasons_only.append(f"{name}: {', '.join(sorted({s.reason for s in result.skipped}))}")
        else:
            assert attachment_like_parts(raw) <= 0, f"{name} has attachments the walk did not account for"
            no_attachment.append(name)
    with capsys.disabled():
        print(f"\ncorpus emails: {len(EMAILS)} walked, {len(with_files)} with documents, "
              f"{len(reasons_only)} with reasons only, {len(no_attachment)} without any attachment")
        print("  with documents: " + ", ".join(with_files))
        print("  reasons only:\n    " + "\n    ".join(reasons_only))
        print("  without attachment: " + ", ".join(no_attachment))
    assert len(with_files) >= 5


@needs_emails
@pytest.mark.parametrize("relative, filename, kind", [
    ("email-flanker/messages/attached-pdf.eml", "test.pdf", "pdf"),
    ("email-flanker/messages/iphone.eml", "photo.JPG", "image"),
    ("email-mikel-mail/emails/attachment_emails/attachment_pdf.eml", "broken.pdf", "pdf"),
    ("email-mikel-mail/emails/attachment_emails/attachment_message_rfc822.eml", "broken.pdf", "pdf"),
])
def test_it_finds_the_known_documents_of_the_corpus(relative, filename, kind):
    path = h.CORPUS / relative
    if not path.exists():
        pytest.skip(f"{relative} is not in this corpus snapshot")
    files = walk_message(path.read_bytes()).files
    assert (filename, kind) in [(f.filename, f.kind) for f in files]


@needs_emails
def test_it_recognises_the_corpus_signatures_as_signatures():
    path = h.CORPUS / "email-flanker/messages/signed.eml"
    if not path.exists():
        pytest.skip("signed.eml is not in this corpus snapshot")
    assert "signature" in [s.reason for s in walk_message(path.read_bytes()).skipped]


def tnef_cases():
    """Every raw .tnef of the folder, with its expected attachment names when expected.json lists it (None if not)."""
    if not (TNEF_DIR / "expected.json").exists():
        return []
    expected = json.loads((TNEF_DIR / "expected.json").read_text())
    on_disk = {str(p.relative_to(TNEF_DIR)) for p in TNEF_DIR.rglob("*.tnef")}
    listed = {name for name in expected if not name.startswith("_")}
    return [(name, expected[name]["attachments"] if name in expected else None) for name in sorted(on_disk | listed)]


@needs_tnef
@pytest.mark.parametrize("name, attachments", tnef_cases() or [("none", [])])
def test_it_names_tnef_attachments_as_tnefparse_does(name, attachments):
    path = TNEF_DIR / name
    if not path.exists():
        pytest.skip(f"{name} is not in this corpus snapshot")
    msg = h.attach(h.message(), path.read_bytes(), "application/ms-tnef", "winmail.dat")
    result = walk_message(h.raw(msg))  # must not raise
    inside = [f.filename for f in result.files if f.origin.startswith("winmail.dat > ")]
    inside += [s.filename for s in result.skipped if s.origin.startswith("winmail.dat > ")]
    for expected in attachments or []:
        if expected == "unknown.dat":  # upstream's placeholder for a nameless attachment; ours names it by type
            assert any(n.startswith("document") for n in inside), inside
        else:
            assert expected in inside, (expected, inside)
    if attachments == []:
        assert [s.reason for s in result.skipped] == ["empty"] and result.files == []
