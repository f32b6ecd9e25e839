"""Earn its keep: do the final labels beat both the label model and a classifier trained on the dev gold alone?

For the shipped YouTube example and the raw UCI SMS Spam Collection (``benchmarks/tasks/sms.py``, LFs written on
dev only), at dev sizes 20, 50, 100 and all, the user's dev gold is a seeded random subsample of the dev split
(``numpy.random.default_rng(repeat)``; "all" is the whole split, once). Side by side on the test gold split, which
nothing here is fitted, tuned or chosen on:

* ``majority_vote``: the LFs' majority vote (ties and rows without a vote abstain; abstain counts as wrong);
* ``label_model``: weaksup's default label model fitted on every row's votes with the dev subsample's gold;
* ``supervised_on_dev``: the end model's classifier (TF-IDF words 1-2 + chars 2-5, logistic regression) trained
  on the dev subsample alone (:func:`weaksup.supervised_on_dev`);
* ``final``: :class:`weaksup.FinalLabeler` with its defaults (cross-fitted label model + end model trained on the
  weak labels of the voted rows and the dev subsample, combined and temperature-calibrated on the dev rows'
  out-of-fold predictions), fitted on every row (test rows carry no gold); ``final_ece`` is its test ECE.

Every value is test accuracy (a fraction), the mean over the repeats. Targets (issue 15): final >= max(supervised,
label model) + 1 point at every dev size on both tasks; final >= supervised + 5 points at 50 dev rows; final ECE
<= 0.05.

    python benchmarks/earn_its_keep.py [--tasks youtube sms] [--repeats 5] [--sizes 20 50 100 all] [--json FILE]

``--dev-check`` never reads the test split: each dev subsample's final labels are scored on the other dev rows
(no gold in the fit, like the test rows), and with all dev rows on their out-of-fold predictions (size ``200``
is available there). That is how the defaults are chosen; ``--set KEY=VALUE`` passes other
:class:`weaksup.FinalLabeler` arguments to try (``--set dev_weight=3 weak_labels=proba``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # small fits: threads only fight each other (before numpy loads)

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from weaksup import FinalLabeler, Registry, apply_lfs, default_label_model, load_gold  # noqa: E402
from weaksup.evaluate import expected_calibration_error  # noqa: E402
from weaksup.labels import ABSTAIN  # noqa: E402
from weaksup.models import MajorityVote  # noqa: E402

SIZES = ("20", "50", "100", "all")
METHODS = ("majority_vote", "label_model", "supervised_on_dev", "final")
#: The final labels' settings: the library's (and ``weaksup run``'s) defaults, so that "final" is what the product
#: labels with. ``--neighbours 10 --self-train 3`` (label propagation over sentence embeddings, opt-in: it embeds
#: every text) won on dev (20/50/100/200 dev gold rows, 5 seeded subsamples, scored on the rest of dev: YouTube
#: 0.972/0.967/0.974/0.970 vs 0.964/0.965/0.965/0.963; SMS unchanged) but not on test: 0.894/0.908/0.918/0.931
#: vs 0.896/0.906/0.917/0.941, final ECE 0.052 at 50 rows. (Disclosure: they were this script's default when
#: that test figure was seen; it went back to the library defaults then, so that "final" is what `weaksup run` does.)
#: Also tried with ``--dev-check`` (YouTube, final at 20/50/100/200/all dev rows; the defaults give
#: 0.961/0.971/0.977/0.981/0.976) and not adopted, none ahead beyond the noise of ~240 scored rows:
#: ``--self-train 2`` 0.967/0.971/0.978/0.979/0.979, ``--self-train 3`` 0.962/0.969/0.978/0.979/0.979; the dev gold's
#: share of the end model's training weight 1/11, 1/2 or 3/4 instead of 1/5 (0.961/0.969/0.977/0.972/0.976,
#: 0.964/0.969/0.975/0.984/0.979, 0.962/0.969/0.975/0.979/0.976); ``--set weak_labels=proba`` (0.952 at 20, 0.969 at
#: all); ``--features ensemble`` (final 0.962/0.969/0.981/0.979/0.979, but supervised-on-dev, the same classifier on
#: the gold alone, rose more from 100 rows: 0.930/0.963/0.958 -> 0.934/0.967/0.969, so the margins shrank); the fold
#: models of the rows without gold also trained on the held fold's gold rows (0.956/0.968/0.976/0.977 at 20-200);
#: ``--set lm_weight_rule=best`` (the label model's weight at the best dev log-loss, no one-standard-error rule:
#: 0.965/0.965/0.975/0.981/0.983; on SMS 0.990/0.988/0.987/0.985/0.993 vs the defaults' 0.990/0.988/0.987/0.982/0.990,
#: where ``--self-train 2`` changes nothing); ``--set n_folds=10`` (0.958/0.964/0.975/0.967/0.976).
NEIGHBOURS = 0
SELF_TRAIN = 1
#: The YouTube task's LF modules: the shipped example's, plus any ``--youtube-lfs`` adds (LFs under trial: a module
#: name or a ``.py`` path). ``--youtube-lfs weaksup.datasets.youtube_spam.lfs_unlabeled`` (12 LFs written from the
#: unlabeled rows only) with ``--dev-check --repeats 10``: YouTube final at 20/50/100/200/all dev rows
#: 0.981/0.982/0.982/0.985/0.986 vs 0.960/0.967/0.974/0.970/0.976 without them; label model
#: 0.975/0.974/0.978/0.970/0.976 vs 0.947/0.958/0.965/0.960/0.962; final ECE 0.061 at 20 rows (0.044 without).
YOUTUBE_LFS: list[str] = ["labeling_functions.youtube_spam"]


class Task(NamedTuple):
    """A text task: texts, votes, and the gold class ids of the dev and test splits (-1 elsewhere)."""

    texts: np.ndarray
    L: np.ndarray
    y_dev: np.ndarray
    y_test: np.ndarray
    k: int


def load_youtube() -> Task:
    """The shipped example: 1,956 comments, its LF modules (:data:`YOUTUBE_LFS`), the gold set's dev (286) and
    test (290) splits."""
    from weaksup.datasets.examples import load_youtube_spam

    data = load_youtube_spam()
    registry = Registry.from_modules(*YOUTUBE_LFS)
    gold = load_gold(REPO / "gold_sets" / "youtube_spam", row_ids=data["row_id"], label_space=registry.label_space)
    votes = apply_lfs(registry, data, id_column="row_id")
    return Task(data["text"].to_numpy(dtype=object), votes.values, gold.y(votes.row_ids, split="dev"),
                gold.y(votes.row_ids, split="test"), len(registry.label_space))


def load_sms() -> Task:
    """The raw UCI SMS collection (benchmarks/tasks/sms.py): 5,574 messages, LFs written on dev only."""
    from benchmarks.tasks.sms import load

    data, gold, space = load()
    registry = Registry.from_modules("benchmarks.tasks.sms_lfs")
    votes = apply_lfs(registry, data, id_column="row_id")
    return Task(data["text"].to_numpy(dtype=object), votes.values, gold.y(votes.row_ids, split="dev"),
                gold.y(votes.row_ids, split="test"), len(space))


LOADERS = {"youtube": load_youtube, "sms": load_sms}


def one_run(task: Task, dev: np.ndarray, test: np.ndarray, **final_kwargs: Any) -> dict[str, float]:
    """Test accuracy of the four label sources, and the final labels' test ECE, for one dev subsample."""
    y = np.full(len(task.L), -1, dtype=np.int64)
    y[dev] = task.y_dev[dev]
    positions = np.arange(len(task.L))
    final = FinalLabeler(default_label_model(task.k), **final_kwargs).fit(task.texts, task.L, positions, y)
    truth = task.y_test[test]
    proba = final.predict_proba(task.texts[test], task.L[test], positions[test])
    majority = MajorityVote(cardinality=task.k).fit(task.L).predict(task.L[test], tie_break="abstain")
    assert final.baseline_ is not None
    preds = {"majority_vote": majority, "label_model": final.label_model_.predict(task.L[test]),
             "supervised_on_dev": final.baseline_.predict(task.texts[test]), "final": proba.argmax(axis=1)}
    out = {name: float((pred == truth).mean()) for name, pred in preds.items()}
    out["final_ece"] = expected_calibration_error(truth, proba)
    out["lm_weight"], out["temperature"] = final.lm_weight_, final.temperature_
    return out


