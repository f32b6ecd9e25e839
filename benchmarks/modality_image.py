"""Images: face / not_face on the shipped LFW-subset example from 10 labeled prototypes per class.

The LFs are ``labeling_functions/lfw_faces.py`` (written on the 100 dev images of ``gold_sets/lfw_faces``): one
affinity LF (HOG similarity to :data:`~labeling_functions.lfw_faces.PROTOTYPES`, 10 dev images per class) and four
rules over edge density and grey levels. The label model is weaksup's default (:class:`~weaksup.models.DevNaiveBayes`
with the dev gold), fitted on the votes of all 200 images, as ``weaksup run configs/lfw_faces.toml`` does. Every
figure is on the 100 test images, which nothing was chosen on; an abstain counts as wrong.

The settings were chosen on dev only, by repeated stratified 5-fold cross-validation (:func:`dev_cross_validation`:
prototypes drawn from the training folds, the label model fitted on their gold, the held-out fold scored), printed
with ``--cv``.

    python benchmarks/modality_image.py [--cv] [--curve] [--json FILE]

``--curve`` also reports test accuracy with 1, 3, 5 and 10 prototypes per class (5 seeded draws each; a report:
nothing is chosen on it).

``measure()`` returns ``{"dataset", "accuracy", "prototypes_per_class", "majority_vote", "label_model_no_gold",
"affinity_only", "affinity_coverage", "n_lfs", "n_test", "labels_used", "seconds"}`` (fractions): ``accuracy`` is
the run's label model (it also learns from the 100 dev gold labels: ``labels_used``); ``majority_vote`` and
``label_model_no_gold`` (Dawid-Skene on the votes alone) use no label beyond the 20 prototypes; ``affinity_only``
is the prototype LF alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from weaksup.apply import apply_lfs  # noqa: E402
from weaksup.lf.affinity import affinity_lf, prototypes_from_gold  # noqa: E402
from weaksup.models import DawidSkene, MajorityVote, default_label_model, fit_label_model  # noqa: E402
from weaksup.registry import Registry  # noqa: E402

IMAGES = ROOT / "data" / "lfw_faces" / "images.csv"
GOLD = ROOT / "gold_sets" / "lfw_faces" / "labels.csv"
MODULE = "labeling_functions.lfw_faces"
DATASET = "skimage.data.lfw_subset (LFW faces vs. background, 200 grey 25x25 images)"


def load() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The 200 rows (row_id, path), their class ids (0 face, 1 not_face) and their split ("dev" / "test")."""
    rows = pd.read_csv(IMAGES, dtype=str)
    gold = pd.read_csv(GOLD, dtype=str).set_index("row_id").loc[rows["row_id"]]
    y = (gold["label"].to_numpy() == "not_face").astype(np.int64)
    return rows, y, gold["split"].to_numpy()


def _accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(pred == y))  # an abstain (-1) is never a class: counted wrong


def measure() -> dict[str, Any]:
    """The test-split figures of the shipped image example (see the module docstring)."""
    start = time.perf_counter()
    rows, y, split = load()
    registry = Registry.from_modules(MODULE)
    L = np.asarray(apply_lfs(registry, rows, id_column="row_id"))
    dev, test = split == "dev", split == "test"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_label_model(default_label_model(2, seed=0), L, L_dev=L[dev], y_dev=y[dev])
        no_gold = DawidSkene(cardinality=2, seed=0).fit(L)
        voted = (L[test] >= 0).any(axis=1)  # a run abstains on images no LF voted on ([label_model] no_votes)
        pred, unsupervised = (np.where(voted, m.predict(L[test]), -1) for m in (model, no_gold))
        majority = MajorityVote(cardinality=2).fit(L).predict(L[test])
    names = [lf.name for lf in registry.lfs]
    affinity = L[test, names.index("hog_prototypes")]
    module = sys.modules[MODULE]
    return {"dataset": DATASET, "accuracy": _accuracy(pred, y[test]),
            "prototypes_per_class": max(len(v) for v in module.PROTOTYPES.values()),
            "majority_vote": _accuracy(majority, y[test]), "label_model_no_gold": _accuracy(unsupervised, y[test]),
            "affinity_only": _accuracy(affinity, y[test]),
            "affinity_coverage": float(np.mean(affinity >= 0)), "n_lfs": len(names), "n_test": int(test.sum()),
            "labels_used": int(dev.sum()), "seconds": round(time.perf_counter() - start, 2)}


