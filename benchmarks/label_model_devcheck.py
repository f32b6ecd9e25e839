"""Choosing label-model rules on dev rows only: fit on part of each dataset's dev split, score on the rest.

The test split is never used. For each WRENCH-format dataset with a dev (valid) split, each model is fitted on the
fit split's votes and ``size`` dev rows (a seeded, stratified draw, :meth:`weaksup.datasets.Split.sample`; ``half``
is half of them), then scored (WRENCH metric, ECE) on the dev rows it did not see; ``repeats`` draws, mean. The
unsupervised models (majority vote, Dawid-Skene) are scored on the same held-out rows. This is how
``DevNaiveBayes(thin_dev=10)`` and its coarse F1 threshold were chosen (issue 16):

    python benchmarks/label_model_devcheck.py --data ../shared/data --size 10 \\
        --models "default,default:thin_dev=0,default:shrink_toward=unlabeled"

and how a thin dev split with three classes or more came to be centred on one-coin tables (``thin_toward="auto"``;
``--size`` 10, 20 and 40, ``--repeats 10``):

    python benchmarks/label_model_devcheck.py --data ../shared/data --size 10 --repeats 10 \\
        --models "default,default:thin_toward=unlabeled"

and how the opt-in stacking head on 50 dev rows or more was measured (``DevNaiveBayes(stack=True)``, gated
at 2 standard errors; ``--size half``, ``100`` and ``50``, ``--repeats 10``; ``DevStacker:gate_se=1`` etc. for
the knobs; it is not the default, see :class:`weaksup.models.DevNaiveBayes`):

    python benchmarks/label_model_devcheck.py --data ../shared/data --size half --repeats 10 \
        --models "default,default:stack=true"

A model is ``default`` (weaksup's default label model) or a name in :data:`weaksup.models.MODELS`, optionally
with ``:key=value`` parameters (numbers, ``true``/``false`` or strings).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.label_models import score  # noqa: E402
from weaksup.datasets import Split, find_datasets, load_wrench  # noqa: E402
from weaksup.metrics import expected_calibration_error  # noqa: E402
from weaksup.models import MODELS, default_label_model, fit_label_model  # noqa: E402

UNSUPERVISED = ("MajorityVote", "DawidSkene")


def parse_model(spec: str) -> tuple[str, Callable[[int, str], Any]]:
    """``"default:thin_dev=0"`` -> its label and a factory ``(cardinality, metric) -> model``.

    Examples
    --------
    >>> label, make = parse_model("default:thin_dev=0")
    >>> label, make(2, "acc").get_params()["thin_dev"]
    ('default:thin_dev=0', 0)
    """
    name, *pairs = spec.split(":")
    params: dict[str, Any] = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        value: Any = {"true": True, "false": False}.get(text.lower(), text)
        if isinstance(value, str):
            try:
                value = json.loads(text)
            except ValueError:
                value = text
        params[key] = value
    if name != "default" and name not in MODELS:
        raise SystemExit(f"--models: unknown model {name!r}; choose default or one of {sorted(MODELS)}")

    def make(k: int, metric: str) -> Any:
        model = default_label_model(k, metric=metric) if name == "default" else MODELS[name](k)
        if name != "default" and "metric" in model.get_params(deep=False):
            model.set_params(metric=metric)
        return model.set_params(**params)

    return spec, make


def held_out_draws(dev: Split, size: int, repeats: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``repeats`` pairs ``(fitted rows, held-out rows)`` of positions in ``dev`` (gold rows only): a seeded,
    stratified draw of ``size`` rows and the rest; no pair when nothing would be held out.

    Examples
    --------
    >>> from weaksup.votes import VoteMatrix
    >>> split = Split(VoteMatrix([[0], [1], [0], [1], [0], [1]]), np.array([0, 1, 0, 1, 0, 1]))
    >>> [(a.tolist(), b.tolist()) for a, b in held_out_draws(split, 2, 1)]
    [([3, 4], [0, 1, 2, 5])]
    """
    gold = np.flatnonzero(dev.y != -1)
    tagged = Split(dev.votes, dev.y, pd.DataFrame({"position": np.arange(len(dev.y))}))
    pairs = []
    for r in range(repeats):
        if size >= len(gold):
            break
        fitted = tagged.sample(size, seed=seed + r).data["position"].to_numpy()
        pairs.append((fitted, np.setdiff1d(gold, fitted)))
    return pairs


def dev_check(fit_votes: Any, dev: Split, k: int, metric: str, models: dict[str, Callable[[int, str], Any]],
              size: int, repeats: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """Mean held-out dev score and ECE of each model (and of the unsupervised ones) over the draws."""
    scores: dict[str, list[tuple[float, float]]] = {}
    unsupervised = {name: fit_label_model(MODELS[name](k), fit_votes) for name in UNSUPERVISED}
    for fitted, held in held_out_draws(dev, size, repeats, seed):
        part, rest = dev.take(fitted), dev.take(held)
        trained = {**unsupervised}
        for label, make in models.items():
            trained[label] = fit_label_model(make(k, metric), fit_votes, L_dev=part.votes, y_dev=part.y)
        for label, model in trained.items():
            predicted = score(metric, rest.y, model.predict(rest.votes, tie_break="hash"))
            ece = expected_calibration_error(rest.y, model.predict_proba(rest.votes))
            scores.setdefault(label, []).append((predicted, ece))
    return {label: {"score": round(float(np.mean([s for s, _ in runs])), 2),
                    "ece": round(float(np.mean([e for _, e in runs])), 4), "draws": len(runs)}
            for label, runs in scores.items()}


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of WRENCH-format dataset folders")
    parser.add_argument("--datasets", help="comma-separated names (default: every one with a dev split)")
    parser.add_argument("--models", default="default", help="comma-separated models, e.g. default:thin_dev=0")
    parser.add_argument("--size", default="10", help="dev rows to fit on, or 'half' (default 10)")
    parser.add_argument("--repeats", type=int, default=10, help="seeded draws (default 10)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    models = dict(parse_model(spec) for spec in args.models.split(",") if spec)
    wanted = set(args.datasets.split(",")) if args.datasets else None
    results = {}
    for path in find_datasets(args.data):
        if wanted is not None and path.name not in wanted:
            continue
        ds = load_wrench(path)
        roles = ds.roles()
        if roles.dev is None or roles.dev == roles.evaluation:
            continue
        dev = ds.splits[roles.dev]
        n_gold = int((dev.y != -1).sum())
        size = n_gold // 2 if args.size == "half" else int(args.size)
        result = dev_check(ds.splits[roles.fit].votes, dev, ds.label_space.cardinality, ds.metric, models, size,
                           args.repeats)
        if not result:
            continue
        results[path.name] = result
        print(f"{path.name:19s} {ds.metric:4s} n={size:<5d}" + "".join(
            f"  {label} {entry['score']:6.2f}/{entry['ece']:.3f}" for label, entry in result.items()), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
