"""PDF checks the intake needs before a PDF becomes a document: is it readable, locked, repairable; and page split.

Pure functions from bytes to bytes (pikepdf, i.e. qpdf). Nothing here touches Django.
"""
from __future__ import annotations

import io

import pikepdf

ENCRYPTED = "encrypted"
REPAIRED = "repaired"
CORRUPT = "corrupt"


class WrongPassword(Exception):
    """The password given for a protected PDF does not open it."""


class UnreadablePdf(ValueError):
    """The bytes are not a PDF that qpdf can open, even by reconstructing it."""


def _open(content: bytes, password: str = "") -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(content), password=password)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    # encryption=False: a PDF we rewrite must open for every later reader without its password.
    pdf.save(out, encryption=False)
    return out.getvalue()


def inspect_pdf(content: bytes) -> tuple[bytes, list[str]]:
    """Return (bytes to keep, flags). Never raises: a PDF is always kept, the flags tell what is wrong with it.

    - needs a password to open → (original, ["encrypted"]). A PDF with only an owner password (printing or copying
      restricted) opens without one, so it is not flagged: nobody needs to type anything to read it.
    - qpdf had to reconstruct it (bad xref, truncated tail, junk) → (rewritten bytes, ["repaired"]).
    - qpdf cannot find a single page → (original, ["corrupt"]).
    """
    try:
        with _open(content) as pdf:
            page_count = len(pdf.pages)
            warnings = pdf.get_warnings()
            if page_count == 0:
                return content, [CORRUPT]
            if not warnings:
                return content, []
            repaired = _save(pdf)
    except pikepdf.PasswordError:
        return content, [ENCRYPTED]
    except Exception:  # qpdf raises PdfError, but a hostile file may trip anything below it
        return content, [CORRUPT]
    return (repaired, [REPAIRED]) if _opens_cleanly(repaired) else (content, [CORRUPT])


def _opens_cleanly(content: bytes) -> bool:
    try:
        with _open(content) as pdf:
            return len(pdf.pages) > 0
    except Exception:
        return False


def unlock_pdf(content: bytes, password: str) -> bytes:
    """The same PDF without its encryption, for a person who typed the password in the UI.

    Raises WrongPassword when the password does not open it, UnreadablePdf when it is not a PDF at all.
    """
    try:
        with _open(content, password) as pdf:
            return _save(pdf)
    except pikepdf.PasswordError as e:
        raise WrongPassword("the password does not open this PDF") from e
    except Exception as e:
        raise UnreadablePdf(f"not a readable PDF: {e}") from e


def page_count(content: bytes) -> int | None:
    """Number of pages, or None when the PDF cannot be opened without a password or at all."""
    try:
        with _open(content) as pdf:
            return len(pdf.pages)
    except Exception:
        return None


def split_pages(content: bytes) -> list[bytes]:
    """One single-page PDF per page, in order, for the "multiple" addresses (one document per page).

    Each page is copied with the objects it references (fonts, images), nothing else, so a page of a big scan stays
    the size of its own image. Raises WrongPassword for a protected PDF, UnreadablePdf for a hopeless one.
    """
    try:
        src = _open(content)
    except pikepdf.PasswordError as e:
        raise WrongPassword("the PDF needs a password before it can be split") from e
    except Exception as e:
        raise UnreadablePdf(f"not a readable PDF: {e}") from e
    with src:
        pages = []
        for page in src.pages:
            with pikepdf.new() as single:
                single.pages.append(page)
                pages.append(_save(single))
        return pages
