"""The votes of a run, saved chunk by chunk in ``<run dir>/votes/`` so that runs resume and reuse them.

Saved state is verified before it is reused: each part's entry in ``votes/index.json`` holds the
sha256 of the part's bytes (and of its duplicate keys), taken from the very bytes written. A part
whose bytes, rows or votes do not match is recomputed, with a warning naming it; the recomputed
votes are those of ``--fresh``, so a damaged or edited part never changes the labels. An index
entry that leads outside ``votes/`` (``../``, an absolute path, a symlink) is never read nor
deleted: the run stops naming the entry and ``--fresh``. ``index.json`` names parts relative to
``votes/``, so a run folder can be moved or renamed and still reused.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa

from weaksup._io import atomic_path
from weaksup.errors import VoteMatrixError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.votes import VoteMatrix

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

#: The ``format`` of ``votes/index.json``.
INDEX_FORMAT = "weaksup.VoteParts"
#: The name of a vote part file (the only files an index entry may name, so none other is ever deleted).
PART_NAME = re.compile(r"part-[0-9]{5,}\.parquet")
#: The suffix of a part's duplicate-key file, beside its Parquet file.
KEYS_SUFFIX = ".keys.npy"
#: The vote space of a task type whose vote columns hold text cells, not class ids (a spans run: each LF's spans
#: per document, see :mod:`weaksup.spans.codec`); the task type decodes and checks them.
ENCODED_VOTES = LabelSpace(["(encoded)"])


class VoteColumn(Protocol):
    """A column of the vote matrix: an LF (classification), or one label of a multi-label LF."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def lf_id(self) -> str: ...


@dataclass(frozen=True)
class SavedPart:
    """A saved chunk of votes: its vote columns by LF id, fault and timeout counts, duplicate keys."""

    columns: dict[str, np.ndarray]
    faults: dict[str, int]
    timeouts: dict[str, int]
    text_hash: np.ndarray
    loose_hash: np.ndarray


def part_path(folder: Path, name: object) -> Path:
    """The file of a vote part named ``name`` in ``folder/index.json``, checked to resolve inside ``folder``.

    Parameters
    ----------
    folder : Path
        The run's ``votes/`` folder.
    name : object
        The entry's ``file`` as read from ``index.json``: a part's name (``part-00000.parquet``).

    Returns
    -------
    Path
        ``folder / name``.

    Raises
    ------
    VoteMatrixError
        When ``name`` is not a part's file name, or it (or its ``.keys.npy`` file) resolves outside ``folder``
        after following symlinks; nothing is read or deleted then.

    Examples
    --------
    >>> part_path(Path("votes"), "part-00000.parquet").as_posix()
    'votes/part-00000.parquet'
    >>> part_path(Path("votes"), "../../x/part-00000.parquet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.VoteMatrixError: votes/index.json: the part '../../x/part-00000.parquet' resolves to ..., outside ...
    """
    index = folder / "index.json"
    fix = (f"weaksup writes parts inside votes/ only, so {index} was edited or damaged; nothing was read or "
           f"deleted. Run with --fresh to recompute every chunk (it rewrites the index)")
    if not isinstance(name, str) or "\x00" in name or not PART_NAME.fullmatch(Path(name).name):
        raise VoteMatrixError(f"{index}: a part entry has the file {name!r}, not a vote part's name "
                              f"(part-NNNNN.parquet); {fix}")
    home = folder.resolve()
    path = folder / name
    for candidate in (path, path.with_suffix(KEYS_SUFFIX)):
        resolved = candidate.resolve()
        if resolved.parent != home:
            raise VoteMatrixError(f"{index}: the part {name!r} resolves to {str(resolved)!r}, outside {str(home)!r}"
                                  f"; {fix}")
    return path


