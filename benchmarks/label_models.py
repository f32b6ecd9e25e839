"""Label models on WRENCH-format datasets, side by side with WRENCH's published numbers.

Every model is fitted on the train split's votes (for a dataset without one, on the valid
split's votes, never their labels); dev-aware models also get the valid split's gold labels.
All are scored on the test split with WRENCH's metric: accuracy, or binary F1 (positive class 1)
for WRENCH's F1 datasets, for sets whose ``label.json`` has ``"metric": "f1"``, and for ``--f1``.
Ties are broken with Snorkel's deterministic hash, as WRENCH did. The test split is never
used for fitting or for choosing anything. Which split does what is
:meth:`weaksup.datasets.WrenchDataset.roles`: a folder with only a ``test`` split is fitted
transductively on its test votes; a folder without a test split (FlyingSquid's tennis: unlabeled
train, labeled dev) is scored on its valid split. Without dev gold, every dev-aware model (and
``default``) falls back to the unsupervised default, ``default_label_model(dev_gold=False)``, and
its entry says so in ``"note"``.

    python benchmarks/label_models.py --data ../shared/data [--datasets a,b] [--f1 a,b] [--json FILE]
                                      [--dev-sizes 10,20,50,100,all --repeats 5] [--jobs 2] [--models a,b]
    python benchmarks/label_models.py --scale [--rows 1000000 --lfs 20]

JSON (``--json``): ``{dataset: {model: entry}}`` with the recommended model under ``"default"``;
``entry`` is ``{"metric", "test", "valid", "fit_s", "ece", "brier"}`` (``valid``: in-sample score
on the dev gold, only when there is one; ``ece``, ``brier``: of ``predict_proba`` on the scored
split; ``model``: the class that answered, ``selected``: its pick when it selects among candidates;
``note``: how the model was fitted when not as usual; ``scored_on``: the scored split when it is
not ``test``; ``error`` instead of the scores when the model raised). Beside the datasets, reserved
top-level keys:

- ``"averages"``: ``{"WRENCH-7" | "all": {model: {"test", "ece", "brier", "n"}}}``;
- ``"targets"``: ``{dataset: {"default_minus_mv", "best_other", "default_minus_best_other",
  "ece_default", "ece_mv", "ok_mv", "ok_best", "ok_ece", "ok"}}``, with a learning curve also
  ``"curve_size", "curve_best_unsupervised", "curve_default_minus_best_unsupervised", "ok_curve"``;
- with ``--dev-sizes``, ``"learning_curve"``: ``{dataset: {size: {model: {"test": mean, "std",
  "ece", "brier", "n_dev", "repeats"}}}}`` (size ``"10"``... or ``"all"``; the dev-free models'
  entries are their main ones, ``std`` 0, ``n_dev`` 0);
- with ``--scale`` beside ``--data``, ``"scale"`` (``--scale`` alone writes the scale dict itself).

Run everything on 2 cores: ``OMP_NUM_THREADS=1 python benchmarks/label_models.py --data ../shared/data
--dev-sizes 10,20,50,100,all --jobs 2`` (one thread per process: torch's default spin-waits on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.label_model_tables import (  # noqa: E402
    PUBLISHED, WRENCH_7, averages, curve_table, table, targets, targets_table,
)
from weaksup.datasets import Split, find_datasets, is_dataset_folder, load_wrench  # noqa: E402
from weaksup.evaluate import label_metrics  # noqa: E402
from benchmarks.label_model_scale import print_scale, scale  # noqa: E402
from weaksup.models import DEFAULT_MODEL, MODELS, default_label_model, fit_label_model  # noqa: E402

__all__ = ["PUBLISHED", "WRENCH_7", "learning_curve", "main", "model_names", "run_dataset", "scale", "score"]


def model_names() -> list[str]:
    """Every model in :data:`weaksup.models.MODELS` for unordered rows (unsupervised first, MajorityVote first),
    then ``default``; a model whose ``fit`` takes ``sequences`` (rows in order: frames, windows) is left out."""
    import inspect

    rows = {n: cls for n, cls in MODELS.items() if "sequences" not in inspect.signature(cls.fit).parameters}
    unsupervised = [n for n, cls in rows.items() if not cls.uses_dev_gold]
    unsupervised.sort(key=lambda n: n != "MajorityVote")
    return unsupervised + [n for n, cls in rows.items() if cls.uses_dev_gold] + ["default"]


def is_dev_aware(name: str) -> bool:
    return name == "default" or MODELS[name].uses_dev_gold


def score(metric: str, y: np.ndarray, pred: np.ndarray) -> float:
    """WRENCH's metric in %: accuracy over all rows, or binary F1 of class 1 (an abstain counts as wrong)."""
    if metric == "f1":
        tp = int(((pred == 1) & (y == 1)).sum())
        return 100 * 2 * tp / max(int((pred == 1).sum()) + int((y == 1).sum()), 1)
    return 100 * float((pred == y).mean())


