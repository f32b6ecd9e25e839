"""The exceptions weaksup raises.

Every error names the thing at fault (the LF, the file, the column, the key) and
says how to fix it. All of them derive from :class:`WeakSupError`, so a caller can
catch the whole family at once, and all of them pickle, so they cross process and
worker boundaries intact.
"""

from __future__ import annotations

from typing import NamedTuple


class WeakSupError(Exception):
    """Base class of every error weaksup raises on purpose."""

    def __reduce__(self):  # keep the message when pickled across workers
        return (self.__class__, self.args)


class LabelSpaceError(WeakSupError, ValueError):
    """A label is not in the task's label space, or a label space is malformed."""


class LFDefinitionError(WeakSupError, ValueError):
    """A labeling function is defined with bad arguments."""


class DuplicateLFError(WeakSupError, ValueError):
    """Two labeling functions share one name."""


class UnknownLFError(WeakSupError, KeyError):
    """A labeling function name that the registry does not hold."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class LFApplyError(WeakSupError, RuntimeError):
    """A labeling function raised, or returned a bad value, on a row."""


class MissingColumnError(WeakSupError, KeyError):
    """A labeling function reads a column that the data does not have."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class VoteMatrixError(WeakSupError, ValueError):
    """A vote matrix, or a file holding one, is malformed."""


class DataError(WeakSupError, ValueError):
    """An input data file or frame is malformed."""


class DatasetError(WeakSupError, ValueError):
    """A benchmark dataset file is missing or malformed."""


class LabelModelError(WeakSupError, ValueError):
    """A label model got bad input or parameters, or a saved model file is malformed."""


class GoldSetProblem(NamedTuple):
    """One problem of a gold set: where it is (file, line, column) and what is wrong."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {f'column {self.column!r}: ' if self.column else ''}{self.message}"


class GoldSetError(WeakSupError, ValueError):
    """A gold set is malformed; ``.problems`` lists every problem found, each with file and line."""

    #: How many problems the message lists; ``.problems`` always holds all of them.
    MAX_LISTED = 50

    def __init__(self, message: str, problems: tuple[GoldSetProblem, ...] | list[GoldSetProblem] = ()) -> None:
        super().__init__(message, tuple(problems))
        self.problems: tuple[GoldSetProblem, ...] = tuple(problems)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    @classmethod
    def from_problems(cls, what: str, problems: list[GoldSetProblem]) -> GoldSetError:
        """One error listing every problem (up to :attr:`MAX_LISTED` in the message)."""
        lines = [f"{what} has {len(problems)} problem{'s' if len(problems) != 1 else ''}:"]
        lines += [f"  {p}" for p in problems[: cls.MAX_LISTED]]
        if len(problems) > cls.MAX_LISTED:
            lines.append(f"  ... and {len(problems) - cls.MAX_LISTED} more (all in the error's .problems)")
        return cls("\n".join(lines), problems)


class TrackingError(WeakSupError, RuntimeError):
    """MLflow tracking was required but is not reachable or failed."""


class NotFittedError(LabelModelError, AttributeError):
    """A label model was used before ``fit``."""
