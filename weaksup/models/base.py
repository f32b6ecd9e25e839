"""The label-model contract (scikit-learn style) shared by every model, and its JSON storage."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from abc import ABC, abstractmethod
from pathlib import Path
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np

from weaksup._io import atomic_path
from weaksup.errors import LabelModelError, NotFittedError
from weaksup.labels import ABSTAIN, smallest_vote_dtype
from weaksup.models.counts import COUNT_CELLS as COUNT_CELLS, class_counts as class_counts, row_max as row_max
from weaksup.models.lf_names import check_lf_names, checked_fit
from weaksup.validation import check_choice, check_number, check_votes
from weaksup.votes import VoteMatrix

#: weaksup's tie-break policies (``predict(L, tie_break=...)``, ``label_model.tie_break``): see :func:`break_ties`.
#: None shares a name with a different Snorkel meaning (Snorkel's ``tie_break_policy`` names live in
#: :mod:`weaksup.compat.snorkel`).
TIE_BREAKS = ("abstain", "seeded_random", "hash")
#: Names that are not weaksup policies but that users bring (weaksup's old name, Snorkel's names), with the fix.
TIE_BREAK_RENAMED = {
    "random": "weaksup's seeded draw is now 'seeded_random'; Snorkel's tie_break_policy='random' (its deterministic "
              "hash) is 'hash'",
    "true-random": "Snorkel's 'true-random' is weaksup's 'seeded_random' (a seeded draw)",
}
_FORMAT = "weaksup.LabelModel"
#: Version of the saved-model layout; bumped when a saved file would be read differently.
FORMAT_VERSION = 1


def as_votes(L: Any, cardinality: int | None = None, *, where: str = "L") -> np.ndarray:
    """The votes of a :class:`VoteMatrix` or an int array, checked (:func:`weaksup.validation.check_votes`).

    The result keeps a small integer dtype (no copy of an ``int8`` matrix) that still holds
    ``vote + 1``, the outcome index the models use (0 = abstain).

    Examples
    --------
    >>> as_votes([[0, -1], [1, 1]], 2).dtype.name
    'int8'
    >>> as_votes([[0, 2]], 2)
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: L: vote 2 at row 0, column 1 is outside the label space (ids 0..1, or -1 to abstain)
    """
    arr = check_votes(L.values if isinstance(L, VoteMatrix) else L, cardinality, where=where, error=LabelModelError)
    top = np.iinfo(arr.dtype).max
    if arr.size and (cardinality is None or cardinality > top) and int(arr.max()) == top:  # no room for vote + 1
        arr = arr.astype(smallest_vote_dtype(top + 2))
    return arr


def tie_break_problem(policy: Any, name: str = "tie_break") -> str | None:
    """What is wrong with a ``tie_break`` value, or None if it is one of :data:`TIE_BREAKS`.

    ``name`` is what the message calls the setting. An old or Snorkel name (``"random"``,
    ``"true-random"``) says which policy has that meaning now.

    Examples
    --------
    >>> tie_break_problem("hash") is None
    True
    >>> print(tie_break_problem("random"))
    tie_break 'random' is not a weaksup policy: weaksup's seeded draw is now 'seeded_random'; Snorkel's \