def make_model(name: str, k: int, metric: str, *, dev_gold: bool = True) -> Any:
    """A fresh model; ``default`` is :func:`default_label_model`. A dev-aware model without dev gold is
    the unsupervised default in its place."""
    if name == "default" or (not dev_gold and is_dev_aware(name)):
        return default_label_model(k, metric=metric, dev_gold=dev_gold)
    model = MODELS[name](k)
    return model.set_params(metric=metric) if "metric" in model.get_params(deep=False) else model


def fit_and_score(name: str, k: int, metric: str, fit_votes: Any, dev: Split | None, scored: Split) -> dict:
    """Fit one model, score it (metric, ECE, Brier) on ``scored``; an exception becomes ``{"error": ...}``."""
    entry: dict[str, Any] = {"metric": metric}
    try:
        model = make_model(name, k, metric, dev_gold=dev is not None)
        start = time.perf_counter()
        fit_label_model(model, fit_votes, **({"L_dev": dev.votes, "y_dev": dev.y} if dev is not None else {}))
        entry["fit_s"] = round(time.perf_counter() - start, 3)
        gold = scored.y != -1
        entry["test"] = round(score(metric, scored.y[gold], model.predict(scored.votes, tie_break="hash")[gold]), 2)
        calibration = label_metrics(scored.y[gold], model.predict_proba(scored.votes)[gold])
        entry["ece"], entry["brier"] = round(calibration.ece, 4), round(calibration.brier, 4)
        if dev is not None:  # in-sample for the dev-aware models
            entry["valid"] = round(score(metric, dev.y, model.predict(dev.votes, tie_break="hash")), 2)
        entry["model"] = type(model).__name__
        if isinstance(getattr(model, "selected_", None), str):
            entry["selected"] = model.selected_
    except Exception as exc:  # noqa: BLE001 -- one failing model must not hide the others' results
        entry["error"] = f"{type(exc).__name__}: {exc}"
    return entry


def run_dataset(path: Path, f1_sets: set[str], *, dev_sizes: list[str] | None = None, repeats: int = 5,
                curve_models: tuple[str, ...] = ("default",), models: list[str] | None = None,
                ) -> tuple[dict[str, dict], dict[str, dict]]:
    """Fit and score every model (or those in ``models``) on one dataset; with ``dev_sizes``, also its
    learning curve."""
    ds = load_wrench(path)
    metric = "f1" if ds.name in f1_sets and ds.label_space.cardinality == 2 else ds.metric
    k = ds.label_space.cardinality
    roles = ds.roles()
    fit_votes, scored = ds.splits[roles.fit].votes, ds.splits[roles.evaluation]
    dev = ds.splits[roles.dev] if roles.dev is not None else None
    if dev is not None and not dev.y.min(initial=0) >= 0:
        dev = dev.take(np.flatnonzero(dev.y != -1))  # dev gold: only the rows that have a label
    results: dict[str, dict] = {}
    names = models or model_names()
    warm_imports(snorkel="SnorkelLabelModel" in names)
    fallback = type(default_label_model(k, dev_gold=False)).__name__
    how = "fitted transductively" if roles.transductive else f"fitted on the {roles.fit} votes"
    for name in names:
        if name == "SnorkelLabelModel" and fit_votes.shape[1] < 3:
            continue
        entry = fit_and_score(name, k, metric, fit_votes, dev, scored)
        if dev is None:
            entry["note"] = f"no dev split: {how}" + (f", unsupervised ({fallback})" if is_dev_aware(name) else "")
        if roles.evaluation != "test":
            entry["scored_on"] = roles.evaluation
        results[name] = entry
    curve = {}
    if dev_sizes and dev is not None:
        curve = learning_curve(results, k, metric, fit_votes, dev, scored, dev_sizes, repeats, curve_models,
                               seed=zlib.crc32(ds.name.encode()))
    return results, curve


