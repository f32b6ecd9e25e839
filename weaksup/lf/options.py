"""The options of a generic LF (:class:`LFOptions`) and their check, shared by every kind built on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict

from weaksup.errors import ParameterTypeError

__all__ = ["LFOptions", "check_options"]


class LFOptions(TypedDict, total=False):
    """The options of a generic LF, shared by :class:`FunctionLF` and :func:`labeling_function`.

    name : str, optional
        Defaults to the function's name.
    resources : mapping, optional
        Keyword arguments passed to every call (as in Snorkel).
    fields : iterable of str, optional
        Columns the function reads, checked before application.
    labels : iterable of int, optional
        Class ids the function may return.
    tags, description, version : optional
        Metadata; ``description`` defaults to the docstring's first line.
    pre : sequence of preprocessors, optional
        Run on the row before the function (:func:`weaksup.lf.preprocessor`, or Snorkel's preprocessors), each
        once per row however many LFs list it; their code is part of the version.
    """

    name: str | None
    resources: Mapping[str, Any] | None
    fields: Iterable[str]
    labels: Iterable[int]
    tags: Iterable[str]
    description: str | None
    version: str | None
    pre: Sequence[Any] | None


def check_options(options: Mapping[str, Any], where: str) -> None:
    """Refuse keywords that are not :class:`LFOptions` (a misspelt option must not pass silently)."""
    unknown = sorted(set(options) - set(LFOptions.__annotations__))
    if unknown:
        raise ParameterTypeError(f"{where} got unexpected keyword(s) {unknown}; "
                                 f"its options are {sorted(LFOptions.__annotations__)}")
