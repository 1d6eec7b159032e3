"""collecte.extraction.scan: scan-like and photo-like copies of a PDF for the OCR tests and the benchmark."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image

from collecte.extraction.scan import photo, rasterise

from .invoice_pdfs import english_label_above, french_label_left


@pytest.fixture(scope="module")
def three_pages() -> bytes:
    """Two A4 invoice pages with text, then a blank US Letter page (another size)."""
    doc = pdfium.PdfDocument.new()
    for data in (french_label_left(), english_label_above()):
        doc.import_pages(pdfium.PdfDocument(data))
    doc.new_page(612, 792)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    return [page.get_size() for page in pdfium.PdfDocument(data)]


def text_chars(data: bytes) -> int:
    return sum(page.get_textpage().count_chars() for page in pdfium.PdfDocument(data))


def test_it_gives_an_image_only_pdf_with_the_same_pages_and_page_sizes(three_pages):
    assert text_chars(three_pages) > 100  # the original has a text layer
    scanned = rasterise(three_pages)
    assert scanned.startswith(b"%PDF-")
    assert text_chars(scanned) == 0
    assert len(page_sizes(scanned)) == 3
    for (w0, h0), (w1, h1) in zip(page_sizes(three_pages), page_sizes(scanned)):
        assert abs(w1 - w0) / w0 < 0.02 and abs(h1 - h0) / h0 < 0.02


def test_page_size_stays_right_at_another_resolution_and_skew(three_pages):
    scanned = rasterise(three_pages, dpi=100, skew_degrees=-0.8, noise=0.01)
    for (w0, h0), (w1, h1) in zip(page_sizes(three_pages), page_sizes(scanned)):
        assert abs(w1 - w0) / w0 < 0.02 and abs(h1 - h0) / h0 < 0.02


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_bytes(three_pages):
    first = rasterise(three_pages, seed=7)
    assert rasterise(three_pages, seed=7) == first
    assert rasterise(three_pages, seed=8) != first
    assert photo(three_pages, seed=7) == photo(three_pages, seed=7)
    assert photo(three_pages, seed=7) != photo(three_pages, seed=8)


def test_the_page_looks_scanned_not_blank_nor_clean(three_pages):
    page = pdfium.PdfDocument(rasterise(three_pages, max_pages=1))[0].render(scale=150 / 72).to_pil().convert("L")
    low, high = page.getextrema()
    assert low < 60 and high > 200  # dark text on a light page
    clean = pdfium.PdfDocument(three_pages)[0].render(scale=150 / 72, grayscale=True).to_pil().convert("L")
    # Grain: the clean render's blank margin is pure white; the scan's is not uniform.
    corner = (1100, 1600, 1200, 1700)  # bottom right, blank
    assert clean.crop(corner).getextrema() == (255, 255)
    assert page.crop(corner).getextrema()[0] < 250


def test_max_pages_keeps_the_first_pages(three_pages):
    assert len(page_sizes(rasterise(three_pages, max_pages=2))) == 2


def test_photo_is_a_skewed_jpeg_of_page_one_on_a_darker_background(three_pages):
    data = photo(three_pages)
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG" and img.mode == "RGB"
    w, h = 595 * 150 / 72, 842 * 150 / 72
    assert img.width > w and img.height > h  # margin and rotation grow the canvas
    grey = img.convert("L")
    assert grey.getpixel((2, 2)) < 110  # the table in the corner
    assert grey.getpixel((img.width // 2, img.height // 8)) > 130  # the page


def test_it_refuses_what_is_not_a_pdf():
    with pytest.raises(pdfium.PdfiumError):
        rasterise(b"not a pdf")
