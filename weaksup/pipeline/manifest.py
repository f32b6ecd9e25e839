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
from weaksup.pipeline.folder import PREVIOUS
from weaksup.labels import LabelSpace
from weaksup.pipeline.inputs import clean_frame, read_chunks
from weaksup.pipeline.result import RunResult
from weaksup.pipeline.vote_store import load_part
from weaksup.spreadsheet import unescape_formulas
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.gold import GoldSet
    from weaksup.models.base import BaseLabelModel
    from weaksup.multilabel.models_base import MultiLabelModel
    from weaksup.pipeline.plan import RunPlan
    from weaksup.spans.models_base import SpanLabelModel

#: The ``format`` of ``run.json``.
RUN_FORMAT = "weaksup.Run"


#: What a run that stopped early wrote (``weaksup apply`` / ``weaksup fit``): its ``run.json`` status.
STATUSES = {"apply": "applied", "fit": "fitted", None: "finished"}


def check_not_finished(run_dir: Path, stop_after: str | None, config_source: str = "CONFIG") -> None:
    """Refuse ``weaksup fit`` (``stop_after="fit"``) into ``run_dir`` when it holds a finished run (its ``run.json``
    names a labels file): publishing would replace that run's label model and ``run.json`` (status ``fitted``, no
    labels) and leave its labels file without the model that wrote it, so the finished run could no longer be read
    back (``weaksup review import --run``, ``load_run(...).labels``). (``weaksup apply`` into such a folder makes it
    the apply's folder, votes only, keeping the labels file: it wrote no model to mismatch them.)

    Raises
    ------
    ConfigError
        Naming the finished run and the fixes: ``weaksup run`` (refit and relabel it) or another output folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_not_finished(folder, "fit")  # (no run there: nothing to keep)
    >>> _ = (folder / "run.json").write_text(json.dumps({"status": "finished", "rule_version": "r1",
    ...                                                  "outputs": {"labels": "labels.csv"}}))
    >>> check_not_finished(folder, None)  # (a full run replaces it whole)
    >>> check_not_finished(folder, "fit", "cfg.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: .../run.json: holds a finished run (rule_version r1, labels labels.csv); ...
    """
    from weaksup.errors import ConfigError

    if stop_after != "fit":
        return
    path = Path(run_dir) / "run.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no run there (or one this check cannot read: the run says what is wrong)
        return
    outputs = doc.get("outputs") if isinstance(doc, dict) else None
    labels = outputs.get("labels") if isinstance(outputs, dict) else None
    if not labels or doc.get("status", STATUSES[None]) != STATUSES[None]:
        return
    raise ConfigError(
        f"{path}: holds a finished run (rule_version {doc.get('rule_version')}, labels {labels}); weaksup fit would "
        f"replace its label model and run.json and leave {labels} without the model that wrote it (the run could no "
        f"longer be read back, e.g. by `weaksup review import --run {run_dir}`). To refit and relabel that run, run "
        f"`weaksup run {config_source}`; to fit without touching it, write to another folder: "
        f"--set output.path=<other folder>/{labels} (or delete {run_dir} first)")


def run_manifest(result: RunResult, plan: RunPlan, files: list[Path], *, status: str = "finished") -> dict[str, Any]:
    """What ``run.json`` records: config, LFs, gold set, counts, metrics, outputs, MLflow run, timings.

    ``status`` is ``"finished"``, or ``"applied"`` / ``"fitted"`` for a run that stopped after that stage
    (its ``outputs`` then name only what it wrote).
    """
    return {
        "format": RUN_FORMAT, "format_version": 1, "status": status,
        "task": result.config.task.name, "task_type": plan.task.name, "label_space": plan.task.space_json(plan.label_space),
        "unit": result.config.task.unit,  # what one labeled item is: "row" or "window" (weaksup.pipeline.sequences)
        "project": result.config.project, "config_source": result.config.source,
        "config": result.config.to_dict(),
        "input_files": [str(f) for f in files],
        "data_hash": result.data_hash,  # the input's identity (files' sha256, cleaning, chunking): MLflow's data_hash
        "rule_version": result.rule_version,
        "lfs": plan.registry.manifest(),
        "label_model": result.label_model,
        "end_model": result.end_model,
        "gold": result.gold,
        "gold_gaps": result.gold_gaps,
        "counts": {"rows": result.n_rows, "coverage_all_rows": result.coverage, "labels": result.label_counts,
                   "review_status": result.status_counts, "label_source": result.source_counts,
                   "conflicts": result.conflicts, "faults": result.faults,
                   "timeouts": result.timeouts,
                   "prep": result.prep, "chunks": result.chunks},
        "metrics": result.metrics,
        "vote_stats": result.vote_stats,  # coverage, overlap, conflict... of the votes (the report's)
        "verdict": None if result.references is None else result.references.verdict,
        # per prompted LF: prompts sent, answered from the cache, retries, failures, estimated tokens
        "prompt": result.prompt,
        "outputs": run_outputs(result, status),
        "mlflow": {"uri": result.mlflow_uri, "run_id": result.mlflow_run_id},
        "timings": result.timings,
        "environment": environment(),
    }


