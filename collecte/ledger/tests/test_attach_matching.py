"""Proposing which invoice each PDF of a bulk upload belongs to (pure: no database)."""
import random

import pytest

from collecte.ledger.attach import Candidate, Proposal, number_key, pdf_text, propose
from collecte.lib.textpdf import text_to_pdf


def one(filename, candidates, text=""):
    return propose([(filename, text)], candidates)[0]


# --- number_key and pdf_text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("left, right", [("FA-2024-001", "fa 2024/1"), ("F0012", "f12"), ("000", "0")])
def test_it_keys_numbers_like_the_model(left, right):
    assert number_key(left) == number_key(right)


def test_it_keys_numbers_exactly_as_the_model_does():
    from collecte.ledger.models import number_key as model_number_key  # importing a model needs no database

    samples = ["FA-2024-001", "fa 2024/1", "", None, "N°0042/B", "Été-0007", "x" * 150, "2024 000 12", "---"]
    assert [number_key(s) for s in samples] == [model_number_key(s) for s in samples]


def test_it_keys_an_empty_number_as_empty():
    assert number_key("") == "" and number_key(None) == "" and number_key("--") == ""


def test_it_reads_the_text_layer_of_a_pdf():
    text = pdf_text(text_to_pdf("Facture n° FA-2024-0042\nTotal TTC : 120,00 EUR", title="Papeterie Martin"))
    assert "FA-2024-0042" in text
    assert "Papeterie Martin" in text


def test_it_reads_only_the_first_pages():
    pages = "\n".join(f"ligne {i}" for i in range(200)) + "\nFIN-DU-DOCUMENT"  # 60 lines a page: 4 pages
    data = text_to_pdf(pages)
    assert "FIN-DU-DOCUMENT" not in pdf_text(data, max_pages=2)
    assert "FIN-DU-DOCUMENT" in pdf_text(data, max_pages=10)


@pytest.mark.parametrize("data", [b"", b"not a pdf", b"%PDF-1.4\n garbage", b"PK\x03\x04zip"])
def test_it_returns_no_text_for_what_is_not_a_readable_pdf(data):
    assert pdf_text(data) == ""


# --- Matching by file name -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["FA-2024-12", "FA2024-0012", "fa 2024/12"])
def test_it_matches_a_number_written_differently_in_the_file_name(number):
    proposal = one("Facture_FA-2024-0012.pdf", [Candidate(7, number), Candidate(8, "FA-2024-13")])
    assert proposal == Proposal("Facture_FA-2024-0012.pdf", 7, number, "filename", [])


def test_it_matches_digits_only_numbers_as_whole_runs():
    assert one("2024-0012.pdf", [Candidate(1, "2024-12")]).invoice_id == 1
    assert one("2024-00123.pdf", [Candidate(1, "2024-12")]).reason == ""
    assert one("FA12024-12.pdf", [Candidate(1, "2024-12")]).reason == ""


def test_it_ignores_numbers_shorter_than_three_characters():
    assert one("FA-2024-0012.pdf", [Candidate(1, "12")]) == Proposal("FA-2024-0012.pdf", None, None, "", [])
    assert one("Facture A1.pdf", [Candidate(1, "A1")]).reason == ""
    assert one("Facture 123.pdf", [Candidate(1, "123")]).invoice_id == 1


def test_it_prefers_the_longest_matching_number():
    candidates = [Candidate(1, "2024-12"), Candidate(2, "FA-2024-12"), Candidate(3, "012")]
    assert one("FA-2024-0012.pdf", candidates).invoice_id == 2


def test_it_reports_two_invoices_matching_equally_as_ambiguous():
    candidates = [Candidate(1, "FA-2024-12"), Candidate(2, "FA 2024 012"), Candidate(3, "FA-2024-13")]
    assert one("FA-2024-0012.pdf", candidates) == Proposal("FA-2024-0012.pdf", None, None, "ambiguous", [1, 2])


