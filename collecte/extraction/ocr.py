"""OCR for scans and photos (issue 4, item 4): pages as images, orientation and skew corrected, tesseract (tesserocr)
with fra+eng+deu, then the same field logic as the PDF text layer on the recognised words and their boxes.

Pages of a PDF are rendered at 300 dpi with pypdfium2; an image is taken as it is (EXIF orientation applied). Word
boxes are given back in the units of the text path: PDF points with the origin at the top-left for a PDF page, and
for an image the image's pixels scaled to points by its resolution (72 dpi when it says none), so the review screen
draws boxes the same way for every source.

Tesseract runs with one thread (`OMP_THREAD_LIMIT=1`, set before it loads): the worker runs several documents side
by side, and OpenMP inside each one only makes them fight for the same cores. One engine per process and thread is
kept (loading three languages costs about half a second).
"""
from __future__ import annotations

import glob
import io
import os
import threading
from dataclasses import dataclass

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image, ImageOps  # noqa: E402

from .pdftext import has_text, read_fields  # noqa: E402
from .pdftext.layout import Line, Word, _lines  # noqa: E402
from .result import ExtractionResult  # noqa: E402

LANGUAGES = "fra+eng+deu"
RENDER_DPI = 300
MAX_PAGES = 5
MAX_PIXELS = 40_000_000  # a 300 dpi A3 is 17 Mpx; larger images are scaled down first
MIN_WORD_CONFIDENCE = 30  # tesseract's 0-100 word confidence; below it a "word" is mostly speckle
NO_OCR_ENGINE = "ocr_unavailable: tesseract (tesserocr) or its fra/eng/deu data is not installed"
NOTHING_READ = "ocr_no_text: OCR found no text on the page (blank page, or an image too poor to read)"

try:
    import tesserocr
except ImportError:  # pragma: no cover - a dependency; a deployment without it keeps working without OCR
    tesserocr = None


class OcrUnavailable(RuntimeError):
    pass


@dataclass
class Page:
    image: Image.Image
    number: int
    points_per_pixel: float


def tessdata_path() -> str | None:
    """Debian's tessdata (tesseract-ocr-fra/eng/deu), or TESSDATA_PREFIX when set."""
    candidates = [os.environ.get("TESSDATA_PREFIX", "")] + sorted(glob.glob("/usr/share/tesseract-ocr/*/tessdata"),
                                                                  reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata"]
    for path in candidates:
        if path and all(os.path.exists(os.path.join(path, f"{lang}.traineddata")) for lang in LANGUAGES.split("+")):
            return path.rstrip("/") + "/"
    return None


def available() -> bool:
    return tesserocr is not None and tessdata_path() is not None


_local = threading.local()


def _engine():
    api = getattr(_local, "api", None)
    if api is None:
        path = tessdata_path()
        if tesserocr is None or path is None:
            raise OcrUnavailable(NO_OCR_ENGINE)
        api = tesserocr.PyTessBaseAPI(path=path, lang=LANGUAGES, psm=tesserocr.PSM.AUTO_OSD)
        _local.api = api
    return api


def pdf_pages(data: bytes, dpi: int = RENDER_DPI, max_pages: int = MAX_PAGES) -> list[Page]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        pages = []
        for index in range(min(len(pdf), max_pages)):
            page = pdf[index]
            try:
                scale = dpi / 72
                longest = max(page.get_width(), page.get_height()) * scale
                if longest * longest > MAX_PIXELS:  # huge page sizes (posters, bad MediaBoxes)
                    scale = (MAX_PIXELS ** 0.5) / max(page.get_width(), page.get_height())
                image = page.render(scale=scale, grayscale=True).to_pil()
            finally:
                page.close()
            pages.append(Page(image.convert("L"), index + 1, 1 / scale))
        return pages
    finally:
        pdf.close()


def image_pages(data: bytes, max_pages: int = MAX_PAGES) -> list[Page]:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover
        pass
    image = Image.open(io.BytesIO(data))
    pages = []
    for index in range(max_pages):
        try:
            image.seek(index)  # multi-page TIFFs
        except EOFError:
            break
        frame = ImageOps.exif_transpose(image.copy()).convert("L")
        dpi = _image_dpi(image)
        factor = 1.0
        if frame.width * frame.height > MAX_PIXELS:
            factor = (MAX_PIXELS / (frame.width * frame.height)) ** 0.5
            frame = frame.resize((int(frame.width * factor), int(frame.height * factor)))
        pages.append(Page(frame, index + 1, 72 / dpi / factor))
    return pages


def _image_dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError):
        value = 0.0
    return value if 50 <= value <= 1200 else 72.0