#: The distributions whose versions ``run.json`` records (those installed), beside Python's.
ENVIRONMENT_PACKAGES = ("weaksup", "numpy", "pandas", "pyarrow", "polars", "scikit-learn")


def environment() -> dict[str, str]:
    """The versions a run was made with: Python's, and those of :data:`ENVIRONMENT_PACKAGES` that are installed
    (read from their installed metadata, by distribution name: ``scikit-learn``, not ``sklearn``).

    Examples
    --------
    >>> env = environment()
    >>> env["python"] == platform.python_version(), {"numpy", "pandas"} <= set(env)
    (True, True)
    """
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ENVIRONMENT_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:  # not installed (weaksup itself, run from a checkout without installing it)
            continue
    return found


def run_outputs(result: RunResult, status: str) -> dict[str, str | None]:
    """The run folder entries a run wrote (names relative to the run folder; a report elsewhere by its path)."""
    report = result.report_path
    return {"labels": result.labels_path.name if status == "finished" else None,
            "votes": "votes/",
            "label_model": "label_model.json" if status != "applied" else None,
            "report": None if report is None else report.name if report.parent == result.run_dir else str(report),
            "clean": "clean/" if result.config.output.write_clean else None,
            "previous_run": PREVIOUS if result.previous is not None and status == "finished" else None,
            **(result.outputs if status == "finished" else {})}


def fingerprint(path: Path) -> dict[str, Any]:
    """A cheap identity of a file: its size and a sha256 of its first and last 64 KiB (the whole of a small
    file). It tells apart the outputs of two runs without reading a large labels file whole."""
    import hashlib

    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as fh:
        digest.update(fh.read(_SAMPLE))
        if size > _SAMPLE:
            fh.seek(max(size - _SAMPLE, _SAMPLE))
            digest.update(fh.read(_SAMPLE))
    return {"size": size, "sha256_sample": digest.hexdigest()}


_SAMPLE = 1 << 16


