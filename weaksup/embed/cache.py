"""The vector cache: vectors on disk keyed by (model id, content key), shared by every consumer.

Texts (:func:`embed`: the key hashes the normalised text) and media (:func:`weaksup.media.extract`: the key hashes
the file's or array's content) share one rule, :func:`cached_vectors`, and one store, :class:`EmbeddingCache`.

:func:`embed` is the entry point for texts: it normalises them as ``weaksup run`` cleans them (:func:`normalise_texts`:
NFKC, byte-order marks and zero-width characters dropped, whitespace runs to one space, stripped), so a raw text and
its cleaned form share one vector; it looks each distinct text up in the cache, computes only the missing ones in
batches (with a progress bar) and stores them. Embedding the same texts twice -- in one call, in two LFs, in two
runs, raw or cleaned -- computes them once.

The cache is one SQLite file (``$WEAKSUP_EMBED_CACHE``, ``~`` expanded, else ``~/.cache/weaksup/embeddings.sqlite``;
a folder or a path that cannot be opened stops the run with an error naming it): a row per (model id, 16-byte text
hash) holding the float32 vector. 100k MiniLM vectors take about 160 MB.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weaksup.data.clean import CLEANING_VERSION, clean_texts
from weaksup.embed.embedder import get_embedder

logger = logging.getLogger(__name__)

__all__ = ["TEXT_KEY_VERSION", "EmbeddingCache", "cached_vectors", "default_cache", "embed", "normalise_text",
           "normalise_texts", "resolve_cache", "text_key"]

_SPACES = re.compile(r"\s+")
#: The rule from a text to its key (:func:`normalise_texts`), in the parameters (so the versions) of the LFs that
#: recognise a row by its text: a change to it recomputes their saved votes. 2: the cleaning of ``weaksup run``
#: (NFKC, byte-order marks and zero-width characters dropped) was not applied before, so a cleaned row missed its
#: own example; it follows the cleaning rules' version. A vector is stored under the hash of the very text it was
#: computed from, so vectors stored under rule 1 are still right and are reused.
TEXT_KEY_VERSION = f"2.{CLEANING_VERSION}"
#: Texts per call of the embedder (and per progress-bar step).
BATCH = 1024
#: Keys per SQLite query (below SQLite's variable limit).
_QUERY = 900


def normalise_texts(texts: Iterable[Any]) -> list[str]:
    """The texts embeddings are computed from and keyed by; missing values are "".

    The rule is :func:`weaksup.data.clean.clean_texts` (what ``weaksup run`` does to a text before the LFs see it:
    NFKC, zero-width characters and byte-order marks dropped, whitespace runs to one space, trimmed), then any
    whitespace run left (e.g. a line separator) as one space. So a raw text (a gold file, the Workbench) and its
    cleaned form have one key: one vector in the cache, and a row is recognised as its own example. Cleaning is
    applied twice (dropping a zero-width character can bring a letter and an accent together, which a second NFKC
    composes), so cleaning a text first never changes its key.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_texts(["  Buy\\n now\\ufeff ", "\\ufb01ne", None, pd.NA, 42])
    ['Buy now', 'fine', '', '', '42']
    """
    values = [None if _missing(t) else str(t) for t in texts]
    return [_SPACES.sub(" ", t).strip() if t else "" for t in clean_texts(clean_texts(values))]


def normalise_text(text: Any) -> str:
    """The text an embedding is computed from (:func:`normalise_texts` of one text); missing is "".

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_text("  Buy\\n now  "), normalise_text("Buy now\\ufeff"), normalise_text(None), normalise_text(pd.NA)
    ('Buy now', 'Buy now', '', '')
    """
    return normalise_texts([text])[0]


def _missing(text: Any) -> bool:
    return text is None or (isinstance(text, float) and text != text) or type(text).__name__ in ("NAType", "NaTType")


def text_key(normalised: str) -> bytes:
    """The 16-byte cache key of a normalised text (BLAKE2b).

    Examples
    --------
    >>> len(text_key("hello")), text_key("hello") == text_key("hello")
    (16, True)
    """
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    """Vectors on disk by (model id, text key); safe across threads and processes (SQLite, WAL).

    Parameters
    ----------
    path : str or Path, optional
        The SQLite file; ``":memory:"`` keeps vectors for this object only. Default: ``$WEAKSUP_EMBED_CACHE``,
        else ``~/.cache/weaksup/embeddings.sqlite``.

    Examples
    --------
    >>> cache = EmbeddingCache(":memory:")
    >>> cache.put("m", [text_key("a")], np.ones((1, 3), dtype=np.float32))
    >>> found = cache.get("m", [text_key("a"), text_key("b")])
    >>> len(found), found[text_key("a")].tolist()
    (1, [1.0, 1.0, 1.0])
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        env = os.environ.get("WEAKSUP_EMBED_CACHE") if path is None else None
        if path is None:
            base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "weaksup" / "embeddings.sqlite"
            path = env or base
        self.path = str(path) if str(path) == ":memory:" else str(Path(path).expanduser())
        self._lock = threading.Lock()
        if self.path != ":memory:" and Path(self.path).is_dir():  # SQLite would open it, then fail on every query
            raise _unopenable(self.path, env, "it is a folder")
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, "
                               "dim INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID")
            self._conn.commit()
        except (OSError, sqlite3.Error) as exc:
            raise _unopenable(self.path, env, exc) from exc

    def get(self, model_id: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors of the keys that have one."""
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), _QUERY):
                chunk = list(keys[start:start + _QUERY])
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"SELECT key, dim, vec FROM vectors WHERE model = ? AND key IN ({marks})",
                                          [model_id, *chunk])
                for key, dim, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32, count=dim)
        return found

    def put(self, model_id: str, keys: Iterable[bytes], vectors: np.ndarray) -> None:
        """Store vectors (one row per key); keys already stored are left as they are."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = int(vectors.shape[1])
        with self._lock:
            self._conn.executemany("INSERT OR IGNORE INTO vectors (model, key, dim, vec) VALUES (?, ?, ?, ?)",
                                   ((model_id, key, dim, vec.tobytes()) for key, vec in zip(keys, vectors)))
            self._conn.commit()

    def count(self, model_id: str | None = None) -> int:
        """How many vectors are stored (for one model, or all)."""
        with self._lock:
            if model_id is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
            return int(self._conn.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", (model_id,)).fetchone()[0])

    def __reduce__(self) -> tuple[Any, ...]:  # to a worker process: the same file, opened there
        return (EmbeddingCache, (self.path,))

    def __repr__(self) -> str:
        return f"EmbeddingCache({self.path!r})"


def _unopenable(path: str, env: str | None, exc: BaseException | str) -> Exception:
    """The error for a cache file that cannot be opened: what, where (the variable when it named the file), the fix."""
    from weaksup.errors import ParameterError, stops_run

    where = f"WEAKSUP_EMBED_CACHE={env} names" if env else "the path"
    fix = ("set WEAKSUP_EMBED_CACHE to a file path in a writable folder (e.g. "
           f"{Path(path) / 'embeddings.sqlite' if Path(path).is_dir() else '~/.cache/weaksup/embeddings.sqlite'}), "
           "or unset it for the default") if env else "pass a file path in a writable folder, or \":memory:\""
    return stops_run(ParameterError(f"the embedding cache cannot be opened: {where} {path!r} ({exc}); {fix}"))


_DEFAULT: dict[str, EmbeddingCache] = {}
_DEFAULT_LOCK = threading.Lock()


def default_cache() -> EmbeddingCache:
    """The process's shared cache at the default path (re-read when ``$WEAKSUP_EMBED_CACHE`` changes).

    Examples
    --------
    >>> default_cache() is default_cache()
    True
    """
    key = os.environ.get("WEAKSUP_EMBED_CACHE", "")
    with _DEFAULT_LOCK:
        if key not in _DEFAULT:
            _DEFAULT[key] = EmbeddingCache()  # reads the variable itself: an error names it
        return _DEFAULT[key]


def resolve_cache(cache: EmbeddingCache | None | bool) -> EmbeddingCache | None:
    """The store a ``cache=`` argument names: ``None``/``True`` the :func:`default_cache`, ``False`` none.

    Examples
    --------
    >>> resolve_cache(False) is None, resolve_cache(None) is default_cache()
    (True, True)
    """
    if cache is None or cache is True:
        return default_cache()
    if cache is False:
        return None
    if not isinstance(cache, EmbeddingCache):
        from weaksup.errors import ParameterError

        raise ParameterError(f"cache must be an EmbeddingCache, None (the default cache) or False (no disk cache); "
                             f"got {type(cache).__name__}")
    return cache


def cached_vectors(model_id: str, keys: Sequence[bytes], sources: Mapping[bytes, Any],
                   compute: Callable[[list[Any]], np.ndarray], *, cache: EmbeddingCache | None | bool = None,
                   batch_size: int = BATCH, progress: bool | None = None, desc: str = "vectors",
                   unit: str = "item") -> np.ndarray:
    """``(len(keys), d)`` float32 vectors by content key, computing only the distinct keys the cache lacks.

    The one rule behind :func:`embed` (texts) and :func:`weaksup.media.extract` (images, recordings): look every
    distinct key up under ``model_id``, compute the missing ones in batches of ``batch_size`` with a progress bar,
    store them, and return one row per key (keys repeat: each distinct one is computed once).

    Parameters
    ----------
    model_id : str
        What computed the vectors (changes when the model, its parameters or its code change).
    keys : sequence of bytes
        One content key per output row.
    sources : mapping of key to item
        For each distinct key, the item ``compute`` receives.
    compute : callable
        ``list of items -> (n, d)`` array; raise a WeakSupError to report a bad item.
    cache, batch_size, progress
        As for :func:`embed` (``progress=None``: a bar when more than one batch is computed).
    desc, unit : str
        The progress bar's text.

    Examples
    --------
    >>> calls = []
    >>> def lengths(items):
    ...     calls.append(len(items))
    ...     return np.array([[len(i)] for i in items])
    >>> store = EmbeddingCache(":memory:")
    >>> keys = [text_key(t) for t in ["ab", "abc", "ab"]]
    >>> cached_vectors("len", keys, dict(zip(keys, ["ab", "abc", "ab"])), lengths, cache=store).ravel().tolist()
    [2.0, 3.0, 2.0]
    >>> _ = cached_vectors("len", keys, dict(zip(keys, ["ab", "abc", "ab"])), lengths, cache=store)
    >>> calls  # two distinct items, computed once; the second call read them back
    [2]
    """
    store = resolve_cache(cache)
    found: dict[bytes, np.ndarray] = {}
    with _model_lock(model_id):  # two LFs of one batch asking at once: the second finds the first's vectors
        distinct = list(dict.fromkeys(keys))
        if store is not None:
            found = store.get(model_id, distinct)
        missing = [k for k in distinct if k not in found]
        if missing:
            _compute(model_id, missing, sources, compute, found, store, batch_size, progress, desc, unit)
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)


def embed(texts: Sequence[Any] | np.ndarray, embedder: Any = None, *, cache: EmbeddingCache | None | bool = None,
          batch_size: int = BATCH, progress: bool | None = None) -> np.ndarray:
    """``(len(texts), d)`` float32 embeddings, computed only for distinct texts the cache lacks.

    Parameters
    ----------
    texts : sequence
        Texts (missing values embed as "").
    embedder : None, str, callable or Embedder
        See :func:`~weaksup.embed.get_embedder` (``None``: the bundled all-MiniLM-L6-v2).
    cache : EmbeddingCache, optional
        Default: :func:`default_cache`; ``False``: no disk cache (each distinct text still computed once per call).
    batch_size : int, default 1024
        Texts per call of the embedder.
    progress : bool, optional
        Show a progress bar; default: when more than one batch is computed.

    Examples
    --------
    >>> calls = []
    >>> def count_chars(texts):
    ...     calls.append(len(texts))
    ...     return [[len(t), t.count("a")] for t in texts]
    >>> cache = EmbeddingCache(":memory:")
    >>> from weaksup.embed.embedder import CallableEmbedder
    >>> counter = CallableEmbedder(count_chars, model_id="count_chars")  # it changes `calls`: its id is given
    >>> embed(["banana", " banana ", "kiwi"], counter, cache=cache).tolist()
    [[6.0, 3.0], [6.0, 3.0], [4.0, 0.0]]
    >>> _ = embed(["kiwi", "banana"], counter, cache=cache)
    >>> calls  # two distinct texts computed once; the second call computed nothing
    [2]
    """
    model = get_embedder(embedder)
    normalised = normalise_texts(texts)
    keys = [text_key(t) for t in normalised]
    distinct: dict[bytes, str] = dict(zip(keys, normalised))

    def encode(chunk: list[Any]) -> np.ndarray:
        vectors = np.asarray(model.encode(chunk), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(chunk):
            from weaksup.errors import ParameterError

            raise ParameterError(f"embedder {model.model_id!r} returned shape {vectors.shape} for {len(chunk)} "
                                 f"texts; it must return one vector per text, (n, d)")
        return vectors

    return cached_vectors(model.model_id, keys, distinct, encode, cache=cache, batch_size=batch_size,
                          progress=progress, desc=f"embedding ({model.model_id.split('@')[0]})", unit="text")


_MODEL_LOCKS: dict[str, threading.RLock] = {}


def _model_lock(model_id: str) -> threading.RLock:
    with _DEFAULT_LOCK:
        return _MODEL_LOCKS.setdefault(model_id, threading.RLock())


def _compute(model_id: str, missing: list[bytes], sources: Mapping[bytes, Any],
             compute: Callable[[list[Any]], np.ndarray], found: dict[bytes, np.ndarray], store: EmbeddingCache | None,
             batch_size: int, progress: bool | None, desc: str, unit: str) -> None:
    from tqdm.auto import tqdm

    show = progress if progress is not None else len(missing) > batch_size
    logger.info("computing %d %s vectors with %s (%d found in the cache)", len(missing), unit, model_id,
                len(found))
    with tqdm(total=len(missing), desc=desc, unit=unit, disable=not show) as bar:
        for start in range(0, len(missing), batch_size):
            chunk = missing[start:start + batch_size]
            vectors = np.asarray(compute([sources[k] for k in chunk]), dtype=np.float32)
            if vectors.ndim != 2 or len(vectors) != len(chunk):
                from weaksup.errors import ParameterError, stops_run

                raise stops_run(ParameterError(f"{model_id!r} returned shape {vectors.shape} for {len(chunk)} items; "
                                               "it must return one vector per item, (n, d)"))
            if not np.isfinite(vectors).all():
                from weaksup.errors import ParameterError, stops_run

                bad = int((~np.isfinite(vectors)).any(axis=1).sum())
                raise stops_run(ParameterError(f"{model_id!r} returned NaN or infinite values for {bad} of {len(chunk)} "
                                               "items (nothing of this batch was cached); fix the embedder"))
            if store is not None:
                store.put(model_id, chunk, vectors)
            found.update(zip(chunk, vectors))
            bar.update(len(chunk))
