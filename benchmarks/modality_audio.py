"""Speaker-independent spoken-digit labeling (issue 23, audio): majority vote, label model and end model.

The LFs of ``labeling_functions/fsdd.py`` (affinity to ten recordings per digit of ONE speaker, jackson, and rules
over audio features) vote on the recordings of the dev speaker (nicolas) and of four test speakers (theo,
yweweler, george, lucas). The label model (weaksup's default, DevNaiveBayes) learns from the dev speaker's gold.
The end model is a logistic regression over the audio feature vectors (:class:`weaksup.media.audio.AudioFeatures`:
duration, energy, zero-crossing rate, centroid, MFCC summary and 8-stretch pooled MFCCs, standardised), trained
with :func:`weaksup.end_model.train_end_model` on the label model's probabilistic labels plus the dev gold,
cross-fitted (5 folds: no row is labeled by a model that saw its weak label). Everything was chosen on the dev
speaker (the end model's C = 0.1 of {0.01, 0.1, 1}: 0.636, 0.636, 0.590 on the dev speaker's recordings with its
gold left out of training); accuracies are on the test speakers only, an abstain counted wrong.

Data: every recording of ``../shared/data/fsdd/recordings`` when present (500 dev + 2,000 test rows; the prototypes
are the shipped jackson takes 0-9), else the shipped subset ``data/fsdd`` (150 dev + 280 test rows).

    .venv/bin/python benchmarks/modality_audio.py [--shipped] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "fsdd" / "recordings"
DEV_SPEAKER, PROTOTYPE_SPEAKER = "nicolas", "jackson"
FOLDS = 5


def load_rows(full: bool | None = None) -> tuple[pd.DataFrame, str]:
    """``(rows, source)``: ``row_id``, ``path`` (absolute), ``speaker``, ``y`` (digit), ``split`` (dev/test)."""
    if full is None:
        full = SHARED.is_dir()
    if full:
        frame = pd.DataFrame({"path": sorted(str(p) for p in SHARED.glob("*.wav"))})
        parts = frame["path"].map(lambda p: Path(p).stem.split("_"))
        frame["y"] = parts.map(lambda p: int(p[0]))
        frame["speaker"] = parts.map(lambda p: p[1])
        frame["row_id"] = parts.map(lambda p: "_".join(p))
        frame = frame[frame["speaker"] != PROTOTYPE_SPEAKER].reset_index(drop=True)
        source = f"all of {SHARED}"
    else:
        data = ROOT / "data" / "fsdd"
        frame = pd.read_csv(data / "recordings.csv")
        frame["path"] = [str(data / p) for p in frame["path"]]
        gold = pd.read_csv(ROOT / "gold_sets" / "fsdd" / "labels.csv").set_index("row_id")
        from labeling_functions.fsdd import LABELS

        frame["y"] = [LABELS[str(label)] for label in gold.loc[frame["row_id"], "label"]]
        source = "the shipped subset data/fsdd"
    frame["split"] = np.where(frame["speaker"] == DEV_SPEAKER, "dev", "test")
    return frame, source


def end_model_features() -> Any:
    """The end model's input: every audio feature group, 8 pooled stretches."""
    from weaksup.media.audio import AudioFeatures

    return AudioFeatures(["duration", "energy", "zcr", "centroid", "mfcc", "pooled"], segments=8)


def cross_fitted_end_model(X: np.ndarray, proba: np.ndarray, L: np.ndarray, dev: np.ndarray, y: np.ndarray,
                           seed: int = 0) -> np.ndarray:
    """Out-of-fold end-model predictions: each fold labeled by a model trained on the other folds' probabilistic
    labels (dev gold rows: their gold label, one-hot)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from weaksup.end_model import train_end_model

    k = proba.shape[1]
    target = proba.copy()
    target[dev] = np.eye(k)[y[dev]]
    folds = np.random.default_rng(seed).permutation(len(X)) % FOLDS
    pred = np.empty(len(X), dtype=np.int64)
    for f in range(FOLDS):
        train, held = folds != f, folds == f
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000, random_state=seed))
        fitted = train_end_model(X[train], target[train], votes=L[train], model=model, seed=seed)
        pred[held] = fitted.predict(X[held])
    return pred


def measure(full: bool | None = None) -> dict[str, Any]:
    """Test-speaker accuracies of majority vote, the label model and the end model, and per test speaker."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from weaksup import Registry, apply_lfs
    from weaksup.media.features import extract
    from weaksup.models import DevNaiveBayes, MajorityVote

    start = time.perf_counter()
    rows, source = load_rows(full)
    registry = Registry.from_modules("labeling_functions.fsdd")
    L = apply_lfs(registry, rows[["row_id", "path"]], id_column="row_id").values
    y, dev = rows["y"].to_numpy(), (rows["split"] == "dev").to_numpy()
    test = ~dev
    majority = MajorityVote(cardinality=10).fit(L).predict(L)
    model = DevNaiveBayes(cardinality=10, seed=0).fit(L, L_dev=L[dev], y_dev=y[dev])
    label_model = model.predict(L)
    X = extract(rows["path"].tolist(), end_model_features(), field="path", progress=False)
    end = cross_fitted_end_model(X, model.predict_proba(L), L, dev, y)

    def accuracy(pred: np.ndarray, mask: np.ndarray) -> float:
        return round(float((pred[mask] == y[mask]).mean()), 4)  # an abstain (-1) is never right

    speakers = sorted(set(rows.loc[test, "speaker"]))
    per_speaker = {s: {"majority_vote": accuracy(majority, test & (rows["speaker"] == s).to_numpy()),
                       "label_model": accuracy(label_model, test & (rows["speaker"] == s).to_numpy()),
                       "end_model": accuracy(end, test & (rows["speaker"] == s).to_numpy()),
                       "rows": int((test & (rows["speaker"] == s).to_numpy()).sum())} for s in speakers}
    return {"dataset": "fsdd", "source": source, "n_test": int(test.sum()), "n_dev": int(dev.sum()),
            "n_lfs": int(L.shape[1]), "prototype_speaker": PROTOTYPE_SPEAKER, "dev_speaker": DEV_SPEAKER,
            "majority_vote": accuracy(majority, test), "label_model": accuracy(label_model, test),
            "end_model": accuracy(end, test),
            "dev": {"majority_vote": accuracy(majority, dev), "label_model_in_sample": accuracy(label_model, dev),
                    "end_model": accuracy(end, dev)},
            "per_speaker": per_speaker, "seconds": round(time.perf_counter() - start, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shipped", action="store_true", help="use the shipped subset even when ../shared exists")
    parser.add_argument("--json", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    result = measure(False if args.shipped else None)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
