"""A fine-tuned self-training LF for ``benchmarks/model_assisted.py``: all-MiniLM-L6-v2 fine-tuned on the rules'
weak labels of the *unlabeled* rows only, voting where it is confident.

The other self-training LFs (``weak_model_lf`` on embeddings or TF-IDF) are cross-fitted and rebuilt for every
nested dev fold; fine-tuning costs minutes per fit, so this one is built once, in a way that needs no cross-fitting
and sees no gold at all:

* its training labels are the gold-free label model's (:func:`weaksup.default_label_model` with ``dev_gold=False``:
  majority vote) probabilities over the shipped LFs, on the voted rows that are in neither gold split (the ~1,400
  unlabeled train rows of YouTube); ties (probability 0.5) weigh nothing;
* no dev or test row is in its training set, so its votes on them are out-of-sample, and since nothing in it came
  from the dev gold it is the same LF in every nested dev fold (its votes on the unlabeled rows are in-sample: they
  only reach the label model's training rows, never a gold row).

``weak_model_lf(name, texts, proba, features="finetuned", folds=1)`` with ``nan`` probabilities on the gold rows
builds the equivalent LF in one call; here the probabilities of every text after each epoch (1..``EPOCHS``) are saved to
an ``.npz`` (``texts``, ``proba_e<epoch>``), so ``model_assisted.py --finetuned-lf FILE`` chooses the epoch and
threshold by nested dev CV without fine-tuning again (the learning rate is constant after warm-up: the model after
epoch ``e`` is the ``epochs=e`` model).

    OMP_NUM_THREADS=1 python benchmarks/model_assisted_ftlf.py --task youtube --out /tmp/ftlf_youtube.npz
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup import default_label_model, train_end_model  # noqa: E402
from weaksup.end_model import default_end_model  # noqa: E402
from weaksup.labels import ABSTAIN  # noqa: E402
from weaksup.models.fitting import fit_label_model  # noqa: E402

#: Epochs scored (one run: the model after each epoch).
EPOCHS = 3


def unlabeled_proba(task: Any) -> np.ndarray:
    """The gold-free label model's probabilities of the voted rows outside both gold splits (``nan`` elsewhere)."""
    model = fit_label_model(default_label_model(task.k, dev_gold=False), task.L)
    proba = np.asarray(model.predict_proba(task.L), dtype=float)
    gold = (task.y_dev != ABSTAIN) | (task.y_test != ABSTAIN)
    proba[gold | (task.L == ABSTAIN).all(axis=1)] = np.nan
    return proba


def fine_tuned_lf_proba(task: Any, epochs: int = EPOCHS, **params: Any) -> dict[str, np.ndarray]:
    """``{"proba_e<epoch>": (n, k)}``: every text's class probabilities after each epoch of fine-tuning on
    :func:`unlabeled_proba`."""
    out: dict[str, np.ndarray] = {}

    def keep(epoch: int, fitted: Any) -> None:
        full = np.zeros((len(task.texts), task.k))
        full[:, fitted.classes_] = fitted.predict_proba(task.texts)
        out[f"proba_e{epoch}"] = full
        print(f"  epoch {epoch}: done ({time.strftime('%H:%M:%S')})", flush=True)

    model = default_end_model(features="finetuned").set_params(epochs=epochs, callback=keep, **params)
    train_end_model(task.texts, unlabeled_proba(task), model=model)
    return out


def main(argv: list[str] | None = None) -> None:
    from benchmarks.earn_its_keep import LOADERS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="youtube", choices=list(LOADERS))
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", required=True, help="the .npz to write (texts, proba_e1..)")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    task = LOADERS[args.task]()
    train = np.isfinite(unlabeled_proba(task)).all(axis=1)
    print(f"{args.task}: fine-tuning on {int(train.sum())} unlabeled voted rows", flush=True)
    start = time.perf_counter()
    found = fine_tuned_lf_proba(task, args.epochs, progress=False)
    np.savez(args.out, texts=np.asarray(task.texts, dtype=str), **found)
    print(f"wrote {args.out} ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    main()
