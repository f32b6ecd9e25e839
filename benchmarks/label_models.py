"""Label models on WRENCH-format datasets, side by side with WRENCH's published numbers.

Every model is fitted on the train split (or, for a dataset without one, on the test votes,
without their labels); dev-aware models also see the valid split's gold labels; all are
scored on the test split with WRENCH's metric (accuracy, or binary F1 for the F1 datasets).

    python benchmarks/label_models.py --data ../shared/data [--datasets a,b] [--json FILE]
    python benchmarks/label_models.py --scale [--rows 1000000 --lfs 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weaksup.datasets import WRENCH_F1, find_datasets, load_wrench  # noqa: E402
from weaksup.models import DawidSkene, DevWeightedVote, MajorityVote, SnorkelLabelModel  # noqa: E402

#: WRENCH's published label-model-only test results (JieyuZ2/wrench, images/bench_class1.png).
PUBLISHED = {
    "youtube": {"MV": 84.00, "MeTaL": 84.00, "best": 84.00}, "sms": {"MV": 23.97, "MeTaL": 7.06, "best": 23.97},
    "trec": {"MV": 60.80, "MeTaL": 57.60, "best": 64.20}, "chemprot": {"MV": 49.04, "MeTaL": 51.96, "best": 52.08},
    "imdb": {"MV": 71.04, "MeTaL": 70.96, "best": 71.04}, "yelp": {"MV": 70.21, "MeTaL": 68.30, "best": 71.45},
    "basketball": {"MV": 16.33, "MeTaL": 13.13, "best": 17.39},
}
MODELS = ["MajorityVote", "DawidSkene", "SnorkelLabelModel", "default"]


def _score(metric: str, y: np.ndarray, pred: np.ndarray) -> float:
    return 100 * (f1_score(y, pred) if metric == "f1" else accuracy_score(y, pred))


def run_dataset(path: Path, f1_sets: set[str]) -> dict[str, dict]:
    ds = load_wrench(path)
    metric = "f1" if ds.name in f1_sets and ds.label_space.cardinality == 2 else "acc"
    k = ds.label_space.cardinality
    fit_split = ds.splits.get("train") or ds.splits["test"]
    valid, test = ds.splits.get("valid"), ds.splits["test"]
    results = {}
    for name in MODELS:
        if name == "default":
            if valid is None:
                continue
            model = DevWeightedVote(cardinality=k, metric=metric)
            fit_kwargs = {"L_dev": valid.votes, "y_dev": valid.y}
        else:
            model = {"MajorityVote": MajorityVote, "DawidSkene": DawidSkene, "SnorkelLabelModel": SnorkelLabelModel}[name](cardinality=k)
            fit_kwargs = {}
        if name == "SnorkelLabelModel" and fit_split.votes.shape[1] < 3:
            continue
        start = time.perf_counter()
        model.fit(fit_split.votes, **fit_kwargs)
        fit_s = time.perf_counter() - start
        entry = {"metric": metric, "test": round(_score(metric, test.y, model.predict(test.votes, tie_break="hash")), 2),
                 "fit_s": round(fit_s, 3)}
        if valid is not None:
            entry["valid"] = round(_score(metric, valid.y, model.predict(valid.votes, tie_break="hash")), 2)
        results[name] = entry
    return results


def table(all_results: dict[str, dict]) -> str:
    cols = MODELS + ["published MV", "published MeTaL", "published best"]
    lines = [f"{'dataset':12s} {'metric':6s} " + " ".join(f"{c:>17s}" for c in cols)]
    sums: dict[str, list[float]] = {c: [] for c in cols}
    for name, res in all_results.items():
        row = []
        for c in cols:
            if c.startswith("published"):
                value = PUBLISHED.get(name, {}).get({"published MV": "MV", "published MeTaL": "MeTaL", "published best": "best"}[c])
            else:
                value = res.get(c, {}).get("test")
            row.append(f"{value:17.2f}" if value is not None else f"{'-':>17s}")
            if value is not None and name in PUBLISHED:
                sums[c].append(value)
        metric = next(iter(res.values()))["metric"]
        lines.append(f"{name:12s} {metric:6s} " + " ".join(row))
    n = len([d for d in all_results if d in PUBLISHED])
    lines.append(f"{'average (' + str(n) + ' sets)':19s} " + " ".join(
        f"{np.mean(v):17.2f}" if len(v) == n and n else f"{'-':>17s}" for v in sums.values()))
    return "\n".join(lines)


def scale(rows: int, lfs: int, seed: int = 0) -> dict:
    """Fit and predict on a synthetic matrix from a known model: weaksup's default against Snorkel."""
    from snorkel.labeling.model import LabelModel as Snorkel

    rng = np.random.default_rng(seed)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, 2, n)
        cover = rng.random((n, lfs)) < coverage
        right = rng.random((n, lfs)) < accuracy
        return np.where(cover, np.where(right, y[:, None], 1 - y[:, None]), -1).astype(np.int8), y

    coverage = rng.uniform(0.05, 0.4, lfs)
    accuracy = rng.uniform(0.55, 0.95, lfs)
    L, y = draw(rows)
    L_dev, y_dev = draw(2000)
    out = {"rows": rows, "lfs": lfs, "dev_rows": 2000}
    start = time.perf_counter()
    ours = DevWeightedVote(cardinality=2).fit(L, L_dev=L_dev, y_dev=y_dev)
    pred = ours.predict(L, tie_break="random")
    out["default_s"] = round(time.perf_counter() - start, 3)
    out["default_acc"] = round(float((pred == y).mean()), 4)
    start = time.perf_counter()
    snorkel = Snorkel(cardinality=2, verbose=False)
    snorkel.fit(L.astype(np.int64), n_epochs=500, seed=seed, progress_bar=False)
    spred = snorkel.predict(L.astype(np.int64), tie_break_policy="true-random")
    out["snorkel_s"] = round(time.perf_counter() - start, 3)
    out["snorkel_acc"] = round(float((spred == y).mean()), 4)
    out["time_ratio_default_over_snorkel"] = round(out["default_s"] / out["snorkel_s"], 3)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a folder of WRENCH-format dataset folders")
    parser.add_argument("--datasets", help="comma-separated names to run (default: all found)")
    parser.add_argument("--f1", help="comma-separated extra datasets scored with binary F1")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--scale", action="store_true", help="time fit+predict on a synthetic matrix instead")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lfs", type=int, default=20)
    args = parser.parse_args(argv)
    if args.scale:
        result = scale(args.rows, args.lfs)
        print(f"{result['rows']:,} rows x {result['lfs']} LFs (2 classes, known generative model)")
        print(f"weaksup default (DevWeightedVote)  fit+predict {result['default_s']:7.3f} s  accuracy {result['default_acc']:.4f}")
        print(f"Snorkel LabelModel (500 epochs)    fit+predict {result['snorkel_s']:7.3f} s  accuracy {result['snorkel_acc']:.4f}")
        print(f"time ratio default / Snorkel: {result['time_ratio_default_over_snorkel']}")
    else:
        if args.data is None:
            parser.error("--data is required (or --scale)")
        f1_sets = set(WRENCH_F1) | set(filter(None, (args.f1 or "").split(",")))
        wanted = set(filter(None, (args.datasets or "").split(",")))
        result = {}
        for path in find_datasets(args.data):
            if wanted and path.name not in wanted:
                continue
            result[path.name] = run_dataset(path, f1_sets)
        print("test split; 'default' is DevWeightedVote (LF accuracies from the valid split's gold)")
        print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