def fingerprints(folder: Path, doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fingerprints of the files a manifest claims in ``folder`` (a folder by its ``index.json``)."""
    from weaksup.pipeline.folder import outputs_of

    found = {}
    for name in outputs_of(doc):
        path = folder / name
        if path.is_dir():
            path = path / "index.json"
        if path.is_file():
            found[path.relative_to(folder).as_posix()] = fingerprint(path)
    return found


def manifest_text(doc: dict[str, Any]) -> str:
    """``run.json``'s text."""
    return json.dumps(doc, indent=1, default=str)


def write_manifest(path: Path, doc: dict[str, Any]) -> None:
    """Write ``run.json`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(manifest_text(doc), encoding="utf-8")


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
        name = self.manifest["outputs"].get("labels")
        if not name:
            raise DataError(f"{self.run_dir}: this run stopped after {self.manifest.get('status')!r} and wrote no "
                            "labels; run `weaksup run CONFIG` for them")
        return self.run_dir / str(name)

    @property
    def labels(self) -> pd.DataFrame:
        """The labels output as a DataFrame (one row per input row)."""
        path = self.labels_path
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype={"row_id": str, "label": str, "labels": str, "sources": str},
                                keep_default_na=False, na_values={"label": [""], "labels": [""]})
            frame = unescape_formulas(frame) if self.config.output.escape_formulas else frame
            if self.config.task.type == "multilabel" and "labels" in frame:  # lists, as Parquet gives them
                from weaksup.multilabel.outputs import labels_from_cell

                frame["labels"] = pd.Series([labels_from_cell(v) for v in frame["labels"]], index=frame.index,
                                            dtype=object)
            return frame
        return pd.read_json(path, lines=True, dtype={"row_id": str})

    @property
    def gold(self) -> GoldSet | None:
        """The run's gold set, read again at the version the run scored on (``run.json``'s ``gold.version``; the
        pinned ``gold.version``, or the latest, for a run that recorded none), None when the run had none."""
        if not self.config.gold.path:
            return None
        from weaksup.gold import load_gold

        used = (self.manifest.get("gold") or {}).get("version")  # (a later version may exist now)
        version = used if isinstance(used, int) else self.config.gold.version
        return load_gold(self.config.resolve(self.config.gold.path, "gold.path"), label_space=self.label_space,
                         version=version)

    def votes(self) -> VoteMatrix:
        """The whole vote matrix (all chunks)."""
        return load_votes(self.run_dir)

    def model(self) -> BaseLabelModel | MultiLabelModel | SpanLabelModel:
        """The fitted label model (a multi-label run's: :func:`weaksup.multilabel.persist.load_multilabel_model`; a
        spans run's: :func:`weaksup.spans.models_base.load_span_model`)."""
        if self.config.task.type == "multilabel":
            from weaksup.multilabel.persist import load_multilabel_model

            return load_multilabel_model(self.run_dir / "label_model.json")
        if self.config.task.type == "spans":
            from weaksup.spans.models_base import load_span_model

            return load_span_model(self.run_dir / "label_model.json")
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
    from weaksup.pipeline.folder import read_manifest

    if read_manifest(Path(run_dir) / "run.json").get("task_type") == "spans":
        raise DataError(f"{run_dir} is a spans run: its votes are each LF's spans per document; read them with "
                        "weaksup.spans.codec.load_span_votes(run_dir) (documents and SpanVotes)")
    parts = [load_part(folder, p) for p in json.loads(index.read_text(encoding="utf-8"))["parts"]]
    first = parts[0]
    return VoteMatrix(np.concatenate([p.values for p in parts]), row_ids=np.concatenate([p.row_ids for p in parts]),
                      lf_names=first.lf_names, lf_versions=first.lf_versions, label_space=first.label_space,
                      faults={k: sum(p.faults.get(k, 0) for p in parts) for k in first.lf_names})


def load_run(run_dir: str | os.PathLike[str], *, verify: bool = True) -> Run:
    """Read a run folder written by :func:`weaksup.pipeline.run` (its ``run.json``).

    A publish that was cut short (a run killed between its renames) is finished first. With ``verify``
    (the default) the folder's parts must be the ones ``run.json`` describes: every output it claims is
    there with the fingerprint it recorded, and the labels, the saved votes and ``run.json`` count the
    same rows; otherwise a :class:`DataError` lists what disagrees (the folder mixes two runs).

    Examples
    --------
    >>> load_run("no/such/run")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.DataError: no/such/run: not a run folder (no run.json); run `weaksup run CONFIG` first...
    """
    from weaksup.pipeline.folder import recover_pending

    folder = Path(run_dir)
    path = folder / "run.json"
    if folder.is_file() and folder.name == "run.json":
        folder, path = folder.parent, folder
    if folder.is_dir():
        recover_pending(folder)
    if not path.is_file():
        raise DataError(f"{run_dir}: not a run folder (no run.json); run `weaksup run CONFIG` first, or give the "
                        "folder of its output.path")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); the run folder is damaged, re-run it") from None
    if not isinstance(manifest, dict) or manifest.get("format") != RUN_FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise DataError(f"{path}: not a weaksup run manifest (format {got!r})")
    if verify:
        check_parts(folder, manifest)
    config = RunConfig.from_dict(manifest["config"], source=str(path), project=manifest.get("project"))
    return Run(folder, manifest, config)


def check_parts(folder: Path, manifest: dict[str, Any]) -> None:
    """The parts of a run folder agree with its ``run.json`` (see :func:`load_run`); a DataError otherwise."""
    problems = []
    for name, expected in (manifest.get("fingerprints") or {}).items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif fingerprint(path) != expected:
            problems.append(f"{name} is not the file this run wrote (its size or bytes differ)")
    rows = (manifest.get("counts") or {}).get("rows")
    outputs = manifest.get("outputs") or {}
    index = folder / "votes" / "index.json"
    if outputs.get("votes") and index.is_file():
        try:
            parts = json.loads(index.read_text(encoding="utf-8"))["parts"]
            voted = sum(int(p["rows"]) for p in parts)
        except (OSError, ValueError, KeyError, TypeError):
            problems.append("votes/index.json is unreadable")
        else:
            if voted != rows:
                problems.append(f"votes/ holds {voted:,} rows")
    elif outputs.get("votes"):
        problems.append("votes/index.json is missing")
    labels = outputs.get("labels")
    if labels and (folder / labels).is_file() and str(labels).lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            n = pq.ParquetFile(folder / labels).metadata.num_rows
        except Exception as exc:  # noqa: BLE001 - any unreadable file is a problem to report, not a crash
            problems.append(f"{labels} is unreadable ({exc})")
        else:
            if n != rows:
                problems.append(f"{labels} holds {n:,} rows")
    elif labels and not (folder / labels).is_file():
        problems.append(f"{labels} is missing")
    if problems:
        raise DataError(f"{folder}: the parts of this run folder disagree with its run.json ({rows} rows, "
                        f"rule_version {manifest.get('rule_version')}): " + "; ".join(problems)
                        + ". It mixes the outputs of different runs (or a file was changed or copied in): run "
                        "`weaksup run CONFIG` again to rewrite it, or load_run(..., verify=False) to read it anyway")
