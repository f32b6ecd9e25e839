"""Write the shipped image example once: 200 PNG files from ``skimage.data.lfw_subset()``, images.csv, the gold set.

Run from the project folder: ``python data/lfw_faces/build.py`` (needs ``pip install "weaksup[image]"``). The
output is deterministic: the same files, ids, split and gold content hash on every run.

- File order: a seeded permutation (``numpy.random.default_rng(23).permutation(200)``) of scikit-image's order (the
  first 100 are faces, the last 100 non-faces), so neither a file name nor a row id says the class.
- ``images.csv``: ``row_id`` (``lfw-000`` ... ``lfw-199``) and ``path`` (relative to this folder).
- Gold (``gold_sets/lfw_faces``): every image's class; per class, the first 50 in file order are ``dev`` (the only
  rows read to write ``labeling_functions/lfw_faces.py`` and its prototypes), the other 50 ``test`` (only scored).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from skimage.data import lfw_subset

from weaksup.gold import write_gold

HERE = Path(__file__).resolve().parent
GOLD = HERE.parents[1] / "gold_sets" / "lfw_faces"
SEED = 23
LABELS = ["face", "not_face"]


def main() -> None:
    images = np.rint(lfw_subset() * 255).astype(np.uint8)  # float64 in [0, 1] as loaded; 8-bit grey as shipped
    order = np.random.default_rng(SEED).permutation(len(images))
    (HERE / "images").mkdir(exist_ok=True)
    rows, gold, seen = [], [], {"face": 0, "not_face": 0}
    for k, source in enumerate(order):
        row_id, path = f"lfw-{k:03d}", f"images/lfw-{k:03d}.png"
        Image.fromarray(images[source], mode="L").save(HERE / path, optimize=True)
        label = "face" if source < 100 else "not_face"
        split = "dev" if seen[label] < 50 else "test"
        seen[label] += 1
        rows.append({"row_id": row_id, "path": path})
        gold.append({"row_id": row_id, "label": label, "split": split, "annotator": "skimage-lfw_subset"})
    pd.DataFrame(rows).to_csv(HERE / "images.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    write_gold(pd.DataFrame(gold), GOLD, task="lfw_faces", label_space=LABELS, file_name="labels.csv",
               description="Face / not_face for the 200 LFW-subset images of data/lfw_faces (scikit-image "
                           "skimage.data.lfw_subset: first 100 faces, last 100 non-faces). Split: per class, the "
                           "first 50 rows in file order are dev (LFs and prototypes), the other 50 test (only "
                           "scored). Regenerate: python data/lfw_faces/build.py (see ../../data/lfw_faces/SOURCE.md).")


if __name__ == "__main__":
    main()