def warm_imports(snorkel: bool = True) -> None:
    """Import scikit-learn (and Snorkel with torch) before any clock starts: a fit time is then the fit, not
    the first import of a library."""
    import sklearn.linear_model  # noqa: F401
    import sklearn.metrics  # noqa: F401

    if snorkel:
        try:
            import snorkel.labeling.model  # noqa: F401
        except ImportError:
            pass  # SnorkelLabelModel's entries will say so


def learning_curve(results: dict[str, dict], k: int, metric: str, fit_votes: Any, dev: Split, scored: Split,
                   sizes: list[str], repeats: int, models: tuple[str, ...] = ("default",),
                   seed: int = 0) -> dict[str, dict]:
    """Each dev-aware model in ``models`` refitted on ``repeats`` seeded, stratified draws of ``size`` dev
    rows (:meth:`Split.sample`), scored on ``scored``: mean and spread. The unsupervised models' entries
    from ``results`` (they never see dev gold) are repeated at every size with ``std`` 0."""
    curve: dict[str, dict] = {}
    n_dev = int((dev.y != -1).sum())
    for size in sizes:
        rows = n_dev if size == "all" else min(int(size), n_dev)
        draws = [dev.sample(rows, seed=seed + r) for r in (range(repeats) if rows < n_dev else [0])]
        at_size: dict[str, dict] = {}
        for name in models:
            runs = [fit_and_score(name, k, metric, fit_votes, draw, scored) for draw in draws]
            errors = [run["error"] for run in runs if "error" in run]
            if errors:
                at_size[name] = {"error": errors[0], "n_dev": rows, "repeats": len(draws)}
                continue
            at_size[name] = {key: round(float(np.mean([run[key] for run in runs])), 4 if key != "test" else 2)
                             for key in ("test", "ece", "brier")}
            at_size[name].update(std=round(float(np.std([run["test"] for run in runs])), 2), n_dev=rows,
                                 repeats=len(draws))
        for name, entry in results.items():
            if not is_dev_aware(name) and "error" not in entry:
                at_size[name] = {"test": entry["test"], "std": 0.0, "ece": entry["ece"], "brier": entry["brier"],
                                 "n_dev": 0, "repeats": 1}
        curve[size] = at_size
    return curve


def run_all(paths: list[Path], f1_sets: set[str], dev_sizes: list[str] | None, repeats: int,
            curve_models: tuple[str, ...], jobs: int, models: list[str] | None = None) -> tuple[dict, dict]:
    """Every dataset (``jobs`` processes in parallel), in ``paths`` order; progress on stderr."""
    results, curves = {}, {}
    kwargs = {"dev_sizes": dev_sizes, "repeats": repeats, "curve_models": curve_models, "models": models}
    with ProcessPoolExecutor(jobs) if jobs > 1 else _Serial() as pool:
        futures = [(path, pool.submit(_timed_run, path, f1_sets, kwargs)) for path in paths]
        for path, future in futures:
            (res, curve), seconds = future.result()
            results[path.name] = res
            if curve:
                curves[path.name] = curve
            print(f"  {path.name}: {seconds:.1f} s", file=sys.stderr, flush=True)
    return results, curves


def _timed_run(path: Path, f1_sets: set[str], kwargs: dict) -> tuple[tuple[dict, dict], float]:
    start = time.perf_counter()
    return run_dataset(path, f1_sets, **kwargs), time.perf_counter() - start


class _Serial:
    """``submit`` runs at once (a pool of one, without processes)."""

    def __enter__(self) -> _Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Any, *args: Any) -> Any:
        from concurrent.futures import Future

        future: Future = Future()
        future.set_result(fn(*args))
        return future


