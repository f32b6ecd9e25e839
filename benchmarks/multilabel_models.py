"""Multi-label label models on two benchmarks, per-label majority vote beside (issue 21).

* **GoEmotions** (``<data>/goemotions``): 27 emotions + neutral on Reddit comments, votes of the LFs of
  ``labeling_functions/goemotions.py`` (written on the dev "write" part). The models are fitted on the test
  votes (no labels) with the dev "select" part as dev gold (thresholds, model choice); scored on test.
  The end model (:mod:`weaksup.multilabel.end_model`: one-vs-rest logistic regression on TF-IDF word 1-2-grams)
  is trained on the default model's label sets of the test rows plus the gold of every dev row, cross-fitted
  (5 folds over dev + test: no row is predicted by a classifier trained on it), its thresholds tuned on the dev
  rows' out-of-fold probabilities, and scored on test; ``supervised_dev`` is the same classifier on the dev
  gold alone (thresholds cross-validated on dev), both beside the supervised anchor 0.46 (BERT on 43k rows).
  Hard label sets as targets, not the default's probabilities: on the dev rows' out-of-fold figures hard
  targets scored 0.421 macro F1, soft ones 0.389 (test then: 0.389 and 0.362).
* **BC5CDR** (``<data>/spans/bc5cdr``): "which entity types (Chemical, Disease) occur in this sentence",
  votes derived from the 30 real LFs' spans (:func:`weaksup.datasets.multilabel.load_span_multilabel`); dev
  gold = the ``valid`` split, scored on ``test``. ``--spans-all`` adds NCBI-Disease and laptop reviews.

Nothing is chosen on test: thresholds, back-off and the default's per-label choices use dev only.

    python benchmarks/multilabel_models.py [--json FILE] [--data ../shared/data] [--no-end-model] [--lfs all|lexicon]

``--nested-dev`` adds each model's nested dev macro F1 (5 folds of the dev gold: fitted on four, scored on the
fifth), the dev-only figure the default is chosen by; ``--nested-repeats N`` averages N different fold splits.
``--dev-gold all`` gives the label models every dev row's gold (the run's protocol) instead of the select part.
``--lfs lexicon`` leaves out the GoEmotions model-score LF (the mean of a TF-IDF one-vs-rest model and a logistic
head on all-MiniLM-L6-v2 sentence embeddings, both fitted on the dev "write" part's gold,
``labeling_functions/goemotions_models/``; it embeds each text once, cached by :mod:`weaksup.embed`), for the
lexicon-only figures. The votes carry the model LF's probabilities (:func:`weaksup.multilabel.scored.with_model_scores`,
out-of-fold on the model's own training rows, as its votes), which the default ``VoteBlend`` reads through a third,
stacker member (``scored=True``); the row ``vote_blend-scores`` is ``VoteBlend(scored=False)``, the blend without
them (as ``weaksup run``'s int8 votes give it). ``--no-scores`` leaves the scores out (no such row).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weaksup.datasets.multilabel import load_goemotions, load_span_multilabel  # noqa: E402
from weaksup.multilabel import (  # noqa: E402
    DEFAULT_MULTILABEL_MODEL,
    MULTILABEL_MODELS,
    MultiLabelSpace,
    MultiLabelVotes,
    decide,
    tune_thresholds,
)
from weaksup.multilabel.metrics import headline, multilabel_metrics  # noqa: E402

ANCHOR_SUPERVISED = 0.46


def run_models(votes: MultiLabelVotes, dev_votes: MultiLabelVotes, Y_dev: np.ndarray, test_votes: MultiLabelVotes,
               Y_test: np.ndarray, *, seed: int = 0,
               nested: bool = False, repeats: int = 1) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Every model fitted on ``votes`` with the dev gold, scored on the test rows; ``"default"`` repeats the
    recommended model's row. Also returns the fitted models by name. ``nested`` adds each model's
    ``"nested_dev_macro_f1"`` (:func:`nested_dev`)."""
    results: dict[str, dict[str, float]] = {}
    inner = nested_dev(votes, dev_votes, Y_dev, seed=seed, repeats=repeats) if nested else {}
    fitted: dict[str, Any] = {}
    for name, cls in MULTILABEL_MODELS.items():
        start = time.perf_counter()
        model = cls().fit(votes, dev=(dev_votes, Y_dev), seed=seed)
        fit_s = time.perf_counter() - start
        scores = multilabel_metrics(Y_test, model.predict(test_votes), labels=votes.space.labels,
                                    probs=model.predict_proba(test_votes))
        results[name] = {**headline(scores), "ece": round(scores["ece"], 4), "fit_s": round(fit_s, 3)}
        if name in inner:
            results[name]["nested_dev_macro_f1"] = inner[name]
        fitted[name] = model
    results["default"] = {**results[DEFAULT_MULTILABEL_MODEL], "model": DEFAULT_MULTILABEL_MODEL}  # type: ignore[dict-item]
    return results, fitted


