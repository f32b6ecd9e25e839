"""Images as a browser shows them: Label Studio's ``<Image>`` is an ``<img>`` in the reviewer's browser, which shows
PNG, JPEG, GIF, WebP and BMP but not TIFF (only Safari does: HumanSignal/label-studio #1929, #354) nor the other
formats only Pillow reads (JPEG 2000, PPM, ...). Review tasks carry those re-encoded as PNG
(:mod:`weaksup.review.labelstudio_media`).
"""

from __future__ import annotations

import io
import logging
from typing import Any

__all__ = ["BROWSER_IMAGES", "browser_image", "image_format"]

logger = logging.getLogger(__name__)

#: The image formats (Pillow's names) browsers show, so Label Studio's ``<Image>`` does, and their media types.
BROWSER_IMAGES = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "GIF": "image/gif",
                  "WEBP": "image/webp", "BMP": "image/bmp"}
_PNG_MODES = ("1", "L", "LA", "I;16", "P", "RGB", "RGBA")


def image_format(payload: bytes) -> str:
    """The format (Pillow's name) of an image's bytes.

    Examples
    --------
    >>> image_format(_tiny_tiff()), image_format(browser_image(_tiny_tiff())[0])
    ('TIFF', 'PNG')
    """
    from PIL import Image

    with Image.open(io.BytesIO(payload)) as image:
        return str(image.format or "unknown")


def _tiny_tiff() -> bytes:
    """A 2x2 grey TIFF (for the examples)."""
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((2, 2), 7, np.uint8)).save(buffer, format="TIFF")
    return buffer.getvalue()


def browser_image(payload: bytes) -> tuple[bytes, str] | None:
    """An image's bytes and media type as a browser can show them: PNG, JPEG, GIF, WebP and BMP as they are; any
    other format Pillow reads (TIFF, JPEG 2000, PPM, ...) re-encoded as PNG (its first frame). None without Pillow
    (the bytes go as they are).

    Examples
    --------
    >>> import numpy as np
    >>> from PIL import Image
    >>> png, mime = browser_image(_tiny_tiff())
    >>> mime, png[:4], np.asarray(Image.open(io.BytesIO(png))).tolist()
    ('image/png', b'\\x89PNG', [[7, 7], [7, 7]])
    """
    try:
        from PIL import Image
    except ImportError:
        return None
    with Image.open(io.BytesIO(payload)) as opened:
        found = str(opened.format)
        if found in BROWSER_IMAGES:
            return payload, BROWSER_IMAGES[found]
        opened.load()
        image: Image.Image = opened
        if image.mode in ("F", "I") or (image.mode.startswith("I;16") and image.mode != "I;16"):
            image = _grey_8bit(image)  # (Pillow writes no 32-bit or float PNG: scaled to its own range)
        if image.mode not in _PNG_MODES:
            has_alpha = "A" in image.mode or "transparency" in image.info
            image = image.convert("RGBA" if has_alpha else "RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    logger.debug("a %s image re-encoded as PNG for the browser", found)
    return buffer.getvalue(), "image/png"


def _grey_8bit(image: Any) -> Any:
    """A deep grey image (float, 32-bit or byte-swapped 16-bit) as 8-bit grey, scaled from its own min to its max."""
    import numpy as np
    from PIL import Image

    values = np.asarray(image, dtype=np.float64)
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    scaled = (np.nan_to_num(values, nan=low) - low) / (high - low) * 255 if high > low else np.zeros_like(values)
    return Image.fromarray(np.clip(scaled, 0, 255).astype(np.uint8), mode="L")
