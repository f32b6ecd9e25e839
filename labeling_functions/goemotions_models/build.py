"""Fit the GoEmotions emotion model of ``labeling_functions/goemotions.py`` and choose its thresholds.

Reproducible from the repository alone: ``python labeling_functions/goemotions_models/build.py`` (a minute, plus
embedding the 2,656 write texts once) writes ``emotion_model.skops`` (TF-IDF word 1-2 grams + one-vs-rest logistic
regression), ``embedding_head.npz`` (per-label logistic regression on the bundled all-MiniLM-L6-v2 sentence
embeddings, :mod:`weaksup.embed`: coefficients and intercepts, plain arrays), ``thresholds.json`` and
``emotion_model_held_out.npz`` (the out-of-fold probabilities on the write texts: the LF votes from them on
those rows, so the label model, whose dev gold holds them, sees the votes the model casts on unseen text).
The LFs' probability is the mean of the two models' (:data:`BLEND`): on the dev select rows, at thresholds chosen
on the write rows' out-of-fold probabilities, its macro F1 was 0.349 against 0.308 for TF-IDF alone and 0.269 for
the embedding head alone (weights 0.3 / 0.7: 0.328 / 0.334).

Only the dev **write** part's gold is used (the 2,656 rows the LF writers read: ``sha256(row_id)[0] < 128``,
:func:`weaksup.datasets.multilabel.goemotions_part`); the select part (label-model dev gold) and test are
never read. The thresholds come from out-of-fold probabilities on the write part (5 folds, the same model
refitted on 4/5): per label, ``strict`` = the threshold with the best out-of-fold F1, ``precise`` = the
lowest threshold at or above it whose out-of-fold precision reaches ``PRECISE`` (0.6), and ``loose`` = the lowest
threshold whose out-of-fold precision still reaches the label's write-part base rate x 3 (more recall, less
precision); ``no`` = the grid value at or below the 10th percentile of the label's positive rows' out-of-fold
probabilities (a "no" below it would wrongly veto at most ~10% of the label's rows). A label with fewer than ``MIN_POSITIVES`` write rows gets no threshold (the LFs never vote on it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODEL_FILE = HERE / "emotion_model.skops"
THRESHOLDS_FILE = HERE / "thresholds.json"
#: The out-of-fold probabilities on the write texts: the LF votes from them there (no in-sample votes).
HELD_OUT_FILE = HERE / "emotion_model_held_out.npz"
#: Vocabulary size (keeps the saved model under 2 MB).
MAX_FEATURES = 4000
#: The embedding head's per-label logistic regressions: inverse L2 strength (0.3 / 1 / 4 gave 0.269 / 0.265 /
#: 0.259 macro F1 on the dev select rows at write-part thresholds).
EMBED_C = 0.3
#: The TF-IDF model's weight in the mean of the two models' probabilities (the embedding head's: 1 - BLEND).
BLEND = 0.5
HEAD_FILE = HERE / "embedding_head.npz"
MIN_POSITIVES = 10
#: The out-of-fold precision of the ``precise`` thresholds.
PRECISE = 0.6
#: The share of a label's positive write rows (out of fold) that the ``no`` threshold may wrongly say no to.
NO_RECALL_LOSS = 0.1
GRID = np.round(np.arange(0.025, 0.96, 0.025), 3)
SEED = 0


def emotion_model(seed: int = SEED) -> Any:
    """The unfitted pipeline: TF-IDF word 1-2 grams + one-vs-rest (balanced) logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=MAX_FEATURES, sublinear_tf=True,
                                         dtype=np.float32),
                         OneVsRestClassifier(LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000,
                                                                random_state=seed)))


def write_part(repo: Path = REPO) -> tuple[list[str], np.ndarray, list[str]]:
    """The dev write part's texts, gold matrix (n, 28) and the labels, from the shipped data and gold set."""
    from weaksup.datasets.multilabel import goemotions_part
    from weaksup.multilabel.gold import load_multilabel_gold

    gold = load_multilabel_gold(repo / "gold_sets" / "goemotions")
    ids, Y = gold.matrix("dev")
    keep = np.array([goemotions_part(str(r)) == "write" for r in ids])
    text = pd.read_csv(repo / "data" / "goemotions" / "comments.csv", dtype=str,
                       keep_default_na=False).set_index("row_id")["text"]
    return text.loc[np.asarray(ids)[keep]].tolist(), np.asarray(Y)[keep], list(gold.space.labels)


def fitted(texts: list[str], Y: np.ndarray, seed: int = SEED) -> Any:
    """The model fitted on ``texts``/``Y`` (labels with no positive row get a constant column)."""
    model = emotion_model(seed).fit(texts, Y.astype(int))
    vectorizer = model.steps[0][1]
    if hasattr(vectorizer, "stop_words_"):  # the cut vocabulary: only for introspection, and large
        delattr(vectorizer, "stop_words_")
    return model


