"""Feature extractors for media and the shared machinery around them: content keys, the cached :func:`extract`,
the :func:`media_preprocessor` for ``pre=[...]`` and the :func:`require` import guard.

A :class:`FeatureExtractor` turns one item -- whatever sits in a row's field: a path, an array, bytes -- into a 1-D
float32 vector with one value per name in ``names``. Its ``id`` names the extractor, its parameters and its code
version ("image-hog@1:size=64,orient=9"), so editing any of them recomputes its vectors.

Vectors are cached on disk by ``(extractor.id, content key)`` in the store of the text embeddings
(:class:`~weaksup.embed.EmbeddingCache`, one SQLite file, ``$WEAKSUP_EMBED_CACHE``). The content key hashes the
file's bytes, not its path: a moved or copied file reuses its vectors, an edited one gets new ones.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from weaksup.embed.cache import EmbeddingCache, cached_vectors
from weaksup.errors import DataError, MissingExtraError, ParameterError, WeakSupError
from weaksup.errors import require as require_extra
from weaksup.lf.rows import is_missing

__all__ = ["FeatureExtractor", "check_extractor", "check_kinds", "content_key", "content_keys", "extract",
           "extract_rows", "is_absent", "missing_path_hint", "require", "resolve_item", "truncated_wav"]

#: Items per call of the extractor loop (and per progress-bar step and cache write).
BATCH = 256
_CHUNK = 1 << 20


@runtime_checkable
class FeatureExtractor(Protocol):
    """One item -> a 1-D float32 vector of ``len(names)`` values.

    Attributes
    ----------
    id : str
        Stable; changes when a parameter or the code version changes (the cache key of its vectors).
    names : tuple of str
        One name per output value (the preprocessor's column names end with them).

    Notes
    -----
    An extractor may also have ``check_items(items)``: :func:`extract_rows` (so :func:`extract`,
    ``media_preprocessor`` and ``affinity_lf``) calls it with every distinct item of a call (content key -> item)
    before any vector is computed or read from the cache, e.g. to warn about items whose features cannot be
    compared (:meth:`weaksup.media.audio.AudioFeatures.check_items`: recordings at different sampling rates).
    """

    id: str
    names: tuple[str, ...]

    def __call__(self, item: Any) -> np.ndarray:
        """The item's feature vector, shape ``(len(names),)``."""
        ...


def require(module: str, extra: str, what: str | None = None) -> Any:
    """Import an optional module, or raise :class:`~weaksup.errors.MissingExtraError` (an ``ImportError``)
    saying which extra installs it (:func:`weaksup.errors.require`).

    Parameters
    ----------
    module : str
        The module to import (``"skimage.feature"``, ``"librosa"``).
    extra : str
        The weaksup extra that installs it (``"image"``, ``"audio"``).
    what : str, optional
        What needs it, for the message (default: "weaksup[<extra>] features").

    Examples
    --------
    >>> require("numpy", "image").__name__
    'numpy'
    >>> require("no_such_module_xyz", "image")
    Traceback (most recent call last):
    ...
    weaksup.errors.MissingExtraError: weaksup[image] features need the Python package 'no_such_module_xyz', which is not installed: pip install "weaksup[image]"
    """
    try:
        return require_extra(module, extra, what or f"weaksup[{extra}] features")
    except MissingExtraError as exc:  # (the media docs and messages quote the extra with double quotes)
        exc.args = (exc.args[0].replace(f"'weaksup[{extra}]'", f'"weaksup[{extra}]"'),)
        raise


def resolve_item(item: Any, root: str | os.PathLike[str] | None = None) -> Any:
    """The item an extractor reads: a relative path joined to ``root`` (when given); anything else as it is.

    Examples
    --------
    >>> str(resolve_item("a/b.png", "/data")), resolve_item(b"raw", "/data")
    ('/data/a/b.png', b'raw')
    """
    if root is not None and isinstance(item, (str, os.PathLike)) and not Path(item).is_absolute():
        return Path(root) / item
    return item


def missing_path_hint(item: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """Where a file path that was not found was looked for (`` (under ...)``, or ``""`` for an absolute path)
    and the fix: with ``root`` given, the folder searched with root applied, and "fix the path or root=";
    without, the working folder and "give root=".

    Examples
    --------
    >>> where, fix = missing_path_hint("a.wav", "/data/snd")
    >>> where
    " (under root= '/data/snd', as '/data/snd/a.wav')"
    >>> fix
    'fix the path in the row, or change root= if the files are in another folder'
    >>> missing_path_hint("/data/a.wav", "/data/snd")
    ('', 'fix the path in the row')
    """
    path = Path(item)
    if path.is_absolute():
        return "", "fix the path in the row"
    if root is not None:
        base = Path(os.path.abspath(root))
        return (f" (under root= {str(base)!r}, as {str(base / path)!r})",
                "fix the path in the row, or change root= if the files are in another folder")
    return (f" (relative paths are read from {Path.cwd()}: no root= given)",
            "fix the path in the row, or give root= (the folder the paths are relative to)")


def content_key(item: Any, *, field: str = "item", root: str | os.PathLike[str] | None = None) -> bytes:
    """The 16-byte key of an item's content (BLAKE2b): a file's bytes, raw bytes, or an array's dtype, shape and data.

    A path and the bytes of its file share a key; the path string itself is never hashed, so a moved file keeps
    its key and an edited one gets a new key. A missing file or an item of another type is a ``DataError``.

    Examples
    --------
    >>> a = np.zeros((2, 2), dtype=np.uint8)
    >>> content_key(a) == content_key(a.copy()), content_key(a) == content_key(a.astype(np.float32))
    (True, False)
    >>> content_key(b"abc") == content_key(bytearray(b"abc")), len(content_key(b"abc"))
    (True, 16)
    """
    digest = hashlib.blake2b(digest_size=16)
    given, item = item, resolve_item(item, root)
    if isinstance(item, (str, os.PathLike)):
        path = Path(item)
        try:
            with path.open("rb") as handle:
                digest.update(b"bytes:")
                for chunk in iter(lambda: handle.read(_CHUNK), b""):
                    digest.update(chunk)
        except OSError as exc:
            where, fix = missing_path_hint(given, root)
            raise DataError(f"{field} {str(given)!r}: cannot read the file{where}: {exc.strerror or exc}; {fix}, "
                            f"or drop the row") from exc
        return digest.digest()
    if isinstance(item, (bytes, bytearray, memoryview)):
        digest.update(b"bytes:")
        digest.update(bytes(item))
        return digest.digest()
    if is_missing(item):
        raise DataError(f"{field}: an item is missing (None/NaN); give a path, an array or bytes, or drop the row")
    try:
        array = np.ascontiguousarray(np.asarray(item))
    except Exception as exc:  # noqa: BLE001 - anything that is not array-like: say what it is
        raise DataError(f"{field}: cannot read an item of type {type(item).__name__}; give a file path, bytes or an "
                        f"array") from exc
    if array.dtype == object:
        raise DataError(f"{field}: cannot read an item of type {type(item).__name__} ({str(item)[:60]!r}); give a "
                        f"file path, bytes or a numeric array")
    digest.update(f"array:{array.dtype.str}:{array.shape}:".encode())
    digest.update(array.tobytes())
    return digest.digest()


def truncated_wav(head: bytes | str | os.PathLike[str], size: int | None = None) -> str:
    """Why a RIFF/WAVE file is cut short (``""`` when whole or not a WAV): its ``data`` chunk declares more bytes
    than the file holds. Decoders read such a file up to the cut without an error, so the header is checked.

    ``head`` is the file's bytes, their start (the chunks up to ``data``; ``size``: the file's length) or the file's
    path (its first 64 KiB are read). A streamed WAV's unknown length (0 or 0xFFFFFFFF) is taken as whole.

    Examples
    --------
    >>> header = b"RIFF" + (44).to_bytes(4, "little") + b"WAVE" + b"fmt " + (16).to_bytes(4, "little") + bytes(16)
    >>> truncated_wav(header + b"data" + (8).to_bytes(4, "little") + bytes(8))
    ''
    >>> truncated_wav(header + b"data" + (8).to_bytes(4, "little") + bytes(3))
    'a truncated WAV: its header declares 8 bytes of samples but the file holds 3'
    """
    if isinstance(head, (str, os.PathLike)):
        with open(head, "rb") as handle:
            return truncated_wav(handle.read(1 << 16), os.fstat(handle.fileno()).st_size)
    head = bytes(head)
    at = 12 if head[:4] == b"RIFF" and head[8:12] == b"WAVE" else len(head)
    while at + 8 <= len(head):
        chunk, declared = head[at:at + 4], int.from_bytes(head[at + 4:at + 8], "little")
        if chunk == b"data":
            held = (len(head) if size is None else size) - at - 8
            if held >= declared or declared in (0, 0xFFFFFFFF):
                return ""
            return f"a truncated WAV: its header declares {declared:,} bytes of samples but the file holds {held:,}"
        at += 8 + declared + (declared & 1)  # chunks are word-aligned
    return ""


def check_extractor(extractor: Any) -> FeatureExtractor:
    """``extractor`` if it has a non-empty ``id``, non-empty ``names`` and is callable, else a ``ParameterError``.

    Examples
    --------
    >>> check_extractor(len)
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: a feature extractor needs an 'id' (a non-empty string), 'names' (a non-empty tuple of column names) and a call item -> vector; got builtin_function_or_method
    """
    ok = (callable(extractor) and isinstance(getattr(extractor, "id", None), str) and extractor.id
          and isinstance(getattr(extractor, "names", None), tuple) and len(extractor.names) > 0)
    if not ok:
        raise ParameterError(f"a feature extractor needs an 'id' (a non-empty string), 'names' (a non-empty tuple of "
                             f"column names) and a call item -> vector; got {type(extractor).__name__}")
    return extractor  # type: ignore[no-any-return]


def _vectors(extractor: FeatureExtractor, items: list[Any], field: str) -> np.ndarray:
    d = len(extractor.names)
    out = np.empty((len(items), d), dtype=np.float32)
    for i, item in enumerate(items):
        try:
            vector = np.asarray(extractor(item), dtype=np.float32)
        except WeakSupError:
            raise
        except ImportError as exc:  # a missing extra is no fault of the row: it stops the run, fault-tolerant or not
            exc.stops_run = True  # type: ignore[attr-defined]
            raise
        except Exception as exc:  # noqa: BLE001 - an unreadable item: name it and the fix
            shown = str(item) if isinstance(item, (str, os.PathLike)) else f"a {type(item).__name__}"
            raise DataError(f"{field} {shown!r}: {extractor.id} cannot read it ({type(exc).__name__}: {exc}); check "
                            f"that it is a valid file of the right kind, or drop the row") from exc
        if vector.shape != (d,):
            raise ParameterError(f"feature extractor {extractor.id!r} returned shape {vector.shape}; it must return "
                                 f"a 1-D vector of {d} values (one per name)")
        out[i] = vector
    return out


def is_absent(item: Any) -> bool:
    """True for an item a row does not have: ``None``, NaN, ``pandas.NA`` or ``""``.

    Examples
    --------
    >>> is_absent(None), is_absent(""), is_absent("a.png"), is_absent(np.zeros(2))
    (True, True, False, False)
    """
    return (not isinstance(item, np.ndarray) and is_missing(item)) or (isinstance(item, str) and not item)


def content_keys(items: Sequence[Any], *, field: str = "item",
                 root: str | os.PathLike[str] | None = None) -> list[bytes | None]:
    """The :func:`content_key` of each item (``None`` for an absent one: see :func:`is_absent`).

    Examples
    --------
    >>> keys = content_keys([b"a", None, b"a"])
    >>> keys[0] == keys[2], keys[1]
    (True, None)
    """
    return [None if is_absent(item) else content_key(item, field=field, root=root) for item in items]


def extract_rows(items: Sequence[Any], extractor: FeatureExtractor, *, field: str = "item",
                 cache: EmbeddingCache | None | bool = None, root: str | os.PathLike[str] | None = None,
                 progress: bool | None = None,
                 keys: Sequence[bytes | None] | None = None) -> tuple[np.ndarray, list[bytes | None]]:
    """Like :func:`extract`, but a missing item (``None``, NaN, ``""``) gives a row of NaN and a ``None`` key.

    Returns ``(vectors, keys)``: the ``(n, d)`` float32 vectors and each item's content key. ``keys`` (from
    :func:`content_keys`) saves reading the files again when they are known.

    Examples
    --------
    >>> class Stats:
    ...     id, names = "stats@1", ("mean", "max")
    ...     def __call__(self, item):
    ...         return np.array([np.mean(item), np.max(item)], dtype=np.float32)
    >>> vectors, keys = extract_rows([np.ones(3), None], Stats(), cache=False)
    >>> vectors.tolist(), keys[1]
    ([[1.0, 1.0], [nan, nan]], None)
    """
    extractor = check_extractor(extractor)
    if keys is None:
        keys = content_keys(items, field=field, root=root)
    elif len(keys) != len(items):
        raise ParameterError(f"extract_rows: {len(keys)} keys for {len(items)} items; pass one key per item")
    listed: list[bytes | None] = list(keys)
    present = [i for i, key in enumerate(listed) if key is not None]
    present_keys = [key for key in listed if key is not None]
    sources: dict[bytes, Any] = {}
    for i, key in zip(present, present_keys):
        sources.setdefault(key, resolve_item(items[i], root))
    check = getattr(extractor, "check_items", None)
    if sources and callable(check):  # (cached items too: what they are compared with may be new)
        check(sources)
    out = np.full((len(items), len(extractor.names)), np.nan, dtype=np.float32)
    if present:
        found = cached_vectors(extractor.id, present_keys, sources,
                               lambda chunk: _vectors(extractor, chunk, field), cache=cache, batch_size=BATCH,
                               progress=progress, desc=f"{field} features ({extractor.id})", unit="item")
        out[present] = found
    return out, listed


def extract(items: Sequence[Any], extractor: FeatureExtractor, *, cache: EmbeddingCache | None | bool = None,
            progress: bool | None = True, field: str = "item",
            root: str | os.PathLike[str] | None = None) -> np.ndarray:
    """``(len(items), len(extractor.names))`` float32 features, computed once per distinct content.

    Parameters
    ----------
    items : sequence
        Paths (str or Path), arrays or bytes; relative paths are read from ``root`` (default: the working folder).
    extractor : FeatureExtractor
    cache : EmbeddingCache, optional
        Default: the shared disk cache (:func:`~weaksup.embed.default_cache`); ``False``: none (each distinct
        content is still computed once per call).
    progress : bool, default True
        A progress bar while computing (``None``: only for more than one batch of 256).
    field : str, default "item"
        The row field the items come from, named in error messages.
    root : str or Path, optional

    Raises
    ------
    DataError
        A missing item, a file that cannot be read or that the extractor cannot decode (naming the field, the item
        and the fix).
    ImportError
        The extractor needs a package that is not installed (its message names the extra to install). It is raised
        as it is, never turned into a fault of the row, and marked ``stops_run``: a run stops on it even with
        ``lfs.fault_tolerant = true``.

    Examples
    --------
    >>> calls = []
    >>> class Stats:
    ...     id, names = "stats@1", ("mean", "max")
    ...     def __call__(self, item):
    ...         calls.append(1)
    ...         return np.array([np.mean(item), np.max(item)], dtype=np.float32)
    >>> a = np.arange(4.0)
    >>> extract([a, a.copy(), np.ones(2)], Stats(), cache=EmbeddingCache(":memory:")).tolist()
    [[1.5, 3.0], [1.5, 3.0], [1.0, 1.0]]
    >>> len(calls)  # two distinct contents
    2
    """
    for item in items:
        if is_absent(item):
            raise DataError(f"{field}: an item is missing (None/NaN/empty); give a path, an array or bytes, or drop "
                            f"the row")
    vectors, _ = extract_rows(items, extractor, field=field, cache=cache, root=root, progress=progress)
    return vectors


def check_kinds(kinds: str | Sequence[str], known: Sequence[str], owner: str) -> tuple[str, ...]:
    """The feature groups an extractor computes, checked (distinct, known, at least one), in ``known``'s order.

    Examples
    --------
    >>> check_kinds(["b", "a"], ("a", "b", "c"), "Features")
    ('a', 'b')
    >>> check_kinds("d", ("a", "b"), "Features")
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: Features(kinds='d'): give distinct kinds out of ['a', 'b'] (['d'] unknown)
    """
    chosen = [kinds] if isinstance(kinds, str) else list(kinds)
    unknown = [k for k in chosen if k not in known]
    if not chosen or unknown or len(set(chosen)) != len(chosen):
        raise ParameterError(f"{owner}(kinds={kinds!r}): give distinct kinds out of {list(known)}"
                             + (f" ({unknown} unknown)" if unknown else ""))
    return tuple(k for k in known if k in chosen)
