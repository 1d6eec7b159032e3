"""The English catalog: every French msgid is translated, and the UI switches language as a visitor asks.

The msgids are French (the default language); English lives in collecte/locale/en/LC_MESSAGES/django.po.
The compiled .mo is build output: `make` compiles it, and the fixture below compiles it when it is missing or stale.
"""
import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from collecte.tenancy.models import FolderMember

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "collecte" / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _reset_django_translations():
    """Forget catalogs Django may have loaded before the .mo was (re)built."""
    from asgiref.local import Local
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    for name in ("translation_catalog_exists", "check_for_language"):  # the cached one, depending on Django's version
        cache_clear = getattr(getattr(trans_real, name, None), "cache_clear", None)
        if cache_clear:
            cache_clear()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    stale = [po for po in LOCALE.glob("*/LC_MESSAGES/*.po")
             if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    if stale:
        if shutil.which("msgfmt") is None:
            pytest.fail(f"{', '.join(map(str, stale))}: .mo missing or stale and gettext's msgfmt is not installed")
        subprocess.run([str(ROOT / "scripts" / "compile-messages")], cwd=ROOT, check=True)
        _reset_django_translations()
    yield


# --- the catalog itself ---------------------------------------------------------------------------------------

def parse_po(path):
    """Entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (a list: one string per form), flags
    and line. Obsolete (#~) entries are left out. gettext's tools separate entries with a blank line."""
    entries = []
    text = path.read_text(encoding="utf-8")
    line_number = 1
    for block in re.split(r"\n[ \t]*\n", text):
        entry, key = {"flags": set(), "msgstr": {}, "line": line_number}, None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#") or not line:
                continue
            elif line.startswith('"'):
                if isinstance(key, int):
                    entry["msgstr"][key] += ast.literal_eval(line)
                else:
                    entry[key] += ast.literal_eval(line)
            else:
                keyword, _, rest = line.partition(" ")
                form = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
                key = int(form.group(1) or 0) if form else keyword
                if form:
                    entry["msgstr"][key] = ast.literal_eval(rest)
                else:
                    entry[key] = ast.literal_eval(rest)
        line_number += block.count("\n") + 2
        if "msgid" in entry:
            entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
            entries.append(entry)
    return entries


def messages():
    return [e for e in parse_po(PO) if e["msgid"] != ""]


def test_the_english_catalog_exists_and_is_not_empty():
    assert PO.exists(), f"{PO} is missing: run `collecte makemessages -l en` in collecte/"
    assert len(messages()) > 100


def test_the_header_says_english_utf8_with_two_plural_forms_and_is_not_fuzzy():
    header = next(e for e in parse_po(PO) if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"][0]
    assert "charset=UTF-8" in header["msgstr"][0]
    assert "nplurals=2; plural=(n != 1);" in header["msgstr"][0]


def test_every_message_is_translated():
    untranslated = [f"line {e['line']}: {e['msgid']!r}" for e in messages() if not all(e["msgstr"])]
    assert not untranslated, "untranslated msgids:\n" + "\n".join(untranslated)


def test_no_message_is_fuzzy():
    # Django ignores fuzzy entries: the page would silently stay in French.
    fuzzy = [f"line {e['line']}: {e['msgid']!r}" for e in messages() if "fuzzy" in e["flags"]]
    assert not fuzzy, "fuzzy entries (review them and remove the flag):\n" + "\n".join(fuzzy)


def test_plural_messages_have_both_english_forms():
    plurals = [e for e in messages() if "msgid_plural" in e]
    assert plurals
    for e in plurals:
        assert len(e["msgstr"]) == 2 and all(e["msgstr"]), e["msgid"]


def test_placeholders_are_kept_exactly():
    for e in messages():
        for msgid, msgstr in zip([e["msgid"], e.get("msgid_plural", e["msgid"])], e["msgstr"]):
            assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), (e["line"], msgstr)


def test_translations_are_english_not_copies_of_the_french():
    # Words that read the same in both languages ("Construction", "Email", "Invitation"...) may stay as they are.
    same = {e["msgid"] for e in messages() if e["msgstr"][0] == e["msgid"]}
    assert same <= {"Construction", "Email", "SMS", "message", "Client", "Confirmation", "Invitation", "Dates", "EUR — euro", "SIREN", "IBAN", "Type", "Date", "date", "Document", "Page %(n)s",
                     "API", "Port", "Module", "Email (SMTP)", "SSL/TLS (port 993)", "STARTTLS (port 143)"}, same
    french = re.compile(r"[éèêàùçôî]|\b(le|la|les|des|vous|votre|dossier|cabinet)\b", re.IGNORECASE)
    leftovers = [e["msgstr"] for e in messages() for s in e["msgstr"] if french.search(s)]
    assert not leftovers, leftovers


def test_no_french_spacing_before_punctuation_in_english():
    spaced = [s for e in messages() for s in e["msgstr"] if re.search(r"[\s\u00a0\u202f][:;?!»]|«", s)]
    assert not spaced, spaced


def test_msgfmt_accepts_the_catalog_with_format_checks():
    if shutil.which("msgfmt") is None:
        pytest.skip("gettext's msgfmt is not installed")
    result = subprocess.run(["msgfmt", "--check-format", "--statistics", "-o", os.devnull, str(PO)],
                            capture_output=True, text=True, env={**os.environ, "LC_ALL": "C"})
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert re.match(r"\d+ translated messages?\.", result.stderr.strip()), result.stderr


# --- the running UI -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_login_page_is_french_by_default(client):
    response = client.get("/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Connexion" in html and "Se connecter" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_choosing_english_in_the_language_menu_translates_the_login_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    html = client.get("/login/").content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "Forgotten your password?" in html
    assert "Email address" in html
    assert "Connexion" not in html and "Mot de passe oublié" not in html


@pytest.mark.django_db
def test_the_browser_language_is_honoured_when_no_choice_was_made(client):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html


@pytest.mark.django_db
def test_an_english_form_error_on_the_login_page(client):
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.post("/login/", {"username": "nobody@example.com", "password": "wrong-password-1"}).content.decode()
    assert "Incorrect email or password." in html


def test_model_choice_labels_follow_the_active_language():
    with translation.override("en"):
        assert str(FolderMember.Role.APPROVER.label) == "Expense approver"
        assert str(FolderMember.Role.STANDARD.label) == "Standard user"
        assert str(FolderMember.Role.ADMIN.label) == "Administrator"
    with translation.override("fr"):
        assert str(FolderMember.Role.APPROVER.label) == "Approbateur de dépenses"


def test_plural_forms_are_used_in_english():
    with translation.override("en"):
        assert translation.ngettext("%(n)s dossier", "%(n)s dossiers", 1) % {"n": 1} == "1 folder"
        assert translation.ngettext("%(n)s dossier", "%(n)s dossiers", 3) % {"n": 3} == "3 folders"
