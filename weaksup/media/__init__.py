"""Media as rows: features an LF can read from images, recordings and windows of a time series.

Install the extras a modality needs: ``pip install "weaksup[image]"`` (scikit-image, Pillow) or
``pip install "weaksup[audio]"`` (soundfile, librosa); time-series windows need only pandas.

- :class:`FeatureExtractor`: one item (a path, an array, bytes) -> a float32 vector with named values;
  :class:`~weaksup.media.image.ImageFeatures` and :class:`~weaksup.media.audio.AudioFeatures` are two;
- :func:`extract`: features of many items, computed once per distinct content and cached on disk by content hash;
- :func:`media_preprocessor`: the features as row columns for LFs' ``pre=[...]``;
- :func:`affinity_lf`: votes by similarity to a few labeled prototypes (:func:`prototypes_from_gold`);
- :func:`windows`: a time series as rows, one per window (:mod:`weaksup.media.series`);
- :mod:`weaksup.review.labelstudio_media`: Label Studio tasks showing the image or playing the recording.

The modality modules load on first use of one of their names, so ``import weaksup.media`` needs no extra.
"""

from __future__ import annotations

import importlib
from typing import Any

from weaksup.lf.affinity import AffinityLF, affinity_lf, prototypes_from_gold
from weaksup.media.columns import media_preprocessor
from weaksup.media.features import FeatureExtractor, content_key, extract, require

#: Names of the modality modules, imported when first asked for (their optional packages load only then).
_LAZY = {
    "IMAGE_KINDS": "weaksup.media.image", "ImageFeatures": "weaksup.media.image", "load_image": "weaksup.media.image",
    "AUDIO_KINDS": "weaksup.media.audio", "AudioFeatures": "weaksup.media.audio", "load_audio": "weaksup.media.audio",
    "MAX_CHANNELS": "weaksup.media.audio", "pool_frames": "weaksup.media.audio",
    "UNITS": "weaksup.media.series", "WINDOW_COLUMNS": "weaksup.media.series",
    "window_features": "weaksup.media.series", "windows": "weaksup.media.series",
}

__all__ = ["AffinityLF", "FeatureExtractor", "affinity_lf", "content_key", "extract", "media_preprocessor",
           "prototypes_from_gold", "require", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'weaksup.media' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
