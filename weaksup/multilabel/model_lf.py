"""The multi-label model-score LF: a fitted one-vs-rest model votes yes (or no) per label from its probabilities.

:func:`multilabel_model_lf` wraps a fitted scikit-learn model whose ``predict_proba`` gives one probability per
label (``(n, k)``, e.g. :class:`~sklearn.multiclass.OneVsRestClassifier` on a multi-label target, or a pipeline
ending in one), or a saved ``.skops`` file of one. Where a label's probability reaches the label's yes threshold
the LF says yes to it; below the label's no threshold (when given) it says no; it abstains otherwise. The model
scores a whole column at once (one ``predict_proba`` per chunk), and, like
:func:`~weaksup.lf.model.model_score_lf`, a model given as a file is versioned by the file's SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN
from weaksup.lf.artefacts import SKOPS_SUFFIX, LoadedModel, SavedModelFile, file_sha256, load_model, model_bytes
from weaksup.lf.core import LabelingFunction, field_value, is_missing
from weaksup.lf.identity import normalised_source
from weaksup.lf.source import LFSource, identifier
from weaksup.multilabel.held_out import load_held_out, save_held_out, text_key
from weaksup.multilabel.lfs import MAX_FUNCTION_LABELS, FunctionMultiLabelLF, MultiLabelLF, label_names

if TYPE_CHECKING:
    from weaksup.labels import LabelSpace
    from weaksup.lf.batch import Batch

__all__ = ["MultiLabelModelLF", "multilabel_model_lf", "save_held_out"]

Thresholds = float | Mapping[str, float | None] | Sequence[float | None] | None


def per_label(value: Thresholds, labels: tuple[str, ...], what: str, lf_name: str) -> np.ndarray:
    """``value`` as a ``(k,)`` float array over ``labels`` (NaN: no vote of this kind on that label).

    Examples
    --------
    >>> per_label({"a": 0.7}, ("a", "b"), "yes_threshold", "m").tolist()
    [0.7, nan]
    >>> per_label(0.5, ("a", "b"), "yes_threshold", "m").tolist()
    [0.5, 0.5]
    """
    k = len(labels)
    if value is None:
        out = np.full(k, np.nan)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out = np.full(k, float(value))
    elif isinstance(value, Mapping):
        unknown = sorted(set(value) - set(labels))
        if unknown:
            raise LFDefinitionError(f"LF {lf_name!r}: {what} names {unknown}, which are not among the model's labels "
                                    f"{list(labels)}")
        out = np.array([np.nan if value.get(label) is None else float(value[label]) for label in labels])  # type: ignore[arg-type]
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == k:
        out = np.array([np.nan if v is None else float(v) for v in value])
    else:
        raise LFDefinitionError(f"LF {lf_name!r}: {what} must be a probability, a dict {{label: probability}} or a "
                                f"list of {k} probabilities (None: no vote); got {value!r}")
    bad = ~np.isnan(out) & ((out < 0) | (out > 1))
    if bad.any():
        raise LFDefinitionError(f"LF {lf_name!r}: {what} of {np.asarray(labels)[bad].tolist()} is outside [0, 1]: "
                                f"{out[bad].tolist()}; give probabilities")
    return out


def model_fingerprint(model: Any) -> str:
    """A content hash of a model in memory (:func:`joblib.hash`: arrays by content, sets and dicts sorted, so
    the same fitted model hashes the same in every process); a scorer function's normalised source.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> a = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> b = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    >>> model_fingerprint(a) == model_fingerprint(b) != model_fingerprint(LogisticRegression(C=2).fit([[0.0], [1.0]], [0, 1]))
    True
    """
    import inspect

    import joblib

    if inspect.isfunction(model):  # a scorer function: its source
        return hashlib.sha1(normalised_source(model).encode("utf-8")).hexdigest()
    return str(joblib.hash(model, hash_name="sha1"))


def probabilities(scores: Any, n: int, k: int, lf_name: str) -> np.ndarray:
    """A model's scores as an ``(n, k)`` float array; a list of per-label ``(n, 2)`` arrays (scikit-learn's
    multi-output classifiers) keeps each one's positive column. Another shape raises, naming the LF.

    Examples
    --------
    >>> probabilities([np.array([[0.9, 0.1]]), np.array([[0.2, 0.8]])], 1, 2, "m").tolist()
    [[0.1, 0.8]]
    """
    if isinstance(scores, list) and len(scores) == k and all(np.ndim(s) == 2 and np.shape(s)[1] == 2 for s in scores):
        scores = np.column_stack([np.asarray(s)[:, 1] for s in scores])
    out = np.asarray(scores, dtype=float)
    if out.ndim != 2 or out.shape != (n, k):
        raise LFDefinitionError(f"the model of LF {lf_name!r} returned scores of shape {out.shape} for {n} rows; the "
                                f"LF's {k} labels need ({n}, {k}): one probability per label, in the labels' order "
                                "(fit a one-vs-rest model on the (n, k) label matrix, or give labels= in the model's "
                                "column order)")
    return out


class ModelScoresLF(LabelingFunction):
    """The inner LF of :class:`MultiLabelModelLF`: one ``predict_proba`` per batch, each row's yes / no decisions
    packed into one int (bit ``i`` yes to vote label ``i``, bit ``k + i`` no to it; ABSTAIN when none)."""

    kind = "multilabel_model_scores"
    vectorised = True
    model: Any
    field: str
    model_labels: tuple[str, ...]
    yes: np.ndarray
    no: np.ndarray
    voting: np.ndarray
    held_out: tuple[dict[str, int], np.ndarray, str] | None
    _score: Callable[[Any], Any]

    def __init__(self, name: str, model: Any, labels: tuple[str, ...], field: str, yes: np.ndarray,
                 no: np.ndarray, voting: np.ndarray, fingerprint: str, loaded: LoadedModel | None, *,
                 held_out: tuple[dict[str, int], np.ndarray, str] | None, tags: Iterable[str],
                 description: str) -> None:
        score = getattr(model, "predict_proba", None) or (model if callable(model) else None)
        if score is None:
            raise LFDefinitionError(f"LF {name!r}: the model must have predict_proba (a fitted scikit-learn "
                                    f"classifier) or be a callable scoring a batch of texts; got {type(model).__name__}")
        self._set(model=model, field=field, model_labels=labels, yes=yes, no=no, voting=voting, _score=score,
                  _loaded=loaded, held_out=held_out)
        super().__init__(name, params={"field": field, "model": type(model).__name__, "labels": list(labels),
                                       "yes_threshold": [None if np.isnan(v) else float(v) for v in yes],
                                       "no_threshold": [None if np.isnan(v) else float(v) for v in no]},
                         fields=(field,), tags=tags, description=description,
                         hash_extra={"model": fingerprint, "held_out": held_out[2] if held_out else None})

    def scores(self, texts: list[Any]) -> Any:
        """The model's probabilities on ``texts``; a text of the held-out file gets its out-of-fold ones (the
        model scores only the other texts)."""
        if self.held_out is None:
            return self._score(texts)
        index, held = self.held_out[0], self.held_out[1]
        rows = [(i, index.get(text_key(t))) for i, t in enumerate(texts) if isinstance(t, str)]
        found = [(i, j) for i, j in rows if j is not None]
        if not found:
            return self._score(texts)
        at, src = np.array(found).T
        proba = np.zeros((len(texts), len(self.model_labels)))
        rest = np.setdiff1d(np.arange(len(texts)), at)
        if len(rest):
            proba[rest] = probabilities(self._score([texts[i] for i in rest]), len(rest), len(self.model_labels),
                                        self.name)
        proba[at] = held[src]
        return proba

    def codes(self, scores: Any, missing: np.ndarray) -> np.ndarray:
        """Packed votes of the rows whose probabilities are ``scores``."""
        n = len(missing)
        proba = probabilities(scores, n, len(self.model_labels), self.name)[:, self.voting]
        with np.errstate(invalid="ignore"):
            yes = proba >= self.yes[self.voting]
            no = proba < self.no[self.voting]
        m = int(self.voting.sum())
        shifts = np.arange(m, dtype=np.int64)
        code = (yes.astype(np.int64) << shifts).sum(axis=1) + (no.astype(np.int64) << (shifts + m)).sum(axis=1)
        return np.where((code == 0) | missing, np.int64(ABSTAIN), code)

    def vote_batch(self, batch: Batch) -> np.ndarray:
        """Votes on a whole batch: one call of the model."""
        if batch.n == 0:
            return np.zeros(0, dtype=np.int64)
        series = batch.series(self.field)
        missing = pd.isna(series).to_numpy(dtype=bool)
        values = series.where(~missing, "").tolist() if missing.any() else series.tolist()
        return self.codes(self.scores(values), missing)

    def __call__(self, x: Any) -> int:
        value = field_value(x, self.field)
        if is_missing(value):
            return ABSTAIN
        return int(self.codes(self.scores([value]), np.zeros(1, dtype=bool))[0])


class MultiLabelModelLF(SavedModelFile, MultiLabelLF):
    """A fitted one-vs-rest model as a multi-label LF (see :func:`multilabel_model_lf`).

    Attributes
    ----------
    model : estimator or callable
        The scorer (never refitted).
    model_labels : tuple of str
        The label of each probability column.
    yes_thresholds, no_thresholds : numpy.ndarray
        ``(len(model_labels),)`` thresholds, NaN where the LF casts no such vote.
    held_out_file : Path or None
        The out-of-fold probabilities on the model's training texts (``held_out=``).
    """

    kind = "multilabel_model"
    model: Any
    model_labels: tuple[str, ...]
    yes_thresholds: np.ndarray
    no_thresholds: np.ndarray
    held_out_file: Path | None

    def __init__(self, name: str, model: Any, labels: str | Iterable[str], *, field: str = "text",
                 yes_threshold: Thresholds = 0.5, no_threshold: Thresholds = None, model_sha256: str | None = None,
                 trusted: Sequence[str] = (), held_out: str | os.PathLike[str] | None = None,
                 tags: Iterable[str] = (), description: str = "", version: str | None = None) -> None:
        model_labels = label_names(labels, name, "labels")
        loaded: LoadedModel | None = None
        if isinstance(model, (str, os.PathLike)):
            loaded = load_model(model, model_sha256=model_sha256, trusted=trusted, lf_name=name)
            model = loaded.model
        elif model_sha256 is not None or trusted:
            raise LFDefinitionError(f"LF {name!r}: model_sha256= and trusted= are for a model given as a file path")
        classes = getattr(model, "classes_", None)
        if classes is not None and len(classes) != len(model_labels):
            raise LFDefinitionError(f"LF {name!r}: the model scores {len(classes)} classes ({list(classes)[:10]}) but "
                                    f"labels= names {len(model_labels)}; give one label per probability column, in "
                                    "the model's column order")
        yes = per_label(yes_threshold, model_labels, "yes_threshold", name)
        no = per_label(no_threshold, model_labels, "no_threshold", name)
        clash = ~np.isnan(yes) & ~np.isnan(no) & (no > yes)
        if clash.any():
            raise LFDefinitionError(f"LF {name!r}: no_threshold is above yes_threshold for "
                                    f"{np.asarray(model_labels)[clash].tolist()}; a probability cannot say both")
        voting = ~np.isnan(yes) | ~np.isnan(no)
        if not voting.any():
            raise LFDefinitionError(f"LF {name!r}: no label has a yes or no threshold, so it never votes")
        if voting.sum() > MAX_FUNCTION_LABELS:
            raise LFDefinitionError(f"LF {name!r} votes on {int(voting.sum())} labels; a model LF votes on at most "
                                    f"{MAX_FUNCTION_LABELS}: give thresholds to fewer labels or split the LF")
        fingerprint = loaded.sha256 if loaded is not None else model_fingerprint(model)
        described = description or (f"{type(model).__name__} probabilities on {field!r}: yes at >= the label's "
                                    "threshold" + (", no below its no threshold" if (~np.isnan(no)).any() else ""))
        held = load_held_out(held_out, len(model_labels), name) if held_out is not None else None
        inner = ModelScoresLF(name, model, model_labels, field, yes, no, voting, fingerprint, loaded,
                              held_out=held, tags=tags, description=described)
        vote_labels = tuple(label for label, v in zip(model_labels, voting) if v)
        self._set(model=model, model_labels=model_labels, yes_thresholds=yes, no_thresholds=no, yes=(), no=(),
                  _loaded=loaded, held_out_file=Path(held_out) if held_out is not None else None)
        super().__init__(name, params={"inner": dict(inner.params)}, tags=inner.tags, description=described,
                         version=version)
        self._setup(inner, vote_labels, version)

    decode = FunctionMultiLabelLF.decode

    @property
    def field(self) -> str:
        """The column the model reads."""
        return str(self.inner.field)  # type: ignore[attr-defined]

    def label_probabilities(self, texts: Sequence[Any]) -> np.ndarray:
        """``(n, len(model_labels))`` the model's probabilities on ``texts``, the ones the votes come from: a text of
        the held-out file gets its out-of-fold probabilities (:mod:`weaksup.multilabel.scored` hands them to a
        label model beside the votes).

        Examples
        --------
        >>> from sklearn.dummy import DummyClassifier
        >>> lf = multilabel_model_lf("m", DummyClassifier(strategy="prior").fit([[0], [1], [1]], [0, 1, 1]), ["a", "b"])
        >>> lf.label_probabilities(["x", "y"]).round(2).tolist()
        [[0.33, 0.67], [0.33, 0.67]]
        """
        values = list(texts)
        if not values:
            return np.zeros((0, len(self.model_labels)))
        return probabilities(self.inner.scores(values), len(values), len(self.model_labels),  # type: ignore[attr-defined]
                             self.name)

    def manifest(self) -> dict[str, Any]:
        """The multi-label LF's description, with the model file and its hash for a saved model."""
        held = {"held_out_file": str(self.held_out_file)} if self.held_out_file else {}
        return {**super().manifest(), **self.model_file_manifest(), **held}

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """A ``multilabel_model_lf(...)`` call reading the model from the exported module's ``MODELS`` folder
        (copied from its file, or saved with skops when it was given in memory).

        Examples
        --------
        >>> from sklearn.dummy import DummyClassifier
        >>> lf = multilabel_model_lf("m", DummyClassifier().fit([[0], [1]], [0, 1]), ["a", "b"],
        ...                          yes_threshold={"a": 0.9})
        >>> print(lf.to_source().code, end="")
        m = multilabel_model_lf('m', MODELS / 'm.skops', ['a', 'b'], yes_threshold={'a': 0.9})
        """
        loaded: LoadedModel | None = self.__dict__.get("_loaded")
        options: list[str] = []
        writer: Callable[[Path], None]
        if loaded is not None:
            filename = identifier(self.name) + loaded.path.suffix.lower()
            if loaded.path.suffix.lower() != SKOPS_SUFFIX:
                options.append(f"model_sha256={loaded.sha256!r}")
            if loaded.trusted:
                options.append(f"trusted={list(loaded.trusted)!r}")

            def writer(dest: Path) -> None:
                shutil.copyfile(loaded.path, dest)
                if file_sha256(dest) != loaded.sha256:
                    raise LFDefinitionError(f"LF {self.name!r}: model file {str(loaded.path)!r} changed since the LF "
                                            "was built; build the LF again from the file, then export")
        else:
            filename = identifier(self.name) + SKOPS_SUFFIX
            data, untrusted = model_bytes(self.model, self.name)
            if untrusted:
                options.append(f"trusted={untrusted!r}")

            def writer(dest: Path) -> None:
                dest.write_bytes(data)
        for which, values in (("yes_threshold", self.yes_thresholds), ("no_threshold", self.no_thresholds)):
            given = {label: float(v) for label, v in zip(self.model_labels, values) if not np.isnan(v)}
            if given or which == "yes_threshold":
                options.append(f"{which}={given!r}")
        artefacts = {filename: writer}
        if self.held_out_file is not None:
            held_name = identifier(self.name) + "_held_out.npz"
            options.append(f"held_out=MODELS / {held_name!r}")
            artefacts[held_name] = functools.partial(shutil.copyfile, self.held_out_file)
        if self.field != "text":
            options.append(f"field={self.field!r}")
        if self.tags:
            options.append(f"tags={list(self.tags)!r}")
        if self.explicit_version:
            options.append(f"version={self.version!r}")
        var = identifier(self.name)
        code = (f"{var} = multilabel_model_lf({self.name!r}, MODELS / {filename!r}, {list(self.model_labels)!r}, "
                f"{', '.join(options)})\n")
        return LFSource(var, code, ("from weaksup.multilabel.model_lf import multilabel_model_lf",),
                        artefacts=artefacts)


