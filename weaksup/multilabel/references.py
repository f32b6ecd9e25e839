"""The supervised-on-dev reference of a multi-label run: does weak supervision beat training on the dev gold?

The question a practitioner asks first (issue "Earn its keep") is asked of a multi-label run too: the run's label
sets on the gold test rows are scored beside the same text classifier the multi-label end model uses
(:mod:`weaksup.multilabel.end_model`: TF-IDF word 1-2-grams, one logistic regression per label) trained on the
dev gold rows alone, its per-label thresholds tuned on its out-of-fold dev probabilities (no row's threshold
evidence comes from a classifier that saw it), and the verdict is said in macro-F1 points. The test rows only
score; nothing is chosen on them.

:func:`compare_multilabel_references` does it from arrays; a run calls it through
:meth:`weaksup.multilabel.task.MultiLabel.references`, and the report puts ``supervised_on_dev`` beside the label
model and per-label majority vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from weaksup.multilabel.metrics import headline, multilabel_metrics
from weaksup.multilabel.space import MultiLabelSpace

__all__ = ["FINAL", "SUPERVISED", "MultiLabelReferences", "compare_multilabel_references"]

#: The run's label sets, and the classifier trained on the dev gold alone.
FINAL, SUPERVISED = "final", "supervised_on_dev"


@dataclass(frozen=True)
class HeadlineScore:
    """One reference's headline figures on the gold rows (``as_dict``: macro/micro F1, Hamming, subset accuracy)."""

    values: dict[str, float]

    def as_dict(self) -> dict[str, float]:
        return dict(self.values)


@dataclass
class MultiLabelReferences:
    """The run's label sets and the supervised-on-dev classifier, scored on the gold test rows.

    Attributes
    ----------
    metrics : dict of str to dict
        :func:`~weaksup.multilabel.metrics.multilabel_metrics` of ``"final"`` and ``"supervised_on_dev"``.
    n_gold : int
        The dev gold rows the classifier was trained on.
    n_rows : int
        The gold test rows scored.
    split : str
    missing : None
        Always None: with dev and test gold rows there is always a verdict (the run says why before building these).
    """

    metrics: dict[str, dict[str, Any]]
    n_gold: int
    n_rows: int
    split: str = "test"
    missing: str | None = None

    @property
    def scores(self) -> dict[str, HeadlineScore]:
        """Headline figures per reference (what the run summary tabulates)."""
        return {name: HeadlineScore(headline(m)) for name, m in self.metrics.items()}

    @property
    def gain(self) -> float:
        """Macro-F1 of the run's label sets minus the supervised-on-dev classifier's (a fraction)."""
        return float(self.metrics[FINAL]["macro_f1"] - self.metrics[SUPERVISED]["macro_f1"])

    @property
    def verdict(self) -> str:
        """The answer in words, with where to write LFs when weak supervision does not win."""
        final, sup = self.metrics[FINAL]["macro_f1"], self.metrics[SUPERVISED]["macro_f1"]
        figures = f"(macro F1 {final:.3f} vs {sup:.3f})"
        if self.gain > 0:
            return (f"weak supervision adds +{100 * self.gain:.1f} macro-F1 points over training on your "
                    f"{self.n_gold:,} gold rows {figures}")
        ours = self.metrics[FINAL]["per_label"].set_index("label")["f1"]
        theirs = self.metrics[SUPERVISED]["per_label"].set_index("label")["f1"]
        behind = (theirs - ours).sort_values(ascending=False)
        worst = [str(label) for label, gap in behind.items() if gap > 0][:3]
        return (f"weak supervision does not beat training on your {self.n_gold:,} gold rows {figures}: write LFs "
                f"for {', '.join(worst) or 'the labels it misses'}, or label more")

    def lines(self) -> list[str]:
        """The verdict, then what the reference is (the run summary shows the figures as a table)."""
        return [self.verdict, f"{self.n_rows:,} gold {self.split} rows; {SUPERVISED}: TF-IDF + one logistic regression "
                              f"per label trained on the {self.n_gold:,} dev gold rows, its thresholds tuned on its "
                              "out-of-fold dev probabilities"]

    def text(self) -> str:
        """The lines and the figures as one text (``references.txt`` in MLflow)."""
        import pandas as pd

        table = pd.DataFrame({name: s.as_dict() for name, s in self.scores.items()}).T.to_string(
            float_format=lambda v: f"{v:.4f}")
        return f"on the gold {self.split} split:\n" + "\n".join(self.lines()) + "\n" + str(table) + "\n"

    def as_metrics(self) -> dict[str, float]:
        """Flat metric names for MLflow: ``final/<score>``, ``reference/supervised_on_dev/<score>``,
        ``final/gain_over_supervised`` (macro-F1, a fraction), ``reference/n_dev_gold`` (the dev gold rows
        ``supervised_on_dev`` was trained on) and ``reference/n_rows`` (the gold rows scored)."""
        out: dict[str, float] = {}
        for name, score in self.scores.items():
            prefix = f"{FINAL}/" if name == FINAL else f"reference/{name}/"
            out.update({prefix + key: value for key, value in score.as_dict().items()})
        out[f"{FINAL}/gain_over_supervised"] = self.gain
        out.update({"reference/n_dev_gold": float(self.n_gold), "reference/n_rows": float(self.n_rows)})
        return out


