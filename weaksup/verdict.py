"""The sentences that judge the labels: does weak supervision beat training on the gold rows
(:func:`supervised_verdict`), are its confidences honest (:func:`calibration_warning`), does a model beat always
predicting the most common class (:func:`majority_class_note`)?

:func:`weaksup.references.compare_references` scores the references and calls these; they hold the rules of the
wording: an exact McNemar test for "within noise" (:func:`within_noise`, :data:`NOISE_ALPHA`; the label model
against majority vote, :meth:`weaksup.evaluate.Evaluation.summary`, reads it too), macro recall named when it
favours the side accuracy does not (:data:`MACRO_MARGIN`), and the advice on which classes need LFs (first those
the final labels find no gold row of, and those no LF votes for).

Examples
--------
>>> import numpy as np
>>> calibration_warning(np.array([0, 1]), np.array([[0.5, 0.5], [0.5, 0.5]]), 0.05) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import binomtest

from weaksup.errors import ParameterError

if TYPE_CHECKING:
    from weaksup.references import ReferenceScore

__all__ = ["ECE_WARNING", "HIGH_CONFIDENCE", "MACRO_MARGIN", "NOISE_ALPHA", "calibration_warning", "discordant",
           "majority_class_note", "supervised_verdict", "unvoted_classes", "within_noise"]

#: ECE above this earns a plain-language warning.
ECE_WARNING = 0.1
#: The verdict's noise rule: an exact McNemar test (two-sided binomial test, p = 1/2, of the rows only one of ``final``
#: and ``supervised_on_dev`` gets right); at a p-value >= this the accuracy difference is "within noise".
NOISE_ALPHA = 0.05
#: Macro recall is named in the verdict when it favours the side accuracy does not by at least this much.
MACRO_MARGIN = 0.05
#: Confidence at and above which a row counts as "labelled with high confidence" in the warning.
HIGH_CONFIDENCE = 0.9


def discordant(right: np.ndarray, right_other: np.ndarray) -> tuple[int, int]:
    """The rows only one of two labelings of the same rows gets right: ``(only the first, only the other)``, what
    :func:`within_noise` tests; their difference is the accuracy difference in rows.

    Examples
    --------
    >>> discordant(np.array([True, True, False, True]), np.array([True, False, True, False]))
    (2, 1)
    """
    first, other = np.asarray(right, dtype=bool), np.asarray(right_other, dtype=bool)
    return int((first & ~other).sum()), int((~first & other).sum())


def within_noise(wins: int, losses: int) -> bool:
    """Whether an accuracy difference is within noise: an exact McNemar test (a two-sided binomial test, p = 1/2)
    of the ``wins`` and ``losses`` (:func:`discordant`) gives p >= :data:`NOISE_ALPHA`, or no row differs.

    The one rule of every "within noise" the run says: the verdict (:func:`supervised_verdict`) and the label model
    against majority vote (:meth:`weaksup.evaluate.Evaluation.summary`).

    Examples
    --------
    >>> within_noise(3, 0), within_noise(10, 0), within_noise(0, 0)  # p = 0.25, p = 0.002, no difference
    (True, False, True)
    """
    return not wins + losses or bool(binomtest(wins, wins + losses).pvalue >= NOISE_ALPHA)


def supervised_verdict(right: np.ndarray, right_sup: np.ndarray, final: ReferenceScore, supervised: ReferenceScore,
                       n_gold: int, rows: str, unvoted: list[str]) -> tuple[str, bool]:
    """The verdict line and whether the final labels beat the classifier trained on the gold rows alone.

    Parameters
    ----------
    right, right_sup : array of bool, shape (n,)
        Where the final labels and the gold-only classifier are right (an abstain is wrong).
    final, supervised : ReferenceScore
        Their scores on the same rows (accuracy, macro recall, per-class recall).
    n_gold : int
        The gold rows the gold-only classifier learned from (the N of the sentence).
    rows : str
        What the rows are, e.g. ``"test rows"``.
    unvoted : list of str
        The classes no LF votes for: they lead the advice, after the classes whose gold rows the final labels never
        find (recall 0), which lead it whether or not the gold-only classifier finds them.

    Returns
    -------
    (str, bool)
        The sentence, and True when the final labels are more accurate.

    Examples
    --------
    >>> from weaksup.references import compare_references
    >>> y = np.array([0, 1, 1, 0])
    >>> refs = compare_references(y, {"supervised_on_dev": y, "final": np.array([0, 0, 0, 0])},
    ...                           covered=np.ones(4, bool), label_space=["ham", "spam"])
    >>> supervised_verdict(np.array([True, False, False, True]), np.ones(4, bool), refs["final"],
    ...                    refs["supervised_on_dev"], 4, "gold rows", ["spam"])[0]
    'weak supervision does not beat training on your 4 gold rows (final 0.500 vs 1.000: 2 of 4 gold rows, within noise): no LF votes for spam: write LFs for them, or label more'
    """
    wins, losses = discordant(right, right_sup)
    noise = within_noise(wins, losses)
    said = f"final {final.accuracy:.3f} vs {supervised.accuracy:.3f}: {abs(wins - losses)} of {len(right)} {rows}"
    said += ", within noise" if noise else ""
    gain, more = final.accuracy - supervised.accuracy, final.macro_recall - supervised.macro_recall
    if (more if gain <= 0 else -more) >= MACRO_MARGIN:  # macro recall favours the side accuracy does not
        who = f"{'the final labels find' if more > 0 else 'the gold-only classifier finds'} more of the small classes"
        said += f"; macro recall {final.macro_recall:.3f} vs {supervised.macro_recall:.3f}: {who}"
    if gain > 0:
        return f"weak supervision adds {100 * gain:+.1f} points over training on your {n_gold} gold rows ({said})", True
    # classes with gold rows the final labels never find (recall 0) lead, whatever the gold-only classifier does
    missed = [str(c) for c in final.recall[final.recall == 0].index if str(c) not in unvoted]
    behind = (final.recall - supervised.recall).dropna().sort_values(kind="stable")
    weak = [str(c) for c in behind[behind < 0].index if c not in unvoted and c not in missed][:3]
    lowest = [str(c) for c in final.recall.dropna().sort_values(kind="stable").index[:2]]
    unseen = [str(c) for c in final.recall[final.recall.isna()].index]  # classes the gold rows have none of
    also = f" (and for {', '.join(weak)})" if weak else ""
    lead = "; ".join(([f"the final labels find none of the gold rows of {', '.join(missed)}"] if missed else [])
                     + ([f"no LF votes for {', '.join(unvoted)}"] if unvoted else []))
    them = "it" if len(missed) == 1 and not unvoted else "them"
    advice = (f"{lead}: write LFs for {them}{also}, or label more" if lead
              else f"write LFs for {', '.join(weak or lowest)}, or label more" if weak or not unseen
              else f"label gold rows of {', '.join(unseen)}: the gold rows have none, so neither is judged there")
    return f"weak supervision does not beat training on your {n_gold} gold rows ({said}): {advice}", False


def calibration_warning(y_true: np.ndarray, proba: np.ndarray, ece: float,
                        y_pred: np.ndarray | None = None) -> str | None:
    """A plain-language sentence when the ECE is above :data:`ECE_WARNING`; None otherwise.

    Overconfidence is told as the accuracy of the rows labelled with at least 0.9 confidence (or, without
    any, of all rows against their mean confidence); underconfidence as mean confidence against accuracy. With
    ``y_pred`` (the classes the rows were given, e.g. ties broken), a row's confidence is that class's probability,
    as the ECE reads it; else the top probability.

    Examples
    --------
    >>> y = np.array([0, 1, 0, 1])
    >>> calibration_warning(y, np.tile([0.95, 0.05], (4, 1)), 0.45)
    'confidences are overstated (ECE 0.450): of the 4 rows labelled with >= 0.9 confidence only 50% are right'
    >>> calibration_warning(y, np.tile([0.95, 0.05], (4, 1)), 0.05) is None
    True
    """
    if not ece > ECE_WARNING:
        return None
    given = proba.argmax(axis=1) if y_pred is None else np.asarray(y_pred, dtype=np.int64)
    confidence = proba[np.arange(len(proba)), given]
    right = given == y_true
    if confidence.mean() >= right.mean():
        high = confidence >= HIGH_CONFIDENCE
        if high.any() and right[high].mean() < confidence[high].mean():  # (else the overstatement is elsewhere)
            return (f"confidences are overstated (ECE {ece:.3f}): of the {int(high.sum())} rows labelled with >= "
                    f"{HIGH_CONFIDENCE} confidence only {right[high].mean():.0%} are right")
        return (f"confidences are overstated (ECE {ece:.3f}): mean confidence {confidence.mean():.0%} but only "
                f"{right.mean():.0%} of the rows are right")
    return (f"confidences are understated (ECE {ece:.3f}): mean confidence {confidence.mean():.0%} but "
            f"{right.mean():.0%} of the rows are right")


def majority_class_note(accuracy: float, class_counts: Mapping[str, float]) -> str:
    """The warning when ``accuracy`` is no better than always predicting the most common gold class, else ``""``.

    Parameters
    ----------
    accuracy : float
        Accuracy over all the gold rows (an abstain counting as wrong).
    class_counts : mapping of str to number
        The gold rows of each class (those the accuracy is over), e.g. :meth:`weaksup.evaluate.Evaluation.class_counts`.

    Examples
    --------
    >>> majority_class_note(0.3, {"legit": 274, "fraud": 26})
    "NOT better than always predicting the most common class, 'legit' (0.913 of these gold rows)"
    >>> majority_class_note(0.95, {"legit": 274, "fraud": 26}), majority_class_note(0.3, {})
    ('', '')
    >>> majority_class_note(1.0, {"ham": 12, "spam": 0})  # one class in the gold rows: nothing to compare
    ''
    """
    total = float(sum(class_counts.values()))
    if not total or accuracy != accuracy or sum(1 for n in class_counts.values() if n) < 2:  # (one class: no choice)
        return ""
    common = max(class_counts, key=lambda name: class_counts[name])
    share = float(class_counts[common]) / total  # always predicting the most common gold class would score this
    if accuracy > share:
        return ""
    return f"NOT better than always predicting the most common class, {common!r} ({share:.3f} of these gold rows)"


def unvoted_classes(votes: np.ndarray, names: Sequence[str], vote_counts: np.ndarray | Sequence[int] | None = None
                    ) -> tuple[list[str], str | None]:
    """The classes no LF votes for on the rows labeled, and the warning that names them (None when every class
    has a vote). It needs no gold and no text, so a run says it with or without references.

    Parameters
    ----------
    votes : int array (rows, LFs)
        The votes (-1 abstains), or distinct vote patterns.
    names : sequence of str
        The class names, in class id order.
    vote_counts : int array (rows of ``votes``,), optional
        The rows each row of ``votes`` stands for (vote patterns with counts); one each by default.

    Examples
    --------
    >>> unvoted_classes(np.array([[0, -1], [0, 1]]), ["ham", "spam", "scam"])
    (['scam'], 'no LF votes for scam (none of the 3 votes on the 2 rows labeled): write LFs for them')
    >>> unvoted_classes(np.array([[0, 1]]), ["ham", "spam"], vote_counts=[5])[1] is None
    True
    """
    L = np.asarray(votes).reshape(len(votes), -1) if len(votes) else np.zeros((0, 0), dtype=np.int64)
    k = len(names)
    weights = _vote_weights(vote_counts, len(L))
    counts = sum((np.bincount(col[ok], weights=weights[ok], minlength=k).astype(np.int64)
                  for col in L.T for ok in [(col >= 0) & (col < k)]), np.zeros(k, np.int64))
    unvoted = [str(names[int(c)]) for c in np.flatnonzero(counts == 0)]
    warning = None if not unvoted else (f"no LF votes for {', '.join(unvoted)} (none of the {int(counts.sum()):,} "
                                        f"votes on the {int(weights.sum()):,} rows labeled): write LFs for them")
    return unvoted, warning


def _vote_weights(vote_counts: np.ndarray | Sequence[int] | None, n: int) -> np.ndarray:
    """The rows each of the ``n`` rows of ``votes`` stands for (``vote_counts``, else one each), checked."""
    if vote_counts is None:
        return np.ones(n, dtype=np.int64)
    weights = np.asarray(vote_counts, dtype=np.int64).reshape(-1)
    if len(weights) != n:
        raise ParameterError(f"vote_counts has {len(weights)} entries but votes has {n} rows: pass one count per "
                             "row of votes (the rows that vote pattern stands for)")
    if (weights < 0).any():
        raise ParameterError(f"vote_counts holds {int((weights < 0).sum())} negative count(s): pass the number of "
                             "rows each row of votes stands for (0 or more)")
    return weights