tie_break_policy='random' (its deterministic hash) is 'hash'; choose one of ['abstain', 'seeded_random', 'hash']
    """
    if isinstance(policy, str) and policy in TIE_BREAKS:
        return None
    hint = TIE_BREAK_RENAMED.get(policy) if isinstance(policy, str) else None
    what = f"{name} {policy!r} is not a weaksup policy: {hint}" if hint else f"unknown {name} {policy!r}"
    return f"{what}; choose one of {list(TIE_BREAKS)}"


def break_ties(proba: np.ndarray, policy: str, seed: int | None = 0, *, tol: float = 1e-5,
                keys: Sequence[Any] | Callable[[np.ndarray], Sequence[Any]] | None = None) -> np.ndarray:
    """Class ids from probabilities; ``policy`` decides rows whose maximum is shared.

    A class is tied with the row's maximum when it is less than ``tol`` below it (Snorkel's rule).
    ``"abstain"`` gives ``ABSTAIN``; ``"seeded_random"`` picks uniformly among the tied classes with
    ``seed`` (None: fresh entropy); ``"hash"`` is Snorkel's deterministic policy (its
    ``tie_break_policy="random"``: ``sha1(str(i))`` picks among the tied classes), which WRENCH's
    published majority-vote numbers use. Both depend on where a row is in this call (``"hash"`` hashes the
    row's position ``i``, ``"seeded_random"`` draws one key per tied row in order): the same row can get
    another class in another batch (row by row, in chunks, after ``take``). ``keys`` (one per row, or a
    function from the tied rows' positions to their keys) makes both independent of the batch: ``"hash"``
    hashes ``str(key)``, ``"seeded_random"`` ``f"{seed}:{key}"`` (the span models' token keys:
    :func:`weaksup.spans.models_base.tie_keys`). ``"abstain"`` answers the same in any batch.

    Examples
    --------
    >>> proba = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5], [0.5, 0.5]])
    >>> break_ties(proba, "abstain").tolist(), break_ties(proba, "hash").tolist()
    ([-1, 0, -1, -1], [0, 0, 0, 1])
    >>> keyed = break_ties(proba, "hash", keys=["a", "b", "c", "d"])
    >>> keyed[[3, 2]].tolist() == break_ties(proba[[3, 2]], "hash", keys=["d", "c"]).tolist()  # any batch
    True
    >>> break_ties(proba, "random")
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: tie_break 'random' is not a weaksup policy: weaksup's seeded draw is now \
'seeded_random'; Snorkel's tie_break_policy='random' (its deterministic hash) is 'hash'; choose one of \
['abstain', 'seeded_random', 'hash']
    """
    problem = tie_break_problem(policy)
    if problem is not None:
        raise LabelModelError(problem)
    top = row_max(proba)
    tied = np.empty(proba.shape, dtype=bool)
    n_tied = np.zeros(len(proba), dtype=np.intp)
    for c in range(proba.shape[1]):  # column by column (a few columns: much faster than along axis 1)
        np.less(np.abs(proba[:, c] - top), tol, out=tied[:, c])  # Snorkel's tolerance and comparison
        n_tied += tied[:, c]
    preds: np.ndarray = proba.argmax(axis=1)
    rows = np.flatnonzero(n_tied > 1)
    if policy == "abstain":
        preds[rows] = ABSTAIN
    elif policy == "seeded_random" and keys is None:  # a uniform draw among the tied classes: the largest wins
        draws = np.random.default_rng(seed).random((len(rows), proba.shape[1]))
        preds[rows] = np.where(tied[rows], draws, -1.0).argmax(axis=1)
    else:  # the i-th tied class in id order, i = sha1(str(row or key)) mod the number of tied classes
        if keys is None:
            hashed: Sequence[Any] = rows.tolist()
        else:
            found = keys(rows) if callable(keys) else [keys[int(i)] for i in rows]
            hashed = [f"{seed}:{k}" if policy == "seeded_random" else k for k in found]
        picks = np.array([int(hashlib.sha1(str(k).encode()).hexdigest(), 16) for k in hashed], dtype=object)
        n_tied = tied[rows].sum(axis=1)
        nth = (picks % n_tied).astype(np.int64) if len(rows) else np.zeros(0, np.int64)
        order = np.cumsum(tied[rows], axis=1) - 1  # rank of each tied class among the tied ones
        preds[rows] = (tied[rows] & (order == nth[:, None])).argmax(axis=1)
    return preds


class BaseLabelModel(ABC):
    """Base of the label models: ``fit(L) -> self``, ``predict_proba(L)``, ``predict(L, tie_break=...)``.

    scikit-learn's estimator contract: ``__init__`` only stores its parameters (checked in ``fit``),
    :meth:`get_params`/:meth:`set_params` come from the ``__init__`` signature (so
    ``sklearn.base.clone`` works), fitted attributes end in ``_``. Subclasses list the fitted
    attributes to save in ``_fitted`` and declare what ``fit`` accepts beside ``L``:
    ``uses_dev_gold`` (``L_dev=``/``y_dev=``) and ``supports_sample_weight`` (``sample_weight=``). Every
    ``fit`` is wrapped by :func:`~weaksup.models.lf_names.checked_fit`: fitted on a vote matrix, a model records
    its LFs in ``lf_names_in_`` (and ``lf_versions_in_``) and refuses votes with other LFs or another order.
    """

    name: ClassVar[str] = "label_model"
    #: ``fit`` takes the dev gold split (``L_dev=``, ``y_dev=``) and learns from it.
    uses_dev_gold: ClassVar[bool] = False
    #: ``fit`` takes ``sample_weight=`` (so it can be fitted on the distinct vote rows, weighted by their counts).
    supports_sample_weight: ClassVar[bool] = False
    _fitted: ClassVar[tuple[str, ...]] = ()
    #: What each constructor parameter may be, checked by :meth:`check_params` (which ``fit`` calls first):
    #: the keywords of :func:`weaksup.validation.check_number` for a number, or a tuple of the allowed values.
    #: Subclasses add their own; ``cardinality`` (None or >= 2) and ``seed`` (>= 0) are checked for every model.
    parameter_constraints: ClassVar[Mapping[str, Mapping[str, Any] | tuple[Any, ...]]] = {}
    #: The number of classes and of LFs (columns of ``L``), set by ``fit``.
    cardinality_: int
    n_lfs_: int
    _estimator_type: ClassVar[str] = "classifier"  # scikit-learn < 1.6 (later ones read __sklearn_tags__)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fit = cls.__dict__.get("fit")
        if callable(fit) and not getattr(fit, "__isabstractmethod__", False):
            setattr(cls, "fit", checked_fit(fit))  # noqa: B010 (mypy: a method is not assignable)

    def __init__(self, cardinality: int | None = None, *, seed: int = 0) -> None:
        self.cardinality = cardinality
        self.seed = seed

    # -- the contract ---------------------------------------------------------------------
    @classmethod
    def param_names(cls) -> list[str]:
        """The constructor parameters, in signature order."""
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn's ``get_params``; ``deep`` adds nested estimators' ones).

        Examples
        --------
        >>> from weaksup.models import MajorityVote
        >>> MajorityVote(cardinality=2).get_params()
        {'cardinality': 2, 'seed': 0}
        """
        params = {name: getattr(self, name) for name in self.param_names()}
        if deep:
            for name, value in list(params.items()):
                if hasattr(value, "get_params") and not isinstance(value, type):
                    params.update({f"{name}__{key}": sub for key, sub in value.get_params(deep=True).items()})
        return params

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters (scikit-learn's ``set_params``); returns the model.

        Examples
        --------
        >>> from weaksup.models import MajorityVote
        >>> MajorityVote(cardinality=2).set_params(seed=3)
        MajorityVote(cardinality=2, seed=3)
        """
        valid = self.param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise LabelModelError(f"{type(self).__name__} has no parameter {name!r}; its parameters are {valid}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in self.get_params(deep=False).items())
        return f"{type(self).__name__}({params})"

    def _k(self, L: np.ndarray) -> int:
        k = self.cardinality or int(L.max(initial=0)) + 1
        return max(k, 2)

    def check_params(self) -> Self:
        """The model, if every parameter meets its class's :attr:`parameter_constraints`; else a
        :class:`~weaksup.errors.LabelModelError` naming the parameter, what it may be and its value.

        Examples
        --------
        >>> from weaksup.models import DawidSkene
        >>> DawidSkene(n_iter=-5).check_params()
        Traceback (most recent call last):
        ...
        weaksup.errors.LabelModelError: DawidSkene: n_iter must be a whole number >= 1; got -5
        """
        name = type(self).__name__
        if self.cardinality is not None:
            check_number(self.cardinality, name=f"{name}: cardinality", low=2, integer=True, error=LabelModelError)
        check_number(self.seed, name=f"{name}: seed", low=0, integer=True, error=LabelModelError)
        for param, rule in self.parameter_constraints.items():
            value = getattr(self, param)
            if isinstance(rule, tuple):
                check_choice(value, rule, name=f"{name}: {param}", error=LabelModelError)
            else:
                check_number(value, name=f"{name}: {param}", error=LabelModelError, **rule)
        return self

    @abstractmethod
    def fit(self, L: Any) -> Self:
        """Fit on the votes ``L`` (rows x LFs, ``-1`` = abstain); returns the model."""

    @abstractmethod
    def predict_proba(self, L: Any) -> np.ndarray:
        """``(n, k)`` class probabilities of each row of ``L``."""

    def predict(self, L: Any, *, tie_break: str = "abstain") -> np.ndarray:
        """Class ids (``ABSTAIN`` on ties with ``tie_break="abstain"``)."""
        return break_ties(self.predict_proba(L), tie_break, self.seed)

    def _check_fitted(self) -> None:
        if not hasattr(self, "cardinality_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(L) first")

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's estimator tags (1.6+): a classifier fitted on a 2-D vote array, without targets."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=False),
                    classifier_tags=ClassifierTags(), input_tags=InputTags(two_d_array=True), requires_fit=True)

    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` has run (``sklearn.utils.validation.check_is_fitted``)."""
        return hasattr(self, "cardinality_")

    def _check_L(self, L: Any) -> np.ndarray:
        self._check_fitted()
        check_lf_names(self, L)
        arr = as_votes(L, self.cardinality_)
        if arr.shape[1] != self.n_lfs_:
            raise LabelModelError(f"L has {arr.shape[1]} LF columns; the model was fitted on {self.n_lfs_}")
        return arr

    # -- storage --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The parameters and fitted state as JSON-safe data (arrays as nested lists)."""
        self._check_fitted()
        names = ("cardinality_", "n_lfs_", *self._fitted, *(a for a in ("lf_names_in_", "lf_versions_in_") if hasattr(self, a)))
        fitted = {name: _encode(getattr(self, name)) for name in names}
        return {"format": _FORMAT, "format_version": FORMAT_VERSION, "model": type(self).__name__,
                "params": _encode(self.get_params(deep=False)), "fitted": fitted}

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<dict>") -> BaseLabelModel:
        """Rebuild a model from :meth:`to_dict` output (any model class, by name)."""
        from weaksup.models import MODELS

        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise LabelModelError(f"{source}: not a weaksup label model (no format {_FORMAT!r})")
        if doc.get("format_version") != FORMAT_VERSION:
            raise LabelModelError(f"{source}: label-model format_version {doc.get('format_version')!r}; this weaksup "
                                  f"reads version {FORMAT_VERSION}: upgrade weaksup or re-save the model")
        model_cls = MODELS.get(doc.get("model", ""))
        if model_cls is None:
            raise LabelModelError(f"{source}: unknown model {doc.get('model')!r}; known: {sorted(MODELS)}")
        try:
            model = model_cls(**_tuples_back(model_cls, _decode(doc["params"], source)))
            for key, value in doc["fitted"].items():
                setattr(model, key, _decode(value, source))
        except (KeyError, TypeError, AttributeError) as exc:
            raise LabelModelError(f"{source}: malformed {doc.get('model')} state ({type(exc).__name__}: {exc})") from None
        return model

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the parameters and fitted state atomically, without pickle: ``.json``, or ``.npz`` (JSON inside).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from weaksup.models import MajorityVote
        >>> path = MajorityVote(cardinality=2).fit([[0, 1, -1]]).save(pathlib.Path(tempfile.mkdtemp()) / "mv.json")
        >>> BaseLabelModel.load(path).predict_proba([[0, 0, 1]]).round(2).tolist()
        [[0.67, 0.33]]
        """
        text = json.dumps(self.to_dict(), indent=1)
        path = Path(path)
        with atomic_path(path) as tmp:
            if path.suffix.lower() == ".npz":
                with open(tmp, "wb") as fh:
                    np.savez_compressed(fh, model=np.array(text))
            else:
                tmp.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BaseLabelModel:
        """Read a model written by :meth:`save` (any model class, by name; nothing is unpickled)."""
        path = Path(path)
        if not path.exists():
            raise LabelModelError(f"label model file {str(path)!r} does not exist")
        try:
            if path.suffix.lower() == ".npz":
                with np.load(path, allow_pickle=False) as data:
                    if "model" not in data.files:
                        raise LabelModelError(f"{path}: no 'model' array (found {sorted(data.files)}); "
                                              "not written by a label model's save()")
                    text = str(data["model"])
            else:
                text = path.read_text(encoding="utf-8")
            doc = json.loads(text)
        except LabelModelError:
            raise
        except Exception as exc:  # bad JSON, not UTF-8, corrupt zip
            raise LabelModelError(f"{path}: not a saved label model ({type(exc).__name__}: {exc})") from None
        return cls.from_dict(doc, str(path))


def _encode(value: Any) -> Any:
    """JSON-safe form of a fitted attribute: arrays keep their dtype, nested models their whole state."""
    if isinstance(value, BaseLabelModel):
        return {"__model__": value.to_dict()}
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _tuples_back(model_cls: type[BaseLabelModel], params: dict[str, Any]) -> dict[str, Any]:
    """JSON has no tuples: a parameter whose default is a tuple, or that is declared a ``Sequence``, comes back as
    one (so ``get_params`` round-trips)."""
    signature = inspect.signature(model_cls.__init__).parameters
    as_tuple = {name for name, p in signature.items()
                if isinstance(p.default, tuple) or str(p.annotation).startswith("Sequence[")}
    return {key: tuple(value) if isinstance(value, list) and key in as_tuple else value
            for key, value in params.items()}


def _decode(value: Any, source: str) -> Any:
    if isinstance(value, dict):
        if "__array__" in value:
            array = np.asarray(value["__array__"], dtype=np.dtype(value["dtype"]))
            return array.reshape(value["shape"]) if "shape" in value else array  # nested lists lose empty axes
        if "__model__" in value:
            return BaseLabelModel.from_dict(value["__model__"], source)
        return {k: _decode(v, source) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, source) for v in value]
    return value