def multilabel_model_lf(name: str, model: Any, labels: str | Iterable[str], *, field: str = "text",
                        yes_threshold: Thresholds = 0.5, no_threshold: Thresholds = None,
                        model_sha256: str | None = None, trusted: Sequence[str] = (),
                        held_out: str | os.PathLike[str] | None = None, tags: Iterable[str] = (),
                        description: str = "", version: str | None = None) -> MultiLabelModelLF:
    """A multi-label LF voting from a fitted model's per-label probabilities.

    Parameters
    ----------
    name : str
    model : estimator, callable or path
        A fitted model whose ``predict_proba(texts)`` returns ``(n, len(labels))`` probabilities (a one-vs-rest
        classifier or a pipeline ending in one; a list of ``(n, 2)`` arrays, one per label, works too), a callable
        ``f(texts) -> (n, k)``, or the path of a saved model (``.skops``; a joblib file with ``model_sha256=``).
        A file's SHA-256 is the model's part of the LF version; a model in memory is hashed through skops.
    labels : str or iterable of str
        The label of each probability column, in order.
    field : str, default "text"
        The column the model reads.
    yes_threshold : float, dict or list, default 0.5
        Yes to a label where its probability is >= this (per label: ``{label: p}`` or a list; a label left out or
        None gets no yes votes).
    no_threshold : float, dict or list, optional
        No to a label where its probability is < this (None: the LF never says no).
    model_sha256, trusted
        As in :func:`~weaksup.lf.model.model_score_lf` for a model file.
    held_out : path, optional
        An ``.npz`` of :func:`save_held_out`: the model's out-of-fold probabilities on the texts it was trained
        on. Those rows vote from them, as the model would on unseen text, so a label model whose dev gold holds
        the model's training rows does not learn from in-sample votes (on GoEmotions in-sample votes cost the
        default label model 4-5 macro-F1 points on dev). Its SHA-256 is part of the version.
    tags, description, version : optional

    Raises
    ------
    LFDefinitionError
        A model whose classes or outputs do not match ``labels``, thresholds outside [0, 1] or naming unknown
        labels, a no threshold above the yes one, no thresholds at all.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import CountVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> texts = ["thanks a lot", "thank you", "i hate it", "so angry", "ok", "fine"]
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0], [0, 0]])
    >>> clf = make_pipeline(CountVectorizer(), OneVsRestClassifier(LogisticRegression(C=10))).fit(texts, Y)
    >>> lf = multilabel_model_lf("emo_model", clf, ["gratitude", "anger"], yes_threshold=0.5, no_threshold=0.3)
    >>> lf({"text": "thanks a lot"})
    {'gratitude': True, 'anger': False}
    >>> lf.vote_labels, lf.lf_id.startswith("emo_model@")
    (('gratitude', 'anger'), True)
    """
    return MultiLabelModelLF(name, model, labels, field=field, yes_threshold=yes_threshold,
                             no_threshold=no_threshold, model_sha256=model_sha256, trusted=trusted,
                             held_out=held_out, tags=tags, description=description, version=version)
