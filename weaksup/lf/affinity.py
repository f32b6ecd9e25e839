"""Affinity LFs (as GOGGLES does for images): vote the class whose labeled prototypes a row is most similar to.

:func:`affinity_lf` works on any feature vector: the output of a media :class:`~weaksup.media.FeatureExtractor`
applied to a row's field (a path, an array, bytes), or a column already holding vectors (embeddings, features
computed upstream). A class's score is the mean similarity of its ``k`` most similar prototypes; the LF votes the
best class when it leads the second by at least ``margin`` and abstains otherwise.

The scoring and margin rule (:func:`top_k_scores`, :func:`margin_votes`) is the one the text embedding LFs of
:mod:`weaksup.embed.lfs` use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from weaksup.errors import DataError, LFDefinitionError, WeakSupError, stops_run
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import LabelingFunction, field_value, is_missing
from weaksup.lf.identity import check_label, check_name

if TYPE_CHECKING:
    from weaksup.embed.cache import EmbeddingCache
    from weaksup.lf.batch import Batch

__all__ = ["METRICS", "AffinityLF", "affinity_lf", "margin_votes", "prototypes_from_gold", "top_k_scores",
           "unit_rows"]

#: Similarity measures: cosine similarity, or the negative Euclidean distance.
METRICS = ("cosine", "euclidean")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows left as they are), float32.

    Examples
    --------
    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.size == 0:
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def top_k_scores(similarities: np.ndarray, owner: np.ndarray, n_classes: int, k: int) -> np.ndarray:
    """``(n, n_classes)`` class scores: the mean of each class's ``k`` highest finite similarities (``-inf``: none).

    ``similarities`` is rows x prototypes (``-inf`` marks a prototype a row may not use: its own content); a class
    is scored from the prototypes left (its ``k`` best of them, fewer when fewer are left), and has no score
    (``-inf``) when none is left.

    Examples
    --------
    >>> sims = np.array([[0.9, 0.5, 0.7, -np.inf], [0.9, 0.5, -np.inf, -np.inf]])
    >>> top_k_scores(sims, np.array([0, 0, 1, 1]), 2, k=2).tolist()
    [[0.7, 0.7], [0.7, -inf]]
    """
    out = np.full((len(similarities), n_classes), -np.inf, dtype=np.float64)
    for j in range(n_classes):
        part = np.asarray(similarities[:, owner == j], dtype=np.float64)
        if part.shape[1] == 0:
            continue
        part = np.where(np.isfinite(part), part, -np.inf)  # NaN (no vector) counts as excluded
        top = -np.sort(-part, axis=1)[:, :min(k, part.shape[1])]
        usable = np.isfinite(top)
        count = usable.sum(axis=1)
        total = np.where(usable, top, 0.0).sum(axis=1)
        out[:, j] = np.where(count > 0, total / np.maximum(count, 1), -np.inf)
    return out


def margin_votes(scores: np.ndarray, classes: Sequence[int], margin: float, *, min_score: float | None = None,
                 missing: np.ndarray | None = None) -> np.ndarray:
    """Votes from class scores: the best class when it leads the second by ``>= margin`` (and by more than 0, and
    reaches ``min_score``), else ``ABSTAIN``; rows flagged ``missing`` abstain.

    A class without a score (``-inf``: every prototype of it is the row's own content) is left out, so the row is
    judged as an LF built from the other prototypes would judge it (leave-one-out). When that leaves one class of
    several, the row is voted that class only with a ``min_score`` it reaches (as an LF with prototypes of one class
    only needs one), else it abstains: with nothing to beat, the lead would be infinite whatever the similarity.

    Examples
    --------
    >>> scores = np.array([[0.9, 0.2], [0.5, 0.48], [-np.inf, -np.inf], [0.3, -np.inf]])
    >>> margin_votes(scores, [3, 7], 0.1).tolist()
    [3, -1, -1, -1]
    >>> margin_votes(scores, [3, 7], 0.1, min_score=0.25).tolist()
    [3, -1, -1, 3]
    """
    n = len(scores)
    votes = np.full(n, ABSTAIN, dtype=np.int64)
    if n == 0:
        return votes
    order = np.sort(scores, axis=1)
    best = scores.argmax(axis=1)
    top = order[:, -1]
    with np.errstate(invalid="ignore"):  # -inf - -inf: no class scored; the row abstains below
        lead = top - order[:, -2] if scores.shape[1] > 1 else np.full(n, np.inf)
    ok = np.isfinite(top) & (lead >= margin) & (lead > 0)
    if scores.shape[1] > 1 and min_score is None:  # one class left to score: nothing it must beat
        ok &= np.isfinite(scores).sum(axis=1) >= 2
    if missing is not None:
        ok &= ~missing
    if min_score is not None:
        ok &= top >= min_score
    votes[ok] = np.asarray(classes, dtype=np.int64)[best[ok]]
    return votes


def prototypes_from_gold(items: Sequence[Any], y: Sequence[int] | np.ndarray, per_class: int | None = 10,
                         seed: int = 0) -> dict[int, list[Any]]:
    """``{class id: [items]}`` of the rows with a gold label (``y >= 0``): a seeded sample of ``per_class`` each.

    Examples
    --------
    >>> prototypes_from_gold(["a.png", "b.png", "c.png", "d.png"], [0, 1, -1, 1], per_class=1)
    {0: ['a.png'], 1: ['d.png']}
    """
    labels = np.asarray(y)
    if len(labels) != len(items):
        raise LFDefinitionError(f"prototypes_from_gold: {len(items)} items but {len(labels)} labels; pass one label "
                                f"per item")
    if per_class is not None and (not isinstance(per_class, int) or per_class < 1):
        raise LFDefinitionError(f"prototypes_from_gold: per_class must be an int >= 1 or None (all); got {per_class!r}")
    rng = np.random.default_rng(seed)
    out: dict[int, list[Any]] = {}
    for label in sorted(int(c) for c in np.unique(labels) if c >= 0):
        rows = np.flatnonzero(labels == label)
        if per_class is not None and len(rows) > per_class:
            rows = np.sort(rng.choice(rows, per_class, replace=False))
        out[label] = [items[int(i)] for i in rows]
    return out


class AffinityLF(LabelingFunction):
    """Votes by similarity to labeled prototypes in a feature space. :func:`affinity_lf` is this class.

    Parameters
    ----------
    name : str
    prototypes : mapping of label to a list of items
        A few labeled examples per class (:func:`prototypes_from_gold`). With an extractor, items like the rows'
        field (paths, arrays, bytes); with a column name, vectors.
    features : FeatureExtractor or str
        An extractor applied to the row's ``field`` (cached by content), or the name of a column holding vectors.
    field : str, default "path"
        The column holding the items (ignored when ``features`` is a column name).
    margin : float, default 0.05
        Abstain unless the best class's score leads the second's by this much (in units of ``metric``).
    metric : {"cosine", "euclidean"}, default "cosine"
        Cosine similarity, or minus the Euclidean distance.
    k : int, default 1
        A class's score is the mean similarity of its ``k`` most similar prototypes.
    standardize : bool, default True
        Centre and scale each feature by the prototypes' mean and standard deviation first (features on very
        different scales -- a size in pixels and an edge density -- otherwise let one dominate).
    min_similarity : float, optional
        Abstain when the best score is below this.
    exclude_identical : bool, default True
        A row never votes from a prototype of the same content (a dev row that is a prototype: leave-one-out). A
        class whose only prototypes are the row's content is not scored for it; with one class left the row
        abstains, unless ``min_similarity`` is set and reached (see :func:`margin_votes`).
    label_space, cache, root, tags, description, version : optional
        ``root``: the folder relative paths are read from.

    Examples
    --------
    >>> class Mean:
    ...     id, names = "mean@1", ("mean",)
    ...     def __call__(self, item):
    ...         return np.array([np.mean(item), 1.0], dtype=np.float32)[:1]
    >>> lf = affinity_lf("bright", {0: [np.zeros(4), np.full(4, 0.1)], 1: [np.ones(4), np.full(4, 0.9)]},
    ...                  features=Mean(), field="pixels", metric="euclidean", standardize=False, cache=False)
    >>> lf({"pixels": np.full(4, 0.8)}), lf({"pixels": np.full(4, 0.05)}), lf({"pixels": np.full(4, 0.5)})
    (1, 0, -1)
    """

    kind = "affinity"
    vectorised = True
    field: str
    margin: float
    metric: str
    k: int
    standardize: bool
    min_similarity: float | None
    exclude_identical: bool
    classes: tuple[int, ...]
    #: The FeatureExtractor applied to the field (None when the LF reads a column of vectors).
    extractor: Any

    def __init__(self, name: str, prototypes: Mapping[Any, Any], *, features: Any, field: str = "path",
                 margin: float = 0.05, metric: str = "cosine", k: int = 1, standardize: bool = True,
                 min_similarity: float | None = None, exclude_identical: bool = True,
                 label_space: LabelSpace | None = None, cache: EmbeddingCache | None | bool = None,
                 root: str | os.PathLike[str] | None = None, tags: Iterable[str] = (), description: str = "",
                 version: str | None = None) -> None:
        from weaksup.media.features import check_extractor, content_key

        check_name(name)
        where = f"LF {name!r}"
        if metric not in METRICS:
            raise LFDefinitionError(f"{where}: metric must be one of {list(METRICS)}; got {metric!r}")
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise LFDefinitionError(f"{where}: k must be an int >= 1; got {k!r}")
        if not isinstance(margin, (int, float)) or margin < 0 or not np.isfinite(margin):
            raise LFDefinitionError(f"{where}: margin must be a number >= 0; got {margin!r}")
        column = features if isinstance(features, str) else None
        extractor = None if column is not None else _extractor(check_extractor, features, where)
        read = column if column is not None else field
        if not isinstance(read, str) or not read:
            raise LFDefinitionError(f"{where}: field must be the name of the column holding the items; got {field!r}")
        if not isinstance(prototypes, Mapping) or not prototypes:
            raise LFDefinitionError(f"{where}: prototypes must be a non-empty mapping {{label: [items]}} "
                                    f"(prototypes_from_gold makes one); got {type(prototypes).__name__}")
        by_class: dict[int, list[Any]] = {}
        for label, value in prototypes.items():
            items = _as_items(value, vectors=column is not None)
            items = [i for i in items if not is_missing(i)]
            if not items:
                raise LFDefinitionError(f"{where}: class {label!r} has no prototype; give at least one")
            by_class.setdefault(check_label(label, name, label_space), []).extend(items)
        classes = tuple(sorted(by_class))
        protos = [item for c in classes for item in by_class[c]]
        if column is not None:
            protos = [np.asarray(v, dtype=np.float32).ravel() for v in protos]
            if len({len(v) for v in protos}) != 1:
                raise LFDefinitionError(f"{where}: prototype vectors have different lengths "
                                        f"{sorted({len(v) for v in protos})}; give vectors of one length")
        keys = [content_key(p, field=f"{where} prototype", root=root) for p in protos]
        owner = np.concatenate([np.full(len(by_class[c]), j) for j, c in enumerate(classes)])
        digest = {str(c): sorted(key.hex() for key, o in zip(keys, owner) if o == j) for j, c in enumerate(classes)}
        self._set(field=read, margin=float(margin), metric=metric, k=k, standardize=bool(standardize),
                  min_similarity=None if min_similarity is None else float(min_similarity),
                  exclude_identical=bool(exclude_identical), classes=classes, extractor=extractor,
                  _protos=protos, _owner=owner, _proto_keys=keys, _cache=cache,
                  _root=None if root is None else str(root), _space=None, _space_lock=threading.Lock())
        features_id = column if column is not None else extractor.id  # type: ignore[union-attr]
        super().__init__(
            name, params={"features": features_id, "field": read, "margin": float(margin), "metric": metric, "k": k,
                          "standardize": bool(standardize), "min_similarity": self.min_similarity,
                          "exclude_identical": bool(exclude_identical), "classes": list(classes),
                          "n_prototypes": {str(c): len(by_class[c]) for c in classes}},
            fields=(read,), labels=classes, tags=tags, description=description or self.default_description(),
            version=version, hash_extra=digest)

    @property
    def cacheable(self) -> bool:
        """False when the LF reads files (an extractor over paths): a row holds a file's path, not its content."""
        return self.extractor is None

    @property
    def cache_note(self) -> str:
        """Why the LF is recomputed on every run ("" for one reading vectors held in the rows)."""
        if self.extractor is None:
            return ""
        return (f"it reads the files named in column {self.field!r}: a file's content is not part of its row, so its "
                "votes are recomputed on every run (the features come back from the content-keyed cache)")

    def default_description(self) -> str:
        what = self.extractor.id if self.extractor is not None else f"the vectors in {self.field!r}"
        return f"affinity to labeled prototypes ({self.metric}, k={self.k}) of {what}"

    def __getstate__(self) -> dict[str, Any]:  # to worker processes: no lock; prototype vectors recomputed
        return {k: v for k, v in self.__dict__.items() if k not in ("_space_lock", "_space", "_space_error")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _space_lock=threading.Lock(), _space=None, _space_error=None)

    def _row_vectors(self, values: Sequence[Any], batch: Batch | None = None) -> tuple[np.ndarray, list[bytes | None]]:
        from weaksup.media.features import content_key, content_keys, extract_rows

        if self.extractor is not None:
            root, cache = self.__dict__["_root"], self.__dict__["_cache"]
            if batch is None:
                return extract_rows(values, self.extractor, field=self.field, cache=cache, root=root, progress=None)
            # every affinity LF of the batch reading this field shares its content keys (each file read once),
            # and those with the same extractor share its vectors
            known = batch.cached(("media_keys", self.field, root), lambda: content_keys(values, field=self.field,
                                                                                        root=root))
            return batch.cached(("media_vectors", self.field, root, self.extractor.id),
                                lambda: extract_rows(values, self.extractor, field=self.field, cache=cache,
                                                     root=root, progress=None, keys=known))
        d = len(self.__dict__["_protos"][0])
        out = np.full((len(values), d), np.nan, dtype=np.float32)
        keys: list[bytes | None] = [None] * len(values)
        for i, value in enumerate(values):
            if _absent(value):
                continue
            vector = np.asarray(value, dtype=np.float32).ravel()
            if len(vector) != d:
                raise DataError(f"LF {self.name!r}: column {self.field!r} holds a vector of {len(vector)} values in row "
                                f"{i}; the prototypes have {d}: give every row a vector of the prototypes' length")
            out[i] = vector
            keys[i] = content_key(vector, field=self.field)
        return out, keys

    def space(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(prototype vectors, mean, scale)`` in the LF's space (computed once, prototypes through the cache)."""
        with self.__dict__["_space_lock"]:
            if self.__dict__.get("_space_error") is not None:  # an unreadable prototype: never retried per row
                raise self.__dict__["_space_error"]
            if self.__dict__["_space"] is None:
                protos = self.__dict__["_protos"]
                vectors = (self._prototype_vectors(protos) if self.extractor is not None
                           else np.stack(protos).astype(np.float32))
                mean = np.zeros(vectors.shape[1], dtype=np.float32)
                scale = np.ones(vectors.shape[1], dtype=np.float32)
                if self.standardize:
                    mean = np.nanmean(vectors, axis=0).astype(np.float32)
                    std = np.nanstd(vectors, axis=0).astype(np.float32)
                    scale = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0).astype(np.float32)
                    mean = np.where(np.isfinite(mean), mean, 0.0).astype(np.float32)
                self.__dict__["_space"] = (self._project((vectors - mean) / scale), mean, scale)
        space: tuple[np.ndarray, np.ndarray, np.ndarray] = self.__dict__["_space"]
        return space

    def _prototype_vectors(self, protos: list[Any]) -> np.ndarray:
        """The prototypes' vectors; an unreadable prototype is a definition error naming it that stops the run."""
        from weaksup.media.features import extract_rows
        try:
            return extract_rows(protos, self.extractor, field=f"LF {self.name!r} prototype", progress=None,
                                cache=self.__dict__["_cache"], root=self.__dict__["_root"])[0]
        except WeakSupError as exc:  # remembered: no row retries it
            self.__dict__["_space_error"] = stops_run(LFDefinitionError(
                f"LF {self.name!r}: a prototype cannot be read, so the LF cannot vote [{exc}]; replace or remove that "
                "prototype in the LF's definition (the run stops: no row is at fault)"))
            raise self.__dict__["_space_error"] from exc

    def _project(self, vectors: np.ndarray) -> np.ndarray:
        return unit_rows(vectors) if self.metric == "cosine" else np.asarray(vectors, dtype=np.float32)

    def class_scores(self, vectors: np.ndarray, keys: Sequence[bytes | None] | None = None) -> np.ndarray:
        """``(n, n_classes)`` scores of raw row vectors (columns in :attr:`classes` order)."""
        protos, mean, scale = self.space()
        rows = self._project((np.nan_to_num(vectors, nan=0.0) - mean) / scale)
        if self.metric == "cosine":
            sims = rows @ protos.T
        else:
            sq = (rows ** 2).sum(1)[:, None] + (protos ** 2).sum(1)[None, :] - 2 * rows @ protos.T
            sims = -np.sqrt(np.clip(sq, 0, None))
        sims = np.asarray(sims, dtype=np.float64)
        if self.exclude_identical and keys is not None:
            where: dict[bytes, list[int]] = {}
            for j, key in enumerate(self.__dict__["_proto_keys"]):
                where.setdefault(key, []).append(j)
            for i, key in enumerate(keys):
                for j in where.get(key, ()) if key is not None else ():
                    sims[i, j] = -np.inf
        return top_k_scores(sims, self.__dict__["_owner"], len(self.classes), self.k)

    def votes_on(self, values: Sequence[Any], batch: Batch | None = None) -> np.ndarray:
        """The votes on a list of the rows' field values (``batch``: the batch they are, to share its vectors)."""
        vectors, keys = self._row_vectors(values, batch)
        missing = np.array([k is None for k in keys], dtype=bool) | ~np.isfinite(vectors).all(axis=1)
        return margin_votes(self.class_scores(vectors, keys), self.classes, self.margin,
                            min_score=self.min_similarity, missing=missing)

    def vote_batch(self, batch: Batch) -> np.ndarray:
        if batch.n == 0:
            return np.zeros(0, dtype=np.int64)
        return self.votes_on(batch.values(self.field), batch)

    def __call__(self, x: Any) -> int:
        return int(self.votes_on([field_value(x, self.field)])[0])


def _absent(value: Any) -> bool:
    return value is None or (not isinstance(value, np.ndarray) and is_missing(value)) or (
        isinstance(value, str) and not value)


def _as_items(value: Any, *, vectors: bool) -> list[Any]:
    """A class's prototypes as a list: one item (a path, bytes, or one vector) or a list of them."""
    if isinstance(value, (str, bytes, os.PathLike)):
        return [value]
    if isinstance(value, np.ndarray):
        if vectors:
            return [value] if value.ndim == 1 else list(value)
        return [value]
    return list(value)


def _extractor(check: Any, features: Any, where: str) -> Any:
    try:
        return check(features)
    except Exception as exc:
        raise LFDefinitionError(f"{where}: features must be a FeatureExtractor (an id, names and a call item -> "
                                f"vector) or the name of a column holding vectors; got {type(features).__name__}"
                                ) from exc


#: Build an :class:`AffinityLF` (the factory is the class: one signature, one docstring).
affinity_lf = AffinityLF
