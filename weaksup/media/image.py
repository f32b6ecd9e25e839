"""Images as rows: :func:`load_image` (a path, bytes, an array or a Pillow image -> a float array) and
:class:`ImageFeatures` (an image -> one float32 vector an LF reads: size, intensity and colour statistics, edge
density, HOG descriptors).

:class:`ImageFeatures` follows :class:`weaksup.media.features.FeatureExtractor`: a stable ``id`` (kinds,
parameters and the code version, never a path), one name per output column, and ``extractor(item)`` -> a 1-D
float32 vector. Give it to :func:`weaksup.media.features.extract` or ``media_preprocessor`` to compute each
distinct image once (cached by content), or to ``weaksup.lf.affinity.affinity_lf`` to vote by similarity to a few
labeled prototypes. Needs ``pip install "weaksup[image]"`` (Pillow, scikit-image).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from weaksup.errors import DataError, ParameterError, WeakSupError
from weaksup.media.features import check_kinds, require, resolve_item
from weaksup.media.paths import check_media_file

__all__ = ["IMAGE_KINDS", "ImageFeatures", "load_image"]

#: The feature groups :class:`ImageFeatures` computes, in output order.
IMAGE_KINDS = ("size", "intensity", "colour", "edges", "hog")
_VERSION = 2  # 2: channels of the original (RGBA 4, grey+alpha 2); large files decoded at a reduced scale
_INTENSITY = ("mean", "std", "p05", "p50", "p95", "contrast", "dark_fraction", "bright_fraction", "entropy")
_COLOUR = ("red_mean", "green_mean", "blue_mean", "saturation_mean", "colourfulness")
_NAMES: dict[str, tuple[str, ...]] = {"size": ("height", "width", "aspect", "channels"), "intensity": _INTENSITY,
                                      "colour": _COLOUR, "edges": ("edge_density", "gradient_mean")}


def _require(module: str) -> Any:
    return require(module, "image", "Image features")


def _from_pillow(image: Any, what: str) -> np.ndarray:
    """A Pillow image as float32 in [0, 1], upright (EXIF orientation applied): (h, w) for grey modes, (h, w, 3)
    for colour (alpha dropped)."""
    image = _require("PIL.ImageOps").exif_transpose(image) or image
    if image.mode == "LA":
        image = image.convert("L")
    if image.mode in ("1", "L", "I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image)
        if image.mode == "1":
            return array.astype(np.float32)
        if image.mode == "L":
            return array.astype(np.float32) / 255.0
        if image.mode.startswith("I;16") or (image.mode == "I" and array.min() >= 0 and array.max() <= 65535):
            return array.astype(np.float32) / 65535.0  # (16-bit files may open as mode "I")
        return _from_array(array.astype(np.float64), what)
    if image.mode != "RGB":
        image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")
    return np.asarray(image, dtype=np.float32)[..., :3] / 255.0


def _from_array(array: np.ndarray, what: str) -> np.ndarray:
    """An array image as float32 in [0, 1]: uint8/uint16 scaled, bool as 0/1, floats checked to be in [0, 1]."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3) or 0 in array.shape:
        raise DataError(f"{what}: an image array of shape {array.shape} is not an image; give (height, width) grey "
                        "or (height, width, 3|4) colour values")
    if array.dtype == np.bool_:
        return array.astype(np.float32)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if array.dtype == np.uint16:
        return array.astype(np.float32) / 65535.0
    if not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{what}: an image array of dtype {array.dtype} is not numeric; give uint8, uint16 or "
                        "floats in [0, 1]")
    values = array.astype(np.float32)
    if not np.isfinite(values).all() or values.min() < 0.0 or values.max() > 1.0:
        raise DataError(f"{what}: a float image array must hold finite values in [0, 1] (found "
                        f"{np.nanmin(values):.3g}..{np.nanmax(values):.3g}); scale it (e.g. array / 255) or give uint8")
    return values


