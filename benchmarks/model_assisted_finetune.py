"""The fine-tuned end model of ``benchmarks/model_assisted.py``: all-MiniLM-L6-v2 fine-tuned on the label model's
weak labels (``default_end_model(features="finetuned")``), its learning rate and epochs chosen by nested dev CV.

Protocol (the same folds as the other end models' ``C``: the first seed's ``FOLDS`` stratified dev folds of the
dev-chosen label model): per fold, the encoder is fine-tuned on the label model's probabilities of the voted rows
outside the dev split and the training folds' gold (the held-out fold left out), and predicts the held-out fold
after each epoch (the learning rate is constant after warm-up, so the model after epoch ``e`` is the ``epochs=e``
model). The ``(learning_rate, epochs)`` with the best accuracy over the dev rows wins (ties: fewer epochs, then the
smaller rate); the final model is trained once on every voted row (the dev rows: their gold) and the test split
only reports. Fine-tuning costs minutes per fit on a CPU, so this runs on request (``--finetune`` in
``model_assisted.py``), or alone for one dev-chosen candidate:

    python benchmarks/model_assisted_finetune.py --task youtube \
        --candidate "self-training embeddings C=1.0 threshold=0.7" [--lr 3e-5 1e-4] [--json FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup import train_end_model  # noqa: E402
from weaksup.end_model import default_end_model  # noqa: E402
from weaksup.labels import ABSTAIN  # noqa: E402

#: The encoder learning rates tried; epochs 1..``FT_EPOCHS`` are scored in one run per fold.
FT_LR = (3e-5, 1e-4)
FT_EPOCHS = 3


def finetune_cv(task: Any, folds: list[Any], learning_rate: float, epochs: int = FT_EPOCHS,
                **params: Any) -> dict[int, float]:
    """Nested dev accuracy of the fine-tuned end model after each epoch ``1..epochs`` (folds as for the ``C`` of
    ``model_assisted.end_model_cv``: the held-out rows left out of training)."""
    right = dict.fromkeys(range(1, epochs + 1), 0)
    total = 0
    for fold in folds:
        proba = fold.proba.copy()
        proba[fold.held] = np.nan
        proba[fold.train] = np.eye(task.k)[task.y_dev[fold.train]]
        held_texts, truth = task.texts[fold.held], task.y_dev[fold.held]

        def score(epoch: int, fitted: Any, held_texts: Any = held_texts, truth: Any = truth) -> None:
            right[epoch] += int((fitted.predict(held_texts) == truth).sum())

        model = default_end_model(features="finetuned").set_params(learning_rate=learning_rate, epochs=epochs,
                                                                    callback=score, **params)
        train_end_model(task.texts, proba, model=model)
        total += len(fold.held)
    return {e: r / total for e, r in right.items()}


def held_out_proba(task: Any, folds: list[Any], learning_rate: float, epochs: int = FT_EPOCHS,
                   **params: Any) -> dict[int, np.ndarray]:
    """``{epoch: (n, k)}``: each held-out dev row's probabilities from the fine-tuned model of its fold after each
    epoch (folds as in :func:`finetune_cv`; ``nan`` on the rows no fold holds out). Saved, they let other end
    models be combined with the fine-tuned one (a soft vote) by nested dev CV without fine-tuning again."""
    out = {e: np.full((len(task.texts), task.k), np.nan) for e in range(1, epochs + 1)}
    for fold in folds:
        proba = fold.proba.copy()
        proba[fold.held] = np.nan
        proba[fold.train] = np.eye(task.k)[task.y_dev[fold.train]]

        def keep(epoch: int, fitted: Any, held: Any = fold.held) -> None:
            out[epoch][held] = 0.0
            out[epoch][np.ix_(held, fitted.classes_)] = fitted.predict_proba(task.texts[held])
            print(f"    fold of {len(held)} rows, epoch {epoch}: done ({time.strftime('%H:%M:%S')})", flush=True)

        model = default_end_model(features="finetuned").set_params(learning_rate=learning_rate, epochs=epochs,
                                                                    callback=keep, **params)
        train_end_model(task.texts, proba, model=model)
    return out


def choose_finetune(task: Any, folds: list[Any], rates: tuple[float, ...] = FT_LR,
                    **params: Any) -> tuple[tuple[float, int], dict[str, float]]:
    """The ``(learning_rate, epochs)`` with the best nested dev accuracy, and every pair's accuracy."""
    scores: dict[tuple[float, int], float] = {}
    for rate in rates:
        for epoch, acc in finetune_cv(task, folds, rate, **params).items():
            scores[rate, epoch] = acc
            print(f"    fine-tuned lr={rate:g} epochs={epoch}: nested dev accuracy {acc:.4f}", flush=True)
    best = max(scores, key=lambda key: (scores[key], -key[1], -key[0]))
    return best, {f"lr={r:g} epochs={e}": round(a, 4) for (r, e), a in scores.items()}


