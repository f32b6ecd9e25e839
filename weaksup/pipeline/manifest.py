"""A run folder's manifest (``run.json``) and reading a finished run back (:func:`load_run`)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup._io import atomic_path
from weaksup.config import RunConfig
from weaksup.errors import DataError
from weaksup.labels import LabelSpace
from weaksup.pipeline.inputs import clean_frame, read_chunks
from weaksup.pipeline.result import RunResult
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.gold import GoldSet
    from weaksup.models.base import BaseLabelModel
    from weaksup.pipeline.plan import RunPlan

#: The ``format`` of ``run.json``.
RUN_FORMAT = "weaksup.Run"


def run_manifest(result: RunResult, plan: RunPlan, files: list[Path]) -> dict[str, Any]:
    """What ``run.json`` records: config, LFs, gold set, counts, metrics, outputs, MLflow run, timings."""
    return {
        "format": RUN_FORMAT, "format_version": 1, "status": "finished",
        "task": result.config.task.name, "task_type": plan.task.name, "label_space": list(plan.label_space),
        "project": result.config.project, "config_source": result.config.source,
        "config": result.config.to_dict(),
        "input_files": [str(f) for f in files],
        "rule_version": result.rule_version,
        "lfs": plan.registry.manifest(),
        "label_model": result.label_model,
        "gold": result.gold,
        "counts": {"rows": result.n_rows, "coverage": result.coverage, "labels": result.label_counts,
                   "review_status": result.status_counts, "conflicts": result.conflicts, "faults": result.faults,
                   "timeouts": result.timeouts,
                   "prep": result.prep, "chunks": result.chunks},
        "metrics": result.metrics,
        "outputs": {"labels": result.labels_path.name, "votes": "votes/", "label_model": "label_model.json",
                    "report": result.report_path.name if result.report_path else None},
        "mlflow": {"uri": result.mlflow_uri, "run_id": result.mlflow_run_id},
        "timings": result.timings,
        "environment": {"python": platform.python_version()},
    }


def manifest_text(doc: dict[str, Any]) -> str:
    """``run.json``'s text."""
    return json.dumps(doc, indent=1, default=str)


def write_manifest(path: Path, doc: dict[str, Any]) -> None:
    """Write ``run.json`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(manifest_text(doc), encoding="utf-8")


def remove_stale_temporaries(run_dir: Path) -> None:
    """Temporary files a killed run left behind (``atomic_path`` names them ``.<name>.<random><suffix>``)."""
    if run_dir.is_dir():
        for folder in (run_dir, run_dir / "votes"):
            if folder.is_dir():
                for tmp in folder.glob(".*.*"):
                    if tmp.is_file() and not tmp.name.startswith(".weaksup-write-check"):
                        tmp.unlink(missing_ok=True)


@dataclass
class Run:
    """A finished run folder, read back (see :func:`load_run`)."""

    run_dir: Path
    manifest: dict[str, Any]
    config: RunConfig

    @property
    def label_space(self) -> LabelSpace:
        """The run's classes."""
        return LabelSpace(self.manifest["label_space"])

    @property
    def labels_path(self) -> Path:
        """The labels output file."""
        return self.run_dir / str(self.manifest["outputs"]["labels"])

    @property
    def labels(self) -> pd.DataFrame:
        """The labels output as a DataFrame (one row per input row)."""
        path = self.labels_path
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            return pd.read_csv(path, dtype={"row_id": str, "label": str, "sources": str}, keep_default_na=False,
                               na_values={"label": [""]})
        return pd.read_json(path, lines=True, dtype={"row_id": str})

    @property
    def gold(self) -> GoldSet | None:
        """The run's gold set, read again (None when the run had none)."""
        if not self.config.gold.path:
            return None
        from weaksup.gold import load_gold

        return load_gold(self.config.resolve(self.config.gold.path, "gold.path"), label_space=self.label_space)

    def votes(self) -> VoteMatrix:
        """The whole vote matrix (all chunks)."""
        return load_votes(self.run_dir)

    def model(self) -> BaseLabelModel:
        """The fitted label model."""
        from weaksup.models.base import BaseLabelModel

        return BaseLabelModel.load(self.run_dir / "label_model.json")

    def read_input(self) -> pd.DataFrame:
        """The input rows as the LFs saw them (read and cleaned as in the run), ids as text."""
        cfg = self.config
        frames = []
        for chunk in read_chunks(cfg, None):
            chunk = chunk.assign(**{cfg.input.id_column: chunk[cfg.input.id_column].astype(str)})
            frames.append(clean_frame(cfg, chunk)[0])
        return pd.concat(frames, ignore_index=True)


def load_votes(run_dir: str | os.PathLike[str]) -> VoteMatrix:
    """The whole vote matrix saved in a run folder's ``votes/`` (all chunks, in row order).

    Examples
    --------
    >>> load_votes("no/such/run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: no/such/run: no saved votes (...index.json is missing); run `weaksup apply CONFIG` first
    """
    folder = Path(run_dir) / "votes"
    index = folder / "index.json"
    if not index.is_file():
        raise DataError(f"{run_dir}: no saved votes ({index} is missing); run `weaksup apply CONFIG` first")
    parts = [VoteMatrix.load(folder / p["file"]) for p in json.loads(index.read_text(encoding="utf-8"))["parts"]]
    first = parts[0]
    return VoteMatrix(np.concatenate([p.values for p in parts]), row_ids=np.concatenate([p.row_ids for p in parts]),
                      lf_names=first.lf_names, lf_versions=first.lf_versions, label_space=first.label_space,
                      faults={k: sum(p.faults.get(k, 0) for p in parts) for k in first.lf_names})


def load_run(run_dir: str | os.PathLike[str]) -> Run:
    """Read a run folder written by :func:`weaksup.pipeline.run` (its ``run.json``).

    Examples
    --------
    >>> load_run("no/such/run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: no/such/run: not a run folder (no run.json); run `weaksup run CONFIG` first...
    """
    folder = Path(run_dir)
    path = folder / "run.json"
    if folder.is_file() and folder.name == "run.json":
        folder, path = folder.parent, folder
    if not path.is_file():
        raise DataError(f"{run_dir}: not a run folder (no run.json); run `weaksup run CONFIG` first, or give the "
                        "folder of its output.path")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); the run folder is damaged, re-run it") from None
    if manifest.get("format") != RUN_FORMAT:
        raise DataError(f"{path}: not a weaksup run manifest (format {manifest.get('format')!r})")
    config = RunConfig.from_dict(manifest["config"], source=str(path), project=manifest.get("project"))
    return Run(folder, manifest, config)
