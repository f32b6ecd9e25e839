"""Naive Bayes over each LF's outcome, counted on dev gold: :class:`DevNaiveBayes`, weaksup's default label model."""

from __future__ import annotations

import logging
from typing import Any, Self

import numpy as np

from weaksup.models.calibrate import IDENTITY, calibrated, cross_fitted_calibration
from weaksup.models.counts import class_counts, outcome_counts, several_classes
from weaksup.models.dev import (DevAwareModel, brier_score, check_dev, coarse_f1_threshold, f1_threshold,
                                trusted_lfs)
from weaksup.models.fitting import dev_folds
from weaksup.models.sampling import multiset_sample

logger = logging.getLogger(__name__)

#: Repeats of the out-of-fold dev predictions (each with other folds) the calibration is fitted on.
CALIBRATION_REPEATS = 3


def posterior(votes: np.ndarray, log_conditional: np.ndarray, class_prior: np.ndarray,
              restrict_to_voted: bool, trusted: np.ndarray | None = None) -> np.ndarray:
    """``(n, k)`` naive Bayes posterior of the rows ``votes`` from ``log P(outcome | class)`` tables and a class
    prior; with ``restrict_to_voted``, a row with votes gets probability 0 for the classes nobody voted for
    (with ``trusted``, ``(m,)`` bool: a row with a trusted LF's vote, for the classes no trusted LF voted for).

    Examples
    --------
    >>> table = np.log(np.array([[[0.5, 0.4, 0.1], [0.5, 0.1, 0.4]]] * 2))
    >>> posterior(np.array([[0, 1], [0, -1]]), table, np.array([0.5, 0.5]), True).round(2).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    from weaksup.models.dawid_skene import naive_bayes_columns, softmax_rows

    some = trusted is not None and not np.all(trusted)
    columns = naive_bayes_columns(votes, np.asarray(log_conditional, dtype=np.float64),  # (restricted as it sums)
                                  np.log(np.asarray(class_prior, dtype=np.float64)),
                                  restrict_to_voted=restrict_to_voted and not some)
    if restrict_to_voted and some:
        voted = np.asarray(class_counts(np.where(np.asarray(trusted)[None, :], votes, -1), columns.shape[0]) > 0)
        columns[~voted.T & np.any(voted, axis=1)[None, :]] = -np.inf
    return softmax_rows(columns.T)


def onecoin_table(spread: np.ndarray, dev: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(m, k, k + 1)`` one-coin tables: each LF abstains as often on every class (its ``spread[:, 0]``, ``spread``
    being ``(m, k + 1)`` outcome shares) and, when it votes, is right with the pooled dev accuracy of the LFs in
    ``dev`` (``(n, m')`` votes, ``y`` their gold; one pseudo-vote right, one wrong), else votes another class
    uniformly: the majority vote's assumption, as a centre for LFs each seen on few dev rows (crowd workers).

    Examples
    --------
    >>> spread = np.array([[0.5, 0.25, 0.25]])
    >>> onecoin_table(spread, np.array([[0], [1], [0], [-1]]), np.array([0, 1, 1, 0])).round(2).tolist()
    [[[0.5, 0.3, 0.2], [0.5, 0.2, 0.3]]]
    """
    m, k = len(spread), spread.shape[1] - 1
    voted = dev >= 0
    accuracy = (int(((dev == y[:, None]) & voted).sum()) + 1) / (int(voted.sum()) + 2)
    accuracy = max(accuracy, 1.0 / k)  # never below chance: the vote keeps pointing at its class
    fires = 1 - spread[:, 0]
    table = np.empty((m, k, k + 1))
    table[:, :, 0] = spread[:, :1]
    table[:, :, 1:] = (fires * (1 - accuracy) / max(k - 1, 1))[:, None, None]
    table[:, np.arange(k), np.arange(1, k + 1)] = (fires * accuracy)[:, None]
    return table