def load_image(item: Any, *, root: str | os.PathLike[str] | None = None, grey: bool = False,
               min_size: tuple[int, int] | None = None) -> np.ndarray:
    """An image as a float32 array in [0, 1]: ``(height, width)`` grey or ``(height, width, 3)`` RGB.

    Parameters
    ----------
    item : str, Path, bytes, numpy.ndarray or PIL.Image.Image
        A file path (PNG, JPEG, TIFF, BMP, GIF: anything Pillow opens), a file's bytes, an array (uint8, uint16,
        bool, or floats in [0, 1]; ``(h, w)``, ``(h, w, 1)``, ``(h, w, 3)`` or ``(h, w, 4)``, alpha dropped) or a
        Pillow image.
    root : str or Path, optional
        The folder relative paths are taken from (default: the working directory).
    grey : bool, default False
        Colour images converted to luminance (``skimage.color.rgb2gray``).
    min_size : (height, width), optional
        A file (or its bytes) much larger than this is decoded at a reduced scale whose sides stay at least twice
        these (a JPEG's DCT scaling, ``PIL.Image.Image.draft``; then ``Image.reduce``'s box averaging): for features
        of images resized to ``min_size``, at a fraction of the cost of decoding every pixel.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    DataError
        A missing or unreadable file, one over Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``), or
        an array that is not an image, named with the fix.

    Examples
    --------
    >>> import numpy as np
    >>> load_image(np.full((2, 3), 255, dtype=np.uint8)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    >>> load_image(np.zeros((4, 4, 3), dtype=np.uint8), grey=True).shape
    (4, 4)
    """
    if isinstance(item, np.ndarray):
        image = _from_array(item, "load_image")
    elif isinstance(item, (bytes, bytearray, memoryview, str, os.PathLike)):
        with _opened(item, root) as opened:
            what = "load_image(bytes)" if isinstance(item, (bytes, bytearray, memoryview)) else str(
                resolve_item(item, root))
            image = _from_pillow(opened if min_size is None else _reduced(opened, min_size), what)
    elif hasattr(item, "mode") and hasattr(item, "convert"):
        image = _from_pillow(item, "load_image(PIL image)")
    else:
        raise DataError(f"load_image: cannot read an image from {type(item).__name__} {item!r:.80}; give a file "
                        "path, its bytes, a numpy array or a PIL image")
    if grey and image.ndim == 3:
        image = np.asarray(_require("skimage.color").rgb2gray(image), dtype=np.float32)
    return image


@contextlib.contextmanager
def _opened(item: Any, root: str | os.PathLike[str] | None) -> Iterator[Any]:
    """A file (or its bytes) opened with Pillow (header read, pixels not yet decoded); errors while opening or
    decoding it in the ``with`` block are named with the fix."""
    pil = _require("PIL.Image")
    if isinstance(item, (bytes, bytearray, memoryview)):
        source: Any = io.BytesIO(bytes(item))
        what, fix = f"load_image: {len(bytes(item)):,} bytes", "give the bytes of a PNG/JPEG/TIFF file"
    else:
        source = check_media_file(item, root, "image", "image file")
        what, fix = f"image file {str(source)!r}", "replace or remove it"
    try:
        with pil.open(source) as opened:
            yield opened
    except WeakSupError:
        raise
    except pil.DecompressionBombError as exc:  # a valid file, larger than Pillow decodes by default
        raise DataError(f"{what} is larger than Pillow decodes by default ({exc}); if you trust the file, downscale "
                        "it, or raise the limit before the run (PIL.Image.MAX_IMAGE_PIXELS = None, e.g. in the LF "
                        "module)") from None
    except (OSError, ValueError) as exc:
        if isinstance(item, (bytes, bytearray, memoryview)):
            raise DataError(f"{what} are not an image Pillow can read ({exc}); {fix}") from None
        raise DataError(f"{what} cannot be read as an image ({exc}); {fix}") from None