def over_subsamples(task: Task, sizes: tuple[str, ...], repeats: int,
                    score: Callable[[np.ndarray], dict[str, float]]) -> dict[str, dict[str, Any]]:
    """``{size: {method: mean of score(dev subsample), ..., "runs": [...]}}``: ``repeats`` seeded subsamples
    (``numpy.random.default_rng(repeat)``) of each size, the whole dev split once for ``"all"``."""
    dev_all = np.flatnonzero(task.y_dev != ABSTAIN)
    results: dict[str, dict[str, Any]] = {}
    for size in sizes:
        runs = []
        for rep in range(1 if size == "all" else repeats):
            dev = dev_all if size == "all" else np.sort(np.random.default_rng(rep).choice(dev_all, int(size),
                                                                                            replace=False))
            runs.append(score(dev))
        results[size] = {key: float(np.mean([r[key] for r in runs])) for key in (*METHODS, "final_ece")}
        results[size]["runs"] = runs
    return results


def run_task(task: Task, sizes: tuple[str, ...], repeats: int, **final_kwargs: Any) -> dict[str, dict[str, Any]]:
    """``{size: {method: mean test accuracy, "final_ece": ..., "runs": [...]}}``."""
    test = np.flatnonzero(task.y_test != ABSTAIN)
    return over_subsamples(task, sizes, repeats, lambda dev: one_run(task, dev, test, **final_kwargs))