def embedding_head(E: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-label (balanced) logistic regression on embeddings ``E``: ``(k, d)`` coefficients, ``(k,)`` intercepts
    (a label with fewer than two positives: zero coefficients and its smoothed rate)."""
    from sklearn.linear_model import LogisticRegression

    coef, intercept = np.zeros((Y.shape[1], E.shape[1])), np.zeros(Y.shape[1])
    for c in range(Y.shape[1]):
        if Y[:, c].sum() < 2:
            rate = float(np.clip(Y[:, c].mean(), 1e-6, 1 - 1e-6))
            intercept[c] = np.log(rate / (1 - rate))
            continue
        lr = LogisticRegression(C=EMBED_C, class_weight="balanced", max_iter=2000).fit(E, Y[:, c])
        coef[c], intercept[c] = lr.coef_[0], lr.intercept_[0]
    return coef, intercept


def head_proba(E: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """``(n, k)`` the embedding head's probabilities."""
    proba: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(E @ coef.T + intercept, -50, 50)))
    return proba


def out_of_fold(texts: list[str], Y: np.ndarray, folds: int = 5, seed: int = SEED,
                E: np.ndarray | None = None) -> np.ndarray:
    """Out-of-fold ``(n, k)`` probabilities on the write part: the TF-IDF model's, or with embeddings ``E`` the
    mean of its and the embedding head's (:data:`BLEND`), both refitted on the same 4/5 of the rows."""
    order = np.random.default_rng(seed).permutation(len(texts))
    P = np.zeros(Y.shape)
    for f in range(folds):
        held = order[f::folds]
        train = np.setdiff1d(order, held)
        model = fitted([texts[i] for i in train], Y[train], seed)
        P[held] = model.predict_proba([texts[i] for i in held])
        if E is not None:
            P[held] = BLEND * P[held] + (1 - BLEND) * head_proba(E[held], *embedding_head(E[train], Y[train]))
    return P


def choose_thresholds(P: np.ndarray, Y: np.ndarray, labels: list[str]) -> dict[str, dict[str, float]]:
    """Per label, ``strict`` (best out-of-fold F1) and ``loose`` (lowest threshold with precision >= 3 x the
    base rate) thresholds; labels with fewer than ``MIN_POSITIVES`` positives are left out."""
    out: dict[str, dict[str, float]] = {"strict": {}, "precise": {}, "loose": {}, "no": {}}
    for c, label in enumerate(labels):
        y = Y[:, c]
        if y.sum() < MIN_POSITIVES:
            continue
        pred = P[:, c][:, None] >= GRID[None, :]
        tp = (pred & y[:, None]).sum(axis=0)
        precision = tp / np.maximum(pred.sum(axis=0), 1)
        f1 = 2 * tp / np.maximum(pred.sum(axis=0) + y.sum(), 1)
        out["strict"][label] = float(GRID[int(f1.argmax())])
        sure = np.flatnonzero((precision >= PRECISE) & (pred.sum(axis=0) >= MIN_POSITIVES // 2))
        if len(sure):
            out["precise"][label] = float(max(GRID[sure[0]], out["strict"][label]))
        low = float(np.quantile(P[y, c], NO_RECALL_LOSS))  # below it: at most 10% of the label's positives
        out["no"][label] = float(GRID[GRID <= low].max()) if (GRID <= low).any() else 0.0
        ok = np.flatnonzero((precision >= 3 * y.mean()) & (pred.sum(axis=0) > 0))
        if len(ok):
            out["loose"][label] = float(min(GRID[ok[0]], out["strict"][label]))
    return out


def main() -> None:
    from weaksup.lf.artefacts import save_model
    from weaksup.multilabel.model_lf import save_held_out

    from weaksup.embed import embed

    texts, Y, labels = write_part()
    E = np.asarray(embed(texts), dtype=np.float64)
    P = out_of_fold(texts, Y, E=E)
    thresholds = choose_thresholds(P, Y, labels)
    save_model(fitted(texts, Y), MODEL_FILE)
    coef, intercept = embedding_head(E, Y)
    np.savez(HEAD_FILE, coef=coef, intercept=intercept)
    save_held_out(HELD_OUT_FILE, texts, P)
    THRESHOLDS_FILE.write_text(json.dumps({"labels": labels, "rows": len(texts), **thresholds}, indent=1) + "\n",
                               encoding="utf-8")
    print(f"{MODEL_FILE.name}: {MODEL_FILE.stat().st_size / 1e6:.2f} MB, fitted on {len(texts)} write rows; "
          f"thresholds for {len(thresholds['strict'])} labels -> {THRESHOLDS_FILE.name}")


if __name__ == "__main__":
    main()
