"""Snorkel's label models with its names and meanings: ``LabelModel``, ``MajorityLabelVoter``,
``MajorityClassVoter``, ``RandomVoter``.

``LabelModel`` is backed by :class:`weaksup.models.SnorkelLabelModel`, which runs Snorkel's own algorithm (its
``fit`` calls Snorkel's) and predicts from the learned parameters in NumPy: with the same ``seed`` and train
config, its predictions equal Snorkel's ``LabelModel``'s (a test checks it). ``Y_dev`` means what it means in
Snorkel: it only sets the class balance (the share of each class in ``Y_dev``); ``class_balance``, when given,
wins, as in Snorkel, and a ``Y_dev`` passed beside it is reported as unused. For a model that *learns from* dev
gold, use weaksup's own :func:`weaksup.default_label_model` with ``fit(L, L_dev=..., y_dev=...)``.

``save`` writes JSON (never pickle; the file is JSON whatever its name) and ``load`` reads it back; a Snorkel
pickle is refused with a message, since unpickling can run code.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weaksup._io import atomic_path
from weaksup.compat.snorkel.analysis import LFAnalysis
from weaksup.compat.snorkel.utils import Scorer, probs_to_preds, to_int_label_array
from weaksup.errors import LabelModelError, NotFittedError
from weaksup.models import BaseLabelModel, SnorkelLabelModel
from weaksup.models.base import as_votes, class_counts, row_max

logger = logging.getLogger(__name__)

__all__ = ["MODEL_CONFIG", "TRAIN_CONFIG", "LabelModel", "MajorityClassVoter", "MajorityLabelVoter", "RandomVoter"]

#: ``LabelModel(cardinality, **kwargs)``: Snorkel's ``LabelModelConfig`` keywords and defaults.
MODEL_CONFIG: dict[str, Any] = {"verbose": True, "device": "cpu"}
#: ``LabelModel.fit(..., **kwargs)``: Snorkel's ``TrainConfig`` keywords and defaults (``seed=None``: Snorkel's
#: per-process default seed). ``optimizer_config`` and ``lr_scheduler_config`` default to Snorkel's configs.
TRAIN_CONFIG: dict[str, Any] = {"n_epochs": 100, "lr": 0.01, "l2": 0.0, "optimizer": "sgd", "optimizer_config": None,
                                "lr_scheduler": "constant", "lr_scheduler_config": None, "prec_init": 0.7,
                                "seed": None, "log_freq": 10, "mu_eps": None}
#: Train-config keywords that change only Snorkel's log lines, never the model.
LOG_ONLY = ("log_freq",)
_FORMAT = "weaksup.compat.snorkel.LabelModel"


def _unknown(what: str, given: Sequence[str], accepted: Sequence[str]) -> None:
    unknown = [key for key in given if key not in accepted]
    if unknown:
        raise LabelModelError(f"{what}: unknown keyword {unknown[0]!r}; the keywords Snorkel accepts here are "
                              f"{list(accepted)}")


class BaseLabeler:
    """What every Snorkel label model shares: ``predict``, ``score`` (Snorkel's ``BaseLabeler``)."""

    def __init__(self, cardinality: int = 2, **kwargs: Any) -> None:
        _unknown(f"{type(self).__name__}()", list(kwargs), [])
        self.cardinality = cardinality

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """``(n, cardinality)`` class probabilities of each row of ``L``."""
        raise NotImplementedError

    def predict(self, L: np.ndarray, return_probs: bool | None = False,
                tie_break_policy: str = "abstain") -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Class ids (ties by Snorkel's ``tie_break_policy``: ``"abstain"``, ``"random"`` = its deterministic
        hash, ``"true-random"``); with ``return_probs`` also the probabilities."""
        probs = self.predict_proba(L)
        preds = probs_to_preds(probs, tie_break_policy)
        return (preds, probs) if return_probs else preds

    def score(self, L: np.ndarray, Y: np.ndarray, metrics: Sequence[str] | None = ("accuracy",),
              tie_break_policy: str = "abstain") -> dict[str, float]:
        """Snorkel's metrics of ``predict(L)`` against ``Y``; rows predicted ``-1`` (or with gold ``-1``) are left
        out of every metric but ``coverage``, as in Snorkel."""
        if tie_break_policy == "abstain":
            logger.warning("Metrics calculated over data points with non-abstain labels only")
        preds, probs = self.predict(L, return_probs=True, tie_break_policy=tie_break_policy)
        return Scorer(metrics=metrics).score(Y, preds, probs)


class MajorityLabelVoter(BaseLabeler):
    """Majority vote (Snorkel's ``MajorityLabelVoter``): each row's most voted class; tied classes share the
    probability equally, a row without votes is uniform.

    Examples
    --------
    >>> L = np.array([[0, 0, -1], [-1, 0, 1], [1, -1, 0]])
    >>> MajorityLabelVoter().predict_proba(L).tolist()
    [[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]]
    """

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        counts = class_counts(as_votes(L, self.cardinality), self.cardinality)
        top: np.ndarray = (counts == row_max(counts)[:, None]).astype(np.float64)
        top /= top.sum(axis=1).reshape(-1, 1)
        return top


class MajorityClassVoter(BaseLabeler):
    """Every row gets the most common class of ``fit(balance)`` (Snorkel's ``MajorityClassVoter``)."""

    def fit(self, balance: np.ndarray, *args: Any, **kwargs: Any) -> None:
        """Keep the class balance ``balance`` (one share per class)."""
        self.balance = np.asarray(balance)

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        if not hasattr(self, "balance"):
            raise NotFittedError("MajorityClassVoter is not fitted: call fit(balance) first")
        top = (self.balance == self.balance.max()).astype(np.float64)
        return np.tile(top / top.sum(), (np.asarray(L).shape[0], 1))


class RandomVoter(BaseLabeler):
    """Random probabilities from NumPy's global random state (Snorkel's ``RandomVoter``)."""

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        probs = np.random.rand(np.asarray(L).shape[0], self.cardinality)
        probs /= probs.sum(axis=1).reshape(-1, 1)
        return probs


class LabelModel(BaseLabeler):
    """Snorkel's ``LabelModel`` (Ratner et al., AAAI 2019), backed by :class:`weaksup.models.SnorkelLabelModel`.

    Parameters
    ----------
    cardinality : int, default 2
    verbose : bool, default True
        Log the fit's settings and the class balance used.
    device : str, default "cpu"
        Only ``"cpu"``: weaksup fits on the CPU (another device is an error, never ignored).

    Examples
    --------
    >>> L = np.array([[0, 0, -1], [-1, 0, 1], [1, -1, 0], [1, 1, 1], [0, 0, 0]] * 5)
    >>> model = LabelModel(cardinality=2, verbose=False)
    >>> model.fit(L, n_epochs=100, seed=123, progress_bar=False)  # doctest: +SKIP
    >>> model.predict(L[:3])  # doctest: +SKIP
    array([ 0, -1, -1])
    >>> model.fit(L, n_epoch=100)
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: LabelModel.fit: unknown keyword 'n_epoch'; the keywords Snorkel accepts here \
are ['n_epochs', 'lr', 'l2', 'optimizer', 'optimizer_config', 'lr_scheduler', 'lr_scheduler_config', 'prec_init', \
'seed', 'log_freq', 'mu_eps']
    """

    def __init__(self, cardinality: int = 2, **kwargs: Any) -> None:
        _unknown("LabelModel()", list(kwargs), list(MODEL_CONFIG))
        self.cardinality = cardinality
        self.config = {**MODEL_CONFIG, **kwargs}
        if self.config["device"] != "cpu":
            raise LabelModelError(f"LabelModel(device={self.config['device']!r}): weaksup fits Snorkel's label model "
                                  "on the CPU only (an (LFs x classes)^2 problem, fast there); drop device=")
        self.train_config: dict[str, Any] = {}

    # -- fitting ---------------------------------------------------------------------------------------------------
    def _class_balance(self, class_balance: Any, Y_dev: Any) -> list[float] | None:
        """Snorkel's order: ``class_balance``, else the class shares of ``Y_dev``, else uniform (None)."""
        k = self.cardinality
        if class_balance is not None:
            balance = np.asarray(class_balance, dtype=np.float64).reshape(-1)
            if len(balance) != k:
                raise LabelModelError(f"class_balance has {len(balance)} entries. Does not match LabelModel "
                                      f"cardinality {k}.")
            if Y_dev is not None:
                logger.warning("LabelModel.fit: Y_dev is not used because class_balance is given (Snorkel uses "
                               "Y_dev only to estimate the class balance)")
            return balance.tolist()
        if Y_dev is None:
            return None
        classes, counts = np.unique(to_int_label_array(Y_dev), return_counts=True)
        if len(classes) != k:
            raise LabelModelError(f"Y_dev has {len(classes)} class(es) {classes.tolist()}. Does not match LabelModel "
                                  f"cardinality {k}: Y_dev sets the class balance, so it needs every class "
                                  "0..cardinality-1 and no -1")
        balance = counts / sum(counts)
        if self.config["verbose"]:
            logger.info("LabelModel.fit: class balance %s from the %d labels of Y_dev (Snorkel's use of Y_dev)",
                        np.round(balance, 4).tolist(), len(Y_dev))
        return [float(v) for v in balance]

    def _model_params(self, config: dict[str, Any], progress_bar: bool) -> dict[str, Any]:
        """The train config as :class:`SnorkelLabelModel` parameters; a setting it cannot honour is an error."""
        accepted = SnorkelLabelModel.param_names()
        params: dict[str, Any] = {}
        for key, value in config.items():
            if key == "prec_init" and np.ndim(value) != 0:  # Snorkel also takes one initial precision per LF
                raise LabelModelError(f"LabelModel.fit(prec_init={value!r}): weaksup's SnorkelLabelModel does not "
                                      "take one prec_init per LF yet; pass one number in [0, 1] for every LF "
                                      f"(Snorkel's default {TRAIN_CONFIG[key]!r}) or fit "
                                      "snorkel.labeling.model.LabelModel itself")
            if key in accepted:
                params[key] = value
            elif key not in LOG_ONLY and value is not TRAIN_CONFIG[key] and value != TRAIN_CONFIG[key]:
                raise LabelModelError(f"LabelModel.fit({key}={value!r}): weaksup's SnorkelLabelModel does not take "
                                      f"{key} yet; leave it at Snorkel's default ({TRAIN_CONFIG[key]!r}) or fit "
                                      "snorkel.labeling.model.LabelModel itself")
        for key, value in (("progress_bar", progress_bar), ("verbose", self.config["verbose"])):
            if key in accepted:
                params[key] = value
        return params

    def fit(self, L_train: np.ndarray, Y_dev: np.ndarray | None = None, class_balance: Sequence[float] | None = None,
            progress_bar: bool = True, **kwargs: Any) -> None:
        """Learn the LFs' conditional probabilities from ``L_train`` (Snorkel's algorithm and train config).

        Parameters
        ----------
        L_train : int array (n, m)
            The votes (``-1`` = abstain), at least 3 LFs.
        Y_dev : int array, optional
            Gold labels used only for the class balance (their class shares), as in Snorkel.
        class_balance : sequence of float, optional
            The share of each class; wins over ``Y_dev``. Uniform without either.
        progress_bar : bool, default True
        **kwargs
            Snorkel's train config (:data:`TRAIN_CONFIG`); an unknown keyword is an error naming the accepted ones.
        """
        _unknown("LabelModel.fit", list(kwargs), list(TRAIN_CONFIG))
        config = {**TRAIN_CONFIG, **kwargs}
        if config["seed"] is None:
            from snorkel.labeling.model.label_model import TrainConfig

            config["seed"] = int(TrainConfig().seed)  # Snorkel's default: one seed drawn when Snorkel is imported
            logger.info("LabelModel.fit: no seed given; using Snorkel's default seed %d (pass seed= to reproduce)",
                        config["seed"])
        L = as_votes(L_train, self.cardinality, where="L_train")
        balance = self._class_balance(class_balance, Y_dev)
        params = self._model_params(config, progress_bar)
        self._model = SnorkelLabelModel(self.cardinality, class_balance=balance, **params).fit(L)
        self.coverage = LFAnalysis(L).lf_coverages()
        self.train_config = config
        if self.config["verbose"]:
            logger.info("LabelModel.fit: %d rows x %d LFs, %s", len(L), L.shape[1],
                        ", ".join(f"{key}={value!r}" for key, value in params.items()))

    # -- the fitted model ------------------------------------------------------------------------------------------
    @property
    def model(self) -> SnorkelLabelModel:
        """The fitted :class:`weaksup.models.SnorkelLabelModel` (weaksup's contract: ``predict(L, tie_break=...)``)."""
        if not hasattr(self, "_model"):
            raise NotFittedError("LabelModel is not fitted: call fit(L_train) first")
        return self._model

    @property
    def mu(self) -> np.ndarray:
        """``(m * k, k)`` learned ``P(LF j votes v | Y = y)`` at row ``j * k + v`` (a NumPy array, not a tensor)."""
        return np.asarray(self.model.mu_)

    @property
    def p(self) -> np.ndarray:
        """The class balance used."""
        return np.asarray(self.model.class_prior_)

    @property
    def m(self) -> int:
        """The number of LFs."""
        return int(self.model.n_lfs_)

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        """``(n, k)`` ``P(Y | votes)``."""
        return self.model.predict_proba(L)

    def get_conditional_probs(self) -> np.ndarray:
        """``(m, k + 1, k)`` tables: ``[j, v + 1, y]`` = ``P(LF j votes v | Y = y)``, ``v = -1`` for abstain."""
        k = self.cardinality
        mu = self.mu.astype(np.float32)  # Snorkel's parameters are float32: the same sums, the same bits
        cprobs = np.zeros((self.m, k + 1, k))
        for j in range(self.m):
            cprobs[j, 1:, :] = mu[j * k:(j + 1) * k]
            cprobs[j, 0, :] = 1 - mu[j * k:(j + 1) * k].sum(axis=0)
        return cprobs

    def get_weights(self) -> np.ndarray:
        """Per LF, its learned accuracy ``sum_y P(LF votes y | Y = y) P(y)`` over its coverage, in [1e-6, 1]."""
        cprobs = self.get_conditional_probs()
        P = np.diag(self.p.astype(np.float32))
        accs = np.array([np.diag(cprobs[j, 1:, :] @ P).sum() for j in range(self.m)])
        return np.asarray(np.clip(accs / self.coverage, 1e-6, 1.0))

    # -- storage ---------------------------------------------------------------------------------------------------
    def save(self, destination: str | os.PathLike[str]) -> None:
        """Write the fitted model as JSON (never pickle), atomically, whatever the file's name."""
        doc = {"format": _FORMAT, "format_version": 1, "cardinality": self.cardinality, "config": self.config,
               "train_config": self.train_config, "coverage": self.coverage.tolist(), "model": self.model.to_dict()}
        with atomic_path(Path(destination)) as tmp:
            tmp.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")

    def load(self, source: str | os.PathLike[str]) -> None:
        """Read a model written by :meth:`save` into this one (nothing is unpickled)."""
        try:
            with open(source, encoding="utf-8") as fh:
                doc = json.load(fh)
        except FileNotFoundError:
            raise LabelModelError(f"label model file {str(source)!r} does not exist") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = None
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise LabelModelError(f"{source}: not a model written by weaksup.compat.snorkel.LabelModel.save (JSON). "
                                  "weaksup never unpickles (a pickle, such as Snorkel's save(), can run code): "
                                  "fit the model again and save it with this class")
        model = BaseLabelModel.from_dict(doc["model"], str(source))
        if not isinstance(model, SnorkelLabelModel):
            raise LabelModelError(f"{source}: holds a {type(model).__name__}, not a SnorkelLabelModel")
        self._model = model
        self.cardinality = int(doc["cardinality"])
        self.config = {**MODEL_CONFIG, **doc["config"]}
        self.train_config = dict(doc["train_config"])
        self.coverage = np.asarray(doc["coverage"], dtype=np.float64)