def dev_check_run(task: Task, dev: np.ndarray, held: np.ndarray, **final_kwargs: Any) -> dict[str, float]:
    """Dev-only check: fit with the gold of ``dev`` (a subsample of the dev split) and score on ``held``, the other
    dev rows (no gold in the fit, like the test rows); with no ``held`` rows ("all"), the out-of-fold dev
    predictions. The test split is not read."""
    y = np.full(len(task.L), -1, dtype=np.int64)
    y[dev] = task.y_dev[dev]
    positions = np.arange(len(task.L))
    final = FinalLabeler(default_label_model(task.k), **final_kwargs).fit(task.texts, task.L, positions, y)
    if not len(held):
        truth = final.dev_y_
        probas = {name: final.dev_proba_[name] for name in ("label_model", "supervised_on_dev", "final")}
    else:
        truth = task.y_dev[held]
        assert final.baseline_ is not None
        probas = {"label_model": final.label_model_.predict_proba(task.L[held]),
                  "supervised_on_dev": final.baseline_.predict_proba(task.texts[held]),
                  "final": final.predict_proba(task.texts[held], task.L[held], positions[held])}
    out = {name: float((p.argmax(axis=1) == truth).mean()) for name, p in probas.items()}
    scored = held if len(held) else dev
    majority = MajorityVote(cardinality=task.k).fit(task.L).predict(task.L[scored], tie_break="abstain")
    out["majority_vote"] = float((majority == truth).mean())
    out["final_ece"] = expected_calibration_error(truth, probas["final"])
    out["lm_weight"], out["temperature"] = final.lm_weight_, final.temperature_
    return out


def dev_check(task: Task, sizes: tuple[str, ...], repeats: int, **final_kwargs: Any) -> dict[str, dict[str, Any]]:
    """``{size: ...}`` as :func:`run_task`, scored on dev rows outside each subsample (see :func:`dev_check_run`)."""
    dev_all = np.flatnonzero(task.y_dev != ABSTAIN)
    return over_subsamples(task, sizes, repeats,
                           lambda dev: dev_check_run(task, dev, np.setdiff1d(dev_all, dev), **final_kwargs))


def within_reach(best: float, n_test: int) -> str:
    """What +1 point over ``best`` asks of ``n_test`` test rows, said plainly.

    >>> within_reach(0.989, 622)
    'needs >= 0.999: zero errors on 622 test rows (not reachable in practice)'
    >>> within_reach(0.90, 290)
    'needs >= 0.910: at most 26 errors on 290 test rows'
    """
    need = best + 0.01
    allowed = int(np.floor((1.0 - need) * n_test + 1e-9))
    if allowed <= 0:
        return f"needs >= {min(need, 1.0):.3f}: zero errors on {n_test} test rows (not reachable in practice)"
    return f"needs >= {need:.3f}: at most {allowed} errors on {n_test} test rows"


def print_table(name: str, results: dict[str, dict[str, Any]], n_test: int = 0, scored_on: str = "test") -> list[str]:
    """Print one task's table and margins; returns the targets it misses (``n_test``: 0 in a dev check)."""
    missed = []
    print(f"\n{name}: {scored_on} accuracy (mean over repeats; min-max of final), final ECE, margins in points")
    print(f"{'dev':>5} {'majority':>9} {'label_m':>8} {'sup_dev':>8} {'final':>7} {'(min-max)':>13} {'ECE':>6} "
          f"{'vs max':>7} {'vs sup':>7}  lm_w / T")
    for size, r in results.items():
        finals = [run["final"] for run in r["runs"]]
        vs_max = 100 * (r["final"] - max(r["supervised_on_dev"], r["label_model"]))
        vs_sup = 100 * (r["final"] - r["supervised_on_dev"])
        choices = " ".join(f"{run['lm_weight']:.2g}/{run['temperature']:.2f}" for run in r["runs"])
        print(f"{size:>5} {r['majority_vote']:>9.3f} {r['label_model']:>8.3f} {r['supervised_on_dev']:>8.3f} "
              f"{r['final']:>7.3f} {min(finals):>6.3f}-{max(finals):.3f} {r['final_ece']:>6.3f} {vs_max:>+7.1f} "
              f"{vs_sup:>+7.1f}  {choices}")
        if vs_max < 1.0:
            best = max(r["supervised_on_dev"], r["label_model"])
            reach = f" ({within_reach(best, n_test)})" if n_test else ""
            missed.append(f"{name} dev {size}: final only {vs_max:+.2f} points over max(supervised, label model)"
                          + reach)
        if size == "50" and vs_sup < 5.0:
            missed.append(f"{name} dev 50: final only {vs_sup:+.2f} points over supervised-on-dev (target +5)")
        if r["final_ece"] > 0.05:
            missed.append(f"{name} dev {size}: final ECE {r['final_ece']:.3f} > 0.05")
    return missed


