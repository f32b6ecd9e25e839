"""Images, audio and time series: the figures of issue 23, collected from the three modality benchmarks.

Each modality has its own benchmark module with a ``measure()`` (read its docstring for what it does and how its
settings were chosen): ``benchmarks/modality_image.py`` (the LFW-subset faces from at most 10 prototypes per class,
test split), ``benchmarks/modality_audio.py`` (the spoken digits of the Free Spoken Digit Dataset,
speaker-independent: test speakers only) and ``benchmarks/modality_timeseries.py`` (tennis rallies, the temporal
label model against the same model without order, 5 contiguous folds). This script imports each lazily: a module
that is missing or fails is reported in the table and the JSON (``"status": "missing"`` / ``"failed"`` with the
error), and the others still run.

    python benchmarks/modalities.py [--json FILE] [--quick] [--only image,audio]

``--quick`` asks each ``measure`` for its quick form when it has one (``measure(quick=True)``, or the audio
benchmark's shipped subset, ``full=False``). The JSON holds, per modality, every figure its ``measure()`` returns
(fractions) -- at least ``{"image": {"dataset", "accuracy", "prototypes_per_class"}, "audio": {"majority_vote",
"label_model", "end_model"}, "timeseries": {"temporal_f1", "plain_f1"}}`` -- plus ``status``, ``seconds`` and
``targets`` (each target of the issue: met or not).
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
#: Modality -> the benchmark module (file stem) whose ``measure()`` gives its figures.
MODULES = {"image": "modality_image", "audio": "modality_audio", "timeseries": "modality_timeseries"}
#: The figures issue 23 asks for, per modality.
REQUIRED = {"image": ("dataset", "accuracy", "prototypes_per_class"),
            "audio": ("majority_vote", "label_model", "end_model"),
            "timeseries": ("temporal_f1", "plain_f1")}
#: The best published label-model F1 on the tennis rallies (FlyingSquid, Fu et al. 2020, Table 2).
PUBLISHED_TENNIS_F1 = 0.8255

#: Issue 23's targets: name -> test on a modality's figures.
TARGETS: dict[str, dict[str, Callable[[dict[str, Any]], bool]]] = {
    "image": {"accuracy >= 0.90": lambda r: r["accuracy"] >= 0.90,
              "prototypes_per_class <= 10": lambda r: r["prototypes_per_class"] <= 10},
    "audio": {"label_model >= majority_vote + 0.05": lambda r: r["label_model"] >= r["majority_vote"] + 0.05,
              "end_model > label_model and > majority_vote": lambda r: r["end_model"] > max(r["label_model"],
                                                                                            r["majority_vote"])},
    "timeseries": {"temporal_f1 > plain_f1": lambda r: r["temporal_f1"] > r["plain_f1"],
                   f"temporal_f1 >= published {PUBLISHED_TENNIS_F1}":
                       lambda r: r["temporal_f1"] >= PUBLISHED_TENNIS_F1},
}


def load(name: str) -> ModuleType:
    """The benchmark module of a modality, imported from its file (``ModuleNotFoundError`` when it is absent)."""
    path = BENCHMARKS / f"{MODULES[name]}.py"
    if not path.is_file():
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        raise ModuleNotFoundError(f"{shown} does not exist (yet)")
    for folder in (str(ROOT), str(BENCHMARKS)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"benchmarks_{MODULES[name]}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def quick_arguments(measure: Callable[..., Any], quick: bool) -> dict[str, Any]:
    """The keyword arguments asking ``measure`` for its quick form (none when it has none, or not quick)."""
    if not quick:
        return {}
    params = inspect.signature(measure).parameters
    if "quick" in params:
        return {"quick": True}
    if "full" in params:
        return {"full": False}
    return {}


def jsonable(value: Any) -> Any:
    """NumPy numbers and arrays, tuples and paths as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def measure_one(name: str, quick: bool = False) -> dict[str, Any]:
    """One modality's figures with ``status`` ("ok", "missing", "failed", "incomplete"), ``seconds`` and
    ``targets``."""
    start = time.perf_counter()
    try:
        module = load(name)
    except Exception as exc:  # noqa: BLE001 - a missing or broken module is reported, the others still run
        status = "missing" if isinstance(exc, (ModuleNotFoundError, FileNotFoundError)) else "failed"
        return {"status": status, "error": f"{type(exc).__name__}: {exc}", "seconds": 0.0}
    measure = getattr(module, "measure", None)
    if not callable(measure):
        return {"status": "missing", "error": f"{MODULES[name]}.py has no measure()", "seconds": 0.0}
    try:
        figures = dict(measure(**quick_arguments(measure, quick)))
    except Exception as exc:  # noqa: BLE001
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=6), "seconds": round(time.perf_counter() - start, 1)}
    out: dict[str, Any] = jsonable(figures)
    absent = [key for key in REQUIRED[name] if key not in out]
    out["status"] = "incomplete" if absent else "ok"
    if absent:
        out["error"] = f"measure() lacks {absent}"
    out["targets"] = {} if absent else {goal: bool(test(out)) for goal, test in TARGETS[name].items()}
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def collect(names: Sequence[str] = tuple(MODULES), quick: bool = False) -> dict[str, dict[str, Any]]:
    """``{modality: figures}`` for the named modalities, in order."""
    return {name: measure_one(name, quick) for name in names}


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def table(result: dict[str, dict[str, Any]]) -> str:
    """The figures as a plain-text table: one line per figure of the issue, then the targets."""
    lines = [f"{'modality':<11} {'figure':<24} {'value':>14}", "-" * 51]
    for name, figures in result.items():
        if figures["status"] not in ("ok", "incomplete"):
            lines.append(f"{name:<11} {figures['status'].upper()}: {figures.get('error', '')}")
            continue
        extra = {"image": ("majority_vote", "affinity_only"), "audio": (),
                 "timeseries": ("majority_vote_f1", "gap_to_published")}[name]
        for key in (*REQUIRED[name], *extra):
            if key in figures:
                lines.append(f"{name:<11} {key:<24} {_fmt(figures[key]):>14}")
        for speaker, scores in sorted((figures.get("per_speaker") or {}).items()):
            shown = " ".join(f"{k}={_fmt(v)}" for k, v in scores.items()) if isinstance(scores, dict) else scores
            lines.append(f"{name:<11} {'  speaker ' + str(speaker):<24} {shown}")
        if figures["status"] == "incomplete":
            lines.append(f"{name:<11} INCOMPLETE: {figures['error']}")
        for goal, met in figures["targets"].items():
            lines.append(f"{name:<11} target {goal}: {'met' if met else 'NOT met'}")
        lines.append(f"{name:<11} ({figures['seconds']} s)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    parser = argparse.ArgumentParser(description="issue 23's figures: images, audio, time series")
    parser.add_argument("--json", type=Path, help="write the result here as JSON")
    parser.add_argument("--quick", action="store_true", help="each benchmark's quick form, where it has one")
    parser.add_argument("--only", default=",".join(MODULES), help="comma-separated modalities (default: all)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        parser.error(f"unknown modalities {unknown}; choose from {list(MODULES)}")
    result = collect(names, quick=args.quick)
    print(table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
