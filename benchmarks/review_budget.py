"""Do review rounds move the labels? Test accuracy per review round, weaksup's mixed order vs entropy vs random.

For each dataset: a pool of unlabeled rows (whose labels the run ships), a dev gold split and a
held-out test split (never reviewed). Every round:

1. refit the labels with the dev gold plus every reviewed row as dev gold: the **final labels**
   (``--labels final``, the default: ``weaksup.final_labels.FinalLabeler`` when it is installed, else an
   interim stand-in -- the default label model on rows with votes, and the default end model, cross-fitted
   in two folds over the pool, trained on the label model's labels plus every gold row, on rows without) or
   the **label model** alone (``--labels label_model``; it abstains on rows without votes);
2. the pool's labels are those predictions with the reviewed rows replaced by their answers (answers
   come from the true labels: perfect annotators);
3. record the held-out **test accuracy** (abstain counted wrong; also split into rows with and without
   votes) and the accuracy of the pool's labels;
4. pick the next ``--budget`` rows: **weaksup** (:func:`weaksup.review.mixing.mixed_review_order`:
   uncovered rows by text cluster, low margin, LF conflicts, label model vs final disagreement, with the
   MMR diversity step), **entropy only** (the labels' entropy, no diversity), **random** (``--seeds`` seeds).

Data: YouTube = the shipped UCI comments, the LFs of ``labeling_functions/youtube_spam.py``, gold from
the UCI labels (dev and test splits as in ``gold_sets/youtube_spam``; the others are the pool). SMS =
WRENCH's ``sms`` (73 keyword/regex LFs over the UCI SMS Spam Collection; train is the pool, valid the dev
gold, test held out), from ``../shared/data/sms``.

    .venv/bin/python benchmarks/review_budget.py --rounds 6 --budget 25 --json review_budget.json

Measured (issue 15, ``--rounds 4 --budget 25``, final labels = FinalLabeler with 3 folds; test accuracy after
0 / 100 reviewed rows, mixed | entropy only | random mean): YouTube, 286 dev rows 0.941 -> 0.945 | 0.952 | 0.945;
50 dev rows (``--dev-rows 50``) 0.910 -> 0.945 | 0.945 | 0.929. SMS, 500 dev rows 0.940 -> 0.972 | 0.978 |
0.947; 50 dev rows 0.936 -> 0.978 | 0.976 | 0.944. With the final labels, entropy ranks rows by the end
model's uncertainty and is as good as the mix; with a label model that abstains on rows without votes it
spends every review there (``--labels label_model``; ``tests/review/test_review_rounds.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup.analysis import row_conflict  # noqa: E402
from weaksup.labels import ABSTAIN  # noqa: E402
from weaksup.models import default_label_model  # noqa: E402
from weaksup.review import review_order, uncertainty_score  # noqa: E402
from weaksup.review.mixing import QUEUE_REASONS, mixed_review_order  # noqa: E402

STRATEGIES = ("weaksup", "entropy only", "random")
#: Cross-fitting folds of the final labels in this benchmark (3, not the run's 5: a refit every round).
FOLDS = 3


@dataclass
class Task:
    name: str
    L_pool: np.ndarray
    y_pool: np.ndarray
    text_pool: np.ndarray
    L_dev: np.ndarray
    y_dev: np.ndarray
    text_dev: np.ndarray
    L_test: np.ndarray
    y_test: np.ndarray
    text_test: np.ndarray
    k: int


@dataclass
class Fitted:
    """One round's labels: the pool's probabilities (final, and the label model's) and the test predictions."""

    pool_proba: np.ndarray
    pool_label: np.ndarray
    lm_proba: np.ndarray | None
    test_label: np.ndarray


def youtube(lf_set: str = "all") -> Task:
    """The YouTube example: its unlabeled rows the pool; ``lf_set="dev-written"`` keeps only the 16 LFs written on
    dev (not the 12 ``u_*`` ones written from the unlabeled rows): the set-up issue 15 measured review in."""
    from weaksup.apply import apply_lfs
    from weaksup.datasets.examples import load_youtube_spam
    from weaksup.registry import Registry

    os.chdir(REPO)
    data = load_youtube_spam(with_labels=True)
    registry = Registry.from_modules("labeling_functions.youtube_spam")
    if lf_set == "dev-written":
        registry = registry.select(names=[lf.name for lf in registry.lfs if not lf.name.startswith("u_")])
    L = apply_lfs(registry, data, id_column="row_id").values.astype(np.int64)
    y = data["label"].map({"ham": 0, "spam": 1}).to_numpy()
    text = data["text"].fillna("").astype(str).to_numpy()
    split = data["split"].to_numpy()
    pool, dev, test = split == "unlabeled", split == "dev", split == "test"
    return Task("youtube", L[pool], y[pool], text[pool], L[dev], y[dev], text[dev], L[test], y[test], text[test], 2)


def sms(folder: Path) -> Task:
    from weaksup.datasets import load_wrench

    ds = load_wrench(folder)
    tr, va, te = (ds.splits[s] for s in ("train", "valid", "test"))

    def text(split: Any) -> np.ndarray:
        return split.data["text"].fillna("").astype(str).to_numpy()

    return Task("sms", tr.votes.values.astype(np.int64), tr.y, text(tr), va.votes.values.astype(np.int64), va.y,
                text(va), te.votes.values.astype(np.int64), te.y, text(te), len(ds.label_space))


def final_labeler() -> Any:
    """``weaksup.final_labels.FinalLabeler`` once it exists (issue 15), else None (the interim stand-in runs)."""
    try:
        from weaksup.final_labels import FinalLabeler
    except ImportError:
        return None
    return FinalLabeler


def _hard(proba: np.ndarray, L: np.ndarray | None = None) -> np.ndarray:
    """Most probable class, ABSTAIN on ties (and, with ``L``, on rows without a vote)."""
    top = proba.max(axis=1, keepdims=True)
    label = np.where((np.isclose(proba, top)).sum(axis=1) > 1, ABSTAIN, proba.argmax(axis=1))
    if L is not None:
        label = np.where((L != ABSTAIN).any(axis=1), label, ABSTAIN)
    return label


def refit(task: Task, reviewed: np.ndarray, labels: str, seed: int = 0) -> Fitted:
    """The labels after refitting with dev gold + the reviewed rows as gold."""
    L_gold = np.concatenate([task.L_dev, task.L_pool[reviewed]])
    y_gold = np.concatenate([task.y_dev, task.y_pool[reviewed]])
    if labels == "label_model":
        model = default_label_model(task.k, seed=seed).fit(task.L_pool, L_dev=L_gold, y_dev=y_gold)
        voted = (task.L_pool != ABSTAIN).any(axis=1)  # as a run with no_votes = "abstain": uniform, unlabeled
        proba = np.where(voted[:, None], model.predict_proba(task.L_pool), 1.0 / task.k)
        return Fitted(proba, _hard(proba, task.L_pool), None, _hard(model.predict_proba(task.L_test), task.L_test))
    labeler = final_labeler()
    if labeler is not None:
        return _refit_final(labeler, task, reviewed, seed)
    return _refit_interim(task, reviewed, L_gold, y_gold, seed)


def _refit_final(labeler: Any, task: Task, reviewed: np.ndarray, seed: int) -> Fitted:
    n_pool, n_dev = len(task.y_pool), len(task.y_dev)
    y_pool = np.full(n_pool, ABSTAIN)
    y_pool[reviewed] = task.y_pool[reviewed]
    texts = np.concatenate([task.text_pool, task.text_dev])
    L = np.concatenate([task.L_pool, task.L_dev])
    positions = np.arange(n_pool + n_dev, dtype=np.int64)
    fitted = labeler(default_label_model(task.k, seed=seed), n_folds=FOLDS, seed=seed).fit(
        texts, L, positions, np.concatenate([y_pool, task.y_dev]))
    proba = fitted.predict_proba(texts, L, positions)[:n_pool]
    test = fitted.predict_proba(task.text_test, task.L_test,
                                np.arange(len(task.y_test), dtype=np.int64) + n_pool + n_dev)
    return Fitted(proba, _hard(proba), fitted.label_model_.predict_proba(task.L_pool), _hard(test))


def _refit_interim(task: Task, reviewed: np.ndarray, L_gold: np.ndarray, y_gold: np.ndarray, seed: int) -> Fitted:
    """Label model on rows with votes; end model (2-fold cross-fitted, weak labels + gold) on rows without."""
    from weaksup.end_model import default_end_model

    k = task.k
    lm = default_label_model(k, seed=seed).fit(task.L_pool, L_dev=L_gold, y_dev=y_gold)
    lm_pool, lm_test = lm.predict_proba(task.L_pool), lm.predict_proba(task.L_test)
    voted_pool = (task.L_pool != ABSTAIN).any(axis=1)
    weak = voted_pool & ~reviewed & (_hard(lm_pool) >= 0)
    weight = (lm_pool.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    fold = np.random.default_rng(seed).permutation(len(task.y_pool)) % 2
    gold_x = np.concatenate([task.text_dev, task.text_pool[reviewed]])
    em_pool = np.zeros_like(lm_pool)
    em_test = np.zeros((len(task.y_test), k))
    for f in (0, 1):
        train = np.flatnonzero(weak & (fold != f) & (weight > 0))
        X = np.concatenate([task.text_pool[train], gold_x])
        y = np.concatenate([lm_pool[train].argmax(axis=1), y_gold])
        w = np.concatenate([weight[train], np.ones(len(y_gold))])
        model = default_end_model(seed).fit(X, y, classifier__sample_weight=w)
        cols = model.classes_
        rows = fold == f
        em_pool[np.ix_(rows, cols)] = model.predict_proba(task.text_pool[rows])
        em_test[:, cols] += model.predict_proba(task.text_test) / 2
    proba = np.where(voted_pool[:, None], lm_pool, em_pool)
    voted_test = (task.L_test != ABSTAIN).any(axis=1)
    return Fitted(proba, _hard(proba), lm_pool, _hard(np.where(voted_test[:, None], lm_test, em_test)))


def next_batch(task: Task, fitted: Fitted, reviewed: np.ndarray, strategy: str, budget: int,
               rng: np.random.Generator, seed: int = 0) -> tuple[np.ndarray, dict[str, int]]:
    """The rows to review next (positions in the pool) and, for the mixed order, how many per reason."""
    open_rows = np.flatnonzero(~reviewed)
    if strategy == "random":
        return rng.choice(open_rows, size=min(budget, len(open_rows)), replace=False), {}
    proba = fitted.pool_proba[open_rows]
    if strategy == "entropy only":
        return open_rows[review_order(uncertainty_score(proba, "entropy"), budget=budget, seed=seed)], {}
    n_votes, conflict = row_conflict(task.L_pool[open_rows])
    other = None if fitted.lm_proba is None else fitted.lm_proba[open_rows]
    mixed = mixed_review_order(proba, n_votes, texts=task.text_pool[open_rows], conflict=conflict, other=other,
                               budget=budget, seed=seed)
    return open_rows[mixed.positions], mixed.counts()


def simulate(task: Task, strategy: str, rounds: int, budget: int, labels: str = "final",
             seed: int = 0) -> list[dict[str, Any]]:
    """Test accuracy (and pool label accuracy) after each of ``rounds`` review rounds of ``budget`` rows."""
    rng = np.random.default_rng(seed)
    reviewed = np.zeros(len(task.y_pool), dtype=bool)
    voted_test = (task.L_test != ABSTAIN).any(axis=1)
    history: list[dict[str, Any]] = []
    for r in range(rounds + 1):
        fitted = refit(task, reviewed, labels)
        final = np.where(reviewed, task.y_pool, fitted.pool_label)
        right = fitted.test_label == task.y_test
        history.append({"round": r, "reviewed": int(reviewed.sum()),
                        "test_accuracy": float(right.mean()),
                        "test_accuracy_voted": float(right[voted_test].mean()) if voted_test.any() else None,
                        "test_accuracy_no_votes": float(right[~voted_test].mean()) if (~voted_test).any() else None,
                        "pool_accuracy": float((final == task.y_pool).mean())})
        if r == rounds:
            break
        pick, reasons = next_batch(task, fitted, reviewed, strategy, budget, rng)
        history[-1]["next_batch"] = {"no_votes": int((~(task.L_pool[pick] != ABSTAIN).any(axis=1)).sum()),
                                     **({"reasons": reasons} if reasons else {})}
        reviewed[pick] = True
    return history


def table(name: str, runs: dict[str, list[dict[str, Any]]], key: str) -> str:
    """One line per round: rows reviewed, then ``key`` of every order."""
    lines = [f"{'round':>5} | {'reviewed':>8} | " + " | ".join(f"{k:>13}" for k in runs)]
    for i in range(len(next(iter(runs.values())))):
        row = [runs[k][i] for k in runs]
        lines.append(f"{i:>5} | {row[0]['reviewed']:>8} | "
                     + " | ".join(f"{h[key]:>13.4f}" if h[key] is not None else f"{'-':>13}" for h in row))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["youtube", "sms"], choices=["youtube", "sms"])
    parser.add_argument("--sms", default=str(REPO.parent / "shared" / "data" / "sms"), help="WRENCH sms folder")
    parser.add_argument("--labels", default="final", choices=["final", "label_model"],
                        help="refit the final labels (label model + end model) or the label model alone")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--budget", type=int, default=25, help="rows reviewed per round")
    parser.add_argument("--seeds", type=int, default=3, help="random-order seeds")
    parser.add_argument("--dev-rows", type=int, help="start from a seeded sample of this many dev gold rows "
                                                      "(a new user's few labels; default: all)")
    parser.add_argument("--youtube-lfs", default="all", choices=["all", "dev-written"],
                        help="YouTube's LFs: all 28, or the 16 written on dev (without the unlabeled-row ones)")
    parser.add_argument("--json", help="write all numbers to this JSON file")
    args = parser.parse_args(argv)
    labels = args.labels if args.labels == "label_model" or final_labeler() is not None else "final (interim)"
    results: dict[str, Any] = {"labels": labels, "dev_rows": args.dev_rows}
    for name in args.datasets:
        started = time.perf_counter()
        task = youtube(args.youtube_lfs) if name == "youtube" else sms(Path(args.sms))
        if args.dev_rows is not None and args.dev_rows < len(task.y_dev):
            keep = np.sort(np.random.default_rng(0).choice(len(task.y_dev), args.dev_rows, replace=False))
            task = replace(task, L_dev=task.L_dev[keep], y_dev=task.y_dev[keep], text_dev=task.text_dev[keep])
        runs = {s: simulate(task, s, args.rounds, args.budget, args.labels) for s in STRATEGIES[:2]}
        randoms = [simulate(task, "random", args.rounds, args.budget, args.labels, seed=s) for s in range(args.seeds)]
        runs["random (mean)"] = [
            {"round": h[0]["round"], "reviewed": h[0]["reviewed"],
             **{key: (float(np.mean([x[key] for x in h])) if h[0][key] is not None else None)
                for key in ("test_accuracy", "test_accuracy_voted", "test_accuracy_no_votes", "pool_accuracy")}}
            for h in zip(*randoms)]
        no_votes = int((~(task.L_test != ABSTAIN).any(axis=1)).sum())
        results[name] = {"pool": len(task.y_pool), "dev": len(task.y_dev), "test": len(task.y_test),
                         "test_no_votes": no_votes, "runs": runs, "random_seeds": randoms}
        print(f"\n== {name}: pool {len(task.y_pool):,} rows, dev gold {len(task.y_dev)}, held-out test "
              f"{len(task.y_test)} ({no_votes} without votes); labels: {labels}; {args.budget} reviews per round "
              f"({time.perf_counter() - started:.0f} s)")
        print("test accuracy (abstain = wrong):\n" + table(name, runs, "test_accuracy"))
        print("test accuracy on rows with votes / without votes:")
        print(table(name, runs, "test_accuracy_voted"))
        print(table(name, runs, "test_accuracy_no_votes"))
        print("accuracy of the pool's labels (reviewed rows carry their answers):\n"
              + table(name, runs, "pool_accuracy"))
        mixed = [h["next_batch"].get("reasons", {}) for h in runs["weaksup"][:-1]]
        print("weaksup batches by reason: " + "; ".join(
            ", ".join(f"{r} {b.get(r, 0)}" for r in QUEUE_REASONS if b.get(r, 0)) for b in mixed))
        print("rows without votes per batch: " + ", ".join(
            f"{k} {[h['next_batch']['no_votes'] for h in runs[k][:-1]]}" for k in STRATEGIES[:2]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
