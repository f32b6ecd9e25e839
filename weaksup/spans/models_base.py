"""The span label-model contract: fit on :class:`~weaksup.spans.votes.SpanVotes`, token tag marginals, spans.

Every span label model reads the token-level votes (:meth:`SpanVotes.token_votes`: one tag id per
token and LF, ``-1`` where the LF tagged no span). How ``-1`` counts is each model's choice and is
written in its docstring. ``predict`` decodes the marginals to valid spans
(:func:`weaksup.spans.decode.viterbi_tags`) with the confidence of
:func:`weaksup.spans.decode.spans_with_confidence`, at the temperature ``temperature_`` (1 unless the
model fitted one on dev gold). ``to_json``/``from_json`` save and restore a fitted model, and
:func:`load_span_model` reads a spans run's ``label_model.json``.

A document gets the same spans whatever else is predicted with it (all the documents, a subset, a run's
chunk): a model that breaks ties keys each token on its document's votes and its place in the document
(:func:`tie_keys`), never on its position in the batch.
"""

from __future__ import annotations

import hashlib
import inspect
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np

from weaksup.errors import LabelModelError, NotFittedError
from weaksup.spans.decode import spans_with_confidence, viterbi_tags
from weaksup.spans.space import SpanSpace
from weaksup.spans.span import ScoredSpan, Span
from weaksup.spans.tags import tags_from_spans
from weaksup.spans.votes import SpanVotes

__all__ = ["SPAN_FORMAT", "DevGold", "SpanLabelModel", "gold_tags", "load_span_model", "model_class", "tie_keys",
           "type_votes"]

#: The ``format`` of a saved span label model.
SPAN_FORMAT = "weaksup.SpanLabelModel"
#: Dev votes and their gold spans (one list per document).
DevGold = tuple[SpanVotes, Sequence[Sequence[Span]]]

_CLASSES: dict[str, type[SpanLabelModel]] = {}


def model_class(name: str) -> type[SpanLabelModel]:
    """The span label-model class saved under ``name`` (its class name).

    Examples
    --------
    >>> import weaksup.spans.models
    >>> model_class("SpanMajorityVote").__name__
    'SpanMajorityVote'
    """
    if name not in _CLASSES:
        raise LabelModelError(f"unknown span label model class {name!r}; saved models name one of {sorted(_CLASSES)}")
    return _CLASSES[name]


def type_votes(values: np.ndarray, space: SpanSpace) -> np.ndarray:
    """Token votes as type ids: ``1 + type index`` where an LF tagged a span, ``-1`` elsewhere (int8).

    Examples
    --------
    >>> type_votes(np.array([[-1, 1], [4, 2]]), SpanSpace(["A", "B"])).tolist()
    [[-1, 1], [2, 1]]
    """
    lookup = np.r_[space.tag_type_ids + 1, -1].astype(np.int8)  # index -1 -> the last entry
    out: np.ndarray = lookup[np.where(values < 0, space.n_tags, values)]
    return out


def gold_tags(votes: SpanVotes, gold: Sequence[Sequence[Span]]) -> np.ndarray:
    """``(T,)`` gold tag ids of every token of ``votes`` (one span list per document).

    Examples
    --------
    >>> import pandas as pd
    >>> v = SpanVotes([3], ["a@1"], SpanSpace(["A"]), pd.DataFrame(columns=["doc", "lf", "start", "end", "label"]))
    >>> gold_tags(v, [[Span(1, 3, "A")]]).tolist()
    [0, 1, 2]
    """
    if len(gold) != votes.n_docs:
        raise LabelModelError(f"dev gold has {len(gold)} documents but the dev votes have {votes.n_docs}; "
                              "give one span list per dev document, in the order of the votes")
    n_tokens = np.diff(votes.doc_offsets)
    parts = [tags_from_spans([Span(*s[:3]) for s in doc], int(n), votes.space) for doc, n in zip(gold, n_tokens)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)


def tie_keys(votes: SpanVotes) -> Callable[[np.ndarray], list[str]]:
    """The tie-break keys of token rows of ``votes`` (for :func:`weaksup.models.base.break_ties`'s ``keys``):
    ``"<digest of the document's votes>:<token index in the document>"``.

    A document's digest hashes its length and its LF spans (LF index, start, end, type) as
    :class:`SpanVotes` stores them (sorted, repeats dropped), so a token has the same key in any batch
    (all the documents, a subset taken with ``take``, a run's chunk) and its ties the same winner.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"doc": [0, 1], "lf": [0, 0], "start": [0, 1], "end": [1, 2], "label": ["A", "A"]})
    >>> votes = SpanVotes([2, 3], ["a@1"], SpanSpace(["A"]), frame)
    >>> keys = tie_keys(votes)(np.array([1, 3]))
    >>> keys == tie_keys(votes.take([1, 0]))(np.array([4, 1])), [k.split(":")[1] for k in keys]
    (True, ['1', '1'])
    """
    offsets = votes.doc_offsets
    ptr = np.searchsorted(votes.spans["doc"].to_numpy(), np.arange(votes.n_docs + 1))
    cells = np.stack([votes.spans[c].to_numpy() for c in ("lf", "start", "end")] + [votes.type_ids], axis=1)
    cells = cells.astype("<i8")
    digests: dict[int, str] = {}

    def keys(rows: np.ndarray) -> list[str]:
        out = []
        for row, doc in zip(rows.tolist(), (np.searchsorted(offsets, rows, side="right") - 1).tolist()):
            if doc not in digests:
                blob = np.int64(votes.n_tokens[doc]).astype("<i8").tobytes() + cells[ptr[doc]:ptr[doc + 1]].tobytes()
                digests[doc] = hashlib.sha1(blob).hexdigest()[:16]
            out.append(f"{digests[doc]}:{row - int(offsets[doc])}")
        return out

    return keys


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"array", "dtype"}:
        return np.asarray(value["array"], dtype=value["dtype"])
    return value


