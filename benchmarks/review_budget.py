"""Is weaksup's review order worth it? Simulated review rounds with a fixed budget, against random order.

For each dataset: a pool of unlabeled rows (whose labels the run ships), an initial dev gold split
(what the label model is tuned on) and a held-out test split (never reviewed). Every round:

1. fit the default label model (``DevNaiveBayes``) with the dev gold plus every reviewed row as dev gold;
2. the labels are its predictions on the pool, with the reviewed rows replaced by their answers
   (answers come from the true labels: perfect annotators);
3. record the accuracy of those labels over the whole pool (what the run ships; abstain counted
   wrong) and the label model's accuracy on the held-out test rows;
4. pick the next ``--budget`` rows to review: **weaksup** (entropy of the label, then the MMR
   diversity step over the text, as ``weaksup review export``), **entropy only** (no diversity
   step), and **random** (``--seeds`` seeds).

It prints a table per dataset and how many reviewed rows each order needs to reach the target
accuracy of the pool's labels; ``--plot FILE.png`` draws the curves.

Data: YouTube = the shipped UCI comments, the 16 LFs of ``labeling_functions/youtube_spam.py``,
gold from the UCI labels (dev and test splits as in ``gold_sets/youtube_spam``; the 1,380 others are
the pool). SMS = WRENCH's ``sms`` (73 keyword/regex LFs over the UCI SMS Spam Collection; train is
the pool, valid the dev gold, test held out), from ``../shared/data/sms``.

    .venv/bin/python benchmarks/review_budget.py --rounds 10 --budget 25 --plot review_budget.png
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup.labels import ABSTAIN  # noqa: E402
from weaksup.models import default_label_model  # noqa: E402
from weaksup.review import review_order, uncertainty_score  # noqa: E402


@dataclass
class Task:
    name: str
    L_pool: np.ndarray
    y_pool: np.ndarray
    text_pool: np.ndarray
    L_dev: np.ndarray
    y_dev: np.ndarray
    L_test: np.ndarray
    y_test: np.ndarray
    k: int


def youtube() -> Task:
    from weaksup.apply import apply_lfs
    from weaksup.datasets.examples import load_youtube_spam
    from weaksup.registry import Registry

    os.chdir(REPO)
    data = load_youtube_spam(with_labels=True)
    registry = Registry.from_modules("labeling_functions.youtube_spam")
    L = apply_lfs(registry, data, id_column="row_id").values.astype(np.int64)
    y = data["label"].map({"ham": 0, "spam": 1}).to_numpy()
    split = data["split"].to_numpy()
    pool, dev, test = split == "unlabeled", split == "dev", split == "test"
    return Task("youtube", L[pool], y[pool], data["text"].to_numpy()[pool], L[dev], y[dev], L[test], y[test], 2)


def sms(folder: Path) -> Task:
    from weaksup.datasets import load_wrench

    ds = load_wrench(folder)
    tr, va, te = ds.splits["train"], ds.splits["valid"], ds.splits["test"]
    return Task("sms", tr.votes.values.astype(np.int64), tr.y, tr.data["text"].to_numpy(), va.votes.values.astype(
        np.int64), va.y, te.votes.values.astype(np.int64), te.y, len(ds.label_space))


def fit_predict(task: Task, reviewed: np.ndarray):
    """Refit with dev gold + reviewed rows; the pool's probabilities and labels, and the test accuracy."""
    L_dev = np.concatenate([task.L_dev, task.L_pool[reviewed]])
    y_dev = np.concatenate([task.y_dev, task.y_pool[reviewed]])
    model = default_label_model(task.k, seed=0).fit(task.L_pool, L_dev=L_dev, y_dev=y_dev)
    proba = model.predict_proba(task.L_pool)
    labels = model.predict(task.L_pool, tie_break="abstain")
    test_acc = float((model.predict(task.L_test, tie_break="abstain") == task.y_test).mean())
    return proba, labels, test_acc


