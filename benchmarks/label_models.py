"""Label models on WRENCH-format datasets, side by side with WRENCH's published numbers.

Every model is fitted on the train split's votes (for a dataset without one, on the valid
split's votes, never their labels); dev-aware models also get the valid split's gold labels.
All are scored on the test split with WRENCH's metric: accuracy, or binary F1 (positive class 1)
for WRENCH's F1 datasets, for sets whose ``label.json`` has ``"metric": "f1"``, and for ``--f1``.
Ties are broken with Snorkel's deterministic hash, as WRENCH did. The test split is never
used for fitting or for choosing anything.

    python benchmarks/label_models.py --data ../shared/data [--datasets a,b] [--f1 a,b] [--json FILE]
    python benchmarks/label_models.py --scale [--rows 1000000 --lfs 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weaksup.datasets import find_datasets, load_wrench  # noqa: E402
from weaksup.models import (  # noqa: E402
    DEFAULT_MODEL, MODELS, DevSelector, DevWeightedVote, default_label_model,
)

#: WRENCH's published label-model-only test results (JieyuZ2/wrench, images/bench_class1.png).
PUBLISHED = {
    "youtube": {"MV": 84.00, "MeTaL": 84.00, "best": 84.00}, "sms": {"MV": 23.97, "MeTaL": 7.06, "best": 23.97},
    "trec": {"MV": 60.80, "MeTaL": 57.60, "best": 64.20}, "chemprot": {"MV": 49.04, "MeTaL": 51.96, "best": 52.08},
    "imdb": {"MV": 71.04, "MeTaL": 70.96, "best": 71.04}, "yelp": {"MV": 70.21, "MeTaL": 68.30, "best": 71.45},
    "basketball": {"MV": 16.33, "MeTaL": 13.13, "best": 17.39},
}
UNSUPERVISED = ["MajorityVote", "DawidSkene", "SnorkelLabelModel"]
DEV_AWARE = ["DevWeightedVote", "DevSelector", "default"]
MODEL_NAMES = UNSUPERVISED + DEV_AWARE


def score(metric: str, y: np.ndarray, pred: np.ndarray) -> float:
    """WRENCH's metric in %: accuracy over all rows, or binary F1 of class 1 (an abstain counts as wrong)."""
    if metric == "f1":
        tp = int(((pred == 1) & (y == 1)).sum())
        return 100 * 2 * tp / max(int((pred == 1).sum()) + int((y == 1).sum()), 1)
    return 100 * float((pred == y).mean())


def make_model(name: str, k: int, metric: str):
    if name == "default":
        return default_label_model(k, metric=metric)
    if name in ("DevWeightedVote", "DevSelector"):
        return {"DevWeightedVote": DevWeightedVote, "DevSelector": DevSelector}[name](k, metric=metric)
    return MODELS[name](k)


def run_dataset(path: Path, f1_sets: set[str]) -> dict[str, dict]:
    """Fit and score every model on one dataset."""
    ds = load_wrench(path)
    metric = "f1" if ds.name in f1_sets and ds.label_space.cardinality == 2 else ds.metric
    k = ds.label_space.cardinality
    valid, test = ds.splits.get("valid"), ds.splits.get("test")
    fit_split = ds.splits.get("train") or valid  # never the test split
    if test is None or fit_split is None:
        return {}
    fit_votes = fit_split.votes
    results: dict[str, dict] = {}
    for name in MODEL_NAMES:
        dev_aware = name in DEV_AWARE
        if dev_aware and valid is None:
            continue
        if name == "SnorkelLabelModel" and fit_votes.shape[1] < 3:
            continue
        model = make_model(name, k, metric)
        start = time.perf_counter()
        model.fit(fit_votes, **({"L_dev": valid.votes, "y_dev": valid.y} if dev_aware else {}))
        entry = {"metric": metric, "fit_s": round(time.perf_counter() - start, 3),
                 "test": round(score(metric, test.y, model.predict(test.votes, tie_break="hash")), 2)}
        if valid is not None:  # in-sample for the dev-aware models
            entry["valid"] = round(score(metric, valid.y, model.predict(valid.votes, tie_break="hash")), 2)
        results[name] = entry
    return results


def table(all_results: dict[str, dict]) -> str:
    """One row per dataset, one column per model and published number; averages at the bottom."""
    published = [("published MV", "MV"), ("published MeTaL", "MeTaL")]
    cols = MODEL_NAMES + [label for label, _ in published]
    width = max(len(c) for c in cols) + 1
    lines = [f"{'dataset':12s} {'metric':6s}" + "".join(f"{c:>{width}s}" for c in cols)]
    columns: dict[str, dict[str, float]] = {c: {} for c in cols}
    for name, res in all_results.items():
        for c in MODEL_NAMES:
            if c in res:
                columns[c][name] = res[c]["test"]
        for label, key in published:
            if name in PUBLISHED:
                columns[label][name] = PUBLISHED[name][key]
        metric = next(iter(res.values()))["metric"] if res else "-"
        lines.append(f"{name:12s} {metric:6s}" + "".join(
            f"{columns[c][name]:{width}.2f}" if name in columns[c] else f"{'-':>{width}s}" for c in cols))
    for label, names in (("avg WRENCH-7", [d for d in PUBLISHED if d in all_results]), ("avg all", list(all_results))):
        if not names:
            continue
        cells = []
        for c in cols:
            values = [columns[c].get(d) for d in names]
            cells.append(f"{np.mean(values):{width}.2f}" if None not in values else f"{'-':>{width}s}")
        lines.append(f"{label + f' ({len(names)})':19s}" + "".join(cells))
    return "\n".join(lines)


