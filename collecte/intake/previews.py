"""Page images of a document for the review screen, and each page's size in PDF points (the unit of the
extraction's field positions), both cached: the first look renders, the next ones read the cache.

Images are sized in points from their DPI exactly as the OCR path sizes them (collecte.extraction.ocr), so a
field's box lands on the same spot of the picture.
"""
from __future__ import annotations

import io
import json
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from collecte.lib.pdfium import serialised

log = logging.getLogger(__name__)

PREVIEW_WIDTH = 1100  # pixels: sharp on a laptop's half screen, about 150 kB a page
MAX_PREVIEW_HEIGHT = 6000  # pixels: a page drawn 36 times taller than wide must not take gigabytes to render
MAX_PREVIEW_PAGES = 50
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/heic", "image/heif"}


def _cache_name(document, name):
    return f"previews/{document.folder_id}/{document.pk}-{document.sha256[:16]}/{name}"


def _read(document):
    with default_storage.open(document.file, "rb") as f:
        return f.read()


def page_sizes(document) -> list[dict]:
    """[{"n": 1, "width": 595.3, "height": 841.9}, …] in points; [] for a file that has no pages to show."""
    name = _cache_name(document, "pages.json")
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as f:
            return json.loads(f.read())
    try:
        sizes = _measure(document)
    except Exception as exc:  # a damaged file: the review shows the fields without the page
        log.info("document %s: no preview: %s", document.pk, exc)
        sizes = []
    default_storage.save(name, ContentFile(json.dumps(sizes).encode()))
    return sizes


@serialised
def _measure(document):
    if document.content_type == "application/pdf":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(_read(document))
        try:
            return [{"n": i + 1, "width": round(w, 2), "height": round(h, 2)}
                    for i, (w, h) in enumerate(pdf.get_page_size(i) for i in range(min(len(pdf),
                                                                                         MAX_PREVIEW_PAGES)))]
        finally:
            pdf.close()
    if document.content_type in IMAGE_TYPES:
        from collecte.extraction.ocr import image_pages

        return [{"n": p.number, "width": round(p.image.width * p.points_per_pixel, 2),
                 "height": round(p.image.height * p.points_per_pixel, 2)}
                for p in image_pages(_read(document), max_pages=MAX_PREVIEW_PAGES)]
    return []


def page_png(document, number: int) -> bytes | None:
    """The page as a PNG PREVIEW_WIDTH wide, or None when the document has no such page."""
    sizes = page_sizes(document)
    if not 1 <= number <= len(sizes):
        return None
    name = _cache_name(document, f"{number}.png")
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as f:
            return f.read()
    image = _render(document, number, sizes[number - 1])
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False, compress_level=3)
    data = buffer.getvalue()
    default_storage.save(name, ContentFile(data))
    return data


@serialised
def _render(document, number, size):
    if document.content_type == "application/pdf":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(_read(document))
        try:
            page = pdf[number - 1]
            try:
                scale = min(PREVIEW_WIDTH / size["width"], MAX_PREVIEW_HEIGHT / size["height"])
                return page.render(scale=scale).to_pil().convert("RGB")  # a copy
            finally:
                page.close()
        finally:
            pdf.close()
    from PIL import Image, ImageOps

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover
        pass
    image = Image.open(io.BytesIO(_read(document)))
    image.seek(number - 1)
    frame = ImageOps.exif_transpose(image.copy()).convert("RGB")
    scale = min(PREVIEW_WIDTH / frame.width, MAX_PREVIEW_HEIGHT / frame.height)
    return frame.resize((round(frame.width * scale), round(frame.height * scale))) if scale < 1 else frame