class SpanLabelModel(ABC):
    """Base of the span label models (see the module doc).

    Subclasses set ``name`` (the registry name), ``uses_dev_gold``, ``fitted`` (the names of the
    fitted attributes :meth:`to_json` saves) and implement :meth:`fit` and :meth:`token_proba`.
    """

    name: ClassVar[str] = ""
    uses_dev_gold: ClassVar[bool] = False
    fitted: ClassVar[tuple[str, ...]] = ()
    space_: SpanSpace
    lf_ids_: list[str]
    temperature_: float = 1.0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters and their values."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {p: getattr(self, p) for p in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @abstractmethod
    def fit(self, votes: SpanVotes, *, dev: DevGold | None = None, seed: int = 0) -> Self:
        """Fit on the votes of the documents to label (``dev``: dev votes and gold, used only by dev-aware models)."""

    @abstractmethod
    def token_proba(self, votes: SpanVotes) -> np.ndarray:
        """``(T, n_tags)`` token tag marginals of checked votes."""

    def remember(self, votes: SpanVotes) -> None:
        """Record the space and LFs of the training votes (checked again at predict time)."""
        self.space_ = votes.space
        self.lf_ids_ = list(votes.lf_ids)

    def check_votes(self, votes: SpanVotes) -> SpanVotes:
        """``votes`` if they have the fitted space and LFs; a clear error otherwise."""
        if not hasattr(self, "lf_ids_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(votes) first")
        if votes.space != self.space_:
            raise LabelModelError(f"{type(self).__name__} was fitted on the space {self.space_!r}; these votes "
                                  f"are in {votes.space!r}")
        if list(votes.lf_ids) != self.lf_ids_:
            raise LabelModelError(f"{type(self).__name__} was fitted on the LFs {self.lf_ids_}; these votes have "
                                  f"{list(votes.lf_ids)} (use votes.select(model.lf_ids_))")
        return votes

    def predict_proba(self, votes: SpanVotes) -> np.ndarray:
        """``(T, n_tags)`` float64 token tag marginals, tokens in the order of ``votes.doc_offsets``."""
        return self.token_proba(self.check_votes(votes))

    def predict(self, votes: SpanVotes) -> list[list[ScoredSpan]]:
        """Valid spans per document with confidences (see the module doc)."""
        proba = self.predict_proba(votes)
        tags = viterbi_tags(proba, votes.doc_offsets, votes.space)
        return spans_with_confidence(tags, proba, votes.doc_offsets, votes.space, self.temperature_)

    def to_json(self) -> dict[str, Any]:
        """The fitted model as JSON-safe data (:meth:`from_json` restores it)."""
        if not hasattr(self, "lf_ids_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; fit it before saving")
        state = {k: _jsonable(getattr(self, k)) for k in self.fitted if hasattr(self, k)}
        return {"format": SPAN_FORMAT, "version": 1, "class": type(self).__name__, "name": self.name,
                "params": {k: _jsonable(v) for k, v in self.get_params().items()}, "space": self.space_.to_json(),
                "lf_ids": self.lf_ids_, "temperature": self.temperature_, "state": state}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpanLabelModel:
        """A fitted model from :meth:`to_json`'s data (any span model class when called on the base).

        Examples
        --------
        >>> import pandas as pd
        >>> from weaksup.spans.models import SpanMajorityVote
        >>> v = SpanVotes([2], ["a@1"], SpanSpace(["A"]), pd.DataFrame(
        ...     {"doc": [0], "lf": [0], "start": [0], "end": [1], "label": ["A"]}))
        >>> SpanLabelModel.from_json(SpanMajorityVote().fit(v).to_json()).predict(v)
        [[ScoredSpan(start=0, end=1, label='A', confidence=1.0)]]
        """
        if not isinstance(data, Mapping) or data.get("format") != SPAN_FORMAT:
            raise LabelModelError(f"not a saved span label model (format {SPAN_FORMAT!r}); got "
                                  f"{str(data)[:80]!r}")
        klass = model_class(str(data["class"]))
        if cls is not SpanLabelModel and not issubclass(klass, cls):
            raise LabelModelError(f"the saved model is a {klass.__name__}, not a {cls.__name__}")
        params = {k: _restored(v) for k, v in dict(data["params"]).items()}
        model = klass(**params)
        model.space_ = SpanSpace.from_json(data["space"])
        model.lf_ids_ = [str(x) for x in data["lf_ids"]]
        model.temperature_ = float(data.get("temperature", 1.0))
        for key, value in dict(data["state"]).items():
            setattr(model, key, _restored(value))
        return model


def load_span_model(path: str | os.PathLike[str]) -> SpanLabelModel:
    """The fitted span label model saved at ``path`` (a spans run's ``label_model.json``, or
    :meth:`SpanLabelModel.to_json` written as JSON).

    Examples
    --------
    >>> load_span_model("no/such/label_model.json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: span label model file 'no/such/label_model.json' does not exist; ...
    """
    import weaksup.spans.models  # noqa: F401  (registers every span model class from_json may restore)

    from weaksup._io import read_model_json

    data = read_model_json(path, "span label model", "spans run")
    try:
        return SpanLabelModel.from_json(data)
    except LabelModelError as exc:
        raise LabelModelError(f"{path}: {exc}") from None