class DevNaiveBayes(DevAwareModel):
    """Naive Bayes over each LF's outcome (its vote, or abstaining), counted on dev gold; weaksup's default.

    For every LF ``j``, class ``y`` and outcome ``o`` (abstain or a class), ``P(o | y)`` is the
    dev count of rows of class ``y`` where LF ``j`` had outcome ``o``, plus ``smoothing``
    pseudo-rows spread as LF ``j``'s outcomes are over all rows (dev and ``L``, labels unused):
    an LF seen on few dev rows says little, an LF that fires more on one class says so even if
    it never votes for it, and a vote never seen on dev is not impossible. The class prior is
    the dev class balance (plus one per class). The posterior multiplies the prior and each LF's
    ``P(o | y)``. With ``restrict_to_voted``, a row with votes gets probability 0 for classes no LF
    voted for: the model reweights the LFs but never overrules all of them, which keeps it close to
    majority vote when the dev split is small or differs from the data. But one-class rules that the dev gold shows
    wrong on most of their votes (11% precise rules for a rare class: ``trusted_`` False,
    :func:`~weaksup.models.dev.trusted_lfs`) then force their class on every row only they vote on, at one
    confidence; ``"trusted"`` lets only the other LFs restrict (those votes still count as evidence). Not the
    default: on TREC, whose test split differs from its dev split, it cost 12.8 points (+7 on dev halves).

    With ``unlabeled="auto"`` the same tables are also learned without labels from ``L`` by EM
    (:class:`DawidSkene`). With ``shrink_toward="unlabeled"`` they centre the shrinkage of every
    LF that votes for two classes or more: its ``smoothing`` pseudo-rows follow its EM table
    instead of the spread (``source_`` ``"dev+unlabeled"``), so an LF seen on few dev rows (a crowd
    worker) keeps what the votes say of it; an LF that only ever votes one class (a keyword rule)
    keeps the spread, since the votes do not identify its EM table. (In repeated half/half splits
    of the dev rows of 13 WRENCH-format sets this was never worse, and up to 9 points better on
    the crowd set, with all the half's rows or 10 of them; it is not the default because it moves
    three of the shipped example's labels.) A thin dev split (fewer than ``thin_dev`` rows per class on
    average) is centred so whatever ``shrink_toward`` says: in repeated draws of 10 rows from the dev splits
    of 13 WRENCH-format sets, scored on the other dev rows, the EM centre was up to 2.8 points better and at
    most 0.14 worse; from 10 rows per class on it was as often worse as better. That holds for two classes; with
    more (``thin_toward="auto"``), whose EM tables the votes seldom identify, a thin dev split centres each such LF
    on a one-coin table instead (``shrink_toward="onecoin"``, :func:`onecoin_table`: majority vote's assumption,
    every LF right with the pooled dev accuracy, abstaining alike on every class) with ``smoothing`` pseudo-*votes*
    (``smoothing / coverage`` pseudo-rows: a crowd worker seen voting on two dev rows stays near the centre), and
    the EM tables are not tried (``source_`` ``"dev+onecoin"``). In draws of 10, 20 and 40 dev rows of the five
    shared sets with three classes or more, scored on their other dev rows, that was up to 2.9 points better than
    the EM centre (crowd_dog +2.3 at 10 rows, DomainNet +2.9, ChemProt +2.5 at 20) and at worst 0.06 worse (TREC).
    The EM tables then replace the dev-counted ones
    only if they predict the dev gold better (lower Brier score than the out-of-fold dev
    predictions, before any restriction). That wins when ``L`` is large and the LFs behave
    as the model assumes; the dev counts win when they do not (the usual case on WRENCH).

    With ``calibrate`` (default), the probabilities are calibrated on the out-of-fold dev
    predictions (:func:`weaksup.models.calibrate.cross_fitted_calibration`: mixed with the uniform
    distribution and tempered, kept only if that lowers the held-out dev calibration error). A
    naive Bayes posterior multiplies evidence the LFs share, so it is overconfident; calibrating
    never changes a row's most probable class.

    With ``stack=True`` (opt-in) and at least 50 dev rows (5 of each class), a discriminative head is tried on top
    (:func:`weaksup.models.stacker.fit_stack_head`, :class:`~weaksup.models.DevStacker` to set its knobs): an L2
    logistic regression on the one-hot votes offset by the calibrated posterior, so it learns what naive Bayes
    cannot (LFs that copy each other, an LF right on one class only) and stays at naive Bayes as its penalty
    grows. Its strength is cross-validated on the out-of-fold dev predictions, and it is kept only if its held-out
    dev metric beats naive Bayes' by more than 2 standard errors (``stack_note_`` says what the dev rows showed).
    On dev (``benchmarks/label_model_devcheck.py --models "default,default:stack=true"``, fitted on half of each
    shared set's dev rows, 10 draws, scored on the other half) it gained on TREC (+2.72), SMS (+0.13) and ChemProt
    (+0.09) and left the 10 other sets unchanged, but on TREC's test split (questions from another source than its
    train and valid rows) it lost 14.4 points (65.2 to 50.8, below majority vote's 60.8), so it is not the
    default: a shift between dev and the rows labeled is what a head fitted on dev cannot see.

    Parameters
    ----------
    cardinality : int, optional
        The number of classes (else the votes' largest class id + 1; a ``y_dev`` id above it is refused).
    smoothing : float, default 3.0
        Pseudo-rows of the shrinkage toward "the LF fires the same on every class"; must be > 0.
    restrict_to_voted : bool or "trusted", default True
        Only voted-for classes can be predicted on rows with votes (``"trusted"``: voted by a trusted LF).
    unlabeled : {"auto", "ignore"}, default "auto"
        Whether to try tables learned from ``L`` without labels (see above).
    shrink_toward : {"spread", "unlabeled", "onecoin"}, default "spread"
        The centre of the shrinkage of LFs voting several classes: the spread, (with ``unlabeled="auto"``)
        their EM tables, or one-coin tables (see above).
    thin_dev : float, default 10.0
        Dev rows per class (on average) below which the shrinkage is centred as ``thin_toward`` says
        (``"unlabeled"`` needs ``unlabeled="auto"``); 0 never. With ``metric="f1"``, fewer dev
        rows of a class than this give the coarse threshold (see ``metric``).
    thin_toward : {"auto", "unlabeled", "onecoin"}, default "auto"
        The centre on a thin dev split: ``"auto"`` is the EM tables for two classes, one-coin tables for more.
    max_unlabeled : int, default 100_000
        At most this many rows of ``L`` are used for the smoothing (the EM sees every row): a seeded sample that
        depends on the rows, not their order (:func:`weaksup.models.sampling.multiset_sample`), so the engines,
        which fit on the vote patterns, smooth on the rows the streaming run does.
    calibrate : bool, default True
        Calibrate the probabilities on the out-of-fold dev predictions (see above).
    stack : bool, default False
        Try the stacking head on enough dev rows (see above); ``False``: naive Bayes alone.
    metric : {"acc", "f1"}, default "acc"
        ``"f1"`` (two classes) tunes the threshold on ``P(class 1)`` for binary F1 on dev; with fewer than
        ``thin_dev`` dev rows of a class it is 0.5 or 0 (every row positive), whichever has the better
        out-of-fold dev F1 (:func:`weaksup.models.dev.coarse_f1_threshold`; on 10-50-row draws of three F1
        sets' dev splits, scored on their other dev rows, up to 3.8 points better, at worst 0.04 worse).
    n_folds : int, default 5
        Folds of the out-of-fold dev predictions the F1 threshold is tuned on.
    seed : int, default 0
        Seeds the folds, the EM sample and ``predict(tie_break="seeded_random")``.

    Examples
    --------
    >>> L_dev = [[0, 0, 1], [1, 1, 0], [0, 1, -1], [1, 0, 1], [0, -1, 0], [1, 1, -1], [-1, 0, 1], [0, 1, 1]] * 4
    >>> y_dev = [0, 1, 0, 1, 0, 1, 0, 0] * 4  # LF 0 is right whenever it votes, LFs 1 and 2 are noisy
    >>> model = DevNaiveBayes(cardinality=2).fit([[0, 1, 1], [1, -1, 0]] * 10, L_dev=L_dev, y_dev=y_dev)
    >>> model.source_, model.raw_proba([[0, 1, 1], [-1, -1, -1]]).round(2).tolist()
    ('dev', [[0.93, 0.07], [0.98, 0.02]])
    >>> model.mix_, round(model.temperature_, 2)  # calibrated on the out-of-fold dev predictions
    (0.3, 0.26)
    >>> model.predict([[0, 1, 1], [1, 0, 0]]).tolist()  # LF 0 outweighs the two others
    [0, 1]
    """

    name = "DevNaiveBayes"
    uses_dev_gold = True
    supports_sample_weight = False
    _fitted = ("class_prior_", "log_conditional_", "source_", "dev_brier_", "trusted_", "mix_", "temperature_",
               "threshold_", "stack_C_", "stack_coef_", "stack_mix_", "stack_temperature_", "stack_note_")
    parameter_constraints = {**DevAwareModel.parameter_constraints, "smoothing": {"low": 0, "low_open": True},
                             "restrict_to_voted": (True, False, "trusted"), "unlabeled": ("auto", "ignore"),
                             "shrink_toward": ("spread", "unlabeled", "onecoin"), "thin_dev": {"low": 0},
                             "thin_toward": ("auto", "unlabeled", "onecoin"),
                             "max_unlabeled": {"low": 1, "integer": True}, "calibrate": (True, False),
                             "stack": (True, False)}
    class_prior_: np.ndarray
    log_conditional_: np.ndarray
    source_: str
    dev_brier_: dict[str, float] | None
    #: ``(m,)`` the LFs the dev gold does not show wrong on most votes (None without dev rows).
    trusted_: np.ndarray | None
    #: The calibration (:func:`weaksup.models.calibrate.calibrated`): ``0.0`` and ``1.0`` when none.
    mix_: float
    temperature_: float
    #: The stacking head (:func:`weaksup.models.stacker.fit_stack_head`; ``stack_C_ == 0``: none) and why.
    stack_C_: float
    stack_coef_: np.ndarray
    stack_mix_: float
    stack_temperature_: float
    stack_note_: str

    def __init__(self, cardinality: int | None = None, *, smoothing: float = 3.0, restrict_to_voted: bool | str = True,
                 unlabeled: str = "auto", shrink_toward: str = "spread", thin_dev: float = 10.0,
                 thin_toward: str = "auto", max_unlabeled: int = 100_000,
                 calibrate: bool = True, stack: bool = False, metric: str = "acc", n_folds: int = 5,
                 seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.smoothing = smoothing
        self.restrict_to_voted = restrict_to_voted
        self.unlabeled = unlabeled
        self.shrink_toward = shrink_toward
        self.thin_dev = thin_dev
        self.thin_toward = thin_toward
        self.max_unlabeled = max_unlabeled
        self.calibrate = calibrate
        self.stack = stack
        self.metric = metric
        self.n_folds = n_folds

    def fit(self, L: Any, *, L_dev: Any = None, y_dev: Any = None) -> Self:
        """Count each LF's outcomes per class on the dev gold rows (and, with ``unlabeled="auto"``, try EM on ``L``)."""
        full, dev, y = check_dev(self, L, L_dev, y_dev)
        # a seeded sample of L is plenty for the smoothing's spread; the same rows whatever their order (the engines')
        arr = multiset_sample(full, self.max_unlabeled, self.seed)
        self._center: np.ndarray | None = None
        self._onecoin: np.ndarray | None = None
        self.source_, self.dev_brier_ = "dev", None
        toward, thin = self.shrink_toward, self._thin_dev(y)
        thin_toward = self.thin_toward
        if thin_toward == "auto":  # EM tables are identified from two classes' votes, seldom from more
            thin_toward = "unlabeled" if self.cardinality_ == 2 else "onecoin"
        if toward == "spread" and thin:
            toward = thin_toward
        if toward == "onecoin" and len(y):
            self._onecoin, self.source_ = several_classes(arr, dev), "dev+onecoin"
        self.log_conditional_, self.class_prior_ = self._dev_tables(arr, dev, y)
        self.mix_, self.temperature_ = IDENTITY
        em_tried = not (thin and self.shrink_toward == "spread" and thin_toward == "onecoin")
        if self.unlabeled == "auto" and len(arr) and len(y) and em_tried:
            self._try_unlabeled(full, arr, dev, y)
        self.trusted_ = trusted_lfs(dev, y, several_classes(arr, dev)) if len(y) else None
        self.threshold_ = None
        settings = self.stack_settings()
        self.stack_C_, self.stack_coef_, self.stack_mix_, self.stack_temperature_ = 0.0, np.zeros(0), *IDENTITY
        self.stack_note_ = "not tried (stack=False)" if settings is None else "no dev rows"
        if (self.calibrate or self.metric == "f1" or settings is not None) and len(y):
            # repeats of the out-of-fold predictions (other folds each time): a steadier calibration
            repeats = CALIBRATION_REPEATS if self.calibrate or settings is not None else 1
            honest = np.concatenate([self.honest_dev_proba(arr, dev, y, self.seed + 7919 * r) for r in range(repeats)])
            if self.calibrate:
                stacked_y = np.tile(y, len(honest) // len(y))
                self.mix_, self.temperature_ = cross_fitted_calibration(honest, stacked_y, len(y), self.seed)
                honest = calibrated(honest, self.mix_, self.temperature_)
            if self.metric == "f1" and np.bincount(y, minlength=2).min() < self.thin_dev:  # too few of a class
                self.threshold_ = coarse_f1_threshold(honest[:, 1], np.tile(y, len(honest) // len(y)))
            elif self.metric == "f1":  # on the first repeat's predictions
                self.threshold_ = f1_threshold(honest[:len(y), 1], y)
            if settings is not None:
                self._stack(dev, y, np.split(honest, repeats), settings)
        del self._center, self._onecoin
        return self

    def _thin_dev(self, y: np.ndarray) -> bool:  # fewer than ``thin_dev`` dev rows per class on average
        return bool(len(y) < self.thin_dev * self.cardinality_)

    def stack_settings(self) -> dict[str, Any] | None:
        """The knobs of the stacking head (:data:`weaksup.models.stacker.STACK_DEFAULTS`), or None with
        ``stack=False``."""
        from weaksup.models.stacker import STACK_DEFAULTS

        return dict(STACK_DEFAULTS) if self.stack else None

    def _stack(self, dev: np.ndarray, y: np.ndarray, honest: list[np.ndarray], settings: dict[str, Any]) -> None:
        """Fit the stacking head on the out-of-fold (calibrated) dev predictions ``honest``; keep it if chosen."""
        from weaksup.models.stacker import fit_stack_head

        head = fit_stack_head(dev, y, honest, metric=self.metric, n_folds=self.n_folds, seed=self.seed,
                              calibrate=self.calibrate, thin_dev=self.thin_dev, **settings)
        self.stack_note_ = head.note
        if head.C > 0:
            self.stack_C_, self.stack_coef_, self.stack_mix_, self.stack_temperature_ = \
                head.C, head.coef, head.mix, head.temperature
            self.threshold_ = head.threshold
        logger.info("%s stacking head: %s", type(self).__name__, head.note)

    def _dev_tables(self, arr: np.ndarray, dev: np.ndarray, y: np.ndarray,
                    seen: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``log P(outcome o of LF j | class y)`` as ``(m, k, k + 1)`` and the class prior, from dev counts
        (``seen``: :func:`outcome_counts` of ``arr``, when already counted)."""
        k, m = self.cardinality_, self.n_lfs_
        width = k + 1  # outcome o = vote + 1: 0 is abstain
        # how each LF's outcomes are spread over all rows, with half a row per outcome so none is impossible
        spread = self._spread(arr, dev, seen)
        # dev counts[j, y, o], one bincount over all (row, LF) pairs
        cells = (np.arange(m) * width + y[:, None] * (m * width)) + dev + 1
        counts = np.bincount(cells.ravel(), minlength=k * m * width).reshape(k, m, width).transpose(1, 0, 2)
        center = getattr(self, "_center", None)  # the EM tables, when they centre the shrinkage
        several = getattr(self, "_onecoin", None)  # LFs whose shrinkage a one-coin table centres
        strength: float | np.ndarray = self.smoothing
        if several is not None and several.any() and len(y):
            center = np.where(several[:, None, None], onecoin_table(spread[:, 0, :], dev[:, several], y), spread)
            # smoothing pseudo-votes, not pseudo-rows: a sparse LF (a crowd worker) is seen voting on few dev rows
            fires = np.maximum(1 - spread[:, :, :1], 1.0 / (len(arr) + len(dev) + 1))
            strength = np.where(several[:, None, None], self.smoothing / fires, self.smoothing)
        table = (counts + strength * (spread if center is None else center)) \
            / (counts.sum(axis=2, keepdims=True) + strength)
        return np.log(table), (np.bincount(y, minlength=k) + 1.0) / (len(y) + k)

    def _spread(self, arr: np.ndarray, dev: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
        """``(m, 1, k + 1)`` how each LF's outcomes are spread over ``arr`` and ``dev`` (labels unused), with half a
        row per outcome so none is impossible (``seen``: :func:`outcome_counts` of ``arr``, when counted)."""
        k = self.cardinality_
        seen = outcome_counts(arr, k) if seen is None else seen
        spread = 0.5 + (seen + outcome_counts(dev, k))
        out: np.ndarray = (spread / spread.sum(axis=1, keepdims=True))[:, None, :]
        return out

    def _try_unlabeled(self, full: np.ndarray, arr: np.ndarray, dev: np.ndarray, y: np.ndarray) -> None:
        """With ``shrink_toward="unlabeled"`` (or a thin dev split: ``thin_dev``), shrink the dev counts toward the EM
        tables from all of ``L`` (``full``,
        fitted on its distinct rows with their counts); then replace them by the EM tables if those predict the dev
        gold better (Brier); ``arr`` is the sample the dev tables were smoothed on."""
        from weaksup.models.dawid_skene import DawidSkene, naive_bayes_proba
        from weaksup.models.fitting import fit_label_model

        em = fit_label_model(DawidSkene(self.cardinality_, seed=self.seed), full)
        em_log_conditional, em_prior = np.log(em.confusion_), em.class_prior_
        # an LF that votes for two or more classes: EM tells its behaviour on each class apart (a crowd worker);
        # one that votes a single class (a keyword rule) leaves EM its k * (k + 1) numbers unidentified
        several = several_classes(arr, dev)
        thin = self._thin_dev(y) and self.thin_toward in ("unlabeled", "auto")
        if (self.shrink_toward == "unlabeled" or (thin and self.shrink_toward == "spread")) and several.any():
            spread = np.broadcast_to(self._spread(arr, dev), em.confusion_.shape)
            self._center, self.source_ = np.where(several[:, None, None], em.confusion_, spread), "dev+unlabeled"
            self.log_conditional_, self.class_prior_ = self._dev_tables(arr, dev, y)
        from_dev = self.out_of_fold(arr, dev, y, self.seed, restrict_to_voted=False)
        from_em = naive_bayes_proba(dev, em_log_conditional, np.log(em_prior))
        brier = self.dev_brier_ = {self.source_: brier_score(from_dev, y), "unlabeled": brier_score(from_em, y)}
        if brier["unlabeled"] < brier[self.source_]:
            self.log_conditional_, self.class_prior_, self.source_ = em_log_conditional, em_prior, "unlabeled"
        logger.info("DevNaiveBayes dev Brier %s: tables from %s", self.dev_brier_, self.source_)

    def _honest_dev_proba(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.honest_dev_proba(L, dev, y, self.seed)

    def honest_dev_proba(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray, seed: int) -> np.ndarray:
        """Out-of-fold dev probabilities, uncalibrated (EM tables never saw the dev labels: in-sample then)."""
        if self.source_ == "unlabeled":
            return self.raw_proba(dev)
        return self.out_of_fold(L, dev, y, seed, restrict_to_voted=bool(self.restrict_to_voted))

    def out_of_fold(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray, seed: int, *,
                    restrict_to_voted: bool) -> np.ndarray:
        """``(n_dev, k)`` posterior of each dev row from dev-counted tables without the row's fold (folds of
        :func:`~weaksup.models.dev_folds` with ``seed``; in-sample with fewer than 2 dev rows): what refitting
        with ``unlabeled="ignore"`` on ``L`` and the other folds gives, from the counts, without refitting."""
        n_folds = min(self.n_folds, len(y))
        seen = outcome_counts(L, self.cardinality_)
        if n_folds < 2:
            return posterior(dev, *self._dev_tables(L, dev, y, seen), restrict_to_voted, self._trusting(L, dev, y))
        folds = dev_folds(y, n_folds, seed)
        proba = np.zeros((len(y), self.cardinality_))
        for f in range(n_folds):
            held = folds == f
            tables = self._dev_tables(L, dev[~held], y[~held], seen)
            proba[held] = posterior(dev[held], *tables, restrict_to_voted, self._trusting(L, dev[~held], y[~held]))
        return proba

    def predict_proba(self, L: Any) -> np.ndarray:
        """The naive Bayes posterior (:meth:`raw_proba`), calibrated (``mix_``, ``temperature_``), then through the
        stacking head when there is one (``stack_C_ > 0``)."""
        votes = self._check_L(L)
        proba = posterior(votes, self.log_conditional_, self.class_prior_, bool(self.restrict_to_voted),
                          self.trusted)
        mix, temperature = getattr(self, "mix_", 0.0), getattr(self, "temperature_", 1.0)
        proba = proba if (mix, temperature) == IDENTITY else calibrated(proba, mix, temperature)
        if getattr(self, "stack_C_", 0.0) > 0:
            from weaksup.models.stacker import stacked_proba

            proba = calibrated(stacked_proba(votes, proba, self.stack_coef_), self.stack_mix_, self.stack_temperature_)
        return proba

    def raw_proba(self, L: Any) -> np.ndarray:
        """``(n, k)`` naive Bayes posterior of each row of ``L``, before any calibration."""
        return posterior(self._check_L(L), self.log_conditional_, self.class_prior_, bool(self.restrict_to_voted),
                          self.trusted)

    @property
    def trusted(self) -> np.ndarray | None:
        """``trusted_`` with ``restrict_to_voted="trusted"`` (else, or before it existed: None, every LF)."""
        return getattr(self, "trusted_", None) if self.restrict_to_voted == "trusted" else None

    def _trusting(self, L: np.ndarray, dev: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """The LFs trusted by the dev rows ``(dev, y)`` (out-of-fold: the other folds'); None: every LF."""
        return trusted_lfs(dev, y, several_classes(L, dev)) if self.restrict_to_voted == "trusted" else None