def finetuned_figures(task: Any, folds: list[Any], proba: np.ndarray, test: np.ndarray,
                      rates: tuple[float, ...] = FT_LR, choice: tuple[float, int] | None = None) -> dict[str, Any]:
    """Choose by nested dev CV (or take ``choice``, made so elsewhere), fit once on ``proba`` (every voted row; dev
    rows one-hot), score the test rows."""
    start = time.perf_counter()
    (rate, epochs), cv = (choice, {}) if choice is not None else choose_finetune(task, folds, rates)
    model = default_end_model(features="finetuned").set_params(learning_rate=rate, epochs=epochs)
    fitted = train_end_model(task.texts, proba, model=model)
    acc = float((fitted.predict(task.texts[test]) == task.y_test[test]).mean())
    return {"end_model_finetuned_acc": acc, "end_model_finetuned_choice": {"learning_rate": rate, "epochs": epochs},
            "end_model_finetuned_dev_cv": cv, "end_model_finetuned_seconds": round(time.perf_counter() - start, 1)}


def candidate_folds(task: Any, label: str, seed: int = 0) -> tuple[list[Any], np.ndarray]:
    """One candidate's nested-CV folds (one seed), as ``model_assisted.nested_cv`` builds them, and the label
    model's probabilities over the shipped LFs plus that candidate built on the whole dev gold (``nan``: no vote;
    dev rows: their gold)."""
    from benchmarks.model_assisted import FOLDS, Fold, candidates, votes_of, with_candidate
    from weaksup import default_label_model
    from weaksup.models.fitting import dev_folds, fit_label_model

    dev = np.flatnonzero(task.y_dev != ABSTAIN)
    fold = dev_folds(task.y_dev[dev], FOLDS, seed)
    folds = []
    for f in range(FOLDS):
        train, held = dev[fold != f], dev[fold == f]
        y = np.full(len(task.texts), ABSTAIN, dtype=np.int64)
        y[train] = task.y_dev[train]
        L = np.concatenate([task.L, votes_of(candidates(task, y, only=label)[label], task.texts)], axis=1)
        model = fit_label_model(default_label_model(task.k), L, L_dev=L[train], y_dev=task.y_dev[train])
        p = model.predict_proba(L)
        p[(L == ABSTAIN).all(axis=1)] = np.nan
        folds.append(Fold(train, held, p))
    model, L = with_candidate(task, label)
    proba = model.predict_proba(L)
    proba[(L == ABSTAIN).all(axis=1)] = np.nan
    proba[dev] = np.eye(task.k)[task.y_dev[dev]]
    return folds, proba


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from benchmarks.earn_its_keep import LOADERS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="youtube", choices=list(LOADERS))
    parser.add_argument("--candidate", default="rules only", help="the dev-chosen LF candidate (model_assisted.py)")
    parser.add_argument("--lr", type=float, nargs="+", default=list(FT_LR))
    parser.add_argument("--cv-only", action="store_true", help="only the nested dev CV (no test figure)")
    parser.add_argument("--choice", nargs=2, type=float, metavar=("LR", "EPOCHS"),
                        help="skip the CV: fit the final model with this choice (made by --cv-only runs)")
    parser.add_argument("--save-folds", metavar="NPZ",
                        help="only save the held-out dev rows' fine-tuned probabilities per epoch at the first --lr "
                             "(held_out_proba; for a soft vote in model_assisted_extra.py) and exit")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    task = LOADERS[args.task]()
    folds, proba = candidate_folds(task, args.candidate)
    test = np.flatnonzero(task.y_test != ABSTAIN)
    if args.save_folds:
        found = held_out_proba(task, folds, args.lr[0], progress=False)
        np.savez(args.save_folds, **{f"proba_e{e}": p for e, p in found.items()})
        return {"saved": args.save_folds}
    if args.cv_only:
        best, cv = choose_finetune(task, folds, tuple(args.lr))
        result: dict[str, Any] = {"best": list(best), "end_model_finetuned_dev_cv": cv}
    else:
        choice = None if args.choice is None else (args.choice[0], int(args.choice[1]))
        result = finetuned_figures(task, folds, proba, test, tuple(args.lr), choice)
    result.update(task=args.task, candidate=args.candidate)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    main()