def read_verified(folder: Path, entry: dict[str, Any], *, require_hash: bool = True) -> tuple[Path, bytes, bytes]:
    """The bytes of a saved part and of its duplicate keys, checked against the sha256 in its ``index.json`` entry.

    Parameters
    ----------
    folder : Path
        The run's ``votes/`` folder.
    entry : dict
        The part's entry in ``index.json`` (``file``, ``sha256``, ``keys_sha256``).
    require_hash : bool
        Refuse an entry without hashes (written by an older weaksup); else such a part is read unchecked.

    Returns
    -------
    (Path, bytes, bytes)
        The part's path, its bytes and its keys file's bytes.

    Raises
    ------
    VoteMatrixError
        Naming the part when it is outside ``folder``, unreadable, has no recorded hash (``require_hash``)
        or does not match it.
    """
    path = part_path(folder, entry.get("file"))
    keys_path = path.with_suffix(KEYS_SUFFIX)
    expected = (entry.get("sha256"), entry.get("keys_sha256"))
    hashed = all(isinstance(h, str) for h in expected)
    if require_hash and not hashed:
        raise VoteMatrixError(f"saved votes {path} have no content hash in {folder / 'index.json'} (written by an "
                              f"older weaksup), so they cannot be verified")
    try:
        data, keys_data = path.read_bytes(), keys_path.read_bytes()
    except OSError as exc:
        raise VoteMatrixError(f"saved votes {path} are unreadable ({exc})") from exc
    if hashed and (hashlib.sha256(data).hexdigest(), hashlib.sha256(keys_data).hexdigest()) != expected:
        raise VoteMatrixError(f"saved votes {path} (or {keys_path.name}) do not match the sha256 recorded in "
                              f"{folder / 'index.json'} when they were written: they changed since")
    return path, data, keys_data


def read_part(folder: Path, entry: dict[str, Any]) -> tuple[pa.Table, np.ndarray]:
    """Read a saved part and its duplicate keys, verified by :func:`read_verified`, for reuse by a run.

    Returns
    -------
    (pyarrow.Table, numpy.ndarray)
        The part's table (``row_id`` and a column per LF id) and its ``(2, rows)`` duplicate keys.

    Raises
    ------
    VoteMatrixError
        As :func:`read_verified` (hashes required), or when the part is not Parquet or holds another
        number of rows than its entry says.
    """
    import pyarrow.parquet as pq

    path, data, keys_data = read_verified(folder, entry)
    try:
        table = pq.read_table(path)  # verified above; Parquet read from bytes in memory may abort at exit (pyarrow 25)
        keys = np.load(io.BytesIO(keys_data), allow_pickle=False)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise VoteMatrixError(f"saved votes {path} are unreadable ({exc})") from exc
    rows = entry.get("rows")
    if table.num_rows != rows or keys.shape != (2, rows) or keys.dtype != np.uint64 \
            or "row_id" not in table.column_names:
        raise VoteMatrixError(f"saved votes {path} hold {table.num_rows} row(s) and keys of shape {keys.shape}; "
                              f"its chunk has {rows}")
    return table, keys


def load_part(folder: Path, entry: dict[str, Any]) -> VoteMatrix:
    """A finished run's saved part as a :class:`VoteMatrix` (for ``load_votes``), verified by its sha256
    when its entry has one; a :class:`VoteMatrixError` names the part and ``--fresh`` otherwise."""
    try:
        path, data, _ = read_verified(folder, entry, require_hash=False)
        return VoteMatrix.load(path, content=data)
    except VoteMatrixError as exc:
        if "--fresh" in str(exc):
            raise
        raise VoteMatrixError(f"{exc}; run again with --fresh to recompute the votes") from exc


def portable_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """``identity`` as ``votes/index.json`` records it (to name what changed on ``--resume``): the input files by
    name, size and sha256, no absolute path (a run folder moved elsewhere keeps its votes).

    Examples
    --------
    >>> portable_identity({"files": [["/data/a.csv", 10, 5]], "chunk_rows": 100})
    {'files': [['a.csv', 10, 5]], 'chunk_rows': 100}
    """
    files = [[Path(str(f[0])).name, *f[1:]] for f in identity.get("files", []) if isinstance(f, (list, tuple)) and f]
    return {**identity, "files": files} if "files" in identity else dict(identity)


