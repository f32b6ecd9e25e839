"""An adapter over Snorkel's ``LabelModel`` (Ratner et al., AAAI 2019), saved without pickle."""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.models.base import BaseLabelModel, as_votes


class SnorkelLabelModel(BaseLabelModel):
    """Snorkel's matrix-completion label model behind the weaksup contract.

    Fitting runs Snorkel (``pip install torch==2.13.0 'weaksup[snorkel]'``). Prediction uses
    the learned conditional probabilities ``mu_`` and class balance ``class_prior_`` in NumPy,
    the same formula as Snorkel's ``predict_proba``, so a saved model (JSON) predicts without
    torch. Snorkel is run with ``verbose=False``: it logs nothing, and no logger is touched.

    Parameters
    ----------
    cardinality : int, optional
    n_epochs : int, default 500
        Training epochs.
    lr : float, default 0.01
        Learning rate.
    l2 : float, default 0.0
        L2 penalty on the parameters.
    optimizer : {"sgd", "adam", "adamax"}, default "sgd"
    prec_init : float, default 0.7
        The LFs' initial precision.
    class_balance : sequence of float, optional
        Known class proportions (Snorkel assumes uniform otherwise).
    seed : int, default 0
    """

    name = "SnorkelLabelModel"
    uses_dev_gold = False
    supports_sample_weight = False
    _fitted = ("mu_", "class_prior_")
    parameter_constraints = {"n_epochs": {"low": 1, "integer": True}, "lr": {"low": 0, "low_open": True},
                             "l2": {"low": 0}, "optimizer": ("sgd", "adam", "adamax"),
                             "prec_init": {"low": 0, "high": 1}}
    mu_: np.ndarray
    class_prior_: np.ndarray

    def __init__(self, cardinality: int | None = None, *, n_epochs: int = 500, lr: float = 0.01, l2: float = 0.0,
                 optimizer: str = "sgd", prec_init: float = 0.7, class_balance: list[float] | None = None,
                 seed: int = 0) -> None:
        super().__init__(cardinality, seed=seed)
        self.n_epochs = n_epochs
        self.lr = lr
        self.l2 = l2
        self.optimizer = optimizer
        self.prec_init = prec_init
        self.class_balance = class_balance

    @classmethod
    def missing_requirement(cls) -> str | None:
        """Why fitting cannot run here (Snorkel, or the torch it imports, cannot be imported), with the install
        line; ``None`` when it can. A run checks this while validating its config, before any LF runs.

        Examples
        --------
        >>> problem = SnorkelLabelModel.missing_requirement()
        >>> problem is None or "pip install torch==2.13.0 'weaksup[snorkel]'" in problem
        True
        """
        try:
            from snorkel.labeling.model import LabelModel  # noqa: F401
        except ImportError as exc:
            return (f"{cls.__name__} needs Snorkel, which cannot be imported ({exc}): "
                    f"pip install torch==2.13.0 'weaksup[snorkel]', or use another label model (e.g. DawidSkene)")
        return None

    def fit(self, L: Any) -> Self:
        """Fit Snorkel's ``LabelModel`` on ``L`` (needs Snorkel and torch) and keep its ``mu`` and class balance."""
        self.check_params()
        arr = as_votes(L, self.cardinality)
        if arr.shape[1] < 3:
            raise LabelModelError(
                f"Snorkel's LabelModel needs at least 3 LFs; got {arr.shape[1]}. Use MajorityVote or DawidSkene."
            )
        if not len(arr):
            raise LabelModelError("Snorkel's LabelModel cannot be fitted on 0 rows; pass the votes of at least one row")
        if (problem := self.missing_requirement()) is not None:  # pragma: no cover - depends on the install
            raise ImportError(problem)
        from snorkel.labeling.model import LabelModel as _SnorkelLM
        k = self.cardinality_ = self._k(arr)
        self.n_lfs_ = arr.shape[1]
        model = _SnorkelLM(cardinality=k, verbose=False)
        balance = None if self.class_balance is None else np.asarray(self.class_balance, dtype=float)
        model.fit(arr.astype(np.int64), class_balance=balance, n_epochs=self.n_epochs, lr=self.lr, l2=self.l2,
                  optimizer=self.optimizer, prec_init=self.prec_init, seed=self.seed, progress_bar=False)
        self.mu_ = model.mu.detach().cpu().numpy().astype(np.float64)
        self.class_prior_ = np.asarray(model.p, dtype=np.float64)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        arr = self._check_L(L)
        k, m = self.cardinality_, self.n_lfs_
        log_mu = np.log(np.asarray(self.mu_, dtype=np.float64))  # (m*k, k): P(lf j votes v | y) at row j*k+v
        scores = np.tile(np.log(np.asarray(self.class_prior_, dtype=np.float64)), (len(arr), 1))
        for j in range(m):
            voted = arr[:, j] >= 0
            scores[voted] += log_mu[j * k + arr[voted, j].astype(np.int64)]
        scores -= scores.max(axis=1, keepdims=True)
        proba: np.ndarray = np.exp(scores)
        proba /= proba.sum(axis=1, keepdims=True)
        return proba
