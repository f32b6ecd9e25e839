"""The votes of a run, saved chunk by chunk in ``<run dir>/votes/`` so that runs resume and reuse them."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from weaksup._io import atomic_path
from weaksup.labels import LabelSpace
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from weaksup.lf.core import LabelingFunction

logger = logging.getLogger(__name__)

#: The ``format`` of ``votes/index.json``.
INDEX_FORMAT = "weaksup.VoteParts"


@dataclass(frozen=True)
class SavedPart:
    """A saved chunk of votes: its vote columns by LF id, fault and timeout counts, duplicate keys."""

    columns: dict[str, np.ndarray]
    faults: dict[str, int]
    timeouts: dict[str, int]
    text_hash: np.ndarray
    loose_hash: np.ndarray


class VoteStore:
    """The votes of a run, one file per chunk in ``<run dir>/votes/`` plus ``index.json``.

    A chunk's file holds a column per LF ``name@version``; a later run with the same input
    reuses every column whose LF is unchanged (and so resumes a killed run).

    Examples
    --------
    >>> import tempfile
    >>> store = VoteStore(Path(tempfile.mkdtemp()), {"files": []})
    >>> store.done, len(store.key)
    (0, 16)
    """

    def __init__(self, folder: Path, identity: dict[str, Any], *, reuse: bool = True) -> None:
        self.folder = folder
        self.key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        self.parts: list[dict[str, Any]] = []
        index = folder / "index.json"
        if reuse and index.exists():
            try:
                doc = json.loads(index.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("%s is unreadable (%s); recomputing every chunk", index, exc)
                doc = {}
            if doc.get("key") == self.key:
                self.parts = list(doc.get("parts", []))
            elif doc:
                logger.info("the input or its cleaning changed since the saved votes; recomputing every chunk")

    @property
    def done(self) -> int:
        """The number of saved chunks."""
        return len(self.parts)

    @property
    def part_rows(self) -> list[int]:
        """The rows of each saved chunk, in order."""
        return [int(p["rows"]) for p in self.parts]

    def get(self, i: int, ids: pa.Array) -> SavedPart | None:
        """The saved part ``i`` if it holds exactly these rows, else None."""
        import pyarrow.parquet as pq

        if i >= len(self.parts):
            return None
        entry = self.parts[i]
        if entry["rows"] != len(ids) or entry["first_id"] != ids[0].as_py() or entry["last_id"] != ids[-1].as_py():
            return None
        path = self.folder / entry["file"]
        try:
            table = pq.read_table(path)
            meta = json.loads(table.schema.metadata[b"weaksup"])
            keys = np.load(path.with_suffix(".keys.npy"), allow_pickle=False)
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            logger.warning("saved votes %s are unreadable (%s); recomputing that chunk", path, exc)
            return None
        columns = {name: table.column(name).to_numpy() for name in table.column_names if name != "row_id"}
        return SavedPart(columns, meta.get("faults", {}), meta.get("timeouts") or {}, keys[0], keys[1])

    def write_part(self, i: int, ids: pa.Array, values: np.ndarray, lfs: list[LabelingFunction], label_space: LabelSpace,
                   faults: dict[str, int], timeouts: dict[str, int], text_hash: np.ndarray,
                   loose_hash: np.ndarray) -> dict[str, Any]:
        """Save part ``i`` atomically as a VoteMatrix Parquet file (plus its duplicate keys); returns its
        index entry for :meth:`record`. Safe to call for different parts from different threads."""
        import pyarrow.parquet as pq

        name = f"part-{i:05d}.parquet"
        meta = VoteMatrix(np.zeros((0, len(lfs)), np.int8), lf_names=[lf.name for lf in lfs],
                          lf_versions=[lf.version for lf in lfs], label_space=label_space, faults=faults,
                          timeouts=timeouts).metadata()
        columns = {"row_id": ids, **{lf.lf_id: pa.array(values[:, j]) for j, lf in enumerate(lfs)}}
        table = pa.table(columns).replace_schema_metadata({"weaksup": json.dumps(meta)})
        with atomic_path(self.folder / name) as tmp:
            pq.write_table(table, tmp, compression="lz4")
        with atomic_path(self.folder / f"part-{i:05d}.keys.npy") as tmp:
            np.save(tmp, np.stack([text_hash, loose_hash]), allow_pickle=False)
        return {"file": name, "rows": len(ids), "first_id": ids[0].as_py(), "last_id": ids[-1].as_py(),
                "lf_ids": [lf.lf_id for lf in lfs]}

    def record(self, i: int, entry: dict[str, Any]) -> None:
        """Index a written part (in chunk order: a run killed later resumes after the last indexed part)."""
        if i < len(self.parts):
            self.parts[i] = entry
        else:
            self.parts.append(entry)
        self._write_index()

    def truncate(self, n_parts: int) -> None:
        """Forget parts beyond the input's last chunk (the input got shorter)."""
        for entry in self.parts[n_parts:]:
            (self.folder / entry["file"]).unlink(missing_ok=True)
            (self.folder / entry["file"]).with_suffix(".keys.npy").unlink(missing_ok=True)
        if len(self.parts) > n_parts:
            del self.parts[n_parts:]
            self._write_index()

    def row_ids(self, i: int) -> pa.Array:
        """The row ids of saved part ``i``."""
        import pyarrow.parquet as pq

        return pq.read_table(self.folder / self.parts[i]["file"], columns=["row_id"]).column("row_id").combine_chunks()

    def _write_index(self) -> None:
        with atomic_path(self.folder / "index.json") as tmp:
            tmp.write_text(json.dumps({"format": INDEX_FORMAT, "key": self.key, "parts": self.parts},
                                      indent=1), encoding="utf-8")