def simulate(task: Task, strategy: str, rounds: int, budget: int, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    reviewed = np.zeros(len(task.y_pool), dtype=bool)
    history = []
    for r in range(rounds + 1):
        proba, labels, test_acc = fit_predict(task, np.flatnonzero(reviewed))
        final = np.where(reviewed, task.y_pool, labels)
        history.append({"round": r, "reviewed": int(reviewed.sum()),
                        "pool_accuracy": float(((final == task.y_pool) & (final != ABSTAIN)).mean()),
                        "test_accuracy": test_acc})
        if r == rounds:
            break
        open_rows = np.flatnonzero(~reviewed)
        if strategy == "random":
            pick = rng.choice(open_rows, size=min(budget, len(open_rows)), replace=False)
        else:
            scores = uncertainty_score(proba[open_rows], "entropy")
            if strategy == "weaksup":
                order = review_order(scores, task.text_pool[open_rows], budget=budget, seed=seed)
            else:  # entropy only
                order = review_order(scores, budget=budget, seed=seed)
            pick = open_rows[order]
        reviewed[pick] = True
    return history


def reach(history: list[dict], target: float, key: str = "pool_accuracy") -> int | None:
    return next((h["reviewed"] for h in history if h[key] >= target), None)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["youtube", "sms"], choices=["youtube", "sms"])
    parser.add_argument("--sms", default=str(REPO.parent / "shared" / "data" / "sms"), help="WRENCH sms folder")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=25, help="rows reviewed per round")
    parser.add_argument("--seeds", type=int, default=5, help="random-order seeds")
    parser.add_argument("--target", type=float, nargs="+", default=[0.95, 0.97],
                        help="target accuracies of the pool's labels")
    parser.add_argument("--plot", help="write the curves to this PNG")
    parser.add_argument("--json", help="write all numbers to this JSON file")
    args = parser.parse_args(argv)
    results: dict = {}
    for name in args.datasets:
        started = time.perf_counter()
        task = youtube() if name == "youtube" else sms(Path(args.sms))
        runs = {"weaksup": simulate(task, "weaksup", args.rounds, args.budget),
                "entropy only": simulate(task, "entropy", args.rounds, args.budget)}
        randoms = [simulate(task, "random", args.rounds, args.budget, seed=s) for s in range(args.seeds)]
        runs["random (mean)"] = [{"round": h[0]["round"], "reviewed": h[0]["reviewed"],
                                  "pool_accuracy": float(np.mean([x["pool_accuracy"] for x in h])),
                                  "test_accuracy": float(np.mean([x["test_accuracy"] for x in h]))}
                                 for h in zip(*randoms)]
        results[name] = {"pool": len(task.y_pool), "dev": len(task.y_dev), "test": len(task.y_test),
                         "runs": runs, "random_seeds": randoms}
        print(f"\n== {name}: pool {len(task.y_pool):,} rows, dev gold {len(task.y_dev)}, held-out test "
              f"{len(task.y_test)}; {args.budget} reviews per round ({time.perf_counter() - started:.0f} s)")
        print("reviewed | pool label accuracy: " + " | ".join(f"{k:>13}" for k in runs)
              + " || test accuracy (label model): " + " | ".join(f"{k:>13}" for k in runs))
        for i in range(args.rounds + 1):
            row = [runs[k][i] for k in runs]
            print(f"{row[0]['reviewed']:>8} | {' ' * 21}" + " | ".join(f"{h['pool_accuracy']:>13.4f}" for h in row)
                  + f" || {' ' * 29}" + " | ".join(f"{h['test_accuracy']:>13.4f}" for h in row))
        for target in args.target:
            need = {k: reach(v, target) for k, v in runs.items()}
            seeds = [reach(h, target) for h in randoms]
            print(f"reviews to reach pool label accuracy {target:.2f}: "
                  + ", ".join(f"{k} {v if v is not None else f'> {args.rounds * args.budget}'}" for k, v in need.items())
                  + f" (random seeds: {[s if s is not None else '>' for s in seeds]})")
            results[name].setdefault("reach", {})[str(target)] = {**need, "random seeds": seeds}
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4), squeeze=False)
        for ax, (name, res) in zip(axes[0], results.items()):
            for label, hist in res["runs"].items():
                ax.plot([h["reviewed"] for h in hist], [h["pool_accuracy"] for h in hist], marker="o", label=label)
            for hist in res["random_seeds"]:
                ax.plot([h["reviewed"] for h in hist], [h["pool_accuracy"] for h in hist], color="grey", alpha=0.2)
            ax.set(title=f"{name}: accuracy of the pool's labels", xlabel="rows reviewed", ylabel="accuracy")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
        print(f"\nplot: {args.plot}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