def test_it_reports_two_different_numbers_of_the_same_length_as_ambiguous():
    proposal = one("FA-1001 et FA-1002.pdf", [Candidate(1, "FA-1001"), Candidate(2, "FA-1002")])
    assert proposal.reason == "ambiguous"
    assert sorted(proposal.alternatives) == [1, 2]


def test_it_lets_the_text_settle_an_ambiguous_file_name():
    candidates = [Candidate(1, "FA-1001"), Candidate(2, "FA-1002")]
    proposal = one("FA-1001 et FA-1002.pdf", candidates, text="Facture n° FA-1002 du 3 mars")
    assert (proposal.invoice_id, proposal.reason) == (2, "text")


# --- Matching by text ----------------------------------------------------------------------------------------------

def test_it_falls_back_to_the_pdf_text():
    text = pdf_text(text_to_pdf("FACTURE\nNuméro : F-2024/0087\nDate : 03/03/2024\nTotal : 1 200,00 €"))
    candidates = [Candidate(1, "F-2024-86"), Candidate(2, "F-2024-87")]
    assert one("scan_0001.pdf", candidates, text=text) == Proposal("scan_0001.pdf", 2, "F-2024-87", "text", [])


def test_it_prefers_the_file_name_over_the_text():
    proposal = one("F-2024-86.pdf", [Candidate(1, "F-2024-86"), Candidate(2, "F-2024-87")], text="F-2024-87")
    assert (proposal.invoice_id, proposal.reason) == (1, "filename")


def test_it_reports_an_ambiguous_text():
    proposal = one("scan.pdf", [Candidate(1, "F-1001"), Candidate(2, "F-1002")], text="avoir F-1001 sur F-1002")
    assert (proposal.invoice_id, proposal.reason, proposal.alternatives) == (None, "ambiguous", [1, 2])


def test_it_finds_nothing_in_an_empty_text():
    assert one("scan.pdf", [Candidate(1, "F-1001")], text="") == Proposal("scan.pdf", None, None, "", [])


# --- One invoice, one file -----------------------------------------------------------------------------------------

def test_it_gives_an_invoice_to_the_file_named_after_it_over_a_text_match():
    files = [("scan.pdf", "Facture F-1001"), ("F-1001.pdf", "")]
    first, second = propose(files, [Candidate(1, "F-1001")])
    assert first == Proposal("scan.pdf", None, None, "", [1])
    assert (second.invoice_id, second.reason) == (1, "filename")


def test_it_gives_an_invoice_to_the_first_of_two_equal_files():
    files = [("F-1001.pdf", ""), ("F-1001 (copie).pdf", ""), ("F-1002.pdf", "")]
    first, second, third = propose(files, [Candidate(1, "F-1001"), Candidate(2, "F-1002")])
    assert (first.invoice_id, first.reason) == (1, "filename")
    assert second == Proposal("F-1001 (copie).pdf", None, None, "", [1])
    assert third.invoice_id == 2


def test_it_returns_one_proposal_per_file_in_order():
    files = [(f"file{i}.pdf", "") for i in range(5)]
    assert [p.filename for p in propose(files, [])] == [name for name, _ in files]


# --- Scale ---------------------------------------------------------------------------------------------------------

def test_it_handles_five_hundred_files_against_twenty_thousand_invoices():
    candidates = [Candidate(i, f"FA-{2020 + i % 5}-{i:05d}") for i in range(20_000)]
    rng = random.Random(1)
    picked = rng.sample(range(20_000), 500)
    filler = " ".join(f"ligne {n} total {n * 3},00 EUR le 12/03/2024" for n in range(200))
    files = []
    for n, i in enumerate(picked):
        number = candidates[i].number
        if n % 2:
            files.append((f"Facture_{number}.pdf", ""))
        else:
            files.append((f"scan_{n}.pdf", f"{filler} Facture n° {number.replace('-', ' ')} {filler}"))
    proposals = propose(files, candidates)
    assert [p.invoice_id for p in proposals] == picked
    assert {p.reason for p in proposals} == {"filename", "text"}