def parse_value(text: str) -> Any:
    """A ``--set`` value: JSON when it parses, else the string.

    >>> parse_value("2.5"), parse_value("soft")
    (2.5, 'soft')
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def add_youtube_lfs_flag(parser: argparse.ArgumentParser) -> None:
    """``--youtube-lfs MODULE ...``: more LF modules for the YouTube task (shared with ``model_assisted.py``)."""
    parser.add_argument("--youtube-lfs", nargs="+", default=[], metavar="MODULE",
                        help="more LF modules (names or .py paths) for the YouTube task, beside the shipped example's")


def use_youtube_lfs(modules: list[str]) -> None:
    """The YouTube task's LF modules: the shipped example's, then ``modules`` (each once, in order)."""
    YOUTUBE_LFS[1:] = [m for m in dict.fromkeys(modules) if m != YOUTUBE_LFS[0]]


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=[*SIZES, "200"])
    parser.add_argument("--dev-check", action="store_true",
                        help="score on the dev rows outside each dev subsample (out of fold for 'all'), never on "
                             "test: how the defaults are chosen")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="other FinalLabeler keyword arguments (VALUE read as JSON, else a string)")
    parser.add_argument("--repeats", type=int, default=5, help="dev subsamples per size (default 5)")
    parser.add_argument("--json", help="also write {task: {dev_size: {method: accuracy, final_ece}}} here")
    parser.add_argument("--neighbours", type=int, default=NEIGHBOURS,
                        help=f"FinalLabeler(neighbours=): label propagation over sentence embeddings in self-training "
                             f"(default {NEIGHBOURS}, chosen on dev; 0: off, no embeddings needed)")
    parser.add_argument("--features", default="tfidf", choices=["tfidf", "embeddings", "tfidf+embeddings", "ensemble"],
                        help="FinalLabeler(features=): the end model's and supervised-on-dev's features (default "
                             "tfidf; on dev the embeddings lowered the final labels by 1-3 points on YouTube)")
    parser.add_argument("--self-train", type=int, default=SELF_TRAIN,
                        help=f"FinalLabeler(self_train=) rounds (default {SELF_TRAIN}, chosen on dev)")
    add_youtube_lfs_flag(parser)
    args = parser.parse_args(argv)
    use_youtube_lfs(args.youtube_lfs)
    extra = {key: parse_value(value) for key, _, value in (item.partition("=") for item in args.set)}
    os.chdir(REPO)
    start = time.perf_counter()
    print(f"final labels: FinalLabeler(neighbours={args.neighbours}, self_train={args.self_train}, "
          f"features={args.features!r}{''.join(f', {k}={v!r}' for k, v in extra.items())})"
          + (" -- DEV CHECK (dev rows outside each subsample; no test row is read)" if args.dev_check else ""))
    report: dict[str, dict[str, dict[str, float]]] = {}
    missed: list[str] = []
    for name in args.tasks:
        task = LOADERS[name]()
        print(f"{name}: {len(task.L)} rows, {int((task.y_dev >= 0).sum())} dev and {int((task.y_test >= 0).sum())} "
              f"test gold rows, {task.L.shape[1]} LFs, {task.k} classes", flush=True)
        run = dev_check if args.dev_check else run_task
        results = run(task, tuple(args.sizes), args.repeats, neighbours=args.neighbours,
                      self_train=args.self_train, features=args.features, **extra)
        missed += print_table(name, results, 0, "DEV (outside each subsample; 'all': out of fold)") \
            if args.dev_check else print_table(name, results, int((task.y_test >= 0).sum()))
        report[name] = {size: {key: r[key] for key in (*METHODS, "final_ece")} for size, r in results.items()}
    print("\ntargets: " + ("all met" if not missed else "MISSED:\n  " + "\n  ".join(missed)))
    print(f"{time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # the command line only: a caller (a test) keeps its logging
    main()
