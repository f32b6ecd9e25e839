"""The committed engine runs of an output folder: ``runs/<task>/<run id>/`` (each with ``manifest.json`` and
``_SUCCESS``), the one ``latest`` points at, and a run's labels read back in input order.

Examples
--------
>>> import tempfile
>>> list_runs(Path(tempfile.mkdtemp()), "t"), latest_run(Path(tempfile.mkdtemp()))
([], None)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.errors import DataError


@dataclass(frozen=True)
class RunInfo:
    """A committed run: ``run_id``, ``path``, ``created`` (UTC ISO time), ``rows`` and its manifest."""

    run_id: str
    path: Path
    created: str
    rows: int
    manifest: dict[str, Any]


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """A committed run's manifest.

    Raises
    ------
    DataError
        When the run is not committed (no ``_SUCCESS``) or its manifest is unreadable.
    """
    if not (run_dir / "_SUCCESS").is_file():
        raise DataError(f"{run_dir} is not a committed run (no _SUCCESS marker); use a run that finished, e.g. "
                        "<output folder>/latest")
    try:
        doc: dict[str, Any] = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{run_dir / 'manifest.json'}: unreadable ({exc}); run again to write a new version") from None
    return doc


def list_runs(out_dir: Path, task: str) -> list[RunInfo]:
    """The committed runs of ``task`` in ``out_dir``, oldest first (folders without ``_SUCCESS`` are skipped)."""
    root = Path(out_dir) / "runs" / task
    found = []
    for path in sorted(root.iterdir()) if root.is_dir() else []:
        if (path / "_SUCCESS").is_file():
            doc = read_manifest(path)
            found.append(RunInfo(path.name, path, str(doc.get("created", "")), int(doc.get("rows", 0)), doc))
    return sorted(found, key=lambda r: (r.created, (r.path / "_SUCCESS").stat().st_mtime_ns))


def latest_run(out_dir: Path) -> Path | None:
    """The run ``<out_dir>/latest`` points at (the symbolic link, else the ``LATEST`` file), or None."""
    out_dir = Path(out_dir)
    link = out_dir / "latest"
    if link.is_symlink() or link.is_dir():
        return link.resolve()
    marker = out_dir / "LATEST"
    if marker.is_file():
        return (out_dir / marker.read_text(encoding="utf-8").strip()).resolve()
    return None


def read_labels(run_dir: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A committed run's labels, its part files in input order (each file checked against the manifest's rows)."""
    import pyarrow.parquet as pq

    doc = read_manifest(Path(run_dir))
    frames = []
    for part in doc["parts"]:
        table = pq.read_table(Path(run_dir) / part["file"], columns=columns)
        if table.num_rows != part["rows"]:
            raise DataError(f"{run_dir / part['file']}: {table.num_rows} rows, the manifest says {part['rows']}; the "
                            "run folder was changed after the commit: run again")
        frames.append(table.to_pandas())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
