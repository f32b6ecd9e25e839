"""Label model vs end model on the YouTube test gold split, beside Snorkel's spam tutorial.

The label model (weaksup's default, with the dev gold split) is fitted on the votes of all 1,956 comments.
The end model (TF-IDF + logistic regression, :func:`weaksup.train_end_model`) learns from the label
model's probabilistic labels of the non-test rows that some LF voted on. Both are scored on the 290 test
gold rows, which nothing here is fitted or tuned on: ``--min-confidence`` defaults to 0.8, one of the
values (0.7, 0.8, 0.9) tied best by 5-fold cross-validation on the dev gold split (``--select`` reruns that
choice and uses the lowest of the tied values).

Snorkel's spam tutorial (snorkel-tutorials, spam/01_spam_tutorial) reports 86.0% (label model) and
94.4% (end model) test accuracy on the same UCI YouTube collection; its test split differs from ours
(ours: ``sha1(comment id)`` rule, see ``gold_sets/youtube_spam``), so the comparison is close, not exact.

    python benchmarks/end_model.py [--min-confidence 0.8 | --select] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup import Registry, apply_lfs, default_label_model, load_gold, train_end_model  # noqa: E402
from weaksup.datasets.examples import load_youtube_spam  # noqa: E402
from weaksup.labels import ABSTAIN  # noqa: E402

#: Snorkel's spam tutorial, test accuracy (%).
SNORKEL = {"label_model": 86.0, "end_model": 94.4}
CANDIDATES = (None, 0.6, 0.7, 0.8, 0.9)


def select_min_confidence(texts: np.ndarray, proba: np.ndarray, votes: np.ndarray, y_dev: np.ndarray,
                          train: np.ndarray, seed: int = 0, n_folds: int = 5) -> tuple[float | None, dict]:
    """The ``min_confidence`` with the best out-of-fold accuracy on the dev gold rows (never test)."""
    dev = np.flatnonzero(y_dev != ABSTAIN)
    folds = np.random.default_rng(seed).permutation(len(dev)) % n_folds
    scores = {}
    for candidate in CANDIDATES:
        right = 0
        for f in range(n_folds):
            held = np.zeros(len(texts), dtype=bool)
            held[dev[folds == f]] = True
            rows = train & ~held
            model = train_end_model(texts[rows], proba[rows], votes=votes[rows], min_confidence=candidate, seed=seed)
            right += int((model.predict(texts[held]) == y_dev[held]).sum())
        scores[str(candidate)] = right / len(dev)
    best = max(CANDIDATES, key=lambda c: scores[str(c)])  # the first (lowest) of the tied best
    return best, scores


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-confidence", type=float, default=0.8,
                        help="leave out label rows whose top probability is below this (default 0.8)")
    parser.add_argument("--select", action="store_true", help="choose --min-confidence by cross-validation on dev")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    start = time.perf_counter()
    data = load_youtube_spam()
    registry = Registry.from_modules("labeling_functions.youtube_spam")
    gold = load_gold("gold_sets/youtube_spam", row_ids=data["row_id"], label_space=registry.label_space)
    votes = apply_lfs(registry, data, id_column="row_id")
    L = votes.values
    y_dev = gold.y(votes.row_ids, split="dev")
    y_test = gold.y(votes.row_ids, split="test")
    dev, test = y_dev != ABSTAIN, y_test != ABSTAIN
    label_model = default_label_model(len(registry.label_space), seed=args.seed)
    label_model.fit(L, L_dev=L[dev], y_dev=y_dev[dev])
    proba = label_model.predict_proba(L)
    lm_pred = label_model.predict(L, tie_break="abstain")

    texts = data["text"].to_numpy(dtype=object)
    train = ~test
    min_conf = args.min_confidence
    selection = None
    if args.select:
        min_conf, selection = select_min_confidence(texts, proba, L, y_dev, train, seed=args.seed)
    end_model = train_end_model(texts[train], proba[train], votes=L[train], min_confidence=min_conf, seed=args.seed)
    end_pred = end_model.predict(texts[test])
    uncovered = (L[test] == ABSTAIN).all(axis=1)

    lm_acc = float((lm_pred[test] == y_test[test]).mean())
    end_acc = float((end_pred == y_test[test]).mean())
    result = {
        "n_rows": len(data), "n_test": int(test.sum()), "n_dev": int(dev.sum()),
        "n_end_model_train_rows": int(end_model.n_train_rows_), "min_confidence": min_conf,
        "label_model": type(label_model).__name__, "label_model_acc": lm_acc, "end_model_acc": end_acc,
        "test_rows_without_votes": int(uncovered.sum()),
        "label_model_acc_uncovered": float((lm_pred[test][uncovered] == y_test[test][uncovered]).mean()),
        "end_model_acc_uncovered": float((end_pred[uncovered] == y_test[test][uncovered]).mean()),
        "snorkel_label_model_acc": SNORKEL["label_model"] / 100, "snorkel_end_model_acc": SNORKEL["end_model"] / 100,
        "selection_dev_acc": selection, "seconds": time.perf_counter() - start,
    }
    print(f"YouTube spam, {result['n_test']} test gold rows (label model fitted on all {len(data)} rows with "
          f"{result['n_dev']} dev gold rows; end model trained on {result['n_end_model_train_rows']} non-test rows, "
          f"min_confidence={min_conf})")
    if selection:
        print("  min_confidence chosen on dev (5-fold out-of-fold accuracy): "
              + ", ".join(f"{k}: {v:.3f}" for k, v in selection.items()))
    print(f"{'':34}{'weaksup':>10}{'Snorkel':>10}{'ratio':>8}")
    for key, name in (("label_model", f"label model ({result['label_model']})"), ("end_model", "end model")):
        ours, theirs = result[f"{key}_acc"], SNORKEL[key] / 100
        print(f"{name:34.34}{ours:>10.1%}{theirs:>10.1%}{ours / theirs:>8.3f}")
    print(f"end model vs label model: {end_acc - lm_acc:+.1%} "
          f"({'beats' if end_acc > lm_acc else 'does NOT beat'} it); on the {result['test_rows_without_votes']} test "
          f"rows no LF votes on: {result['end_model_acc_uncovered']:.1%} vs {result['label_model_acc_uncovered']:.1%}")
    print(f"{result['seconds']:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