def upright(api, page: Page) -> tuple[Image.Image, float]:
    """The page turned upright (0/90/180/270 from tesseract's orientation analysis) and deskewed; its word boxes are
    then read on this corrected image. Returns the image and the angle it was turned by."""
    image = page.image
    api.SetImage(image)
    angle = 0.0
    layout = api.AnalyseLayout()
    if layout is not None:
        orientation, _direction, _order, deskew = layout.Orientation()
        quarter = {tesserocr.Orientation.PAGE_RIGHT: 90, tesserocr.Orientation.PAGE_DOWN: 180,
                   tesserocr.Orientation.PAGE_LEFT: 270}.get(orientation, 0)
        if quarter:
            image = image.rotate(quarter, expand=True, fillcolor=255)
            angle += quarter
        # deskew is in radians, counter-clockwise positive as tesseract measures text lines.
        degrees = -deskew * 180 / 3.141592653589793
        if 0.1 < abs(degrees) < 15:
            image = image.rotate(-degrees, expand=False, fillcolor=255, resample=Image.BICUBIC)
            angle -= degrees
    return image, angle


def read_words(api, page: Page) -> tuple[list[Word], float]:
    """Recognised words with their boxes (in points) and the page's mean word confidence (0-100)."""
    try:
        image, _angle = upright(api, page)
        api.SetImage(image)
        api.Recognize()
    except RuntimeError:  # tesserocr's "No text returned" on a blank page
        return [], 0.0
    words, confidences = [], []
    iterator = api.GetIterator()
    level = tesserocr.RIL.WORD
    if iterator is not None:
        for item in tesserocr.iterate_level(iterator, level):
            try:
                text = (item.GetUTF8Text(level) or "").strip()
            except RuntimeError:  # "No text returned": an empty block (a line, a stain)
                continue
            if not text:
                continue
            confidence = item.Confidence(level)
            box = item.BoundingBox(level)
            if box is None or (confidence < MIN_WORD_CONFIDENCE and not any(c.isalnum() for c in text)):
                continue
            x0, y0, x1, y1 = (v * page.points_per_pixel for v in box)
            words.append(Word(text, page.number, x0, y0, x1, y1))
            confidences.append(confidence)
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return words, mean


def read_ocr(data: bytes, kind: str, file: str | None = None) -> ExtractionResult:
    """OCR a scanned PDF (kind "pdf") or an image (kind "image") and read its fields."""
    result = ExtractionResult(file=file)
    api = _engine()
    pages = pdf_pages(data) if kind == "pdf" else image_pages(data)
    lines: list[Line] = []
    confidences = []
    for page in pages:
        words, mean = read_words(api, page)
        if words:
            lines.extend(_lines(words, page.number))
            confidences.append(mean)
    if not has_text(lines):
        result.warn(NOTHING_READ)
        return result
    result.page_lines = lines
    read_fields(lines, result, source="ocr")
    quality = sum(confidences) / len(confidences) / 100
    # A field read from OCR is never as sure as the same field from a text layer; poor scans lower it further.
    for name, value in result.confidence.items():
        result.confidence[name] = round(value * min(0.95, 0.5 + quality / 2), 2)
    if quality < 0.6:
        result.warn(f"ocr_low_quality: the scan reads poorly (mean word confidence {quality:.0%}); check every field")
    return result
