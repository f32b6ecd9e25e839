"""Multi-label evaluation: micro/macro F1, per-label precision/recall/F1/support/ECE, Hamming loss, subset accuracy
and the label-set size distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import ParameterError
from weaksup.metrics import expected_calibration_error


def _as_sets(Y: Any, k: int, name: str) -> np.ndarray:
    arr = np.asarray(Y)
    if arr.ndim != 2 or arr.shape[1] != k:
        raise ParameterError(f"{name} must be an (n, {k}) bool array (one column per label); got shape {arr.shape}")
    if arr.dtype != bool and arr.size and not np.isin(arr, (0, 1)).all():
        raise ParameterError(f"{name} must be bool (or 0/1): True where the row carries the label")
    return arr.astype(bool)


def multilabel_metrics(Y_true: Any, Y_pred: Any, *, labels: Sequence[str], probs: Any = None,
                       n_bins: int = 10) -> dict[str, Any]:
    """Metrics of predicted label sets against gold label sets.

    Parameters
    ----------
    Y_true, Y_pred : array of bool, shape (n, k)
        Gold and predicted label sets.
    labels : sequence of str
        The ``k`` label names (a :class:`~weaksup.multilabel.MultiLabelSpace`'s ``labels``).
    probs : array of float, shape (n, k), optional
        Predicted per-label probabilities: gives each label's ECE (binary, :func:`weaksup.metrics.
        expected_calibration_error`) and the mean ``"ece"`` over labels; NaN without them.
    n_bins : int, default 10

    Returns
    -------
    dict
        ``micro_f1``, ``macro_f1`` (mean of the per-label F1, 0 for a label neither gold nor predicted),
        ``micro_precision``, ``micro_recall``, ``hamming`` (share of wrong cells), ``subset_acc`` (exact set
        match), ``ece`` (mean per-label ECE), ``per_label`` (DataFrame: label, precision, recall, f1, support,
        predicted, ece) and ``set_sizes`` (``{"true": {size: rows}, "pred": {size: rows}}``).

    Examples
    --------
    >>> Y = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    >>> P = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1]], dtype=bool)
    >>> m = multilabel_metrics(Y, P, labels=["a", "b", "c"])
    >>> round(m["micro_f1"], 3), round(m["macro_f1"], 3), round(m["hamming"], 3), round(m["subset_acc"], 3)
    (0.75, 0.778, 0.222, 0.333)
    >>> m["per_label"].iloc[0][["label", "precision", "recall", "support"]].astype(str).tolist()
    ['a', '0.5', '1.0', '1']
    >>> m["set_sizes"]
    {'true': {1: 2, 2: 1}, 'pred': {1: 2, 2: 1}}
    """
    names = [str(x) for x in labels]
    k = len(names)
    T = _as_sets(Y_true, k, "Y_true")
    P = _as_sets(Y_pred, k, "Y_pred")
    if T.shape != P.shape:
        raise ParameterError(f"Y_true {T.shape} and Y_pred {P.shape} must have the same shape")
    tp = (T & P).sum(axis=0).astype(np.float64)
    fp = (~T & P).sum(axis=0).astype(np.float64)
    fn = (T & ~P).sum(axis=0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    ece = np.full(k, np.nan)
    if probs is not None:
        prob = np.asarray(probs, dtype=np.float64)
        if prob.shape != T.shape:
            raise ParameterError(f"probs has shape {prob.shape}; expected {T.shape}")
        for c in range(k):
            ece[c] = expected_calibration_error(T[:, c].astype(np.int64),  # every row is decided yes or no: at
                                                np.column_stack([1 - prob[:, c], prob[:, c]]), n_bins,  # 0.5 too
                                                y_pred=(prob[:, c] > 0.5).astype(np.int64))
    per_label = pd.DataFrame({"label": names, "precision": precision, "recall": recall, "f1": f1,
                              "support": T.sum(axis=0).astype(np.int64), "predicted": P.sum(axis=0).astype(np.int64),
                              "ece": ece})
    n = len(T)
    TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
    return {
        "micro_f1": float(2 * TP / (2 * TP + FP + FN)) if TP + FP + FN else 0.0,
        "macro_f1": float(f1.mean()) if k else float("nan"),
        "micro_precision": float(TP / (TP + FP)) if TP + FP else 0.0,
        "micro_recall": float(TP / (TP + FN)) if TP + FN else 0.0,
        "hamming": float((T != P).mean()) if n else float("nan"),
        "subset_acc": float((T == P).all(axis=1).mean()) if n else float("nan"),
        "ece": float(np.nanmean(ece)) if probs is not None and k and n else float("nan"),
        "per_label": per_label,
        "set_sizes": {"true": _sizes(T), "pred": _sizes(P)},
    }


def _sizes(Y: np.ndarray) -> dict[int, int]:
    sizes, counts = np.unique(Y.sum(axis=1), return_counts=True)
    return {int(s): int(c) for s, c in zip(sizes, counts)}


def headline(metrics: dict[str, Any], digits: int = 4) -> dict[str, float]:
    """The four headline figures of :func:`multilabel_metrics`, rounded (what the benchmark JSON stores).

    Examples
    --------
    >>> headline({"macro_f1": 0.51234, "micro_f1": 0.6, "hamming": 0.04, "subset_acc": 0.3})
    {'macro_f1': 0.5123, 'micro_f1': 0.6, 'hamming': 0.04, 'subset_acc': 0.3}
    """
    return {key: round(float(metrics[key]), digits) for key in ("macro_f1", "micro_f1", "hamming", "subset_acc")}
