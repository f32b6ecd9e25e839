"""Fitted models as files: load one safely for a model-score LF, and save one beside an exported module.

Two formats. ``.skops`` (the safe one): :func:`skops.io.load` builds only the types skops trusts
(scikit-learn, numpy, scipy and Python built-ins); a file naming any other type is refused with the
types listed, unless the caller trusts them by name. ``.joblib``/``.pkl``/``.pickle``: unpickling runs
whatever code the file holds, so it is loaded only when the caller pins the file's SHA-256 and the file
matches it; the hash is checked *before* anything is unpickled.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weaksup._io import atomic_path
from weaksup.errors import LFDefinitionError
from weaksup.lf.identity import normalised_source
from weaksup.lf.model_versions import sklearn_versions_checked

logger = logging.getLogger(__name__)

__all__ = ["ADDRESS_ATTRIBUTES", "PICKLE_SUFFIXES", "SKOPS_SUFFIX", "ZIP_EPOCH", "LoadedModel", "SavedModelFile", "canonical_skops",
           "file_sha256", "load_model", "model_bytes", "model_fingerprint", "save_model", "untrusted_types"]

#: The safe format: loading it never runs code from the file.
SKOPS_SUFFIX = ".skops"
#: Pickle-based formats: loaded only with a pinned ``model_sha256``.
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a file, with the file's path and content hash (the LF version hashes ``sha256``)."""

    model: Any
    path: Path
    sha256: str
    trusted: tuple[str, ...] = ()



class SavedModelFile:
    """What an LF built on a model knows of the file it was loaded from (kept as ``_loaded``: a
    :class:`LoadedModel`, or absent for a model given in memory)."""

    @property
    def model_file(self) -> Path | None:
        """The file the model was loaded from (``None`` for a model given in memory)."""
        loaded = self.__dict__.get("_loaded")
        return loaded.path if loaded is not None else None

    @property
    def model_sha256(self) -> str | None:
        """The SHA-256 of :attr:`model_file` (hashed into the version), or ``None``."""
        loaded = self.__dict__.get("_loaded")
        return loaded.sha256 if loaded is not None else None

    def model_file_manifest(self) -> dict[str, Any]:
        """``model_file`` and ``model_sha256`` for the LF manifest (empty for a model given in memory)."""
        return {"model_file": str(self.model_file), "model_sha256": self.model_sha256} if self.model_file else {}

def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "m.bin"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _skops() -> Any:
    try:
        import skops.io as sio
    except ImportError as exc:  # pragma: no cover - skops is a dependency
        raise LFDefinitionError("reading or writing a .skops model needs skops: pip install 'skops>=0.10'") from exc
    return sio


def load_model(
    path: str | os.PathLike[str],
    *,
    model_sha256: str | None = None,
    trusted: Sequence[str] = (),
    lf_name: str = "",
) -> LoadedModel:
    """Read a fitted model from a ``.skops`` file, or from a joblib/pickle file whose SHA-256 is pinned.

    Parameters
    ----------
    path : path-like
        The model file (a relative path is relative to the working folder).
    model_sha256 : str, optional
        The SHA-256 the file must have. Required for pickle-based files (checked before unpickling);
        checked too for ``.skops`` files when given.
    trusted : sequence of str, optional
        For ``.skops`` files: type names (e.g. ``"mypkg.MyScaler"``) to build besides the ones skops
        trusts by default. Name only types whose code you trust.
    lf_name : str, optional
        The LF the model is for, named in errors.

    Returns
    -------
    LoadedModel

    Raises
    ------
    LFDefinitionError
        A missing file, an unknown suffix, a hash that does not match, a pickle without a pinned hash, a
        ``.skops`` file holding types not trusted (listed, with how to trust them), or an unreadable file.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> path = save_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), Path(tempfile.mkdtemp()) / "lr.skops")
    >>> loaded = load_model(path)
    >>> loaded.model.predict([[1.0]]).tolist(), loaded.sha256 == file_sha256(path)
    ([1], True)
    """
    path = Path(path)
    who = f"LF {lf_name!r}: model file {str(path)!r}" if lf_name else f"model file {str(path)!r}"
    suffix = path.suffix.lower()
    if suffix != SKOPS_SUFFIX and suffix not in PICKLE_SUFFIXES:
        raise LFDefinitionError(f"{who}: unknown model format {path.suffix!r}; save the model with skops "
                                f"(skops.io.dump(model, 'model.skops')), or give a joblib file ({', '.join(PICKLE_SUFFIXES)}) "
                                "with model_sha256=")
    if not path.is_file():
        raise LFDefinitionError(f"{who} does not exist (relative paths are relative to the working folder "
                                f"{os.getcwd()!r}); give the path of the saved model")
    digest = file_sha256(path)
    if model_sha256 is not None and model_sha256.strip().lower() != digest:
        raise LFDefinitionError(f"{who}: its SHA-256 is {digest}, not the pinned model_sha256={model_sha256!r}: the "
                                "file changed since the hash was pinned (or is not the file you meant). Nothing was "
                                "loaded. Put back the right file, or pin the new hash once you trust the new file")
    if suffix in PICKLE_SUFFIXES:
        if model_sha256 is None:
            raise LFDefinitionError(f"{who} is a pickle: loading it runs any code it holds, so weaksup loads it only "
                                    "with its content hash pinned: pass model_sha256='<sha256>' (pin it only for a "
                                    f"file you made or trust; this file's is {digest}), or save the model with skops "
                                    "(skops.io.dump(model, 'model.skops')) and give that file")
        import joblib

        with sklearn_versions_checked(who):  # one warning naming the file when another scikit-learn saved it
            return LoadedModel(joblib.load(path), path, digest)
    sio = _skops()
    from skops.io.exceptions import UntrustedTypesFoundException

    trusted = tuple(trusted)
    try:
        with sklearn_versions_checked(who):
            model = sio.load(path, trusted=list(trusted))
    except UntrustedTypesFoundException:
        extra = sorted(set(sio.get_untrusted_types(file=path)) - set(trusted))
        raise LFDefinitionError(f"{who} holds types skops does not trust: {extra}. Building them could run their "
                                f"code, so nothing was loaded. If you made this file or trust these types, pass "
                                f"trusted={extra!r}; otherwise rebuild the model from data") from None
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError, ImportError) as exc:
        raise LFDefinitionError(f"{who} is not a readable skops file ({type(exc).__name__}: {exc}); save the model "
                                "again with skops.io.dump(model, path)") from None
    return LoadedModel(model, path, digest, trusted)


