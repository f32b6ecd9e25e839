"""LFs for the shipped image example: is a 25x25 grey LFW-subset patch a face or not (``data/lfw_faces``)?

Written by reading only the **dev** split of ``gold_sets/lfw_faces`` (100 images: 50 faces, 50 not); test is only
scored. Two kinds of LF, both over features of ``weaksup.media.image.ImageFeatures`` computed once per image
(cached by content):

- **affinity** (``weaksup.lf.affinity.affinity_lf``, as GOGGLES): :data:`PROTOTYPES` are 10 dev images per class
  (``prototypes_from_gold(dev paths, dev labels, per_class=10, seed=0)``); ``hog_prototypes`` votes the class of
  the most similar prototype by HOG descriptor (cosine, standardised by the prototypes), abstaining when the two
  classes are within 0.02. These 20 images are the only labels it uses.
- **rules** on the image's statistics (generic LFs reading the columns of the ``img`` preprocessor): a face is
  busy with edges (eyes, nose, mouth, hairline: Canny edge density >= 0.2 on every dev face but 2, on no dev
  non-face); background patches are smooth, flat or dark (density < 0.15, grey-level std < 0.1, mean < 0.3: never
  a dev face).

The settings (HOG 5-pixel cells, 1-cell blocks on the 25x25 image; k = 1; no second affinity LF over the edge
features, which only repeated the edge rules) were chosen by repeated 5-fold cross-validation on dev (prototypes
drawn from the training folds), see ``benchmarks/modality_image.py``.
Load with ``Registry.from_modules("labeling_functions.lfw_faces")`` or ``[lfs] modules`` in
``configs/lfw_faces.toml``: the rows' ``path`` column holds paths relative to ``data/lfw_faces``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from weaksup import ABSTAIN
from weaksup.labels import LabelSpace
from weaksup.lf import labeling_function
from weaksup.lf.affinity import AffinityLF, affinity_lf
from weaksup.media.columns import media_preprocessor
from weaksup.media.image import ImageFeatures

#: The folder the rows' relative paths are read from.
ROOT = Path(__file__).resolve().parents[1] / "data" / "lfw_faces"
SPACE = LabelSpace(["face", "not_face"])
FACE, NOT_FACE = 0, 1

#: HOG of the 25x25 image: 5x5-pixel cells, 9 orientations, one-cell blocks (225 values).
HOG = ImageFeatures(["hog"], size=25, hog_cell=5, hog_block=1)
#: Grey-level statistics and edges, as columns img_<name> (img_mean, img_std, img_edge_density, ...).
STATS = ImageFeatures(["intensity", "edges"])
img = media_preprocessor(STATS, field="path", prefix="img", root=ROOT)

#: 10 dev images per class: prototypes_from_gold(dev paths, dev labels, per_class=10, seed=0).
PROTOTYPES: dict[int, list[str]] = {
    FACE: ["images/lfw-002.png", "images/lfw-004.png", "images/lfw-008.png", "images/lfw-016.png",
           "images/lfw-023.png", "images/lfw-028.png", "images/lfw-052.png", "images/lfw-067.png",
           "images/lfw-077.png", "images/lfw-086.png"],
    NOT_FACE: ["images/lfw-000.png", "images/lfw-001.png", "images/lfw-022.png", "images/lfw-034.png",
               "images/lfw-047.png", "images/lfw-050.png", "images/lfw-060.png", "images/lfw-063.png",
               "images/lfw-066.png", "images/lfw-092.png"],
}


def prototype_lf(prototypes: Mapping[int, Sequence[Any]], *, root: str | Path | None = ROOT,
                 cache: Any = None) -> AffinityLF:
    """This example's affinity LF from ``prototypes`` (``{class id: [paths or arrays]}``).

    Examples
    --------
    >>> prototype_lf(PROTOTYPES).params["n_prototypes"]
    {'0': 10, '1': 10}
    """
    return affinity_lf("hog_prototypes", prototypes, features=HOG, field="path", metric="cosine", k=1, margin=0.02,
                       root=root, cache=cache, label_space=SPACE)


hog_prototypes = prototype_lf(PROTOTYPES)


@labeling_function(pre=[img])
def busy_edges(x: Any) -> int:
    """Faces are busy: >= 20% of the pixels are Canny edges."""
    return FACE if x.img_edge_density >= 0.2 else ABSTAIN


@labeling_function(pre=[img])
def few_edges(x: Any) -> int:
    """Background is smooth: under 15% edge pixels."""
    return NOT_FACE if x.img_edge_density < 0.15 else ABSTAIN


@labeling_function(pre=[img])
def flat(x: Any) -> int:
    """A flat patch (grey-level std under 0.1): sky, wall, a blank crop."""
    return NOT_FACE if x.img_std < 0.1 else ABSTAIN


@labeling_function(pre=[img])
def dark(x: Any) -> int:
    """A dark patch (mean grey level under 0.3): the dev faces are all lit brighter."""
    return NOT_FACE if x.img_mean < 0.3 else ABSTAIN
