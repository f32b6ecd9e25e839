"""The label-model contract (scikit-learn style) shared by every model, and its JSON storage."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from weaksup._io import atomic_path
from weaksup.errors import LabelModelError
from weaksup.labels import ABSTAIN
from weaksup.votes import VoteMatrix

TIE_BREAKS = ("abstain", "random", "hash")
_FORMAT = "weaksup.LabelModel"


def as_votes(L: Any, cardinality: int | None = None) -> np.ndarray:
    """The votes of a :class:`VoteMatrix` or an int array, checked, as an ``int64`` array."""
    arr = L.values if isinstance(L, VoteMatrix) else np.asarray(L)
    if arr.ndim != 2:
        raise LabelModelError(f"L must be 2-D (rows x LFs); got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise LabelModelError(f"L must hold integer votes (-1 = abstain); got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < ABSTAIN:
        raise LabelModelError(f"L holds {arr.min()}, below -1 (ABSTAIN)")
    if cardinality is not None and arr.size and arr.max() >= cardinality:
        raise LabelModelError(
            f"L holds the vote {arr.max()} but the model has cardinality {cardinality} (classes 0..{cardinality - 1})"
        )
    return arr


def class_counts(L: np.ndarray, k: int) -> np.ndarray:
    """``(n, k)`` number of votes for each class in each row."""
    return np.stack([(L == c).sum(axis=1) for c in range(k)], axis=1).astype(np.float64)


def break_ties(proba: np.ndarray, policy: str, seed: int | None = 0) -> np.ndarray:
    """Class ids from probabilities; ``policy`` decides rows whose maximum is shared.

    ``"abstain"`` gives ``ABSTAIN``; ``"random"`` picks uniformly with ``seed``; ``"hash"`` is
    Snorkel's deterministic policy (``sha1(str(row))`` picks among the tied classes), which
    WRENCH's published majority-vote numbers use.
    """
    if policy not in TIE_BREAKS:
        raise LabelModelError(f"unknown tie_break {policy!r}; choose one of {list(TIE_BREAKS)}")
    top = proba.max(axis=1, keepdims=True)
    tied = np.isclose(proba, top, rtol=0, atol=1e-5)
    preds = proba.argmax(axis=1)
    rows = np.flatnonzero(tied.sum(axis=1) > 1)
    if policy == "abstain":
        preds[rows] = ABSTAIN
    elif policy == "random":
        rng = np.random.default_rng(seed)
        for i in rows:
            preds[i] = rng.choice(np.flatnonzero(tied[i]))
    else:
        for i in rows:
            options = np.flatnonzero(tied[i])
            preds[i] = options[int(hashlib.sha1(str(i).encode()).hexdigest(), 16) % len(options)]
    return preds


class LabelModel:
    """Base of the label models: ``fit(L) -> self``, ``predict_proba(L)``, ``predict(L, tie_break=...)``.

    Subclasses set ``params`` in ``__init__`` (stored verbatim), fitted attributes ending in
    ``_`` in ``fit``, and list the fitted arrays to save in ``_fitted``.
    """

    name: ClassVar[str] = "label_model"
    _fitted: ClassVar[tuple[str, ...]] = ()

    def __init__(self, cardinality: int | None = None, *, seed: int = 0) -> None:
        self.cardinality = cardinality
        self.seed = seed

    # -- the contract ---------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """The constructor parameters."""
        import inspect

        return {p: getattr(self, p) for p in inspect.signature(type(self).__init__).parameters if p != "self"}

    def _k(self, L: np.ndarray) -> int:
        k = self.cardinality or int(L.max(initial=0)) + 1
        return max(k, 2)

    def fit(self, L: Any, **kwargs: Any) -> LabelModel:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, L: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict(self, L: Any, *, tie_break: str = "abstain") -> np.ndarray:
        """Class ids (``ABSTAIN`` on ties with ``tie_break="abstain"``)."""
        return break_ties(self.predict_proba(L), tie_break, self.seed)

    def _check_fitted(self) -> None:
        if not hasattr(self, "cardinality_"):
            raise LabelModelError(f"{type(self).__name__} is not fitted: call fit(L) first")

    def _check_L(self, L: Any) -> np.ndarray:
        self._check_fitted()
        arr = as_votes(L, self.cardinality_)
        if arr.shape[1] != self.n_lfs_:
            raise LabelModelError(f"L has {arr.shape[1]} LF columns; the model was fitted on {self.n_lfs_}")
        return arr

    # -- storage --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the parameters and fitted state as JSON (no pickle), atomically."""
        self._check_fitted()
        state = {name: getattr(self, name) for name in ("cardinality_", "n_lfs_", *self._fitted)}
        doc = {
            "format": _FORMAT, "format_version": 1, "model": type(self).__name__, "params": self.get_params(),
            "fitted": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in state.items()},
        }
        path = Path(path)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(doc, indent=1, default=_json_default))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LabelModel:
        """Read a model written by :meth:`save` (any model class, by name)."""
        from weaksup.models import MODELS

        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LabelModelError(f"label model file {str(path)!r} does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LabelModelError(f"{path}: not a JSON label model ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise LabelModelError(f"{path}: not a weaksup label model (no format {_FORMAT!r})")
        model_cls = MODELS.get(doc.get("model", ""))
        if model_cls is None:
            raise LabelModelError(f"{path}: unknown model {doc.get('model')!r}; known: {sorted(MODELS)}")
        model = model_cls(**doc["params"])
        for key, value in doc["fitted"].items():
            setattr(model, key, np.asarray(value) if isinstance(value, list) else value)
        return model


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot store {type(obj).__name__} in a label model file")