def model_bytes(model: Any, lf_name: str = "") -> tuple[bytes, list[str]]:
    """A fitted model as the bytes of a compressed ``.skops`` file, and the types in it skops does not trust.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> data, untrusted = model_bytes(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))
    >>> data[:2], untrusted
    (b'PK', [])
    """
    sio = _skops()
    try:
        data = canonical_skops(sio.dumps(model, compression=zipfile.ZIP_DEFLATED, compresslevel=9))
    except (TypeError, NotImplementedError, ValueError, AttributeError) as exc:
        who = f"LF {lf_name!r}: " if lf_name else ""
        raise LFDefinitionError(f"{who}cannot save the model {type(model).__name__} with skops ({exc}): save it "
                                "yourself and build the LF from the file with model_score_lf(name, path, ...)") from None
    return data, list(sio.get_untrusted_types(data=data))


#: The time stamp of every member of a saved model's zip file (the earliest a zip file can hold).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Fitted attributes holding a memory address (scikit-learn's text vectorizers remember ``id(stop_words)`` to skip
#: checking them again; a loaded model's ``stop_words`` is a new object, so the saved address never matches).
ADDRESS_ATTRIBUTES = frozenset({"_stop_words_id"})


def canonical_skops(data: bytes) -> bytes:
    """The same ``.skops`` file with the same bytes whenever the same model is saved, in any process.

    skops names objects and array files by their memory address (``id()``) and stamps each zip member with the
    time of saving, so saving a model twice gave two files, two hashes, and two versions of the LF built on it
    (its votes computed again). The addresses are renumbered in order of appearance in ``schema.json`` (they
    only say which nodes are one object, which renumbering keeps), the addresses a model keeps itself
    (:data:`ADDRESS_ATTRIBUTES`) become 0, and every member is stamped :data:`ZIP_EPOCH`.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> model_bytes(model)[0] == model_bytes(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))[0]
    True
    """
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: (info, source.read(info)) for info in source.infolist()}
    numbers: dict[int, int] = {}

    def renumber(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    value = numbers.setdefault(value, len(numbers))
                elif key == "file" and isinstance(value, str) and value.endswith(".npy") and value[:-4].isdigit():
                    value = f"{numbers.setdefault(int(value[:-4]), len(numbers))}.npy"
                elif key in ADDRESS_ATTRIBUTES and isinstance(value, dict) and value.get("is_json"):
                    value = {**value, "content": "0"}  # an address no loaded object can have: checked again
                out[key] = renumber(value)
            return out
        if isinstance(node, list):
            return [renumber(item) for item in node]
        return node

    schema = renumber(json.loads(members["schema.json"][1]))
    renamed = {f"{numbers[int(name[:-4])]}.npy" if name.endswith(".npy") and name[:-4].isdigit()
               and int(name[:-4]) in numbers else name: member for name, member in members.items()}
    renamed["schema.json"] = (members["schema.json"][0], json.dumps(schema, indent=2).encode("utf-8"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(renamed):
            info, body = renamed[name]
            stamped = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            stamped.compress_type, stamped.external_attr = info.compress_type, info.external_attr
            target.writestr(stamped, body, compresslevel=9 if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return out.getvalue()


def save_model(model: Any, path: str | os.PathLike[str]) -> Path:
    """Save a fitted model as a compressed ``.skops`` file (written atomically) and return its path.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> save_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), Path(tempfile.mkdtemp()) / "lr.skops").suffix
    '.skops'
    """
    path = Path(path)
    if path.suffix.lower() != SKOPS_SUFFIX:
        raise LFDefinitionError(f"save_model writes skops files: give a {SKOPS_SUFFIX} path, not {str(path)!r}")
    data, _ = model_bytes(model)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def untrusted_types(path: str | os.PathLike[str]) -> list[str]:
    """The types in a ``.skops`` file that skops does not trust by default (loading needs ``trusted=`` them).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.linear_model import LogisticRegression
    >>> untrusted_types(save_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), Path(tempfile.mkdtemp()) / "m.skops"))
    []
    """
    return list(_skops().get_untrusted_types(file=Path(path)))


def model_fingerprint(model: Any) -> tuple[str, list[str]]:
    """A content hash of a model held in memory (its fitted state), and the parts of it that could not be hashed.

    Attributes are hashed by value, recursively: arrays by their bytes (a structured array field by field, never
    its padding), sets and dicts sorted, functions by their normalised source. An object without ``__dict__`` (a
    Cython type, such as a scikit-learn tree's ``tree_``) is hashed by the state it pickles (``__reduce_ex__``),
    never by its ``repr`` (which holds a memory address). So the hash is the same in every process, and two models
    fitted differently hash differently.

    Parameters
    ----------
    model : object
        A fitted model, or a function scoring a batch.

    Returns
    -------
    (str, list of str)
        The hash, and one line per part whose state could not be read (empty when all of it was hashed): an LF
        built on such a model is not cacheable.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> a = DecisionTreeClassifier(random_state=0).fit(X, [0, 0, 1, 1])
    >>> b = DecisionTreeClassifier(random_state=0).fit(X, [0, 1, 1, 1])
    >>> model_fingerprint(a)[0] != model_fingerprint(b)[0], model_fingerprint(a)[1]
    (True, [])
    """
    unhashed: list[str] = []
    blob = json.dumps(_state(model, 0, set(), unhashed), sort_keys=True)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest(), sorted(set(unhashed))


def _state(obj: Any, depth: int, open_ids: set[int], unhashed: list[str]) -> Any:
    """A deterministic, JSON-able rendering of an object's state (see :func:`model_fingerprint`)."""
    import numpy as np

    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return ["bytes", hashlib.sha1(bytes(obj)).hexdigest()]
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    if isinstance(obj, np.dtype):
        return str(obj.descr) if obj.names else obj.str
    if isinstance(obj, np.generic):
        return _state(obj.item(), depth, open_ids, unhashed)
    if id(obj) in open_ids:  # a reference back to an object being rendered: its state is hashed there
        return ["cycle", type(obj).__qualname__]
    if depth > 64:
        unhashed.append(f"the model nests objects deeper than 64 levels (at a {type(obj).__qualname__})")
        return type(obj).__qualname__
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        digest = hashlib.sha1()
        for field in obj.dtype.names or (None,):
            digest.update(np.ascontiguousarray(obj if field is None else obj[field]).tobytes())
        return ["ndarray", _state(obj.dtype, depth, open_ids, unhashed), list(obj.shape), digest.hexdigest()]
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        return normalised_source(obj)
    if inspect.isbuiltin(obj) or inspect.isroutine(obj):
        return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', repr(obj))}"
    open_ids.add(id(obj))
    try:
        return _compound(obj, depth + 1, open_ids, unhashed)
    finally:
        open_ids.discard(id(obj))


def _compound(obj: Any, depth: int, open_ids: set[int], unhashed: list[str]) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):  # of objects
        return ["ndarray", list(obj.shape), _state(obj.tolist(), depth, open_ids, unhashed)]
    if isinstance(obj, (set, frozenset)):
        return ["set", sorted(repr(_state(x, depth, open_ids, unhashed)) for x in obj)]
    if isinstance(obj, dict):
        return ["dict", sorted((repr(k), _state(v, depth, open_ids, unhashed)) for k, v in obj.items())]
    if isinstance(obj, (list, tuple)):
        return [_state(x, depth, open_ids, unhashed) for x in obj]
    kind = [type(obj).__module__, type(obj).__qualname__]
    if hasattr(obj, "__dict__"):
        # Private integers are bookkeeping, not state (scikit-learn keeps an id() in `_stop_words_id`).
        state = {k: v for k, v in vars(obj).items() if not (k.startswith("_") and type(v) is int)}
        return [*kind, _state(state, depth, open_ids, unhashed)]
    try:  # no __dict__ (a Cython or C type): the state it pickles
        reduced = obj.__reduce_ex__(4)
    except Exception:  # any error: the object cannot say its state
        reduced = None
    if isinstance(reduced, str):  # pickled by reference to a module-level name
        return [*kind, reduced]
    if isinstance(reduced, tuple):
        parts = [list(p) if p is not None and hasattr(p, "__next__") else p for p in reduced[1:]]
        return [*kind, "reduced", _state(parts, depth, open_ids, unhashed)]
    unhashed.append(f"a {type(obj).__qualname__} object in the model, whose state cannot be read")
    return kind
