"""Time series: the temporal label model against the same model without order, on the tennis-rally frames.

The votes are FlyingSquid's six per-frame detector outputs of the shipped example (``data/tennis/frames.csv``:
6,959 unlabeled frames of one video, 746 labeled frames of another); the labels are the 746 dev-video labels of
``gold_sets/tennis`` (both of its splits). Five folds by contiguous blocks of the dev video: each block in turn is
scored (F1 of the rally class) by models that saw the labels of the other four blocks only; every frame's votes
(no labels) are seen by all, as in a run. The temporal model's chain settings (``strength``, ``floor``,
``transitions``) are chosen for each outer fold by an inner cross-validation over its four training blocks (each
block held out once), never on the scored block. The plain model is the same base label model
(:class:`~weaksup.models.DevNaiveBayes`, fitted the same way) labeling each frame from its own votes.

    python benchmarks/modality_timeseries.py [--json FILE] [--quick]

``measure()`` returns ``{"temporal_f1", "plain_f1", "majority_vote_f1", "published_best_f1", "gap_to_published",
"folds", "quick", "chosen", "per_fold", "n_frames", "n_labeled", "seconds"}`` (fractions). ``published_best_f1`` is the best
label-model F1 on WRENCH's tennis test split (0.8255); it is on another split (1,098 test frames not shipped with
FlyingSquid's files), so the gap is indicative only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from weaksup.models import DevNaiveBayes, MajorityVote, TemporalLabelModel
from weaksup.models.base import BaseLabelModel

ROOT = Path(__file__).resolve().parents[1]
FRAMES = ROOT / "data" / "tennis" / "frames.csv"
GOLD = ROOT / "gold_sets" / "tennis" / "labels.csv"
DETECTORS = [f"det_{j}" for j in range(6)]
#: The best published label-model F1 on tennis (WRENCH, test split).
PUBLISHED_BEST_F1 = 0.8255
#: The chain settings the inner cross-validation chooses among.
GRID: list[dict[str, Any]] = [{"strength": s, "floor": f, "transitions": t}
                              for s, f, t in itertools.product((0.5, 1.0), (0.01, 0.1), ("unlabeled", "both"))]
N_FOLDS = 5


def load() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Votes of every frame (class ids: 1 rally, 0 not, -1 abstain), their video, and the dev video's votes
    and labels (in frame order)."""
    frames = pd.read_csv(FRAMES)
    votes = frames[DETECTORS].to_numpy()
    L = np.where(votes == 0, -1, (votes > 0).astype(np.int64)).astype(np.int8)
    gold = pd.read_csv(GOLD).set_index("row_id")
    dev = frames["video"].to_numpy() == "dev"
    ids = frames.loc[dev, "row_id"]
    y = (gold.loc[ids, "label"].to_numpy() == "rally").astype(np.int64)
    return L, frames["video"].to_numpy(), L[dev], y


