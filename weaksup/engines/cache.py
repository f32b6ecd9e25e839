"""The vote cache of recurring runs: one file per (part key, LF id) under ``<out_dir>/engine_votes/<settings>/``, so a
rerun votes only the new parts and the changed LFs' columns (and an LF that is not cacheable every time)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from weaksup.engines.batch import BatchSpec, InputPart, settings_key


class VoteCache:
    """Saved vote columns of a run's parts: ``get``/``put`` one (part, LF id) column, ``missing`` the LF ids a part
    still needs (never-cached ones included).

    Examples
    --------
    >>> import tempfile
    >>> cache = VoteCache(Path(tempfile.mkdtemp()), "s")
    >>> part = InputPart(0, "p.parquet", "k1", 2)
    >>> cache.put(part, "lf@1", np.array([0, -1], dtype=np.int8)); cache.missing(part, ["lf@1", "lf@2"], ())
    ['lf@2']
    >>> cache.get(part, "lf@1").tolist()
    [0, -1]
    """

    def __init__(self, root: Path, settings: str) -> None:
        self.root = Path(root) / settings

    @classmethod
    def of(cls, spec: BatchSpec, vote_dir: Path) -> VoteCache:
        """The cache of ``spec``'s settings (id/text columns, cleaning, labels) in ``vote_dir``."""
        return cls(vote_dir, settings_key(spec))

    def file(self, part: InputPart, lf_id: str) -> Path:
        """Where a column is saved."""
        name = hashlib.sha256(lf_id.encode()).hexdigest()[:20]
        return self.root / part.key[:32] / f"{name}.npy"

    def get(self, part: InputPart, lf_id: str) -> np.ndarray | None:
        """A saved column (None when absent or of another length)."""
        path = self.file(part, lf_id)
        try:
            column: np.ndarray = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return column if len(column) == part.rows else None

    def put(self, part: InputPart, lf_id: str, column: np.ndarray, faults: int = 0) -> None:
        """Save a column atomically (its LF's fault count first: the column's file is what marks it saved)."""
        path = self.file(part, lf_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        count = path.with_suffix(".faults")
        tmp_count = path.with_name(f".{path.stem}.{os.getpid()}.tmp.faults")
        tmp_count.write_text(str(int(faults)), encoding="utf-8")
        os.replace(tmp_count, count)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, np.asarray(column, dtype=np.int8), allow_pickle=False)
        os.replace(tmp, path)

    def faults(self, part: InputPart, lf_id: str) -> int:
        """The rows of ``part`` the LF faulted on (abstained, fault-tolerant) when its column was saved; 0 unknown."""
        try:
            return int(self.file(part, lf_id).with_suffix(".faults").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0

    def ids_file(self, part: InputPart) -> Path:
        """Where the 64-bit hashes of a part's row ids are saved (for the check that ids are unique across parts)."""
        return self.root / part.key[:32] / "ids.npy"

    def missing(self, part: InputPart, lf_ids: Sequence[str], uncacheable: Sequence[str], *,
                fault_tolerant: bool = True) -> list[str]:
        """The LF ids of ``part`` to compute: not saved, or not cacheable; without ``fault_tolerant`` also those
        saved with faults (a fault-tolerant run's abstains in place of the LF's errors: computed again, the LF's
        error stops the run as it stops a run without saved votes).

        Examples
        --------
        >>> import tempfile
        >>> cache = VoteCache(Path(tempfile.mkdtemp()), "s")
        >>> part = InputPart(0, "p.parquet", "k1", 2)
        >>> cache.put(part, "ok@1", np.array([0, -1], dtype=np.int8))
        >>> cache.put(part, "faulty@1", np.array([-1, 1], dtype=np.int8), faults=1)
        >>> lf_ids = ["ok@1", "faulty@1"]
        >>> cache.missing(part, lf_ids, ()), cache.missing(part, lf_ids, (), fault_tolerant=False)
        ([], ['faulty@1'])
        """
        never = set(uncacheable)
        return [i for i in lf_ids if i in never or not self.file(part, i).is_file()
                or not fault_tolerant and self.faults(part, i)]
