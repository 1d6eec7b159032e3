"""Make a PDF look scanned or photographed, for the OCR tests and the extraction benchmark (issue 4, "Tests").

Pure functions, no Django, Pillow and pypdfium2 only (no numpy). Deterministic: the same input, parameters and seed
give the same bytes (the noise comes from `random.Random` seeded per page, never from Pillow's unseeded
`effect_noise`, and the PDF carries no creation date).

- `rasterise(pdf)` -> an image-only PDF (no text layer): each page rendered at `dpi`, greyscale, slightly blurred like
  a scanner's optics, rotated by `skew_degrees` about its centre on a white background, with grain and a few specks,
  JPEG-compressed, one image per page at the page's original size in points.
- `photo(pdf)` -> a JPEG of page 1 like a phone photo: stronger skew, the page on a darker table, uneven lighting (a
  gradient across the page), a slight warm tint, grain.
"""
from __future__ import annotations

import io
import math
import random

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from collecte.lib.pdfium import serialised

__all__ = ["rasterise", "photo"]

# The spread (standard deviation) of the average of two uniform bytes: 256 / sqrt(12) / sqrt(2).
_TRIANGULAR_SD = 256 / math.sqrt(24)


def rasterise(pdf_bytes: bytes, dpi: int = 150, skew_degrees: float = 1.0, noise: float = 0.03, seed: int = 0,
              jpeg_quality: int = 75, max_pages: int | None = None) -> bytes:
    """An image-only PDF that looks like a scan of `pdf_bytes` (see the module docstring).

    `noise` is the grain's standard deviation as a fraction of full white (0.03 ≈ 8 grey levels); it also sets the
    number of specks. The rotation keeps the page's size, like a scanner's glass: growing the canvas to hold the
    rotated corners would widen an A4 page by 2.4 % at 1°, and invoices keep their margins clear anyway.
    """
    pages = []
    for index, page in enumerate(_render(pdf_bytes, dpi, max_pages)):
        rng = random.Random(f"scan:{seed}:{index}")
        img = page.filter(ImageFilter.GaussianBlur(0.5))
        img = img.rotate(skew_degrees, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
        img = _grain(img, noise, rng)
        img = _specks(img, noise, rng)
        pages.append(img)
    if not pages:
        raise ValueError("the PDF has no pages")
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), quality=jpeg_quality,
                  title=None, creationDate=None, modDate=None)
    return out.getvalue()


def photo(pdf_bytes: bytes, dpi: int = 150, skew_degrees: float = 3.0, noise: float = 0.04, seed: int = 0,
          jpeg_quality: int = 80, lighting: float = 0.35) -> bytes:
    """A JPEG of page 1 like a phone photo: the page on a table, skewed, lit unevenly (`lighting` = how much darker
    the dim corner is than the bright one, as a fraction)."""
    rendered = _render(pdf_bytes, dpi, 1)
    if not rendered:
        raise ValueError("the PDF has no pages")
    page = rendered[0]
    rng = random.Random(f"photo:{seed}")
    margin = max(8, page.width // 20)
    canvas = Image.new("L", (page.width + 2 * margin, page.height + 2 * margin), 70)  # a dark table around the page
    canvas.paste(page.filter(ImageFilter.GaussianBlur(0.7)), (margin, margin))
    img = canvas.rotate(skew_degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=70)
    img = ImageChops.multiply(img, _lighting(img.size, lighting, rng))
    img = _grain(img, noise, rng)
    # A slight warm cast (indoor light): red kept, green and blue a little lower.
    rgb = Image.merge("RGB", (img, img.point(lambda v: v * 0.97), img.point(lambda v: v * 0.90)))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=jpeg_quality)
    return out.getvalue()


@serialised
def _render(pdf_bytes: bytes, dpi: int, max_pages: int | None) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        count = len(doc) if max_pages is None else min(len(doc), max_pages)
        images = []
        for index in range(count):
            page = doc[index]
            try:
                bitmap = page.render(scale=dpi / 72, grayscale=True, fill_color=(255, 255, 255, 255))
                images.append(bitmap.to_pil().convert("L"))
            finally:
                page.close()
        return images
    finally:
        doc.close()


def _grain(img: Image.Image, noise: float, rng: random.Random) -> Image.Image:
    """Add gaussian-ish grain: the average of two seeded uniform noise images (a triangular distribution), scaled to a
    standard deviation of `noise` × 255 around 0."""
    if noise <= 0:
        return img
    size = img.size
    a = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    b = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    gain = noise * 255 / _TRIANGULAR_SD
    grain = ImageChops.add(a, b, scale=2.0).point([max(0, min(255, round(128 + (v - 128) * gain))) for v in range(256)])
    return ImageChops.add(img, grain, scale=1.0, offset=-128)


def _specks(img: Image.Image, noise: float, rng: random.Random) -> Image.Image:
    """A few dust specks and dropouts, about noise × 1000 per page (30 at the default), 1 to 3 pixels wide."""
    count = round(noise * 1000)
    if count <= 0:
        return img
    draw = ImageDraw.Draw(img)
    for _ in range(count):
        x, y = rng.randrange(img.width), rng.randrange(img.height)
        r = rng.choice((0.5, 1, 1, 1.5))
        shade = rng.choice((0, 30, 60, 255)) if rng.random() < 0.8 else 255
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    return img


def _lighting(size: tuple[int, int], strength: float, rng: random.Random) -> Image.Image:
    """A brightness mask from 255 (bright side) down to 255 × (1 - strength), along a random direction."""
    ramp = Image.linear_gradient("L").resize((512, 512))  # 0 at the top to 255 at the bottom
    ramp = ramp.point([round(255 - strength * 255 * v / 255) for v in range(256)])
    ramp = ramp.rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR, expand=False, fillcolor=None)
    # Rotating a square leaves corners empty: crop the middle, which every angle covers, then stretch to the image.
    inner = round(512 / math.sqrt(2))
    offset = (512 - inner) // 2
    return ramp.crop((offset, offset, offset + inner, offset + inner)).resize(size, Image.Resampling.BILINEAR)
