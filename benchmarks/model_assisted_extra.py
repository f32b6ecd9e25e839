"""More candidates for ``benchmarks/model_assisted.py`` (issue 19's YouTube targets), chosen by the same nested dev CV.

Label model (LF sets, :func:`extra_candidates`, beside ``model_assisted.candidates``):

* ``fine-tuned LF epochs=e threshold=t``: all-MiniLM-L6-v2 fine-tuned on the gold-free label model's weak labels of
  the unlabeled rows only (``benchmarks/model_assisted_ftlf.py`` builds it once and saves every text's
  probabilities per epoch; it saw no gold and no gold row, so it is the same LF in every nested fold), voting where
  its top probability reaches ``t``;
* ``co-training threshold=t``: a ``weak_model_lf`` (soft vote of TF-IDF and embeddings, cross-fitted) trained on
  the rules' weak labels plus the uncovered rows co-training filled in (:func:`weaksup.embed.co_train_labels`:
  the TF-IDF and the embedding view label each other's uncovered rows at probability >= 0.9, 3 rounds);
* ``self-training embeddings + fine-tuned LF threshold=t``: both self-training LFs (the embedding one of
  ``SELF_GRID`` with C=1, the fine-tuned one after 3 epochs), each voting at ``t``.

End model on embeddings (:func:`extra_end_models`, scored on the first seed's folds like ``C``):

* ``embeddings, co-trained labels`` / ``embeddings, self-trained labels``: logistic regression on the embeddings
  trained on the weak labels with the uncovered rows filled by co-training (TF-IDF + embedding views) or by
  self-training (the embedding view alone, ``views=("embeddings", "embeddings")``);
* ``fine-tuned (fold models) + TF-IDF, weight w``: the soft vote ``w p_finetuned + (1 - w) p_tfidf`` of the fine-tuned
  end model (``model_assisted_finetune.py --save-folds``: its held-out probabilities per fold and epoch) and the
  TF-IDF end model.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from weaksup.embed import co_train_labels, weak_model_lf
from weaksup.lf import model_score_lf

#: Thresholds of the new self-training LFs (as ``SELF_GRID``'s).
THRESHOLDS = (0.6, 0.7, 0.8)
#: Epochs of the fine-tuned LF scored (its ``.npz`` holds ``proba_e1..``).
FT_LF_EPOCHS = (1, 2, 3)
#: Soft-vote weights of the fine-tuned end model against TF-IDF.
FT_WEIGHTS = (0.25, 0.5, 0.75)
#: The fine-tuned LF's probabilities (``{epoch: (n, k)}``) and texts, when loaded (``--finetuned-lf``).
FINETUNED_LF: dict[str, Any] = {}


def load_finetuned_lf(path: str, texts: np.ndarray) -> None:
    """Load ``model_assisted_ftlf.py``'s ``.npz`` for these texts."""
    data = np.load(path)
    if data["texts"].tolist() != [str(t) for t in texts]:
        raise SystemExit(f"{path}: its texts are not this task's")
    FINETUNED_LF.clear()
    FINETUNED_LF.update({int(key[len("proba_e"):]): data[key] for key in data.files if key.startswith("proba_e")})


def table_lf(name: str, texts: np.ndarray, proba: np.ndarray, threshold: float) -> Any:
    """An LF voting a class of fixed per-text probabilities where it reaches ``threshold``."""
    row_of = {str(t): i for i, t in enumerate(texts)}

    def scores(values: Any) -> np.ndarray:
        return np.stack([proba[row_of[str(v)]] for v in values]) if len(values) else np.zeros((0, proba.shape[1]))

    k = proba.shape[1]
    return model_score_lf(name, scores, thresholds=dict.fromkeys(range(k), threshold), classes=list(range(k)))


def extra_candidates(task: Any, y: np.ndarray, rules_proba: np.ndarray, only: str | None = None,
                     embedder: Any = None) -> dict[str, list[Any]]:
    """The new LF sets (see the module docstring); ``rules_proba``: the rules-only label model's probabilities
    (``nan``: no vote; the gold rows of ``y``: one-hot; ``y`` itself is not read again)."""
    from benchmarks.model_assisted import SELF_GRID

    out: dict[str, list[Any]] = {}
    for epoch, proba in FINETUNED_LF.items():
        for t in THRESHOLDS:
            if only in (None, f"fine-tuned LF epochs={epoch} threshold={t}"):
                out[f"fine-tuned LF epochs={epoch} threshold={t}"] = [table_lf("fine_tuned", task.texts, proba, t)]
    wanted = [t for t in THRESHOLDS if only in (None, f"co-training threshold={t}")]
    if wanted:
        filled = co_train_labels(task.texts, rules_proba, embedder=embedder)
        lf = weak_model_lf("co_trained", task.texts, filled, features="ensemble", C=10.0, embedder=embedder)
        for t in wanted:
            out[f"co-training threshold={t}"] = [lf.with_threshold(t)]
    wanted = [t for t in THRESHOLDS if only in (None, f"self-training embeddings + fine-tuned LF threshold={t}")]
    if wanted and 3 in FINETUNED_LF:
        assert ("embeddings", 1.0) in [(f, c) for f, c, _ in SELF_GRID]
        lf = weak_model_lf("self_trained", task.texts, rules_proba, features="embeddings", C=1.0, embedder=embedder)
        for t in wanted:
            out[f"self-training embeddings + fine-tuned LF threshold={t}"] = [
                lf.with_threshold(t), table_lf("fine_tuned", task.texts, FINETUNED_LF[3], t)]
    return out


