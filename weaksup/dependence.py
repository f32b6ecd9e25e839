"""Dependent LFs: pairs that repeat each other, and LFs derived from others, beyond what accuracy explains.

Label models that combine votes as independent evidence given the class (naive Bayes, Dawid-Skene, weighted votes)
count the same evidence twice when two LFs share their errors and their firing: a duplicated keyword list, a regex
nested in a broader one, a model-score LF trained on the other LFs' labels. The probabilities grow overconfident and
the errors the LFs share are confirmed rather than corrected. :func:`find_dependent_lfs` finds them.

**The measure.** For LFs ``a`` and ``b``, the *repeat rate* is the share of the rows ``a`` votes on where ``b`` casts
the same vote (abstaining counts as not repeating). If ``a`` and ``b`` were independent given the class (the label
model's assumption), the expected repeat rate follows from each LF's class-conditional vote distribution (its
accuracy and coverage per class) alone::

    expected = sum_c P(a votes c | a votes) * sum_y P(y | a votes c) * P(b votes c | y)

The *dependence* is the share of the non-repeats that independence predicts but that do not happen::

    dependence = 1 - (1 - observed) / (1 - expected)

0 under conditional independence, 1 for an exact copy or a nested LF (``b`` votes wherever ``a`` does). A pair is
reported (``kind="correlated"``) when a lower confidence bound of the dependence (Wilson's bound on the observed
non-repeat rate) reaches ``min_dependence``, so that a handful of rows cannot raise an alarm.

An LF ``b`` is reported as *derived* (``kind="derived"``) when at least two other LFs each look repeated by it and
``b`` casts their majority vote (on the rows where they have a strict majority; abstaining counts as not casting it)
far more often than the class explains: the expected rate is ``sum_y P(y | their votes) P(b votes their
majority | y)``, with ``P(y | their votes)`` the naive-Bayes posterior from their votes. This is what a model trained on other LFs' output
looks like; it is measured the same way, reported only when the group explains ``b`` more surely than its best
single LF does (else that pair is reported), and supersedes the pairs inside it.

**Where the class comes from.** On dev gold rows (``L_dev``, ``y_dev``): the gold class, and the LFs' vote tables
counted there. On the rows of ``L``: the conditional-independence label model itself (Dawid-Skene fitted by EM on a
seeded sample of rows), so "expected" is what that model believes. Without gold, a copied LF pair that dominates a
handful of LFs can look like the class itself to that model (it then explains the copy, and nothing is reported):
pass dev gold rows whenever there are some. Both are checked; a finding found on both keeps the dev measure (its
expectation rests on the true class, which dependent LFs cannot distort). Everything is vectorised over a seeded row
sample (``max_rows``), so hundreds of LFs on millions of rows take seconds.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 3000)
>>> L = np.where(rng.random((3000, 4)) < 0.4, np.where(rng.random((3000, 4)) < 0.85, y[:, None], 1 - y[:, None]), -1)
>>> L[:, 3] = L[:, 0]  # a copy of LF a
>>> [(f.lfs, f.kind) for f in find_dependent_lfs(L, lf_names=["a", "b", "c", "a_copy"])]
[(('a', 'a_copy'), 'correlated')]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import sparse

from weaksup.errors import ParameterError
from weaksup.models import DawidSkene, fit_label_model
from weaksup.models.base import as_votes
from weaksup.models.dawid_skene import confusion_counts, outcome_matrix
from weaksup.votes import VoteMatrix

logger = logging.getLogger(__name__)

__all__ = ["DependentLFs", "find_dependent_lfs"]

_SMOOTHING = 0.5  # pseudo-count per vote-table cell on dev gold rows
_HARM = "The label model counts that evidence twice and grows overconfident"


@dataclass(frozen=True)
class DependentLFs:
    """A group of LFs whose votes depend on each other beyond what their accuracy explains.

    Attributes
    ----------
    lfs : tuple of str
        ``(a, b)`` for a correlated pair (``b`` repeats ``a``); ``(b, a, c, ...)`` for an LF ``b`` derived from
        ``a, c, ...``.
    kind : {"correlated", "derived"}
    measure : float
        The dependence, ``1 - (1 - observed) / (1 - expected)``: 0 when independent given the class, 1 for a copy.
    message : str
        A plain-language sentence with the numbers and the fix.
    observed, expected : float
        The repeat rate observed, and the one conditional independence given the class explains.
    n_rows : int
        The rows the observed rate is measured on.
    source : {"dev", "unlabeled"}
        Measured on dev gold rows, or on (a sample of) the rows of ``L`` with the label model's classes.
    certainty : float
        A lower confidence bound of ``measure`` (Wilson's bound on the observed non-repeat rate): what is reported
        must reach ``min_dependence``.
    """

    lfs: tuple[str, ...]
    kind: Literal["correlated", "derived"]
    measure: float
    message: str
    observed: float
    expected: float
    n_rows: int
    source: Literal["dev", "unlabeled"]
    certainty: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for reports and run summaries)."""
        return {"lfs": list(self.lfs), "kind": self.kind, "measure": round(self.measure, 4),
                "observed": round(self.observed, 4), "expected": round(self.expected, 4), "n_rows": self.n_rows,
                "source": self.source, "message": self.message}


@dataclass(frozen=True)
class _Source:
    name: Literal["dev", "unlabeled"]
    L: np.ndarray            # (n, m) votes
    theta: np.ndarray        # (m, k, k + 1) P(outcome | class), outcome 0 = abstain
    prior: np.ndarray        # (k,)
    y_onehot: np.ndarray | None  # (n, k) gold classes on dev rows, None on unlabeled rows


def find_dependent_lfs(
    L: Any,
    *,
    L_dev: Any = None,
    y_dev: Any = None,
    lf_names: Sequence[str] | None = None,
    cardinality: int | None = None,
    min_dependence: float = 0.6,
    min_support: int = 10,
    max_rows: int | None = None,
    seed: int = 0,
) -> list[DependentLFs]:
    """Find correlated pairs and derived LFs in a vote matrix (see the module docstring for the measure).

    Parameters
    ----------
    L : VoteMatrix or array of int, shape (n, m)
        The votes on the rows to label (``-1`` = abstain).
    L_dev, y_dev : array, optional
        Votes and gold class ids of dev rows (``y_dev = -1`` rows are skipped); measured with the gold class.
    lf_names : sequence of str, optional
        One name per column; a VoteMatrix's names by default, else ``lf0, lf1, ...``.
    cardinality : int, optional
        The number of classes; a VoteMatrix's label space, else inferred from the votes (and ``y_dev``).
    min_dependence : float, default 0.6
        Report when the lower confidence bound of the dependence reaches this (in ``(0, 1]``).
    min_support : int, default 10
        Rows an LF must vote on (in the sample or on dev) before its repeats are judged.
    max_rows : int, optional
        Rows of ``L`` sampled (seeded) for the measure; default ``min(100000, max(5000, 5000000 // m))``.
    seed : int, default 0

    Returns
    -------
    list of DependentLFs
        Most dependent first; derived LFs before the pairs they contain (which are not repeated).

    Raises
    ------
    ParameterError
        A parameter out of range, names that do not match the columns, or dev votes/labels of the wrong shape.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = rng.integers(0, 2, 2000)
    >>> L = np.where(rng.random((2000, 3)) < 0.3, y[:, None], -1)  # three independent, accurate, sparse LFs
    >>> L[:, 2] = np.where(L[:, 0] >= 0, L[:, 0], L[:, 1])  # the third votes whatever the first two vote
    >>> found = find_dependent_lfs(L, L_dev=L[:200], y_dev=y[:200], lf_names=["a", "b", "a_or_b"])
    >>> [(f.lfs, f.kind, f.source) for f in found]
    [(('a_or_b', 'a', 'b'), 'derived', 'dev')]
    """
    if not 0 < min_dependence <= 1:
        raise ParameterError(f"min_dependence must be in (0, 1]; got {min_dependence!r}")
    if not isinstance(min_support, int) or min_support < 1:
        raise ParameterError(f"min_support must be an integer >= 1; got {min_support!r}")
    names = list(lf_names) if lf_names is not None else list(L.lf_names) if isinstance(L, VoteMatrix) else None
    if cardinality is None and isinstance(L, VoteMatrix) and L.label_space is not None:
        cardinality = len(L.label_space)
    votes = as_votes(L, cardinality, where="L")  # a small int dtype, no copy: rows are sampled before widening
    n, m = votes.shape
    names = names if names is not None else [f"lf{j}" for j in range(m)]
    if len(names) != m or len(set(names)) != m:
        raise ParameterError(f"lf_names must hold {m} distinct names, one per column of L; got {len(names)} "
                             f"({len(set(names))} distinct)")
    dev = _dev_rows(L_dev, y_dev, m, cardinality)
    k = cardinality or max(2, int(votes.max(initial=-1)) + 1, int(dev[1].max(initial=-1)) + 1 if dev else 0)
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        raise ParameterError(f"max_rows must be a positive integer or None; got {max_rows!r}")
    limit = max_rows or min(100_000, max(5_000, 5_000_000 // max(m, 1)))
    sources: list[_Source] = []
    if dev is not None and len(dev[1]):
        sources.append(_dev_source(*dev, k))
    if n:
        rows = np.sort(np.random.default_rng(seed).choice(n, limit, replace=False)) if n > limit else slice(None)
        sources.append(_unlabeled_source(votes[rows].astype(np.int64), k))
    found: dict[tuple[str, frozenset[str]], DependentLFs] = {}
    for source in sources:
        for finding in _findings(source, names, min_dependence, min_support):
            # one finding per pair, and per derived LF; dev gold rows first: their expectation uses the true class
            key = (finding.kind, frozenset(finding.lfs) if finding.kind == "correlated" else frozenset(finding.lfs[:1]))
            if key not in found:
                found[key] = finding
    derived = [f for f in found.values() if f.kind == "derived"]
    inside = {frozenset((f.lfs[0], p)) for f in derived for p in f.lfs[1:]}
    pairs = [f for f in found.values() if f.kind == "correlated" and frozenset(f.lfs) not in inside]
    result = sorted(derived, key=lambda f: -f.measure) + sorted(pairs, key=lambda f: -f.measure)
    logger.info("dependence: %d derived LF(s), %d correlated pair(s) among %d LFs", len(derived), len(pairs), m)
    return result


def _dev_rows(L_dev: Any, y_dev: Any, m: int, cardinality: int | None) -> tuple[np.ndarray, np.ndarray] | None:
    if L_dev is None and y_dev is None:
        return None
    if L_dev is None or y_dev is None:
        raise ParameterError("pass L_dev and y_dev together (the dev rows' votes and their gold class ids)")
    votes = as_votes(L_dev, cardinality, where="L_dev").astype(np.int64)
    y = np.asarray(y_dev)
    if y.ndim != 1 or len(y) != len(votes) or votes.shape[1] != m or (y.size and not np.issubdtype(y.dtype, np.integer)):
        raise ParameterError(f"L_dev must have the {m} columns of L and y_dev one integer class id per dev row; got "
                             f"L_dev {votes.shape}, y_dev {y.shape} {y.dtype}")
    if y.size and (y.min() < -1 or (cardinality is not None and y.max() >= cardinality)):
        allowed = "-1 or a class id" if cardinality is None else f"-1..{cardinality - 1}"
        raise ParameterError(f"y_dev must hold {allowed} (-1: no gold label); got {sorted(set(y.tolist()))[:5]}")
    keep = y >= 0
    return votes[keep], y[keep].astype(np.int64)


def _dev_source(votes: np.ndarray, y: np.ndarray, k: int) -> _Source:
    onehot = np.eye(k)[y]
    counts = confusion_counts(outcome_matrix(votes, k), onehot, votes.shape[1]) + _SMOOTHING
    theta = counts / counts.sum(axis=2, keepdims=True)
    prior = (onehot.sum(axis=0) + 1.0) / (len(y) + k)
    return _Source("dev", votes, theta, prior, onehot)


def _unlabeled_source(votes: np.ndarray, k: int) -> _Source:
    model = fit_label_model(DawidSkene(cardinality=k), votes)
    return _Source("unlabeled", votes, np.asarray(model.confusion_), np.asarray(model.class_prior_), None)


def _wilson_upper(failures: np.ndarray, n: np.ndarray, z: float = 1.96) -> np.ndarray:
    """Wilson's upper confidence bound of a rate ``failures / n`` (1 where ``n`` is 0)."""
    n_safe = np.maximum(n, 1)
    p = failures / n_safe
    centre = p + z * z / (2 * n_safe)
    spread = z * np.sqrt(p * (1 - p) / n_safe + z * z / (4 * n_safe * n_safe))
    upper: np.ndarray = np.where(n > 0, np.minimum(1.0, (centre + spread) / (1 + z * z / n_safe)), 1.0)
    return upper


def _dependence(agree: np.ndarray, n: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed repeat rate, the dependence and its lower confidence bound (``-inf`` where undefined)."""
    observed = agree / np.maximum(n, 1)
    room = 1.0 - expected
    with np.errstate(divide="ignore", invalid="ignore"):
        measure = np.where(room > 1e-9, 1.0 - (1.0 - observed) / room, -np.inf)
        lower = np.where(room > 1e-9, 1.0 - _wilson_upper(n - agree, n) / room, -np.inf)
    return observed, measure, lower


def _class_votes(votes: np.ndarray, k: int) -> list[sparse.csr_array]:
    """For each class c, the sparse ``(n, m)`` indicator of LF j voting c on row i (sparse products: no BLAS threads
    to fight over, and little memory when LFs abstain a lot)."""
    return [sparse.csr_array((votes == c).astype(np.float64)) for c in range(k)]


def _findings(source: _Source, names: list[str], min_dependence: float, min_support: int) -> list[DependentLFs]:
    votes, theta = source.L, source.theta
    n, m = votes.shape
    k = theta.shape[1]
    if m < 2 or n == 0:
        return []
    V = _class_votes(votes, k)
    same = np.zeros((m, m))
    for c in range(k):
        same += (V[c].T @ V[c]).toarray()  # rows where both vote the same class
    voted_c = np.column_stack([V[c].sum(axis=0) for c in range(k)])  # (m, k) votes of each LF per class
    n_votes = voted_c.sum(axis=1)
    if source.y_onehot is not None:  # P(a votes c, y | a votes) counted with the gold class
        joint = np.stack([V[c].T @ source.y_onehot for c in range(k)], axis=1)  # (m, k, k)
    else:  # P(a votes c | a votes) observed, P(y | a votes c) from the label model's tables
        post = source.prior[None, None, :] * theta[:, :, 1:].transpose(0, 2, 1)  # (m, c, y)
        post = post / post.sum(axis=2, keepdims=True)
        joint = voted_c[:, :, None] * post
    joint = joint / np.maximum(n_votes, 1)[:, None, None]
    expected = np.einsum("acy,byc->ab", joint, theta[:, :, 1:])  # b repeats a
    support = np.broadcast_to(n_votes[:, None], (m, m))
    observed, measure, lower = _dependence(same, support, expected)
    np.fill_diagonal(lower, -np.inf)
    lower = np.where(support >= min_support, lower, -np.inf)
    findings = _derived(source, V, names, measure, lower, min_dependence, min_support)
    best = np.maximum(lower, lower.T)
    for a, b in zip(*np.nonzero(np.triu(best >= min_dependence, k=1)), strict=True):
        first, second = (a, b) if lower[a, b] >= lower[b, a] else (b, a)
        findings.append(_pair(source, names, int(first), int(second), float(observed[first, second]),
                              float(expected[first, second]), float(measure[first, second]),
                              float(lower[first, second]), int(n_votes[first])))
    return findings


def _pair(source: _Source, names: list[str], a: int, b: int, observed: float, expected: float, measure: float,
          lower: float, n: int) -> DependentLFs:
    where = "dev gold rows" if source.name == "dev" else "sampled rows (classes from the label model)"
    message = (f"LFs {names[a]!r} and {names[b]!r} look correlated: {names[b]!r} casts the same vote as "
               f"{names[a]!r} on {observed:.0%} of the {n} {where} where {names[a]!r} votes; LFs independent given "
               f"the class would on {expected:.0%} (their accuracy and coverage alone). {_HARM}: keep one of them, "
               f"merge them into one LF, or make {names[b]!r} vote only where {names[a]!r} does not.")
    return DependentLFs((names[a], names[b]), "correlated", measure, message, observed, expected, n, source.name, lower)


def _derived(source: _Source, V: list[sparse.csr_array], names: list[str], measure: np.ndarray, lower: np.ndarray,
             min_dependence: float, min_support: int) -> list[DependentLFs]:
    """LFs that cast the majority vote of >= 2 LFs they each look dependent on, far beyond what the class explains."""
    votes, theta = source.L, source.theta
    k = theta.shape[1]
    parents = (measure >= min_dependence / 2) & (lower > 0)  # parents[a, b]: b repeats a
    targets = np.flatnonzero(parents.sum(axis=0) >= 2)
    if not len(targets):
        return []
    mask = parents[:, targets].astype(np.float64)  # (m, t)
    counts = np.stack([V[c] @ mask for c in range(k)])  # (k, n, t) parents' votes per class
    top = counts.max(axis=0)
    majority = counts.argmax(axis=0)
    defined = (top > 0) & ((counts == top[None]).sum(axis=0) == 1)
    if source.y_onehot is not None:
        weight = np.broadcast_to(source.y_onehot.T[:, :, None], counts.shape)
    else:  # P(y | the parents' votes), naive Bayes with the label model's tables (abstaining is evidence too)
        log_theta = np.log(theta)
        scores = np.stack([log_theta[np.arange(votes.shape[1]), y, votes + 1] @ mask for y in range(k)])
        scores += np.log(source.prior)[:, None, None]
        scores -= scores.max(axis=0, keepdims=True)
        weight = np.exp(scores) / np.exp(scores).sum(axis=0, keepdims=True)
    theta_t = theta[targets]  # (t, k, k + 1)
    cols = np.arange(len(targets))[None, :]
    vote_at_majority = np.stack([theta_t[:, y, 1:].T[majority, cols] for y in range(k)])  # (k, n, t)
    expected_agree = ((weight * vote_at_majority).sum(axis=0) * defined).sum(axis=0)
    n = defined.sum(axis=0).astype(np.float64)
    agree = ((votes[:, targets] == majority) & defined).sum(axis=0).astype(np.float64)
    expected = expected_agree / np.maximum(n, 1)
    observed, dep, low = _dependence(agree, n, expected)
    findings = []
    where = "dev gold rows" if source.name == "dev" else "sampled rows (classes from the label model)"
    best_pair = lower[:, targets].max(axis=0)  # the one LF that explains b best: a pair, unless the group does more
    for t in np.flatnonzero((n >= min_support) & (low >= min_dependence) & (low > best_pair)):
        b = int(targets[t])
        group = [names[a] for a in np.flatnonzero(parents[:, b])]
        shown = ", ".join(repr(g) for g in group[:5]) + (f" and {len(group) - 5} more" if len(group) > 5 else "")
        message = (f"LF {names[b]!r} looks derived from LFs {shown}: it casts their majority vote on "
                   f"{observed[t]:.0%} of the {int(n[t])} {where} where they have one; their accuracy and coverage "
                   f"alone explain {expected[t]:.0%}. {_HARM}: drop {names[b]!r}, or keep it and drop the LFs it "
                   f"was built from (a model trained on other LFs' labels belongs in the end model, not among the "
                   f"LFs).")
        findings.append(DependentLFs((names[b], *group), "derived", float(dep[t]), message, float(observed[t]),
                                     float(expected[t]), int(n[t]), source.name, float(low[t])))
    return findings