class VoteStore:
    """The votes of a run, one file per chunk in ``<run dir>/votes/`` plus ``index.json``.

    A chunk's file holds a column per LF ``name@version``; a later run with the same input
    reuses every column whose LF is unchanged (and so resumes a killed run), once the part
    matches the sha256 its index entry recorded (else the chunk is recomputed).

    Examples
    --------
    >>> import tempfile
    >>> store = VoteStore(Path(tempfile.mkdtemp()), {"files": []})
    >>> store.done, len(store.key)
    (0, 16)
    """

    def __init__(self, folder: Path, identity: dict[str, Any], *, reuse: bool = True) -> None:
        self.folder, self.identity = folder, identity
        self.key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
        self.parts: list[dict[str, Any]] = []
        index = folder / "index.json"
        if reuse and index.exists():
            try:
                doc = json.loads(index.read_text(encoding="utf-8"))
                parts = doc.get("parts", []) if isinstance(doc, dict) else None
                if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
                    raise VoteMatrixError("not a weaksup vote index")
            except (OSError, ValueError) as exc:
                logger.warning("%s is unreadable (%s); recomputing every chunk", index, exc)
                doc, parts = {}, []
            if doc.get("key") == self.key:
                for entry in parts:  # before anything is read or deleted
                    part_path(folder, entry.get("file"))
                self.parts = list(parts)
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

    def get(self, i: int, ids: pa.Array, label_space: LabelSpace) -> SavedPart | None:
        """The saved part ``i`` if it holds exactly these rows and passes its checks, else None.

        A part that fails its checks (its sha256, its rows and row ids, votes outside ``label_space``) is
        logged as a warning naming it, and the caller recomputes the chunk.
        """
        if i >= len(self.parts):
            return None
        entry = self.parts[i]
        if entry.get("rows") != len(ids) or entry.get("first_id") != ids[0].as_py() \
                or entry.get("last_id") != ids[-1].as_py():
            return None  # the chunks are cut elsewhere now
        try:
            table, keys = read_part(self.folder, entry)
        except VoteMatrixError as exc:
            logger.warning("%s; recomputing that chunk (its votes are then those of --fresh)", exc)
            return None
        try:
            saved_ids = table.column("row_id").combine_chunks()
            if saved_ids.type != ids.type or not saved_ids.equals(ids):
                raise VoteMatrixError("its row ids are not those of its chunk of the input")
            meta = json.loads(table.schema.metadata[b"weaksup"])
            columns = {name: table.column(name).to_numpy() for name in table.column_names if name != "row_id"}
            check_saved_votes(columns, label_space)
            return SavedPart(columns, dict(meta.get("faults") or {}), dict(meta.get("timeouts") or {}),
                             keys[0], keys[1])
        except (ValueError, KeyError, TypeError, AttributeError, pa.ArrowException) as exc:
            logger.warning("saved votes %s: %s; recomputing that chunk (its votes are then those of --fresh)",
                           self.folder / entry["file"], exc)
            return None

    def write_part(self, i: int, ids: pa.Array, values: np.ndarray, lfs: Sequence[VoteColumn], label_space: LabelSpace,
                   faults: dict[str, int], timeouts: dict[str, int], text_hash: np.ndarray,
                   loose_hash: np.ndarray) -> dict[str, Any]:
        """Save part ``i`` atomically as a VoteMatrix Parquet file (plus its duplicate keys): a column per vote
        column of ``lfs`` (an LF, or a multi-label LF's column for one label); returns its
        index entry for :meth:`record`, with the sha256 of the bytes written. Safe to call for different
        parts from different threads. An ``OSError`` (a full disk) names the part, never a temporary file."""
        import pyarrow.parquet as pq

        name = f"part-{i:05d}.parquet"
        meta = VoteMatrix(np.zeros((0, len(lfs)), np.int8), lf_names=[lf.name for lf in lfs],
                          lf_versions=[lf.version for lf in lfs], label_space=label_space, faults=faults,
                          timeouts=timeouts).metadata()
        columns = {"row_id": ids, **{lf.lf_id: pa.array(values[:, j]) for j, lf in enumerate(lfs)}}
        table = pa.table(columns).replace_schema_metadata({"weaksup": json.dumps(meta)})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="lz4")
        data = sink.getvalue()
        keys = io.BytesIO()
        np.save(keys, np.stack([text_hash, loose_hash]), allow_pickle=False)
        self._write(name, data)
        self._write(f"part-{i:05d}{KEYS_SUFFIX}", keys.getbuffer())
        return {"file": name, "rows": len(ids), "first_id": ids[0].as_py(), "last_id": ids[-1].as_py(),
                "lf_ids": [lf.lf_id for lf in lfs], "sha256": hashlib.sha256(data).hexdigest(),
                "keys_sha256": hashlib.sha256(keys.getbuffer()).hexdigest()}

    def _write(self, name: str, data: Any) -> None:
        write_file(self.folder / name, data)

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
            path = part_path(self.folder, entry["file"])
            path.unlink(missing_ok=True)
            path.with_suffix(KEYS_SUFFIX).unlink(missing_ok=True)
        if len(self.parts) > n_parts:
            del self.parts[n_parts:]
            self._write_index()

    def row_ids(self, i: int) -> pa.Array:
        """The row ids of saved part ``i``."""
        import pyarrow.parquet as pq

        path = part_path(self.folder, self.parts[i]["file"])
        return pq.read_table(path, columns=["row_id"]).column("row_id").combine_chunks()

    def _write_index(self) -> None:
        with atomic_path(self.folder / "index.json") as tmp:
            tmp.write_text(json.dumps({"format": INDEX_FORMAT, "key": self.key, "identity": portable_identity(self.identity),
                                       "parts": self.parts},
                                      indent=1), encoding="utf-8")


