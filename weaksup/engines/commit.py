"""Output that is whole or absent: a staging folder of part files with ``.ok`` sidecars (partition-level resume),
committed as a versioned run ``runs/<task>/<run_id>/`` (``manifest.json`` + ``_SUCCESS``) with ``latest``
pointing at it; earlier runs are kept.

Layout of ``out_dir``::

    .staging-<run_id>/labels/part-00000-<key>.parquet (+ .ok)   while the run works
    runs/<task>/<run_id>/labels/part-*.parquet, label_model.json, manifest.json, _SUCCESS
    latest -> runs/<task>/<run_id>         (a symbolic link, or a LATEST file where links fail)
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from weaksup.errors import DataError
from weaksup.lf.artefacts import file_sha256

if TYPE_CHECKING:
    from weaksup.engines.batch import InputPart


@dataclass(frozen=True)
class PartResult:
    """A written part: its ``index``, ``file`` (relative to the run folder), ``rows`` and ``sha256``."""

    index: int
    file: str
    rows: int
    sha256: str


class StagedRun:
    """A run's staging folder ``<out_dir>/.staging-<run_id>/`` and its commit.

    Examples
    --------
    >>> import tempfile
    >>> from weaksup.engines.batch import InputPart
    >>> staged = StagedRun(Path(tempfile.mkdtemp()), "r1", task="t")
    >>> part = InputPart(0, "p.parquet", "abcdef0123456789", 1)
    >>> staged.done(part)
    False
    >>> _ = staged.write_part(part, pa.table({"row_id": ["a"]}))
    >>> staged.done(part), staged.commit([part], {"engine": "local"}).name
    (True, 'r1')
    """

    def __init__(self, out_dir: Path, run_id: str, *, task: str = "labels") -> None:
        self.out_dir, self.run_id, self.task = Path(out_dir), run_id, task
        self.path = self.out_dir / f".staging-{run_id}"
        (self.path / "labels").mkdir(parents=True, exist_ok=True)

    @property
    def final_path(self) -> Path:
        """Where the committed run goes."""
        return self.out_dir / "runs" / self.task / self.run_id

    def part_file(self, part: InputPart) -> Path:
        """The labels file of ``part`` in the staging folder."""
        return self.path / "labels" / f"part-{part.index:05d}-{part.key[:12]}.parquet"

    def _ok(self, part: InputPart) -> Path:
        return self.part_file(part).with_suffix(".ok")

    def done(self, part: InputPart) -> bool:
        """Whether ``part`` was finished by this or an earlier attempt: its file matches its ``.ok`` sidecar."""
        file, ok = self.part_file(part), self._ok(part)
        if not (file.is_file() and ok.is_file()):
            return False
        try:
            doc = json.loads(ok.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return bool(doc.get("rows") == part.rows and doc.get("sha256") == file_sha256(file))

    def result(self, part: InputPart) -> PartResult:
        """The :class:`PartResult` of a finished part (from its sidecar)."""
        doc = json.loads(self._ok(part).read_text(encoding="utf-8"))
        return PartResult(part.index, f"labels/{self.part_file(part).name}", int(doc["rows"]), str(doc["sha256"]))

    def write_part(self, part: InputPart, table: pa.Table) -> PartResult:
        """Write a part's labels (atomically: a temporary file renamed) and then its ``.ok`` sidecar.

        Raises
        ------
        DataError
            When the table does not hold one row per input row of the part.
        """
        import pyarrow.parquet as pq

        if table.num_rows != part.rows:
            raise DataError(f"{part.path}: {table.num_rows} labels for {part.rows} rows; the part changed during the "
                            "run: run again")
        file = self.part_file(part)
        tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, file)
        digest = file_sha256(file)
        ok_tmp = self._ok(part).with_name(f".{file.stem}.{os.getpid()}.ok.tmp")
        ok_tmp.write_text(json.dumps({"rows": table.num_rows, "sha256": digest, "key": part.key}), encoding="utf-8")
        os.replace(ok_tmp, self._ok(part))
        return PartResult(part.index, f"labels/{file.name}", table.num_rows, digest)

    def commit(self, parts: Sequence[InputPart], info: dict[str, Any]) -> Path:
        """Publish the staged run: ``manifest.json`` (parts: file, rows, sha256; total rows; ``info``: engine, LF
        ids, model...) and ``_SUCCESS``, moved to ``runs/<task>/<run_id>/``; ``latest`` points at it.

        Raises
        ------
        DataError
            When a part is not finished (nothing is published).
        """
        missing = [p.path for p in parts if not self.done(p)]
        if missing:
            raise DataError(f"cannot commit run {self.run_id}: {len(missing)} part(s) unfinished, e.g. {missing[:3]}; "
                            "run again to finish them")
        results = [self.result(p) for p in parts]
        for part in parts:
            self._ok(part).unlink()
        manifest = {"run_id": self.run_id, "task": self.task, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                     time.gmtime()),
                    "rows": sum(r.rows for r in results), "parts": [asdict(r) for r in results], **info}
        (self.path / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        (self.path / "_SUCCESS").write_text("", encoding="utf-8")
        target = self.final_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        os.replace(self.path, target)  # (one rename: the run is published whole, or not at all)
        point_latest(self.out_dir, target)
        from weaksup.interrupt import note_publish

        note_publish(str(target), "published")  # a stop from now on says the run was published
        return target

    def abandon(self) -> None:
        """Remove the staging folder (finished parts are lost: only for a run that must not be resumed)."""
        shutil.rmtree(self.path, ignore_errors=True)


def point_latest(out_dir: Path, target: Path) -> None:
    """``<out_dir>/latest`` -> ``target`` (a relative symbolic link replaced atomically; a ``LATEST`` file naming
    the run's relative path where links fail)."""
    relative = os.path.relpath(target, out_dir)
    link = out_dir / "latest"
    tmp = out_dir / f".latest.{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(relative, tmp)
        os.replace(tmp, link)
    except OSError:
        (out_dir / "LATEST").write_text(relative + "\n", encoding="utf-8")
        return
    (out_dir / "LATEST").write_text(relative + "\n", encoding="utf-8")
