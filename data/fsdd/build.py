"""Write the shipped audio example once: a speaker-disjoint subset of the Free Spoken Digit Dataset (FSDD).

Run from the project folder: ``python data/fsdd/build.py [FSDD_RECORDINGS]`` (default ``../shared/data/fsdd/
recordings``: the dataset's ``recordings/`` folder, files ``{digit}_{speaker}_{take}.wav``). The output is
deterministic: the same files, ids, split and gold content hash on every run.

- Speakers by a fixed rule, the order of the dataset's speaker table (``metadata.py``): the first, ``jackson``, gives
  the labeled prototypes (takes 0-9 of each digit: 100 files, ``prototypes.csv``); the second, ``nicolas``, is the
  ``dev`` gold (takes 0-14: 150 rows, the only rows read to write and tune ``labeling_functions/fsdd.py`` and the
  label model); the other four (``theo``, ``yweweler``, ``george``, ``lucas``) are ``test`` (takes 0-6: 280 rows,
  only scored). No speaker is in two parts.
- File names are opaque (``recordings/fsdd-<k>.wav``, ``k`` a seeded permutation), so neither a path nor a row id
  says the digit; ``recordings.csv`` has ``row_id``, ``path`` (relative to this folder) and ``speaker``.
- The WAV files are copied byte for byte (8 kHz mono 16-bit PCM, trimmed of silence upstream).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from weaksup.gold import write_gold

HERE = Path(__file__).resolve().parent
GOLD = HERE.parents[1] / "gold_sets" / "fsdd"
SEED = 23
LABELS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
PROTOTYPE_SPEAKER, DEV_SPEAKER = "jackson", "nicolas"
TEST_SPEAKERS = ("theo", "yweweler", "george", "lucas")
TAKES = {PROTOTYPE_SPEAKER: 10, DEV_SPEAKER: 15, **{s: 7 for s in TEST_SPEAKERS}}


def parse(name: str) -> tuple[int, str, int]:
    """``(digit, speaker, take)`` of an FSDD file name ``{digit}_{speaker}_{take}.wav``."""
    digit, speaker, take = Path(name).stem.split("_")
    return int(digit), speaker, int(take)


def main(source: Path) -> None:
    chosen = sorted(p.name for p in source.glob("*.wav")
                    if parse(p.name)[2] < TAKES.get(parse(p.name)[1], 0))
    order = np.random.default_rng(SEED).permutation(len(chosen))
    folder = HERE / "recordings"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    rows, prototypes, gold = [], [], []
    for k, index in enumerate(order):
        name = chosen[int(index)]
        digit, speaker, _ = parse(name)
        row_id, path = f"fsdd-{k:03d}", f"recordings/fsdd-{k:03d}.wav"
        shutil.copyfile(source / name, HERE / path)
        if speaker == PROTOTYPE_SPEAKER:
            prototypes.append({"path": path, "label": LABELS[digit], "speaker": speaker})
            continue
        rows.append({"row_id": row_id, "path": path, "speaker": speaker})
        gold.append({"row_id": row_id, "label": LABELS[digit], "split": "dev" if speaker == DEV_SPEAKER else "test",
                     "annotator": "fsdd-file-name"})
    pd.DataFrame(rows).to_csv(HERE / "recordings.csv", index=False)
    pd.DataFrame(prototypes).sort_values("path").to_csv(HERE / "prototypes.csv", index=False)
    if GOLD.exists():
        shutil.rmtree(GOLD)
    write_gold(pd.DataFrame(gold), GOLD, task="fsdd", label_space=LABELS, file_name="labels.csv",
               description="The spoken digit of the FSDD recordings in data/fsdd/recordings.csv (from the dataset's "
                           "file names). Speaker-disjoint: dev = nicolas (takes 0-14, LFs and label model), test = "
                           "theo, yweweler, george, lucas (takes 0-6, only scored); the prototypes "
                           "(data/fsdd/prototypes.csv) are jackson's takes 0-9 and no gold row. CC BY-SA 4.0; "
                           "regenerate: python data/fsdd/build.py (see ../../data/fsdd/SOURCE.md).")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1].parent / "shared" / "data" / "fsdd" / "recordings")
