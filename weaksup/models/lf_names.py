"""The LFs a label model was fitted on (``lf_names_in_``, like scikit-learn's ``feature_names_in_``), and the one
check of what ``fit`` is given that every model's ``fit`` runs (:func:`checked_fit`).

A model fitted on a :class:`~weaksup.VoteMatrix` (anything with ``lf_names``) records its LF names in
``lf_names_in_`` and their versions in ``lf_versions_in_``; a vote matrix given to ``predict``/``predict_proba``
later must then have the same LFs in the same order, else :class:`~weaksup.errors.LabelModelError` (the columns
are matched by position: other columns would silently change the labels). Plain arrays are not checked (they
have no names), as in scikit-learn.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any

from weaksup.errors import LabelModelError, ParameterTypeError

logger = logging.getLogger(__name__)


def lf_names_of(L: Any) -> list[str] | None:
    """The LF names of ``L`` (a :class:`~weaksup.VoteMatrix` or anything with ``lf_names``), or None (an array).

    Examples
    --------
    >>> from weaksup import VoteMatrix
    >>> lf_names_of(VoteMatrix([[0, 1]], lf_names=["a", "b"])), lf_names_of([[0, 1]])
    (['a', 'b'], None)
    """
    names = getattr(L, "lf_names", None)
    return None if names is None else [str(name) for name in names]


def lf_names_problem(model: Any, L: Any, *, where: str = "L") -> str | None:
    """What is wrong with the LFs of ``L`` for fitted ``model``, or None: they are those of ``lf_names_in_``, in
    its order, or one side has no names (an array, a model fitted on one).

    Examples
    --------
    >>> from weaksup import VoteMatrix
    >>> from weaksup.models import MajorityVote
    >>> votes = VoteMatrix([[0, 1, -1]], lf_names=["a", "b", "c"])
    >>> model = MajorityVote(2).fit(votes)
    >>> lf_names_problem(model, votes) is None, lf_names_problem(model, votes.values) is None
    (True, True)
    >>> print(lf_names_problem(model, votes.select(["c", "a", "b"])))  # doctest: +NORMALIZE_WHITESPACE
    MajorityVote was fitted on the LFs ['a', 'b', 'c'] but L has them in another order (['c', 'a', 'b']); the
    votes are read by column position, so the labels would be wrong: pass votes.select(model.lf_names_in_)
    """
    fitted, names = getattr(model, "lf_names_in_", None), lf_names_of(L)
    if fitted is None or names is None or list(fitted) == names:
        return None
    fitted = list(fitted)
    model_name = type(model).__name__
    missing = [name for name in fitted if name not in names]
    extra = [name for name in names if name not in fitted]
    if not missing and not extra:
        what = f"them in another order ({names})"
    else:
        what = "; ".join(part for part in (f"no column for {missing}" if missing else "",
                                           f"LFs the model was not fitted on: {extra}" if extra else "") if part)
    fix = ("pass votes.select(model.lf_names_in_)" if not missing
           else f"apply the missing LFs, or refit {model_name} on these LFs")
    return (f"{model_name} was fitted on the LFs {_short(fitted)} but {where} has {what}; the votes are read by "
            f"column position, so the labels would be wrong: {fix}")


def check_lf_names(model: Any, L: Any, *, where: str = "L") -> None:
    """Raise :class:`~weaksup.errors.LabelModelError` if ``L``'s LFs are not the ones ``model`` was fitted on
    (:func:`lf_names_problem`); log a warning if they are, but some LF's version differs from the fitted one.

    Examples
    --------
    >>> from weaksup import VoteMatrix
    >>> from weaksup.models import MajorityVote
    >>> votes = VoteMatrix([[0, 1]], lf_names=["a", "b"])
    >>> check_lf_names(MajorityVote(2).fit(votes), VoteMatrix([[0, 1]], lf_names=["a", "x"]))
    Traceback (most recent call last):
    ...
    weaksup.errors.LabelModelError: MajorityVote was fitted on the LFs ['a', 'b'] but L has no column for ['b']; \
LFs the model was not fitted on: ['x']; the votes are read by column position, so the labels would be wrong: \
apply the missing LFs, or refit MajorityVote on these LFs
    """
    problem = lf_names_problem(model, L, where=where)
    if problem is not None:
        raise LabelModelError(problem)
    fitted, versions = getattr(model, "lf_versions_in_", None), getattr(L, "lf_versions", None)
    if fitted is None or versions is None or lf_names_of(L) is None:
        return
    changed = [f"{name} ({old} -> {new})" for name, old, new in zip(model.lf_names_in_, fitted, versions)
               if old and new and str(old) != str(new)]
    if changed:
        logger.warning("%s was fitted on other versions of LF(s) %s: refit it if they now vote differently",
                       type(model).__name__, _short(changed))


def record_lf_names(model: Any, L: Any) -> None:
    """Set ``model.lf_names_in_`` and ``lf_versions_in_`` from ``L``'s LFs, or remove them (``L`` has no names)."""
    names = lf_names_of(L)
    if names is None:
        for attribute in ("lf_names_in_", "lf_versions_in_"):
            if attribute in vars(model):
                delattr(model, attribute)
        return
    model.lf_names_in_ = names
    model.lf_versions_in_ = [str(v) for v in getattr(L, "lf_versions", None) or [""] * len(names)]


def checked_fit(fit: Callable[..., Any]) -> Callable[..., Any]:
    """``fit`` that first checks its arguments (an unknown keyword names the model and what ``fit`` takes; the
    LFs of a ``L_dev`` vote matrix must be those of ``L``), then records the LFs it was fitted on
    (:func:`record_lf_names`: those of ``L``, else of ``L_dev``). Every label model's ``fit`` is wrapped so
    (``BaseLabelModel.__init_subclass__``)."""
    signature = inspect.signature(fit)
    takes = _describe(signature)

    @functools.wraps(fit)
    def fit_checked(*args: Any, **kwargs: Any) -> Any:
        model = args[0]
        name = type(model).__name__
        unknown = [key for key in kwargs if key not in signature.parameters]
        if unknown and not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            also = f" (also {', '.join(map(repr, unknown[1:]))})" if len(unknown) > 1 else ""
            raise ParameterTypeError(f"{name}.fit() got an unexpected keyword argument {unknown[0]!r}{also}; "
                                     f"{name}.fit takes ({takes})")
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ParameterTypeError(f"{name}.fit(): {exc}; {name}.fit takes ({takes})") from None
        L, L_dev = bound.arguments.get("L"), bound.arguments.get("L_dev")
        names, dev_names = lf_names_of(L), lf_names_of(L_dev)
        if names is not None and dev_names is not None and names != dev_names:
            raise LabelModelError(f"{name}.fit: L_dev has the LFs {_short(dev_names)} but L has {_short(names)}; "
                                  "the dev votes must have L's LFs in L's order: pass L_dev.select(L.lf_names)")
        fitted = fit(*args, **kwargs)
        record_lf_names(model, L if names is not None else L_dev)
        return fitted

    return fit_checked


def _describe(signature: inspect.Signature) -> str:
    """``L, *, L_dev=None, y_dev=None``: the parameters of a ``fit`` after ``self``."""
    parts: list[str] = []
    for p in list(signature.parameters.values())[1:]:
        if p.kind is p.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def _short(names: Sequence[str], limit: int = 20) -> str:
    """``names`` as a list, the first ``limit`` of them."""
    return str(list(names[:limit]))[:-1] + f", ... {len(names) - limit} more]" if len(names) > limit else str(list(names))
