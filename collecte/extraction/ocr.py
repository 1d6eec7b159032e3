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
import math
import os
import re
import threading
from dataclasses import dataclass

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

from PIL import Image, ImageOps  # noqa: E402

from collecte.lib.pdfium import serialised  # noqa: E402

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
        api = tesserocr.PyTessBaseAPI(path=path, lang=LANGUAGES, psm=tesserocr.PSM.AUTO)
        _local.api = api
    return api


@serialised
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
                # Copied out of PDFium's bitmap before it is freed, inside the lock.
                image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
            finally:
                page.close()
            pages.append(Page(image, index + 1, 1 / scale))
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


def read_words(api, page: Page) -> tuple[list[Word], float]:
    """Recognised words with their boxes (in points, deskewed) and the page's mean word confidence (0-100).

    One recognition pass on the page as it is: tesseract copes with small skew by itself, and the skew is then taken
    out of the word boxes (from the text lines' baselines) rather than by rotating the image, which would cost a
    second layout pass. A page that reads badly is asked for its orientation (tesseract's OSD) and, when it lies on
    its side or upside down, turned and read again."""
    words, mean, skew = _recognise(api, page.image, page)
    if abs(skew) > STRAIGHTEN_ABOVE:
        # A photo taken at an angle: tesseract's page layout loses whole columns; straighten the image and read again.
        degrees = math.degrees(math.atan(skew))
        page = Page(page.image.rotate(degrees, resample=Image.BICUBIC, expand=True, fillcolor=255), page.number,
                    page.points_per_pixel)
        words, mean, _skew = _recognise(api, page.image, page)
    if mean < REREAD_BELOW or len(words) < 5:
        quarter = _orientation(page.image)
        if quarter:
            turned = Page(page.image.rotate(quarter, expand=True, fillcolor=255), page.number, page.points_per_pixel)
            again, again_mean, _skew = _recognise(api, turned.image, turned)
            if again_mean > mean:
                return again, again_mean
    return words, mean


REREAD_BELOW = 60
STRAIGHTEN_ABOVE = math.tan(math.radians(1.5))


def _recognise(api, image: Image.Image, page: Page) -> tuple[list[Word], float, float]:
    """(words, mean confidence, skew as the median slope of long text lines)."""
    try:
        api.SetImage(image)
        api.Recognize()
    except RuntimeError:  # tesserocr's "No text returned" on a blank page
        return [], 0.0, 0.0
    iterator = api.GetIterator()
    if iterator is None:
        return [], 0.0, 0.0
    boxes, confidences, slopes = [], [], []
    for item in tesserocr.iterate_level(iterator, tesserocr.RIL.WORD):
        try:
            text = (item.GetUTF8Text(tesserocr.RIL.WORD) or "").strip()
        except RuntimeError:  # "No text returned": an empty block (a line, a stain)
            continue
        if item.IsAtBeginningOf(tesserocr.RIL.TEXTLINE):
            baseline = item.Baseline(tesserocr.RIL.TEXTLINE)
            if baseline:
                (x1, y1), (x2, y2) = baseline
                if x2 - x1 > image.width / 6:  # long lines say the skew; short ones are noise
                    slopes.append((y2 - y1) / (x2 - x1))
        confidence = item.Confidence(tesserocr.RIL.WORD)
        box = item.BoundingBox(tesserocr.RIL.WORD)
        if not text or box is None or (confidence < MIN_WORD_CONFIDENCE and not any(c.isalnum() for c in text)):
            continue
        boxes.append((text, box))
        confidences.append(confidence)
    # Tesseract reports some lines flat (slope exactly 0) whatever the page's skew: those say nothing.
    tilted = sorted(slope for slope in slopes if abs(slope) > 1e-4)
    skew = tilted[len(tilted) // 2] if len(tilted) >= 3 and len(tilted) * 3 >= len(slopes) else 0.0
    words = _join_split_decimals([_word(text, box, page, skew, image.width / 2, image.height / 2)
                                  for text, box in boxes])
    return words, (sum(confidences) / len(confidences) if confidences else 0.0), skew


SPLIT_WHOLE = re.compile(r"[-\u2212]?\d[\d.,' ]*[.,]")
SPLIT_CENTS = re.compile(r"\d{2}(?:[€$£%]|EUR)?[.,;:]?")


def _join_split_decimals(words: list[Word]) -> list[Word]:
    """"1256," "70" -> "1256,70": OCR often cuts an amount after its decimal separator (a speck, a thin glyph)."""
    out: list[Word] = []
    for word in words:
        prev = out[-1] if out else None
        if prev is not None and SPLIT_WHOLE.fullmatch(prev.text) and SPLIT_CENTS.fullmatch(word.text) \
                and abs(prev.middle - word.middle) < prev.height * 0.5 and 0 <= word.x0 - prev.x1 < prev.height:
            out[-1] = Word(prev.text + word.text, prev.page, prev.x0, min(prev.top, word.top), word.x1,
                           max(prev.bottom, word.bottom))
            continue
        out.append(word)
    return out


def _word(text, box, page: Page, skew: float, cx: float, cy: float) -> Word:
    """The word's box turned by -skew around the page centre (its centre moves; its size stays), in points."""
    x0, y0, x1, y1 = box
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    cos, sin = 1 / (1 + skew * skew) ** 0.5, skew / (1 + skew * skew) ** 0.5
    nx = cx + (mx - cx) * cos + (my - cy) * sin
    ny = cy - (mx - cx) * sin + (my - cy) * cos
    half_w, half_h = (x1 - x0) / 2, (y1 - y0) / 2
    k = page.points_per_pixel
    return Word(text, page.number, (nx - half_w) * k, (ny - half_h) * k, (nx + half_w) * k, (ny + half_h) * k)


_osd_local = threading.local()


def _orientation(image: Image.Image) -> int:
    """Degrees to turn the image (counter-clockwise, as PIL turns) so that its text stands upright; 0 when unsure."""
    api = getattr(_osd_local, "api", None)
    if api is None:
        path = tessdata_path()
        if path is None or not os.path.exists(os.path.join(path, "osd.traineddata")):
            return 0
        api = tesserocr.PyTessBaseAPI(path=path, lang="osd", psm=tesserocr.PSM.OSD_ONLY)
        _osd_local.api = api
    api.SetImage(image)
    try:
        found = api.DetectOrientationScript()
    except RuntimeError:
        return 0
    if not found or found.get("orient_conf", 0) < 2:
        return 0
    # orient_deg is how far the page is turned clockwise; PIL's rotate turns counter-clockwise.
    return found["orient_deg"] % 360


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
    read_fields(lines, result, source="ocr")
    quality = sum(confidences) / len(confidences) / 100
    # A field read from OCR is never as sure as the same field from a text layer; poor scans lower it further.
    for name, value in result.confidence.items():
        result.confidence[name] = round(value * min(0.95, 0.5 + quality / 2), 2)
    if quality < 0.6:
        result.warn(f"ocr_low_quality: the scan reads poorly (mean word confidence {quality:.0%}); check every field")
    return result