def nested_dev(votes: MultiLabelVotes, dev_votes: MultiLabelVotes, Y_dev: np.ndarray, *, n_folds: int = 5,
               seed: int = 0, repeats: int = 1) -> dict[str, float]:
    """Each model's nested dev macro F1: fitted with the dev gold of ``n_folds - 1`` folds (thresholds, back-off and
    choices inside those), scored on the held-out fold's gold; how the default is chosen without touching test.
    ``repeats`` > 1 averages that many different fold splits (seeds ``seed .. seed + repeats - 1``): differences
    of a few tenths of a point between models are within one split's noise on GoEmotions' dev rows."""
    from weaksup.multilabel.models_base import f1_per_label, fold_ids

    totals = {name: 0.0 for name in MULTILABEL_MODELS}
    for r in range(repeats):
        folds = fold_ids(len(Y_dev), n_folds, seed + r + 123)
        decided = {name: np.zeros(Y_dev.shape, dtype=bool) for name in MULTILABEL_MODELS}
        for f in range(n_folds):
            train, held = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
            for name, cls in MULTILABEL_MODELS.items():
                model = cls().fit(votes, dev=(dev_votes.take(train), Y_dev[train]), seed=seed + r)
                decided[name][held] = model.predict(dev_votes.take(held))
        for name, d in decided.items():
            totals[name] += float(f1_per_label(Y_dev, d).mean()) / repeats
    return {name: round(total, 4) for name, total in totals.items()}


def goemotions_lfs(space: MultiLabelSpace, which: str = "all") -> tuple[list[Any], MultiLabelSpace, str]:
    """The team's GoEmotions LFs and their space (a few lexicon LFs of this file if they are missing):
    ``which="all"`` every LF, ``"lexicon"`` without the model-score LFs (the emotion model of the write part)."""
    try:
        import labeling_functions.goemotions as module
    except ImportError:
        from weaksup.multilabel.lfs import multilabel_keyword_lf

        words = {"gratitude": ["thank", "thanks"], "love": ["love"], "amusement": ["lol", "haha", "funny"],
                 "curiosity": ["?"], "admiration": ["great", "awesome", "amazing"], "sadness": ["sad"],
                 "anger": ["hate", "angry"], "optimism": ["hope"], "remorse": ["sorry"]}
        return [multilabel_keyword_lf(f"kw_{k}", v, k) for k, v in words.items()], space, "fallback lexicon"
    if which == "lexicon":
        return list(module.LEXICON_LFS), module.SPACE, "labeling_functions/goemotions.py (lexicon LFs only)"
    return list(module.LFS), module.SPACE, "labeling_functions/goemotions.py"


def scored(P_dev: np.ndarray, Y_dev: np.ndarray, P_test: np.ndarray, Y_test: np.ndarray,
           space: MultiLabelSpace, fit_s: float) -> dict[str, float]:
    """Thresholds tuned on the (honest) dev probabilities, label sets decided on test and scored."""
    scores = multilabel_metrics(Y_test, decide(P_test, tune_thresholds(P_dev, Y_dev), space), labels=space.labels,
                                probs=P_test)
    return {**headline(scores), "fit_s": round(fit_s, 3)}