def parse_sizes(text: str | None) -> list[str] | None:
    """``"10,20,all"`` -> ``["10", "20", "all"]``; each a positive whole number or ``all``."""
    if not text:
        return None
    sizes = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in sizes if s != "all" and not (s.isdigit() and int(s) > 0)]
    if bad or not sizes:
        raise SystemExit(f"--dev-sizes: {bad or text!r} are not positive row counts or 'all' (e.g. 10,20,50,all)")
    return sizes


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a folder of WRENCH-format dataset folders (or one dataset)")
    parser.add_argument("--datasets", help="comma-separated names to run (default: all found)")
    parser.add_argument("--f1", help="comma-separated extra binary datasets scored with F1 (positive class 1)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--dev-sizes", help="learning curve: comma-separated dev sizes, e.g. 10,20,50,100,all")
    parser.add_argument("--repeats", type=int, default=5, help="seeded dev draws per size (default 5)")
    parser.add_argument("--curve-models", default="default",
                        help="dev-aware models refitted for the learning curve (default: default)")
    parser.add_argument("--models", help="comma-separated models to run (default: every model in MODELS, and "
                                         "default; MajorityVote and default are always run)")
    parser.add_argument("--jobs", type=int, default=1, help="datasets run in parallel processes (default 1)")
    parser.add_argument("--scale", action="store_true", help="time fit+predict on a synthetic matrix")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--lfs", type=int, default=20)
    parser.add_argument("--timing-repeats", type=int, default=3, help="--scale: timed runs each, fastest counts")
    args = parser.parse_args(argv)
    if args.data is None and not args.scale:
        parser.error("--data is required (or --scale)")
    dev_sizes = parse_sizes(args.dev_sizes)
    curve_models = tuple(filter(None, args.curve_models.split(",")))
    unknown = [m for m in curve_models if m != "default" and (m not in MODELS or not MODELS[m].uses_dev_gold)]
    if unknown:
        parser.error(f"--curve-models: {unknown} are not dev-aware models; choose from default, "
                     f"{', '.join(n for n, c in MODELS.items() if c.uses_dev_gold)}")
    models = None
    if args.models:
        unknown = sorted(set(args.models.split(",")) - set(model_names()) - {""})
        if unknown:
            parser.error(f"--models: unknown {unknown}; choose from {', '.join(model_names())}")
        models = [m for m in model_names() if m in {"MajorityVote", "default", *args.models.split(",")}]
    result: dict[str, Any] = {}
    if args.data is not None:
        f1_sets = set(filter(None, (args.f1 or "").split(",")))
        wanted = set(filter(None, (args.datasets or "").split(",")))
        found = [args.data] if is_dataset_folder(args.data) else find_datasets(args.data)
        paths = [p for p in found if not wanted or p.name in wanted]
        missing = wanted - {p.name for p in paths}
        if missing:
            parser.error(f"--datasets: {sorted(missing)} not found under {args.data}")
        start, load_start = time.perf_counter(), os.getloadavg()[0]
        results, curves = run_all(paths, f1_sets, dev_sizes, args.repeats, curve_models, max(args.jobs, 1), models)
        names = models or model_names()
        print(f"scored split (test unless marked *), WRENCH metric; 'default' is {DEFAULT_MODEL} "
              f"(dev-aware models use the valid split's gold)")
        print(table(results, names, "test"))
        print("\nECE of predict_proba on the scored split (lower is better)")
        print(table(results, names, "ece"))
        print("\nBrier score on the scored split (lower is better)")
        print(table(results, names, "brier"))
        for name, res in results.items():
            for model, entry in res.items():
                if "error" in entry:
                    print(f"ERROR {name}/{model}: {entry['error']}")
            notes = {entry["note"] for entry in res.values() if "note" in entry}
            if notes:
                print(f"note {name}: " + "; ".join(sorted(notes)))
        fit_time = {m: sum(res[m].get("fit_s", 0.0) for res in results.values() if m in res) for m in names}
        print("fit time, sum over the sets: " + ", ".join(f"{m} {t:.1f} s" for m, t in fit_time.items()))
        picks = {name: res["default"].get("selected", res["default"].get("model")) for name, res in results.items()
                 if "default" in res}
        print("default's model per set: " + ", ".join(f"{name} {pick}" for name, pick in picks.items()))
        if curves:
            print(f"\nlearning curve: {', '.join(curve_models)} refitted on {args.repeats} seeded stratified draws "
                  "of the valid split per size; scored split as above, mean ± std")
            print(curve_table(curves, curve_models))
        checks = targets(results, curves)
        print("\ntargets: default >= MV - 0.5, default >= best other - 1.5, default ECE <= MV ECE"
              + (", at the smallest dev size default >= best unsupervised - 1" if curves else ""))
        print(targets_table(checks))
        result = {**results, "averages": averages(results, names), "targets": checks}
        if curves:
            result["learning_curve"] = curves
        cpu = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for field in ("ru_utime", "ru_stime"))
        print(f"total time {time.perf_counter() - start:.1f} s wall, {cpu:.1f} s CPU in this process and its workers "
              f"({len(paths)} datasets, jobs={args.jobs}, {os.cpu_count()} cores; load average "
              f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)")
    if args.scale:
        scaled = scale(args.rows, args.lfs, timing_repeats=args.timing_repeats)
        print_scale(scaled)
        result = {**result, "scale": scaled} if args.data is not None else scaled
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
