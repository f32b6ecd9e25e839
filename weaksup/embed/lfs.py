"""LF kinds voting from sentence embeddings: prototypes (:func:`embedding_lf`), label descriptions
(:func:`zero_shot_lf`) and nearest neighbours (:func:`knn_lf`).

Each kind scores every class for a row from cosine similarities, votes the best class when it leads the second by
at least ``margin`` (and reaches ``min_similarity``), and abstains otherwise: the rule of the affinity LFs
(:func:`weaksup.lf.affinity.margin_votes`, :func:`~weaksup.lf.affinity.top_k_scores`), which work on any vectors. A batch is embedded once through the
shared cache (:func:`~weaksup.embed.embed`), whichever and however many embedding LFs read it. The version hashes
the model id, the examples or descriptions (their normalised texts) and the parameters: editing any of them changes
the version; the cache location does not.

A cell that is not a string (missing, a number, a boolean) abstains, as for the keyword, regex and spaCy LFs:
it is not embedded as its ``str()``. Examples of one class only need ``min_similarity`` (or nothing would ever
beat that class: every row would get its vote).

Examples from the dev gold vote on dev rows too: with ``exclude_identical=True`` (the default) a row never votes
from an example with its own text (compared as :func:`~weaksup.embed.normalise_texts` keys them, so the raw text of a
gold file and the row as ``weaksup run`` cleans it are one text), so an LF's accuracy on dev rows is a leave-one-out
estimate, not a look-up. The row is judged as the LF built from the other examples would judge it: a class is
scored from its other examples only, and when the row's text is a class's only example, that class has no score; if
one class is left, the row abstains unless ``min_similarity`` is set and reached (an LF with examples of one class
needs it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from weaksup.embed.cache import TEXT_KEY_VERSION, EmbeddingCache, embed, normalise_texts, text_key
from weaksup.embed.embedder import Embedder, get_embedder
from weaksup.errors import LFDefinitionError
from weaksup.labels import LabelSpace
from weaksup.lf.affinity import margin_votes, prototypes_from_gold, top_k_scores, unit_rows
from weaksup.lf.core import LabelingFunction, field_value, is_missing
from weaksup.lf.identity import check_label, check_name

__all__ = ["EmbeddingLF", "KNNLF", "ZeroShotLF", "embedding_lf", "examples_from_gold", "knn_lf", "zero_shot_lf"]


def examples_from_gold(texts: Sequence[Any], y: Sequence[int] | np.ndarray, *, per_class: int | None = None,
                       seed: int = 0) -> dict[int, list[str]]:
    """``{class id: [texts]}`` of the rows with a gold label (``y >= 0``), optionally a seeded sample per class.

    Sampling keeps prototypes affordable at scale: a few hundred per class carry most of the signal.

    Examples
    --------
    >>> examples_from_gold(["a", "b", "c", "d"], [0, 1, -1, 1])
    {0: ['a'], 1: ['b', 'd']}
    """
    if len(np.asarray(y)) != len(texts):
        raise LFDefinitionError(f"examples_from_gold: {len(texts)} texts but {len(np.asarray(y))} labels; pass one "
                                f"label per text")
    picked = prototypes_from_gold(texts, y, per_class=per_class, seed=seed)
    return {label: [str(t) for t in items] for label, items in picked.items()}


class _EmbeddingKind(LabelingFunction):
    """Shared machinery: embed a batch once, score classes, vote with a margin."""

    vectorised = True
    field: str
    embedder: Embedder
    margin: float
    min_similarity: float | None
    classes: tuple[int, ...]

    def _build(self, name: str, texts: Mapping[Any, Any], *, what: str, embedder: Any, field: str, margin: float,
               min_similarity: float | None, label_space: LabelSpace | None, cache: EmbeddingCache | None,
               params: dict[str, Any], tags: Iterable[str], description: str, version: str | None,
               floor: float | None = None) -> None:
        check_name(name)
        if not isinstance(texts, Mapping) or not texts:
            raise LFDefinitionError(f"LF {name!r}: {what} must be a non-empty mapping {{label: text or [texts]}}; "
                                    f"got {type(texts).__name__}")
        if not isinstance(field, str):
            raise LFDefinitionError(f"LF {name!r}: field must be one text column name; got {field!r}")
        if margin < 0 or not np.isfinite(margin):
            raise LFDefinitionError(f"LF {name!r}: margin must be a number >= 0; got {margin!r}")
        if not (cache is None or isinstance(cache, (bool, EmbeddingCache))):
            raise LFDefinitionError(f"LF {name!r}: cache must be an EmbeddingCache, None (the default cache) or False "
                                    f"(no disk cache); got {type(cache).__name__} (for a file: "
                                    "cache=EmbeddingCache(path))")
        by_class: dict[int, list[str]] = {}
        for label, value in texts.items():
            items = [value] if isinstance(value, str) else list(value)
            cleaned = list(dict.fromkeys(normalise_texts(t for t in items if not is_missing(t))))
            cleaned = [t for t in cleaned if t]
            if not cleaned:
                raise LFDefinitionError(f"LF {name!r}: class {label!r} has no non-empty {what} text; give at least one")
            by_class.setdefault(check_label(label, name, label_space), []).extend(cleaned)
        if len(by_class) < 2 and what != "examples":
            raise LFDefinitionError(f"LF {name!r}: give {what} for at least two classes, so that one can beat another")
        if len(by_class) < 2 and floor is None:
            raise LFDefinitionError(
                f"LF {name!r} ({self.kind}): examples of one class only ({next(iter(texts))!r}) would vote it on "
                "every row, as no other class can beat it; give examples of at least two classes, or "
                "min_similarity= (e.g. 0.6) so that it votes only on rows at least that similar to an example")
        model = get_embedder(embedder)
        classes = tuple(sorted(by_class))
        protos = [t for c in classes for t in by_class[c]]
        owner = np.concatenate([np.full(len(by_class[c]), j) for j, c in enumerate(classes)])
        digest = {str(c): sorted(text_key(t).hex() for t in by_class[c]) for c in classes}
        self._set(field=field, embedder=model, margin=float(margin), classes=classes,
                  min_similarity=None if min_similarity is None else float(min_similarity),
                  _protos=protos, _owner=owner, _proto_keys=[text_key(t) for t in protos], _cache=cache,
                  _proto_vectors=None, _proto_lock=threading.Lock())
        super().__init__(
            name, params={"model": model.model_id, "field": field, "margin": float(margin),
                          "min_similarity": self.min_similarity, "classes": list(classes),
                          f"n_{what}": {str(c): len(by_class[c]) for c in classes}, **params,
                          "non_text": "abstain",  # since stop 39: before, 42 or True was embedded as "42", "True"
                          "text_key": TEXT_KEY_VERSION},  # how a row is recognised as an example (see cache)
            fields=(field,), labels=classes, tags=tags, description=description or self.default_description(),
            version=version, hash_extra=digest)

    def default_description(self) -> str:
        return f"{self.kind} on {self.field} with {self.embedder.model_id}"

    def __getstate__(self) -> dict[str, Any]:  # to worker processes: no lock, vectors recomputed from the cache
        return {k: v for k, v in self.__dict__.items() if k not in ("_proto_lock", "_proto_vectors")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _proto_lock=threading.Lock(), _proto_vectors=None)

    def prototype_vectors(self) -> np.ndarray:
        """The embedded examples/descriptions, ``(n_texts, d)`` (computed once, through the cache)."""
        with self.__dict__["_proto_lock"]:
            if self.__dict__["_proto_vectors"] is None:
                self.__dict__["_proto_vectors"] = unit_rows(embed(self.__dict__["_protos"], self.embedder,
                                                              cache=self.__dict__["_cache"]))
        return np.asarray(self.__dict__["_proto_vectors"])

    def class_scores(self, vectors: np.ndarray, keys: Sequence[bytes] | None = None) -> np.ndarray:
        """``(n, n_classes)`` scores of unit row vectors (columns in :attr:`classes` order)."""
        raise NotImplementedError  # pragma: no cover - every kind overrides it

    def _vote(self, scores: np.ndarray, missing: np.ndarray) -> np.ndarray:
        return margin_votes(scores, self.classes, self.margin, min_score=self.min_similarity, missing=missing)

    def _votes_on(self, values: Sequence[Any], vectors: np.ndarray | None = None) -> np.ndarray:
        texts = _texts(values)
        missing = np.array([not t for t in texts], dtype=bool)
        if vectors is None:
            vectors = unit_rows(embed(texts, self.embedder, cache=self.__dict__["_cache"], progress=False))
        keys = [text_key(t) for t in texts]
        return self._vote(self.class_scores(vectors, keys), missing)

    def vote_batch(self, batch: Any) -> np.ndarray:
        if batch.n == 0:
            return np.zeros(0, dtype=np.int64)
        values = batch.values(self.field)
        vectors = batch.cached(("embedding", self.field, self.embedder.model_id),
                               lambda: unit_rows(embed(_texts(values), self.embedder, cache=self.__dict__["_cache"])))
        return self._votes_on(values, vectors)

    def __call__(self, x: Any) -> int:
        return int(self._votes_on([field_value(x, self.field)])[0])


def _texts(values: Sequence[Any]) -> list[str]:
    """The normalised text of each cell; ``""`` (an abstain) for a cell that is not a string."""
    return normalise_texts(v if isinstance(v, str) else None for v in values)


def _similarities(self: _EmbeddingKind, vectors: np.ndarray, keys: Sequence[bytes] | None,
                  exclude: bool) -> np.ndarray:
    """Row x example cosine similarities, ``-inf`` where a row's text is the example's (when ``exclude``)."""
    sims = vectors @ self.prototype_vectors().T
    if exclude and keys is not None:
        where: dict[bytes, list[int]] = {}
        for j, key in enumerate(self.__dict__["_proto_keys"]):
            where.setdefault(key, []).append(j)
        for i, key in enumerate(keys):
            for j in where.get(key, ()):
                sims[i, j] = -np.inf
    return np.asarray(sims)


class EmbeddingLF(_EmbeddingKind):
    """Votes the class of the nearest labeled examples (prototypes) in embedding space. :func:`embedding_lf` is
    this class.

    A class's score is the mean cosine similarity of its ``k`` most similar examples (``k=1``: the nearest one).

    Parameters
    ----------
    name : str
    examples : mapping of label to text or list of texts
        A few examples per class, or the dev gold (:func:`examples_from_gold`).
    embedder : None, str, callable or Embedder
        ``None``: the bundled all-MiniLM-L6-v2 (see :func:`~weaksup.embed.get_embedder`).
    field : str, default "text"
    k : int, default 1
    margin : float, default 0.02
        Abstain unless the best class's score leads the second's by this much.
    min_similarity : float, optional
        Abstain when the best score is below this. Needed when ``examples`` has one class only.
    exclude_identical : bool, default True
        A row never votes from an example with its own (normalised) text: a class is scored from its ``k`` best
        other examples, and a row that is a class's only example abstains unless ``min_similarity`` is set.
    label_space, cache, tags, description, version : optional

    Examples
    --------
    >>> def letters(texts):  # a toy embedder: counts of a few letters
    ...     return [[t.count(c) + 0.1 for c in "aeiouy"] for t in texts]
    >>> lf = embedding_lf("proto", {0: ["aaa", "aa a"], 1: ["yyy", "uyu"]}, embedder=letters,
    ...                   cache=EmbeddingCache(":memory:"))
    >>> lf({"text": "aaaa"}), lf({"text": "yuy"}), lf({"text": ""})
    (0, 1, -1)
    """

    kind = "embedding"

    def __init__(self, name: str, examples: Mapping[Any, Any], *, embedder: Any = None, field: str = "text",
                 k: int = 1, margin: float = 0.02, min_similarity: float | None = None, exclude_identical: bool = True,
                 label_space: LabelSpace | None = None, cache: EmbeddingCache | None = None, tags: Iterable[str] = (),
                 description: str = "", version: str | None = None) -> None:
        if not isinstance(k, int) or k < 1:
            raise LFDefinitionError(f"LF {name!r}: k must be an int >= 1; got {k!r}")
        self._set(k=k, exclude_identical=bool(exclude_identical))
        self._build(name, examples, what="examples", embedder=embedder, field=field, margin=margin,
                    min_similarity=min_similarity, label_space=label_space, cache=cache,
                    params={"k": k, "exclude_identical": bool(exclude_identical)}, tags=tags,
                    description=description, version=version, floor=min_similarity)

    def class_scores(self, vectors: np.ndarray, keys: Sequence[bytes] | None = None) -> np.ndarray:
        sims = _similarities(self, vectors, keys, self.__dict__["exclude_identical"])
        return top_k_scores(sims, self.__dict__["_owner"], len(self.classes), self.__dict__["k"])


class ZeroShotLF(_EmbeddingKind):
    """Votes the class whose description is most similar to the row. :func:`zero_shot_lf` is this class.

    No labeled row is needed: each class is one or a few sentences describing it, e.g.
    ``{"spam": "an advertisement asking to visit a link or subscribe", "ham": "a comment about the song"}``.
    A class's score is its most similar description's cosine similarity.

    Parameters
    ----------
    name : str
    descriptions : mapping of label to text or list of texts
        At least two classes.
    embedder, field, margin, min_similarity, label_space, cache, tags, description, version
        As for :class:`EmbeddingLF` (``margin`` defaults to 0.0: vote the closest description).

    Examples
    --------
    >>> def letters(texts):
    ...     return [[t.count(c) + 0.1 for c in "ab"] for t in texts]
    >>> lf = zero_shot_lf("zs", {0: "aaaa", 1: "bbbb"}, embedder=letters, cache=EmbeddingCache(":memory:"))
    >>> lf({"text": "a a b"}), lf({"text": "bb"})
    (0, 1)
    """

    kind = "zero_shot"

    def __init__(self, name: str, descriptions: Mapping[Any, Any], *, embedder: Any = None, field: str = "text",
                 margin: float = 0.0, min_similarity: float | None = None, label_space: LabelSpace | None = None,
                 cache: EmbeddingCache | None = None, tags: Iterable[str] = (), description: str = "",
                 version: str | None = None) -> None:
        self._build(name, descriptions, what="descriptions", embedder=embedder, field=field, margin=margin,
                    min_similarity=min_similarity, label_space=label_space, cache=cache, params={}, tags=tags,
                    description=description, version=version)

    def class_scores(self, vectors: np.ndarray, keys: Sequence[bytes] | None = None) -> np.ndarray:
        sims = _similarities(self, vectors, None, False)
        return top_k_scores(sims, self.__dict__["_owner"], len(self.classes), 1)  # the most similar description


class KNNLF(_EmbeddingKind):
    """Votes the majority class of the row's ``k`` nearest labeled examples. :func:`knn_lf` is this class.

    A class's score is its share of the ``k`` neighbours (similarity-weighted with ``weighted=True``); the LF votes
    when the best share reaches ``min_share`` (and leads the second by ``margin``).

    Parameters
    ----------
    name : str
    examples : mapping of label to text or list of texts
    k : int, default 10
    min_share : float, default 0.7
    weighted : bool, default False
    embedder, field, margin, min_similarity, exclude_identical, label_space, cache, tags, description, version
        As for :class:`EmbeddingLF` (``min_similarity`` applies to the nearest neighbour's similarity; needed when
        ``examples`` has one class only).

    Examples
    --------
    >>> def letters(texts):
    ...     return [[t.count(c) + 0.1 for c in "ab"] for t in texts]
    >>> lf = knn_lf("knn", {0: ["a", "aa", "aaa"], 1: ["b", "bb", "bbb"]}, k=3, embedder=letters,
    ...             cache=EmbeddingCache(":memory:"))
    >>> lf({"text": "aaaa"}), lf({"text": "bab b"})
    (0, 1)
    """

    kind = "knn"

    def __init__(self, name: str, examples: Mapping[Any, Any], *, k: int = 10, min_share: float = 0.7,
                 weighted: bool = False, embedder: Any = None, field: str = "text", margin: float = 0.0,
                 min_similarity: float | None = None, exclude_identical: bool = True,
                 label_space: LabelSpace | None = None, cache: EmbeddingCache | None = None, tags: Iterable[str] = (),
                 description: str = "", version: str | None = None) -> None:
        if not isinstance(k, int) or k < 1:
            raise LFDefinitionError(f"LF {name!r}: k must be an int >= 1; got {k!r}")
        if not 0.0 <= min_share <= 1.0:
            raise LFDefinitionError(f"LF {name!r}: min_share must be in [0, 1]; got {min_share!r}")
        self._set(k=k, min_share=float(min_share), weighted=bool(weighted), exclude_identical=bool(exclude_identical))
        self._build(name, examples, what="examples", embedder=embedder, field=field, margin=margin,
                    min_similarity=None, label_space=label_space, cache=cache,
                    params={"k": k, "min_share": float(min_share), "weighted": bool(weighted),
                            "exclude_identical": bool(exclude_identical), "nearest_min_similarity": min_similarity},
                    tags=tags, description=description, version=version, floor=min_similarity)
        self._set(_nearest_min=min_similarity)

    def class_scores(self, vectors: np.ndarray, keys: Sequence[bytes] | None = None) -> np.ndarray:
        sims = _similarities(self, vectors, keys, self.__dict__["exclude_identical"])
        owner = self.__dict__["_owner"]
        k = min(self.__dict__["k"], sims.shape[1])
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < sims.shape[1] else np.argsort(-sims, axis=1)
        near_sims = np.take_along_axis(sims, nearest, axis=1)
        valid = np.isfinite(near_sims)
        weights = np.where(valid, np.clip(near_sims, 0, None) if self.__dict__["weighted"] else 1.0, 0.0)
        out = np.zeros((len(vectors), len(self.classes)))
        for j in range(len(self.classes)):
            out[:, j] = (weights * (owner[nearest] == j)).sum(axis=1)
        total = out.sum(axis=1, keepdims=True)
        share = np.divide(out, total, out=np.zeros_like(out), where=total > 0)
        low = share.max(axis=1) < self.__dict__["min_share"]
        floor = self.__dict__["_nearest_min"]
        if floor is not None:
            low |= np.where(valid, near_sims, -np.inf).max(axis=1) < floor
        else:  # a class whose only examples are the row's text has no share: one class left abstains (margin_votes)
            left = np.stack([np.isfinite(sims[:, owner == j]).any(axis=1) for j in range(len(self.classes))], axis=1)
            share[~left] = -np.inf
        share[low | (total[:, 0] <= 0)] = -np.inf  # the vote abstains: no class leads
        return np.asarray(share)


#: Build an :class:`EmbeddingLF` (the factory is the class: one signature, one docstring).
embedding_lf = EmbeddingLF
#: Build a :class:`ZeroShotLF`.
zero_shot_lf = ZeroShotLF
#: Build a :class:`KNNLF`.
knn_lf = KNNLF