#: Pillow modes ``Image.reduce`` works on.
_REDUCIBLE = frozenset({"L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "YCbCr"})


def _turned(image: Any) -> bool:
    """True when the EXIF orientation swaps the stored width and height (rotated a quarter turn)."""
    return image.getexif().get(0x0112) in (5, 6, 7, 8)


def _reduced(opened: Any, min_size: tuple[int, int]) -> Any:
    """An opened image decoded at a reduced scale whose upright sides stay at least twice ``min_size``."""
    need = (2 * min_size[0], 2 * min_size[1]) if _turned(opened) else (2 * min_size[1], 2 * min_size[0])
    if opened.format == "JPEG":
        opened.draft(opened.mode, need)  # DCT scaling (1/2, 1/4, 1/8) while decoding
    factor = min(opened.size[0] // need[0], opened.size[1] // need[1])
    return opened.reduce(factor) if factor >= 2 and opened.mode in _REDUCIBLE else opened


def _bands(image: Any) -> int:
    """The channels of a Pillow image as stored: its mode's bands, a palette's colours (RGB, or RGBA with
    transparency)."""
    if image.mode in ("P", "PA"):
        return 4 if image.mode == "PA" or "transparency" in image.info else 3
    return len(image.getbands())


def _shape(item: Any, image: np.ndarray | None) -> np.ndarray:
    """``height, width, aspect, channels`` of the original: a file's from its header (no pixel decoded), an
    array's or a Pillow image's from it."""
    if isinstance(item, (bytes, bytearray, memoryview, str, os.PathLike)):
        with _opened(item, None) as opened:
            width, height = opened.size
            if _turned(opened):
                width, height = height, width
            channels = _bands(opened)
    else:
        assert image is not None
        height, width = image.shape[:2]
        channels = _bands(item) if hasattr(item, "getbands") else item.shape[2] if np.ndim(item) == 3 else 1
    return np.array([height, width, width / height, channels], dtype=np.float64)


def _pair(value: int | Sequence[int] | None, name: str) -> tuple[int, int] | None:
    if value is None:
        return None
    pair = (int(value), int(value)) if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
    if len(pair) != 2 or min(pair) < 1:
        raise ParameterError(f"ImageFeatures({name}={value!r}): give a positive int or (height, width)")
    return (pair[0], pair[1])


class ImageFeatures:
    """A feature extractor for images: an image (see :func:`load_image`) -> one float32 vector.

    Parameters
    ----------
    kinds : sequence of str, default ("size", "intensity", "edges")
        Groups of features, any of :data:`IMAGE_KINDS`: ``size`` (height, width, aspect = width / height, channels
        of the original image: 1 grey, 2 grey + alpha, 3 colour, 4 colour + alpha or CMYK; a file's read from its
        header, no pixel decoded), ``intensity`` (grey levels: mean, std, 5th/50th/95th percentiles, contrast =
        p95 - p05, fractions under 0.1 and over 0.9, entropy in bits of a 256-bin histogram), ``colour`` (mean
        red, green, blue, HSV saturation and Hasler-Suesstrunk colourfulness; a grey image has equal means and
        0 saturation), ``edges`` (``edge_density``: the fraction of Canny edge pixels; ``gradient_mean``: mean
        Sobel magnitude) and ``hog`` (the HOG descriptor of ``skimage.feature.hog``, L2-Hys blocks).
    size : int or (height, width), optional
        Images are resized (anti-aliased) to this before every group but ``size``; ``hog`` needs it (one
        vector length for every image). A file much larger is decoded at a reduced scale first (see
        :func:`load_image`'s ``min_size``), which changes its features a little and saves most of the time.
    edge_sigma : float, default 1.0
        The Canny smoothing.
    hog_orientations, hog_cell, hog_block : int, default 9, 8, 2
        HOG orientation bins, pixels per cell side and cells per block side.

    Raises
    ------
    ImportError
        Pillow or scikit-image is not installed (``pip install "weaksup[image]"``): said when the extractor is
        made (an LF module defining it fails to import, so a run stops before any row), never as a fault of a row.

    Examples
    --------
    >>> import numpy as np
    >>> features = ImageFeatures(["size", "edges"])
    >>> features.names
    ('height', 'width', 'aspect', 'channels', 'edge_density', 'gradient_mean')
    >>> features(np.zeros((10, 20), dtype=np.uint8)).tolist()
    [10.0, 20.0, 2.0, 1.0, 0.0, 0.0]
    >>> hog = ImageFeatures(["hog"], size=25, hog_cell=5)
    >>> hog.id, len(hog.names)
    ('image@2:kinds=hog,size=25x25,hog=9/5/2', 576)
    """

    def __init__(self, kinds: Sequence[str] = ("size", "intensity", "edges"), *,
                 size: int | Sequence[int] | None = None, edge_sigma: float = 1.0, hog_orientations: int = 9,
                 hog_cell: int = 8, hog_block: int = 2) -> None:
        self.kinds = check_kinds(kinds, IMAGE_KINDS, "ImageFeatures")
        for module in ("PIL", "skimage"):  # the extra, checked now: not one fault per row later
            _require(module)
        self.size = _pair(size, "size")
        if not edge_sigma > 0:
            raise ParameterError(f"ImageFeatures(edge_sigma={edge_sigma!r}): give a positive float")
        self.edge_sigma = float(edge_sigma)
        self.hog = (int(hog_orientations), int(hog_cell), int(hog_block))
        if min(self.hog) < 1:
            raise ParameterError(f"ImageFeatures(hog_orientations={hog_orientations}, hog_cell={hog_cell}, "
                                 f"hog_block={hog_block}): give positive ints")
        if "hog" in self.kinds and self.size is None:
            raise ParameterError("ImageFeatures(kinds=[..., 'hog']) needs size=(height, width): every image is "
                                 "resized to it so each HOG vector has one length (e.g. size=64)")
        names: list[str] = [n for k in self.kinds if k != "hog" for n in _NAMES[k]]
        if "hog" in self.kinds:
            names += [f"hog_{i:04d}" for i in range(self._hog_length())]
        self.names: tuple[str, ...] = tuple(names)
        parts = [f"kinds={'+'.join(self.kinds)}"]
        if self.size is not None:
            parts.append(f"size={self.size[0]}x{self.size[1]}")
        if "edges" in self.kinds:
            parts.append(f"sigma={self.edge_sigma:g}")
        if "hog" in self.kinds:
            parts.append("hog={}/{}/{}".format(*self.hog))
        self.id = f"image@{_VERSION}:" + ",".join(parts)

    def __repr__(self) -> str:
        return f"ImageFeatures({self.id!r})"

    def _hog_length(self) -> int:
        assert self.size is not None
        orientations, cell, block = self.hog
        cells = [side // cell for side in self.size]
        if min(cells) < block:
            raise ParameterError(f"ImageFeatures(size={self.size}, hog_cell={cell}, hog_block={block}): the image "
                                 f"has {cells[0]}x{cells[1]} cells, fewer than a {block}x{block} block; use a "
                                 "larger size or a smaller hog_cell / hog_block")
        return (cells[0] - block + 1) * (cells[1] - block + 1) * block * block * orientations

    def __call__(self, item: Any) -> np.ndarray:
        """The feature vector of one image (float32, ``len(self.names)`` values)."""
        header_only = self.kinds == ("size",) and isinstance(item, (bytes, bytearray, memoryview, str, os.PathLike))
        image = None if header_only else load_image(item, min_size=self.size)
        out: list[np.ndarray] = [_shape(item, image)] if "size" in self.kinds else []
        if image is None:
            return np.concatenate(out).astype(np.float32)
        if self.size is not None and image.shape[:2] != self.size:
            transform = _require("skimage.transform")
            image = np.clip(transform.resize(image, self.size, anti_aliasing=True, preserve_range=True), 0.0, 1.0)
        grey = image if image.ndim == 2 else np.asarray(_require("skimage.color").rgb2gray(image))
        if "intensity" in self.kinds:
            out.append(_intensity(grey))
        if "colour" in self.kinds:
            out.append(_colour(image))
        if "edges" in self.kinds:
            feature, filters = _require("skimage.feature"), _require("skimage.filters")
            edges = feature.canny(grey, sigma=self.edge_sigma) if min(grey.shape) >= 3 else np.zeros_like(grey)
            out.append(np.array([edges.mean(), filters.sobel(grey).mean() if min(grey.shape) >= 3 else 0.0]))
        if "hog" in self.kinds:
            orientations, cell, block = self.hog
            out.append(_require("skimage.feature").hog(grey, orientations=orientations, pixels_per_cell=(cell, cell),
                                                       cells_per_block=(block, block), block_norm="L2-Hys",
                                                       feature_vector=True))
        vector = np.concatenate(out).astype(np.float32)
        assert vector.shape == (len(self.names),)
        return vector


def _intensity(grey: np.ndarray) -> np.ndarray:
    p05, p50, p95 = np.percentile(grey, [5, 50, 95])
    counts = np.bincount(np.clip(np.rint(grey * 255), 0, 255).astype(np.int64).ravel(), minlength=256)
    share = counts[counts > 0] / grey.size
    return np.array([grey.mean(), grey.std(), p05, p50, p95, p95 - p05, (grey < 0.1).mean(), (grey > 0.9).mean(),
                     float(-(share * np.log2(share)).sum())])


def _colour(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        mean = float(image.mean())
        return np.array([mean, mean, mean, 0.0, 0.0])
    red, green, blue = (image[..., c] for c in range(3))
    saturation = _require("skimage.color").rgb2hsv(image)[..., 1]
    rg, yb = red - green, 0.5 * (red + green) - blue
    colourfulness = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    return np.array([red.mean(), green.mean(), blue.mean(), saturation.mean(), colourfulness])