def end_model_rows(texts_dev: list[str], Y_dev: np.ndarray, texts_test: list[str], Y_test: np.ndarray,
                   test_sets: np.ndarray, space: MultiLabelSpace, seed: int = 0) -> dict[str, dict[str, float]]:
    """``end_model``: trained on the label model's sets of the test rows + the dev gold, cross-fitted over both;
    ``supervised_dev``: the same classifier on the dev gold alone. Thresholds from dev out-of-fold probabilities."""
    from weaksup.multilabel.end_model import cross_fitted_proba, ovr_proba, text_features

    start = time.perf_counter()
    X = text_features([*texts_dev, *texts_test])  # TF-IDF fitted on the texts only (no labels)
    n_dev = len(texts_dev)
    is_dev = np.arange(X.shape[0]) < n_dev
    supervised_dev = cross_fitted_proba(X[:n_dev], Y_dev, seed=seed)
    supervised_test = ovr_proba(X[:n_dev], Y_dev, X[n_dev:], seed=seed)
    sup_s = time.perf_counter() - start
    P = cross_fitted_proba(X, np.vstack([Y_dev, test_sets]).astype(np.float64), seed=seed)
    rows = {"end_model": scored(P[is_dev], Y_dev, P[~is_dev], Y_test, space, time.perf_counter() - start - sup_s),
            "supervised_dev": scored(supervised_dev, Y_dev, supervised_test, Y_test, space, sup_s)}
    return rows


def goemotions(data: Path, *, end_model: bool, seed: int = 0, lfs: str = "all", dev_gold: str = "select",
               nested: bool = False, repeats: int = 1, scores: bool = True) -> dict[str, dict[str, float]]:
    ds = load_goemotions(data / "goemotions")
    lf_list, space, source = goemotions_lfs(ds.space, lfs)
    if list(space.labels) != list(ds.space.labels):
        raise SystemExit(f"the LFs' labels {space.labels} differ from emotions.txt {ds.space.labels}")
    from weaksup.multilabel import apply_multilabel_lfs

    dev, test = ds.splits["dev"], ds.splits["test"]
    dev_votes = apply_multilabel_lfs(dev.frame, lf_list, space, progress=False, id_column="row_id")
    test_votes = apply_multilabel_lfs(test.frame, lf_list, space, progress=False, id_column="row_id")
    if scores:  # the model LF's probabilities beside its votes (none with --lfs lexicon)
        from weaksup.multilabel.scored import with_model_scores

        dev_votes = with_model_scores(dev_votes, lf_list, dev.frame)
        test_votes = with_model_scores(test_votes, lf_list, test.frame)
    select = np.flatnonzero(dev.frame["part"].to_numpy() == "select")
    gold_rows = select if dev_gold == "select" else np.arange(dev_votes.n)
    print(f"GoEmotions: {len(lf_list)} LFs from {source}; dev {dev_gold} {len(gold_rows)} rows (dev gold), test "
          f"{test_votes.n} rows (fitted on their votes, scored on their gold)")
    results, fitted = run_models(test_votes, dev_votes.take(gold_rows), dev.Y[gold_rows], test_votes, test.Y,
                                 seed=seed, nested=nested, repeats=repeats)
    if scores and hasattr(test_votes, "scores"):  # the default reads the scores: the blend without them beside
        from weaksup.multilabel import VoteBlend

        start = time.perf_counter()
        model = VoteBlend(scored=False).fit(test_votes, dev=(dev_votes.take(gold_rows), dev.Y[gold_rows]), seed=seed)
        fit_s = time.perf_counter() - start
        got = multilabel_metrics(test.Y, model.predict(test_votes), labels=space.labels,
                                 probs=model.predict_proba(test_votes))
        results["vote_blend-scores"] = {**headline(got), "ece": round(got["ece"], 4), "fit_s": round(fit_s, 3)}
    if end_model:
        results.update(end_model_rows(list(dev.frame["text"]), dev.Y, list(test.frame["text"]), test.Y,
                                      fitted[DEFAULT_MULTILABEL_MODEL].predict(test_votes), space, seed))
    return results