def blocks(n: int, k: int) -> np.ndarray:
    """Block number (0..k-1) of each of ``n`` items in order: k contiguous blocks of near-equal size."""
    return np.minimum(np.arange(n) * k // max(n, 1), k - 1)


def fit_base(L: np.ndarray, L_dev: np.ndarray, y: np.ndarray, rows: np.ndarray) -> BaseLabelModel:
    """The plain (per-frame) model fitted on every frame's votes and the labels of the dev frames ``rows``."""
    return DevNaiveBayes(cardinality=2).fit(L, L_dev=L_dev[rows], y_dev=y[rows])


def chain_predict(base: BaseLabelModel, settings: dict[str, Any], L: np.ndarray, videos: np.ndarray,
                  L_dev: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Labels of every dev frame from the chain over ``base`` (transitions from the labels of ``rows``: their
    contiguous runs are separate sequences)."""
    segments = np.cumsum(np.r_[1, np.diff(rows) != 1])
    model = TemporalLabelModel(2, **settings).fit_chain(base, L, y_dev=y[rows], sequences=videos,
                                                        dev_sequences=segments)
    labels: np.ndarray = model.predict(L_dev, tie_break="hash")
    return labels


def f1(y: np.ndarray, pred: np.ndarray) -> float:
    return float(f1_score(y, pred, pos_label=1, zero_division=0))


def choose(L: np.ndarray, videos: np.ndarray, L_dev: np.ndarray, y: np.ndarray, train_blocks: list[int],
           fold: np.ndarray) -> dict[str, Any]:
    """The chain settings with the best pooled F1 over the inner folds (each training block held out once)."""
    preds = {i: np.full(len(y), -1) for i in range(len(GRID))}
    for held in train_blocks:
        rows = np.flatnonzero(np.isin(fold, [b for b in train_blocks if b != held]))
        base = fit_base(L, L_dev, y, rows)
        for i, settings in enumerate(GRID):
            preds[i][fold == held] = chain_predict(base, settings, L, videos, L_dev, y, rows)[fold == held]
    scored = np.isin(fold, train_blocks)
    scores = [f1(y[scored], preds[i][scored]) for i in range(len(GRID))]
    return GRID[int(np.argmax(scores))]


def choose_on_dev(n_folds: int = N_FOLDS) -> dict[str, Any]:
    """The chain settings of ``configs/tennis.toml``: the choice of :func:`choose` over contiguous blocks of the
    gold set's **dev** split only (frames 0..487; the test block 488..745 is never seen).

    The cross-validated figures of :func:`measure` score every labeled frame, so they cannot choose the shipped
    config's settings without looking at its test split; this does (``python benchmarks/modality_timeseries.py
    --choose``)."""
    L, videos, L_dev, y = load()
    frames = pd.read_csv(FRAMES)
    ids = frames.loc[videos == "dev", "row_id"]
    dev = pd.read_csv(GOLD).set_index("row_id").loc[ids, "split"].to_numpy() == "dev"
    fold = blocks(int(dev.sum()), n_folds)
    return choose(L, videos, L_dev[dev], y[dev], list(range(n_folds)), fold)


#: The chain settings of ``measure(quick=True)`` (no inner cross-validation): those of configs/tennis.toml, as
#: :func:`choose_on_dev` chooses them on the dev split.
QUICK_SETTINGS: dict[str, Any] = {"strength": 0.5, "floor": 0.1, "transitions": "unlabeled"}


def measure(n_folds: int = N_FOLDS, *, quick: bool = False) -> dict[str, Any]:
    """Cross-validated rally F1 of the temporal model, the plain model and majority vote (see the module doc).

    ``quick``: the fixed settings :data:`QUICK_SETTINGS` in every fold instead of the inner cross-validation
    (5 base fits instead of 25; the settings are the shipped config's, so only the full form chooses honestly)."""
    started = time.perf_counter()
    L, videos, L_dev, y = load()
    fold = blocks(len(y), n_folds)
    temporal, plain = np.full(len(y), -1), np.full(len(y), -1)
    chosen, per_fold = [], []
    for f in range(n_folds):
        train_blocks = [b for b in range(n_folds) if b != f]
        settings = QUICK_SETTINGS if quick else choose(L, videos, L_dev, y, train_blocks, fold)
        rows = np.flatnonzero(fold != f)
        base = fit_base(L, L_dev, y, rows)
        held = fold == f
        temporal[held] = chain_predict(base, settings, L, videos, L_dev, y, rows)[held]
        plain[held] = base.predict(L_dev[held], tie_break="hash")
        chosen.append(settings)
        per_fold.append({"temporal_f1": f1(y[held], temporal[held]), "plain_f1": f1(y[held], plain[held])})
    majority = MajorityVote(2).fit(L).predict(L_dev, tie_break="hash")
    temporal_f1, plain_f1 = f1(y, temporal), f1(y, plain)
    return {"temporal_f1": temporal_f1, "plain_f1": plain_f1, "majority_vote_f1": f1(y, majority),
            "published_best_f1": PUBLISHED_BEST_F1, "gap_to_published": temporal_f1 - PUBLISHED_BEST_F1,
            "folds": n_folds, "quick": quick, "chosen": chosen, "per_fold": per_fold, "n_frames": int(len(L)),
            "n_labeled": int(len(y)), "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description="temporal vs plain label model on the tennis frames")
    parser.add_argument("--json", type=Path, help="write the result here as JSON")
    parser.add_argument("--quick", action="store_true", help="fixed chain settings, no inner cross-validation")
    parser.add_argument("--choose", action="store_true", help="only print the chain settings chosen on the dev "
                        "split (those of configs/tennis.toml)")
    args = parser.parse_args()
    if args.choose:
        print("chosen on the dev split:", choose_on_dev())
        return
    result = measure(quick=args.quick)
    for key in ("temporal_f1", "plain_f1", "majority_vote_f1", "published_best_f1", "gap_to_published"):
        print(f"{key:20s} {result[key]:.4f}")
    print("chosen per fold:", result["chosen"])
    print(f"({result['n_labeled']} labeled of {result['n_frames']} frames, {result['folds']} contiguous folds, "
          f"{result['seconds']} s)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