def write_file(path: Path, data: Any) -> None:
    """Write ``data`` (bytes-like, serialized in memory) to ``path`` atomically with one file write.

    Writers that stream to a file report a full disk in their own words (numpy's ``N requested and M
    written``, with no file name); a plain write raises ``ENOSPC``/``EFBIG``, which
    :func:`~weaksup._io.atomic_path` reports naming ``path``, never the temporary file.
    """
    with atomic_path(path) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
        except OSError as exc:  # a write error carries no file name: give it the temporary one,
            raise OSError(exc.errno, exc.strerror or str(exc), str(tmp)) from exc  # atomic_path names ours


def check_saved_votes(columns: dict[str, np.ndarray], label_space: LabelSpace) -> None:
    """Raise ``ValueError`` naming the first LF column that is not integer votes in ``-1..len(label_space) - 1``
    (text cells when ``label_space`` is :data:`ENCODED_VOTES`).

    Examples
    --------
    >>> check_saved_votes({"a@1": np.array([0, 1, -1])}, LabelSpace(["ham", "spam"]))
    >>> check_saved_votes({"a@1": np.array([0, 7])}, LabelSpace(["ham", "spam"]))
    Traceback (most recent call last):
    ...
    weaksup.errors.VoteMatrixError: LF column 'a@1' holds votes 0..7, outside the label space (ids 0..1, or -1 to abstain)
    """
    for lf_id, column in columns.items():
        if label_space == ENCODED_VOTES:
            if column.dtype != object or not all(isinstance(cell, str) for cell in column):
                raise VoteMatrixError(f"LF column {lf_id!r} holds {column.dtype} values, not text cells")
            continue
        if not np.issubdtype(column.dtype, np.integer):
            raise VoteMatrixError(f"LF column {lf_id!r} holds {column.dtype} values, not integer votes")
        if len(column) and (int(column.min()) < ABSTAIN or int(column.max()) >= len(label_space)):
            raise VoteMatrixError(f"LF column {lf_id!r} holds votes {int(column.min())}..{int(column.max())}, outside "
                             f"the label space (ids 0..{len(label_space) - 1}, or {ABSTAIN} to abstain)")
