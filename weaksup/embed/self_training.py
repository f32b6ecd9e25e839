"""A self-training LF: an end model trained on weak labels of the unlabeled rows votes as one more LF.

The label model labels the rows its LFs cover; a classifier trained on those probabilistic labels (and the dev
gold) reads the whole text, so it also votes on rows no rule covers, and it learns from every unlabeled row, not
only from the gold. :func:`weak_model_lf` wraps that round as an LF kind beside the rules: the label model then
weighs it like any other LF.

Cross-fitted: a row the model learned from (by its normalised text, :func:`~weaksup.embed.normalise_texts`: the raw
text and the row as ``weaksup run`` cleans it are one text) is voted on by a fold model that never saw that
text, so the LF's accuracy on the dev gold (which the label model and the LF summary estimate) is an out-of-fold
estimate, not a memory of its own training labels. New rows are voted on by the model trained on every row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from weaksup.embed.cache import TEXT_KEY_VERSION, normalise_texts, text_key
from weaksup.end_model import END_MODELS, class_proba, default_end_model, end_model_rows, train_end_model
from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN
from weaksup.lf.core import LabelingFunction, field_value, is_missing
from weaksup.lf.identity import check_name

__all__ = ["WeakModelLF", "weak_model_lf"]


def _fold_of_texts(keys: Sequence[bytes], folds: int, seed: int) -> np.ndarray:
    """A fold per row, the same for every row with the same text key (seeded)."""
    distinct = sorted(set(keys))
    order = np.random.default_rng(seed).permutation(len(distinct))
    fold_of = {key: int(order[i] % folds) for i, key in enumerate(distinct)}
    return np.array([fold_of[key] for key in keys], dtype=np.int64)


class WeakModelLF(LabelingFunction):
    """Votes the class of an end model trained on probabilistic labels, where it is confident. :func:`weak_model_lf`
    is this class.

    Parameters
    ----------
    name : str
    texts : sequence of str
        The training texts: every row the label model labeled (unlabeled rows included), and the dev rows.
    probabilistic_labels : array (n, k) or DataFrame
        As for :func:`~weaksup.train_end_model`: the label model's probabilities (one-hot rows for dev gold). Rows
        without a label (``nan``, no vote with ``votes``) are left out of training.
    features : {"embeddings", "tfidf", "tfidf+embeddings", "ensemble"}, default "embeddings"
        The end model's features (:func:`~weaksup.end_model.default_end_model`).
    C : float, default 1.0
        The logistic regression's inverse regularisation.
    threshold : float, default 0.7
        Vote the most probable class when its probability reaches this; abstain below.
    folds : int, default 5
        Cross-fitting folds (by distinct text): a training text is voted on by the model trained without its fold.
        ``1``: no cross-fitting (every row is voted on by the full model).
    votes : int array (n, m), optional
        The LF votes of the training rows: rows no LF voted on are left out.
    embedder : None, str or callable
        For the embedding features (see :func:`~weaksup.embed.get_embedder`).
    field : str, default "text"
    seed : int, default 0
    tags, description, version : optional

    Examples
    --------
    >>> import numpy as np
    >>> texts = ["subscribe to my channel", "check out my channel", "visit my channel now", "love this song",
    ...          "great song", "this song is the best", "my channel has free stuff", "song of the year"]
    >>> proba = np.array([[.1, .9], [.2, .8], [.1, .9], [.9, .1], [.8, .2], [.9, .1], [.3, .7], [.8, .2]])
    >>> lf = weak_model_lf("self_trained", texts, proba, features="tfidf", C=10.0, threshold=0.6, folds=2)
    >>> lf({"text": "subscribe to my new channel"}), lf({"text": "what a song"}), lf({"text": ""})
    (1, 0, -1)
    """

    kind = "weak_model"
    vectorised = True
    field: str

    def __init__(self, name: str, texts: Sequence[Any], probabilistic_labels: Any, *, features: str = "embeddings",
                 C: float = 1.0, threshold: float = 0.7, folds: int = 5, votes: Any = None, embedder: Any = None,
                 field: str = "text", seed: int = 0, tags: Iterable[str] = (), description: str = "",
                 version: str | None = None) -> None:
        check_name(name)
        if features not in END_MODELS:
            raise LFDefinitionError(f"LF {name!r}: features must be one of {list(END_MODELS)}; got {features!r}")
        if not 0.0 < threshold <= 1.0:
            raise LFDefinitionError(f"LF {name!r}: threshold must be in (0, 1]; got {threshold!r}")
        if not isinstance(folds, int) or folds < 1:
            raise LFDefinitionError(f"LF {name!r}: folds must be an int >= 1 (1: no cross-fitting); got {folds!r}")
        if not C > 0:
            raise LFDefinitionError(f"LF {name!r}: C must be > 0; got {C!r}")
        values = list(texts)
        proba = np.asarray(getattr(probabilistic_labels, "values", probabilistic_labels), dtype=float)
        if proba.ndim != 2 or len(proba) != len(values):
            raise LFDefinitionError(f"LF {name!r}: probabilistic_labels must be (n_texts={len(values)}, k); got "
                                    f"shape {proba.shape}")
        normalised = normalise_texts(None if is_missing(t) else t for t in values)
        keep = end_model_rows(proba, votes) & np.array([bool(t) for t in normalised], dtype=bool)
        rows = np.flatnonzero(keep)
        texts_kept = np.asarray(values, dtype=object)[rows]
        keys = [text_key(normalised[int(i)]) for i in rows]
        template = default_end_model(seed, C=float(C), features=features, embedder=embedder)
        full = train_end_model(texts_kept, proba[rows], model=template, seed=seed)
        fold = _fold_of_texts(keys, folds, seed) if folds > 1 else np.zeros(len(rows), dtype=np.int64)
        fold_models: list[Any] = []
        if folds > 1:
            for j in range(folds):
                out = fold != j
                fold_models.append(train_end_model(texts_kept[out], proba[rows][out], model=template, seed=seed))
        digest = hashlib.sha256()
        for key, p in sorted(zip(keys, np.round(proba[rows], 6).tolist())):
            digest.update(key + repr(p).encode())
        self._set(field=field, features=features, folds=folds, n_classes=proba.shape[1], _full=full,
                  _fold_models=fold_models, _fold_of=dict(zip(keys, fold.tolist())) if folds > 1 else {},
                  _digest=digest.hexdigest(), _given_description=description)
        self._finish(name, {"features": features, "C": float(C), "threshold": float(threshold), "folds": folds,
                            "seed": seed, "field": field, "n_train_rows": len(rows), "text_key": TEXT_KEY_VERSION,
                            "embedder": None if embedder is None else str(getattr(embedder, "model_id", embedder))},
                     tags, version)

    def _finish(self, name: str, params: dict[str, Any], tags: Iterable[str], version: str | None) -> None:
        self._set(threshold=params["threshold"])
        super().__init__(
            name, params=params, fields=(self.field,), labels=range(self.__dict__["n_classes"]), tags=tags,
            version=version, hash_extra=self.__dict__["_digest"],
            description=self.__dict__["_given_description"] or (
                f"end model ({params['features']}) trained on {params['n_train_rows']} weakly labeled rows, voting at "
                f"probability >= {params['threshold']}"))

    def with_threshold(self, threshold: float) -> WeakModelLF:
        """The same fitted models voting at another probability ``threshold`` (a new LF and version; no refit).

        Examples
        --------
        >>> import numpy as np
        >>> lf = weak_model_lf("st", ["spam spam", "ham ham", "spam", "ham"], np.eye(2)[[1, 0, 1, 0]],
        ...                    features="tfidf", folds=1)
        >>> strict = lf.with_threshold(0.99)
        >>> strict.params["threshold"], strict.version != lf.version, strict({"text": "spam"})
        (0.99, True, -1)
        """
        if not 0.0 < threshold <= 1.0:
            raise LFDefinitionError(f"LF {self.name!r}: threshold must be in (0, 1]; got {threshold!r}")
        new = object.__new__(type(self))
        new._set(**{key: self.__dict__[key] for key in ("field", "features", "folds", "n_classes", "_full",
                                                           "_fold_models", "_fold_of", "_digest",
                                                           "_given_description")})
        new._finish(self.name, {**dict(self.params), "threshold": float(threshold)}, self.tags, None)
        return new

    def class_proba(self, values: Sequence[Any]) -> np.ndarray:
        """``(n, k)`` probabilities of the values: a training text's from the fold model that never saw it."""
        out = np.zeros((len(values), self.__dict__["n_classes"]))
        if not len(values):
            return out
        texts = np.array(["" if is_missing(v) else str(v) for v in values], dtype=object)
        fold_of = self.__dict__["_fold_of"]
        which = np.array([fold_of.get(text_key(t), -1) for t in normalise_texts(texts)], dtype=np.int64)
        for j in np.unique(which):
            at = np.flatnonzero(which == j)
            model = self.__dict__["_full"] if j < 0 else self.__dict__["_fold_models"][j]
            out[at] = class_proba(model, texts[at], out.shape[1])
        return out

    def _votes_on(self, values: Sequence[Any]) -> np.ndarray:
        missing = np.array([not t for t in normalise_texts(None if is_missing(v) else v for v in values)], dtype=bool)
        votes = np.full(len(values), ABSTAIN, dtype=np.int64)
        present = np.flatnonzero(~missing)
        if len(present):
            proba = self.class_proba([values[int(i)] for i in present])
            best = proba.argmax(axis=1)
            sure = proba.max(axis=1) >= self.__dict__["threshold"]
            votes[present[sure]] = best[sure]
        return votes

    def vote_batch(self, batch: Any) -> np.ndarray:
        if batch.n == 0:
            return np.zeros(0, dtype=np.int64)
        return self._votes_on(list(batch.values(self.field)))

    def __call__(self, x: Any) -> int:
        return int(self._votes_on([field_value(x, self.field)])[0])


#: Build a :class:`WeakModelLF` (the factory is the class: one signature, one docstring).
weak_model_lf = WeakModelLF
