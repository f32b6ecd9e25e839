"""Write the shipped time-series example once: frames.csv (the tennis video frames in order with the 6 detector
outputs as columns) and the gold set, from FlyingSquid's tennis vote matrices.

Run from the project folder: ``python data/tennis/build.py [--source ../shared/data/tennis_flyingsquid]``. The
output is deterministic (same rows, ids, split and gold content hash on every run). See SOURCE.md.

- ``frames.csv``: ``row_id`` (``train:00000`` ... / ``dev:00000`` ...), ``video`` (``train``: 6,959 frames without
  labels, ``dev``: 746 labeled frames; two separate sequences), ``frame`` (the position in its video) and ``det_0``
  ... ``det_5``: FlyingSquid's six per-frame detector outputs, ``1`` = rally, ``-1`` = not a rally, ``0`` = no output.
- Gold (``gold_sets/tennis``): the 746 labeled frames (``rally`` / ``not_rally``); the first 488 frames of the dev
  video (a contiguous block, cut where the class changes) are ``dev`` (read to write the LFs and fit the label
  model), the last 258 ``test`` (only scored).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from weaksup.gold import write_gold

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLD = ROOT / "gold_sets" / "tennis"
LABELS = ["not_rally", "rally"]
DETECTORS = [f"det_{j}" for j in range(6)]
#: The first frame of the gold test block (the dev video's frames before it are the dev split).
TEST_FROM = 488


def frames(source: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The frames table and the dev video's labels (class ids, 1 = rally) from FlyingSquid's ``.npy`` files."""
    parts = []
    for video, name in (("train", "L_train_video.npy"), ("dev", "L_dev_video.npy")):
        votes = np.load(source / name).astype(np.int8)
        part = pd.DataFrame(votes, columns=DETECTORS)
        part.insert(0, "frame", np.arange(len(votes)))
        part.insert(0, "video", video)
        part.insert(0, "row_id", [f"{video}:{i:05d}" for i in range(len(votes))])
        parts.append(part)
    y = (np.load(source / "Y_dev_video.npy") == 1).astype(np.int64)
    return pd.concat(parts, ignore_index=True), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "tennis_flyingsquid")
    args = parser.parse_args()
    table, y = frames(args.source)
    table.to_csv(HERE / "frames.csv", index=False)
    dev_ids = [f"dev:{i:05d}" for i in range(len(y))]
    gold = pd.DataFrame({"row_id": dev_ids, "label": [LABELS[c] for c in y],
                         "split": ["dev" if i < TEST_FROM else "test" for i in range(len(y))],
                         "annotator": "flyingsquid-tennis"})
    write_gold(gold, GOLD, task="tennis", label_space=LABELS, file_name="labels.csv",
               description="Rally / not_rally for the 746 labeled frames of the dev video of data/tennis "
                           "(FlyingSquid's Y_dev_video.npy, Apache-2.0). Split by contiguous blocks: frames "
                           f"0..{TEST_FROM - 1} are dev (LFs, label model), {TEST_FROM}..{len(y) - 1} test (only "
                           "scored). Regenerate: python data/tennis/build.py (see ../../data/tennis/SOURCE.md).")


if __name__ == "__main__":
    main()