def below_majority(all_results: dict[str, dict], model: str = "default") -> dict[str, float]:
    """Datasets where ``model`` falls more than 1 point below majority vote (the issue's guard)."""
    return {name: round(res[model]["test"] - res["MajorityVote"]["test"], 2) for name, res in all_results.items()
            if model in res and res[model]["test"] < res["MajorityVote"]["test"] - 1}


def synthetic_votes(rows: int, lfs: int, rng: np.random.Generator, coverage: np.ndarray,
                    accuracy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows from the conditionally independent model: each LF fires with its coverage, then is right with its
    accuracy (else it votes the other class). Two balanced classes."""
    y = rng.integers(0, 2, rows)
    fires = rng.random((rows, lfs)) < coverage
    right = rng.random((rows, lfs)) < accuracy
    return np.where(fires, np.where(right, y[:, None], 1 - y[:, None]), -1).astype(np.int8), y


def scale(rows: int, lfs: int, dev_rows: int = 2000, seed: int = 0) -> dict:
    """Fit + predict on a synthetic matrix from a known model: weaksup's default against Snorkel's LabelModel.

    Both are timed warm (one small fit first, so imports and lazy set-up are not counted) and
    predict with a seeded random tie-break. The default also gets ``dev_rows`` gold rows drawn
    from the same model; Snorkel is fitted on the unlabeled matrix only, as it would be used.
    """
    from snorkel.labeling.model import LabelModel as Snorkel

    from weaksup.models import break_ties

    rng = np.random.default_rng(seed)
    coverage, accuracy = rng.uniform(0.05, 0.4, lfs), rng.uniform(0.55, 0.95, lfs)
    L, y = synthetic_votes(rows, lfs, rng, coverage, accuracy)
    L_dev, y_dev = synthetic_votes(dev_rows, lfs, rng, coverage, accuracy)
    L64 = L.astype(np.int64)  # Snorkel's input type, converted outside its clock
    default_label_model(2).fit(L[:5000], L_dev=L_dev, y_dev=y_dev).predict(L[:5000])  # warm-up
    Snorkel(cardinality=2, verbose=False).fit(L64[:5000], n_epochs=10, seed=seed, progress_bar=False)

    start = time.perf_counter()
    ours = default_label_model(2, seed=seed).fit(L, L_dev=L_dev, y_dev=y_dev)
    pred = ours.predict(L, tie_break="random")
    default_s = time.perf_counter() - start
    start = time.perf_counter()
    snorkel = Snorkel(cardinality=2, verbose=False)
    snorkel.fit(L64, n_epochs=500, seed=seed, progress_bar=False)
    snorkel_pred = break_ties(snorkel.predict_proba(L64), "random", seed)
    snorkel_s = time.perf_counter() - start
    # the best any label model can do: the posterior under the true coverages and accuracies
    weight = np.log(accuracy / (1 - accuracy))
    log_odds = ((L == 1) * weight).sum(axis=1) - ((L == 0) * weight).sum(axis=1)
    bayes_pred = break_ties(np.stack([-log_odds, log_odds], axis=1), "random", seed)
    return {"rows": rows, "lfs": lfs, "dev_rows": dev_rows, "default_model": type(ours).__name__,
            "default_tables": ours.source_, "default_s": round(default_s, 3),
            "default_acc": round(float((pred == y).mean()), 6), "snorkel_s": round(snorkel_s, 3),
            "snorkel_acc": round(float((snorkel_pred == y).mean()), 6),
            "bayes_optimal_acc": round(float((bayes_pred == y).mean()), 6),
            "time_ratio_default_over_snorkel": round(default_s / snorkel_s, 3)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a folder of WRENCH-format dataset folders")
    parser.add_argument("--datasets", help="comma-separated names to run (default: all found)")
    parser.add_argument("--f1", help="comma-separated extra binary datasets scored with F1 (positive class 1)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--scale", action="store_true", help="time fit+predict on a synthetic matrix instead")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lfs", type=int, default=20)
    args = parser.parse_args(argv)
    if args.scale:
        result = scale(args.rows, args.lfs)
        print(f"{result['rows']:,} rows x {result['lfs']} LFs, 2 classes, known generative model; "
              f"default also gets {result['dev_rows']} dev gold rows")
        rows = [(f"weaksup default ({result['default_model']}, tables from {result['default_tables']})",
                 f"{result['default_s']:7.3f} s", result["default_acc"]),
                ("Snorkel LabelModel (500 epochs)", f"{result['snorkel_s']:7.3f} s", result["snorkel_acc"]),
                ("Bayes-optimal (the true LF parameters)", "", result["bayes_optimal_acc"])]
        for label, seconds, acc in rows:
            clock = f"fit+predict {seconds}" if seconds else ""
            print(f"{label:55s} {clock:21s}  accuracy {acc:.6f}")
        print(f"time ratio default / Snorkel (both warm): {result['time_ratio_default_over_snorkel']:.3f}; "
              f"accuracy difference {100 * (result['default_acc'] - result['snorkel_acc']):+.4f} points")
    else:
        if args.data is None:
            parser.error("--data is required (or --scale)")
        f1_sets = set(filter(None, (args.f1 or "").split(",")))
        wanted = set(filter(None, (args.datasets or "").split(",")))
        result = {}
        start = time.perf_counter()
        for path in find_datasets(args.data):
            if not wanted or path.name in wanted:
                result[path.name] = run_dataset(path, f1_sets)
        print(f"test split, WRENCH metric; 'default' is {DEFAULT_MODEL} (dev-aware models use the valid split's gold)")
        print(table(result))
        bad = below_majority(result)
        print(f"default more than 1 point below MajorityVote on: {bad or 'none'}; "
              f"total time {time.perf_counter() - start:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