def spans(folder: Path, seed: int = 0, nested: bool = False, repeats: int = 1) -> dict[str, dict[str, float]]:
    ds = load_span_multilabel(folder)
    dev, test = ds.splits["dev"], ds.splits["test"]
    assert dev.votes is not None and test.votes is not None
    print(f"{folder.name}: {test.votes.m} LFs, labels {list(ds.space.labels)}, sentences: dev {dev.votes.n}, "
          f"test {test.votes.n}")
    return run_models(test.votes, dev.votes, dev.Y, test.votes, test.Y, seed=seed, nested=nested, repeats=repeats)[0]


def print_table(name: str, rows: dict[str, dict[str, float]]) -> None:
    mv = rows["majority"]["macro_f1"]
    nested = f"{'nested_dev':>12}" if "nested_dev_macro_f1" in rows["majority"] else ""
    print(f"\n{name}\n{'model':<20}{'macro_f1':>9}{'vs MV':>8}{'micro_f1':>9}{'hamming':>9}{'subset':>8}{'fit_s':>8}"
          f"{nested}")
    for model, r in rows.items():
        label = f"default ({r['model']})" if model == "default" else model
        nested = f"{r['nested_dev_macro_f1']:>12.4f}" if "nested_dev_macro_f1" in r else ""
        print(f"{label:<20}{r['macro_f1']:>9.4f}{r['macro_f1'] - mv:>+8.4f}{r['micro_f1']:>9.4f}{r['hamming']:>9.4f}"
              f"{r['subset_acc']:>8.4f}{r['fit_s']:>8.2f}{nested}")


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"), help="the shared data folder")
    parser.add_argument("--no-end-model", action="store_true", help="skip the GoEmotions end model (~4 min)")
    parser.add_argument("--spans-all", action="store_true", help="also NCBI-Disease and laptop reviews")
    parser.add_argument("--datasets", default="goemotions,bc5cdr",
                        help="comma-separated: goemotions, bc5cdr (default both)")
    parser.add_argument("--lfs", choices=["all", "lexicon"], default="all",
                        help="GoEmotions LFs: all (lexicons + the write-part emotion model LF) or lexicon only")
    parser.add_argument("--dev-gold", choices=["select", "all"], default="select",
                        help="GoEmotions dev gold of the label models: the select part (default) or all dev rows "
                             "(as `weaksup run configs/goemotions.toml` does; the model LF votes held-out there)")
    parser.add_argument("--nested-dev", action="store_true",
                        help="also each model's nested dev macro F1 (5 folds of the dev gold; slow: 5 extra fits each)")
    parser.add_argument("--nested-repeats", type=int, default=1,
                        help="with --nested-dev: average this many different 5-fold splits (lower variance)")
    parser.add_argument("--no-scores", action="store_true",
                        help="GoEmotions votes without the model LF's probabilities (the default reads them)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    chosen = [x.strip() for x in args.datasets.split(",") if x.strip()]
    unknown = sorted(set(chosen) - {"goemotions", "bc5cdr"})
    if unknown:
        parser.error(f"unknown datasets {unknown}; choose from goemotions, bc5cdr")
    out: dict[str, dict[str, dict[str, float]]] = {}
    if "goemotions" in chosen:
        out["goemotions"] = goemotions(args.data, end_model=not args.no_end_model, seed=args.seed,
                                       lfs=args.lfs, dev_gold=args.dev_gold, nested=args.nested_dev,
                                       repeats=args.nested_repeats, scores=not args.no_scores)
    if "bc5cdr" in chosen:
        out["bc5cdr"] = spans(args.data / "spans" / "bc5cdr", args.seed, args.nested_dev, args.nested_repeats)
    if args.spans_all:
        for name in ("ncbi_disease", "laptop_review"):
            out[name] = spans(args.data / "spans" / name, args.seed)
    for name, rows in out.items():
        print_table(name, rows)
    go = out.get("goemotions", {})
    if "end_model" in go:
        print(f"\nGoEmotions toward the supervised anchor (BERT on 43k gold rows, macro F1 {ANCHOR_SUPERVISED}): "
              f"default {go['default']['macro_f1']:.3f}, end model {go['end_model']['macro_f1']:.3f}, the same "
              f"classifier on the dev gold alone {go['supervised_dev']['macro_f1']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