def compare_multilabel_references(texts_dev: Sequence[str] | np.ndarray, Y_dev: np.ndarray,
                                  texts_test: Sequence[str] | np.ndarray,
                                  Y_test: np.ndarray, final_sets: np.ndarray, space: MultiLabelSpace, *,
                                  n_folds: int = 5, seed: int = 0) -> MultiLabelReferences:
    """Score the run's label sets of the test rows beside a classifier trained on the dev gold alone.

    Parameters
    ----------
    texts_dev, Y_dev : the dev gold rows' texts and ``(n_dev, k)`` bool label sets
    texts_test, Y_test : the gold test rows' texts and label sets
    final_sets : array of bool, shape (n_test, k)
        The run's label sets of the test rows.
    space : MultiLabelSpace
    n_folds, seed : the cross-fitting of the dev probabilities the thresholds are tuned on

    Returns
    -------
    MultiLabelReferences

    Examples
    --------
    >>> space = MultiLabelSpace(["joy", "anger"])
    >>> texts = ["so happy", "happy day", "so angry", "angry day", "happy and angry", "happy again", "angry again",
    ...          "very happy", "very angry", "happy angry"] * 2
    >>> Y = np.array([["happy" in t, "angry" in t] for t in texts])
    >>> no_anger = Y[:6] & [True, False]  # the run's label sets: its LFs never find anger
    >>> refs = compare_multilabel_references(texts, Y, texts[:6], Y[:6], no_anger, space)
    >>> refs.scores["final"].as_dict()["macro_f1"], refs.scores["supervised_on_dev"].as_dict()["macro_f1"]
    (0.5, 1.0)
    >>> print(refs.verdict.replace(": ", ":" + chr(10)))
    weak supervision does not beat training on your 20 gold rows (macro F1 0.500 vs 1.000):
    write LFs for anger, or label more
    """
    from weaksup.multilabel.end_model import cross_fitted_proba, ovr_proba, text_features
    from weaksup.multilabel.thresholds import decide, tune_thresholds

    Y_dev, Y_test = np.asarray(Y_dev, dtype=bool), np.asarray(Y_test, dtype=bool)
    X = text_features([*texts_dev, *texts_test])  # TF-IDF fitted on the texts only (no labels)
    n_dev = len(texts_dev)
    P_dev = cross_fitted_proba(X[:n_dev], Y_dev, n_folds=min(n_folds, n_dev), seed=seed)
    P_test = ovr_proba(X[:n_dev], Y_dev, X[n_dev:], seed=seed)
    supervised = decide(P_test, tune_thresholds(P_dev, Y_dev), space)
    labels = list(space.labels)
    metrics = {FINAL: multilabel_metrics(Y_test, np.asarray(final_sets, dtype=bool), labels=labels),
               SUPERVISED: multilabel_metrics(Y_test, supervised, labels=labels, probs=P_test)}
    return MultiLabelReferences(metrics, n_gold=n_dev, n_rows=len(Y_test))
