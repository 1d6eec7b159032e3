"""Every field of every generated invoice (invoice_pdfs.layout_fixtures: fr/en/de templates drawn in several layouts)
through the text-layer reader, and a position ({page, bbox}) for every field it found."""
import pytest

from collecte.extraction.pdftext import read_text_pdf

from .invoice_pdfs import layout_fixtures

FIXTURES = layout_fixtures()

# expected key -> (result attribute path, position key)
FIELDS = {
    "invoice_number": ("invoice_number", "invoice_number"),
    "issue_date": ("issue_date", "issue_date"),
    "due_date": ("due_date", "due_date"),
    "currency": ("currency", "currency"),
    "total_excl_tax": ("total_excl_tax", "total_excl_tax"),
    "total_tax": ("total_tax", "total_tax"),
    "total_incl_tax": ("total_incl_tax", "total_incl_tax"),
    "document_type": ("document_type", None),
    "seller_name": ("seller.name", "seller.name"),
    "seller_vat_id": ("seller.vat_id", "seller.vat_id"),
    "seller_iban": ("seller.iban", "seller.iban"),
}


def _get(result, path):
    for part in path.split("."):
        result = getattr(result, part)
    return result


def test_fixtures_cover_the_brief():
    names = [name for name, _pdf, _exp in FIXTURES]
    assert len(names) == len(set(names)) >= 20
    assert {n.split("_")[0] for n in names} == {"fr", "en", "de"}
    assert {n.rsplit("-", 1)[1] for n in names} == {"label_left", "right_aligned", "label_above"}
    expected = [exp for _n, _p, exp in FIXTURES]
    assert {e["document_type"] for e in expected} == {"invoice", "credit_note"}
    assert any(e["total_incl_tax"] < 0 for e in expected) and any(e["due_date"] is None for e in expected)
    assert all(set(e) == set(FIELDS) for e in expected)


@pytest.mark.parametrize("name,data,expected", FIXTURES, ids=[f[0] for f in FIXTURES])
def test_every_field_of_every_layout(name, data, expected):
    result = read_text_pdf(data, f"{name}.pdf")
    assert result.source == "pdf-text"
    got = {key: _get(result, path) for key, (path, _pos) in FIELDS.items()}
    wrong = {key: (got[key], want) for key, want in expected.items() if got[key] != want}
    assert not wrong, f"{name}: (read, expected) {wrong}"
    assert not any(w.startswith("totals_inconsistent") for w in result.warnings)
    for key, (_path, pos_key) in FIELDS.items():
        if pos_key is None or got[key] is None:
            continue
        pos = result.positions.get(pos_key)
        assert pos, f"{name}: no position for {key}"
        assert pos["page"] == 1 and len(pos["bbox"]) == 4
        x0, top, x1, bottom = pos["bbox"]
        assert 0 <= x0 < x1 <= 595 and 0 <= top < bottom <= 842, f"{name}: {key} bbox {pos['bbox']}"