def prototype_curve(counts: tuple[int, ...] = (1, 3, 5, 10), seeds: int = 5) -> dict[int, dict[str, float]]:
    """Test accuracy with fewer prototypes per class (a report, nothing is chosen on it): for each count, the mean
    over ``seeds`` draws of dev prototypes of the label model's and the affinity LF's accuracy (same rules)."""
    module = __import__(MODULE, fromlist=["prototype_lf"])
    rows, y, split = load()
    dev, test = split == "dev", split == "test"
    rules = [lf for lf in Registry.from_modules(MODULE).lfs if lf.kind != "affinity"]
    L_rules = np.asarray(apply_lfs(rules, rows, id_column="row_id"))
    paths = rows["path"].tolist()
    out: dict[int, dict[str, float]] = {}
    for count in counts:
        label_model, affinity = [], []
        for seed in range(seeds):
            protos = prototypes_from_gold(paths, np.where(dev, y, -1), per_class=count, seed=seed)
            L = np.concatenate([module.prototype_lf(protos).votes_on(paths)[:, None], L_rules], 1)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = fit_label_model(default_label_model(2, seed=0), L, L_dev=L[dev], y_dev=y[dev])
            voted = (L[test] >= 0).any(axis=1)
            label_model.append(_accuracy(np.where(voted, model.predict(L[test]), -1), y[test]))
            affinity.append(_accuracy(L[test, 0], y[test]))
        out[count] = {"label_model": round(float(np.mean(label_model)), 4),
                      "affinity_only": round(float(np.mean(affinity)), 4)}
    return out


def dev_cross_validation(variants: dict[str, Callable[[dict[int, list[Any]]], list[Any]]] | None = None, *,
                         repeats: int = 4, folds: int = 5, seed: int = 1) -> dict[str, dict[str, float]]:
    """Out-of-fold accuracy on the dev images only, per LF-set variant (how the example's settings were chosen).

    Each variant maps prototypes (10 per class, drawn from the training folds) to its affinity LFs; the rule LFs
    are added to every variant. Returns ``{variant: {"label_model", "majority_vote", "first_affinity"}}``.
    """
    module = __import__(MODULE, fromlist=["PROTOTYPES"])
    rows, y_all, split = load()
    dev = rows[split == "dev"].reset_index(drop=True)
    y = y_all[split == "dev"]
    registry = Registry.from_modules(MODULE)
    rules = [lf for lf in registry.lfs if lf.kind != "affinity"]
    L_rules = np.asarray(apply_lfs(rules, dev, id_column="row_id"))
    edges = module.ImageFeatures(["edges"])

    def hog(cell: int, block: int, margin: float = 0.02) -> Callable[[dict[int, list[Any]]], list[Any]]:
        features = module.ImageFeatures(["hog"], size=25, hog_cell=cell, hog_block=block)
        return lambda p: [affinity_lf("hog", p, features=features, root=module.ROOT, margin=margin)]

    def edge(p: dict[int, list[Any]]) -> list[Any]:
        return [affinity_lf("edge", p, features=edges, root=module.ROOT, metric="euclidean", margin=0.1)]

    variants = variants or {
        "hog 5/1 (shipped)": hog(5, 1), "hog 5/1 margin 0": hog(5, 1, 0.0), "hog 5/1 margin 0.05": hog(5, 1, 0.05),
        "hog 5/2": hog(5, 2), "hog 8/2": hog(8, 2),
        "hog 5/1 + edge prototypes": lambda p: hog(5, 1)(p) + edge(p)}
    scores: dict[str, dict[str, list[float]]] = {k: {"label_model": [], "majority_vote": [], "first_affinity": []}
                                                 for k in variants}
    rng = np.random.default_rng(seed)
    for repeat in range(repeats):
        fold = np.zeros(len(y), dtype=np.int64)
        for c in (0, 1):
            members = np.flatnonzero(y == c)
            rng.shuffle(members)
            fold[members] = np.arange(len(members)) % folds
        for f in range(folds):
            train, held = fold != f, fold == f
            protos = prototypes_from_gold(dev["path"].tolist(), np.where(train, y, -1), per_class=10,
                                          seed=repeat * folds + f)
            for name, make in variants.items():
                lfs = make(protos)
                L = np.concatenate([np.stack([lf.votes_on(dev["path"].tolist()) for lf in lfs], 1), L_rules], 1)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = fit_label_model(default_label_model(2, seed=0), L, L_dev=L[train], y_dev=y[train])
                    majority = MajorityVote(cardinality=2).fit(L)
                scores[name]["label_model"].append(_accuracy(model.predict(L[held]), y[held]))
                scores[name]["majority_vote"].append(_accuracy(majority.predict(L[held]), y[held]))
                scores[name]["first_affinity"].append(_accuracy(L[held, 0], y[held]))
    return {name: {k: round(float(np.mean(v)), 4) for k, v in s.items()} for name, s in scores.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="also print the dev cross-validation of the settings")
    parser.add_argument("--curve", action="store_true", help="also print test accuracy for 1, 3, 5, 10 prototypes")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    result = measure()
    for key, value in result.items():
        print(f"{key:22s} {value:.3f}" if isinstance(value, float) else f"{key:22s} {value}")
    if args.cv:
        result["dev_cross_validation"] = dev_cross_validation()
        for name, row in result["dev_cross_validation"].items():
            print(f"dev CV  {name:28s} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))
    if args.curve:
        result["prototype_curve"] = prototype_curve()
        for count, row in result["prototype_curve"].items():
            print(f"{count:2d} prototypes/class (mean of 5 draws)  label_model {row['label_model']:.3f}  "
                  f"affinity_only {row['affinity_only']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