def extra_end_models(task: Any, folds: list[Any], tfidf_C: float, finetuned_folds: dict[int, np.ndarray] | None,
                     embedder: Any = None) -> dict[str, float]:
    """Nested dev accuracy of the new end models on ``folds`` (the first seed's; held-out rows left out of
    training, as ``model_assisted.end_model_cv``)."""
    from weaksup import train_end_model
    from weaksup.end_model import class_proba, default_end_model

    right: dict[str, int] = {}
    total = 0
    for fold in folds:
        proba = fold.proba.copy()
        proba[fold.held] = np.nan
        proba[fold.train] = np.eye(task.k)[task.y_dev[fold.train]]
        truth = task.y_dev[fold.held]
        held_texts = task.texts[fold.held]
        total += len(fold.held)
        for label, views in (("embeddings, co-trained labels", ("tfidf", "embeddings")),
                             ("embeddings, self-trained labels", ("embeddings", "embeddings"))):
            C = (10.0, 1.0) if views[0] == "tfidf" else (1.0, 1.0)
            filled = co_train_labels(task.texts, proba, views=views, C=C, embedder=embedder)
            end = train_end_model(task.texts, filled,
                                  model=default_end_model(C=1.0, features="embeddings", embedder=embedder))
            right[label] = right.get(label, 0) + int((end.predict(held_texts) == truth).sum())
        if finetuned_folds:
            tfidf = train_end_model(task.texts, proba, model=default_end_model(C=tfidf_C, features="tfidf"))
            p_tfidf = class_proba(tfidf, held_texts, task.k)
            for epoch, held_proba in finetuned_folds.items():
                p_ft = held_proba[fold.held]
                for w in (1.0, *FT_WEIGHTS):
                    label = f"fine-tuned epochs={epoch} + TF-IDF, weight {w}"
                    guess = (w * p_ft + (1 - w) * p_tfidf).argmax(axis=1)
                    right[label] = right.get(label, 0) + int((guess == truth).sum())
    return {label: r / total for label, r in right.items()}



#: The fine-tuned end model's held-out dev probabilities per epoch (``model_assisted_finetune.py --save-folds``).
FINETUNED_FOLDS: dict[int, np.ndarray] = {}


def load_finetuned_folds(path: str, wait: bool = False) -> None:
    """Load ``model_assisted_finetune.py --save-folds``'s ``.npz`` (``wait``: until that run has written it)."""
    import time

    while wait and not Path(path).exists():
        time.sleep(30)
    data = np.load(path)
    FINETUNED_FOLDS.clear()
    FINETUNED_FOLDS.update({int(key[len("proba_e"):]): data[key] for key in data.files if key.startswith("proba_e")})


def cached(path: str | None, compute: Callable[[], Any]) -> Any:
    """``compute()``, pickled at ``path`` and read back from there when present (``None``: no cache)."""
    if path and Path(path).exists():
        return pickle.loads(Path(path).read_bytes())
    found = compute()
    if path:
        Path(path).write_bytes(pickle.dumps(found))
    return found


def extra_end_figures(task: Any, folds: list[Any], proba: np.ndarray, test: np.ndarray, end_C: dict[str, float],
                      end_cv: dict[str, dict[float, float]], finetuned_folds: str | None = None) -> dict[str, Any]:
    """Choose the end model on embeddings among logistic regression (``C`` as chosen) and the new ones by nested
    dev accuracy (ties: the first, logistic regression), then fit it on ``proba`` and score the test rows once
    (``finetuned_folds``: ``model_assisted_finetune.py --save-folds``'s file, waited for)."""
    from weaksup import train_end_model
    from weaksup.end_model import class_proba, default_end_model

    if finetuned_folds:
        load_finetuned_folds(finetuned_folds, wait=True)

    scores = {"embeddings": end_cv["embeddings"][end_C["embeddings"]],
              **extra_end_models(task, folds, end_C["tfidf"], FINETUNED_FOLDS)}
    for label, score in scores.items():
        print(f"  end model {label}: nested dev accuracy {score:.4f}", flush=True)
    chosen = max(scores, key=lambda key: scores[key])
    texts, truth = task.texts[test], task.y_test[test]
    if chosen == "embeddings":
        end = train_end_model(task.texts, proba, model=default_end_model(C=end_C["embeddings"], features="embeddings"))
        guess = end.predict(texts)
    elif chosen.startswith("embeddings, "):
        views = ("tfidf", "embeddings") if "co-trained" in chosen else ("embeddings", "embeddings")
        filled = co_train_labels(task.texts, proba, views=views, C=(10.0, 1.0) if views[0] == "tfidf" else (1.0, 1.0))
        guess = train_end_model(task.texts, filled, model=default_end_model(C=1.0, features="embeddings")).predict(texts)
    else:  # fine-tuned epochs=E + TF-IDF, weight W: the fine-tuned model fitted once on every voted row
        epochs = int(chosen.split("epochs=")[1].split()[0])
        w = float(chosen.rsplit(" ", 1)[1])
        model = default_end_model(features="finetuned").set_params(epochs=epochs, progress=False)
        p_ft = class_proba(train_end_model(task.texts, proba, model=model), texts, task.k)
        tfidf = train_end_model(task.texts, proba, model=default_end_model(C=end_C["tfidf"], features="tfidf"))
        guess = (w * p_ft + (1 - w) * class_proba(tfidf, texts, task.k)).argmax(axis=1)
    return {"end_model_embeddings_chosen_on_dev": chosen, "end_model_embeddings_dev_cv": round(scores[chosen], 4),
            "end_model_embeddings_candidates_dev_cv": {k: round(v, 4) for k, v in scores.items()},
            "end_model_embeddings_chosen_acc": float((guess == truth).mean())}
