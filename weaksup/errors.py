"""The exceptions weaksup raises, and the :class:`Problems` collector that reports many at once.

Every error names the thing at fault (the LF, the file, the column, the key) and
says how to fix it. All of them derive from :class:`WeakSupError`, so a caller can
catch the whole family at once (the CLI exits with status 2 and the message); each
keeps the builtin it refines (``ValueError``, ``TypeError``, ``KeyError``...) as a
second base, and each class has a ``code``: a short reason code such as
``"missing_column"`` that programs can switch on. All of them pickle, so they
cross process and worker boundaries intact.

Checks that can find several problems in one pass (a gold set, an annotation
export) collect them in a :class:`Problems` and raise one error whose
``.problems`` holds every :class:`Problem`, each with its code, where it is, what
was expected and what was found, and how to fix it.

Examples
--------
>>> problems = Problems("gold set gold/")
>>> problems.add("unknown_label", "unknown label 'eggs'", where="gold/a.csv:3: column 'label'")
>>> bool(problems), len(problems)
(True, 1)
>>> try:
...     problems.raise_if_any(GoldSetError)
... except GoldSetError as exc:
...     print(exc)
...     print(exc.code, exc.problems[0].code)
gold set gold/ has 1 problem:
  gold/a.csv:3: column 'label': unknown label 'eggs'
bad_gold_set unknown_label
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, NamedTuple, TypeVar

__all__ = [
    "ConfigError", "DataError", "DatasetError", "DuplicateLFError", "EndModelError", "GoldSetError", "LFApplyError",
    "LFDefinitionError", "LabelModelError", "LabelSpaceError", "MissingColumnError", "MissingExtraError",
    "NotFittedError", "NotFoundError", "ParameterError", "ParameterTypeError", "Problem", "Problems", "ReviewError",
    "ReviewImportError", "TrackingError", "UnknownLFError", "VoteMatrixError", "WeakSupError", "WriteError",
    "location", "require", "run_again", "stops_run",
]


class Problem(NamedTuple):
    """One problem found by a check.

    Parameters
    ----------
    code : str
        A reason code, e.g. ``"duplicate_id"``.
    message : str
        What is wrong, in words.
    where : str, optional
        Where it is: a file, ``file:line``, a task, a column (see :func:`location`).
    expected, got : object, optional
        What the check wanted and what it found, for programs.
    fix : str, optional
        How to fix it.

    Examples
    --------
    >>> str(Problem("blank_id", "blank row id", where="gold.csv:4"))
    'gold.csv:4: blank row id'
    """

    code: str
    message: str
    where: str | None = None
    expected: Any = None
    got: Any = None
    fix: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def location(file: str, line: int | None = None, column: str | None = None, *, at: str | None = None) -> str:
    """A :attr:`Problem.where`: ``file``, ``file:line``, then ``: column 'c'`` or ``: <at>``.

    Examples
    --------
    >>> location("gold.csv", 3, "label")
    "gold.csv:3: column 'label'"
    >>> location("export.json", at="task 7")
    'export.json: task 7'
    """
    where = file if line is None else f"{file}:{line}"
    if column:
        where += f": column {column!r}"
    if at:
        where += f": {at}"
    return where


class WeakSupError(Exception):
    """Base class of every error weaksup raises on purpose.

    ``code`` is the reason code of the class; ``problems`` holds the :class:`Problem`\\ s
    behind an error raised by :meth:`Problems.raise_if_any` (empty otherwise).
    """

    code: ClassVar[str] = "weaksup_error"
    #: How many problems :meth:`from_problems` lists in the message; ``.problems`` always holds all.
    MAX_LISTED: ClassVar[int] = 50

    def __init__(self, *args: Any, problems: Iterable[Problem] = ()) -> None:
        super().__init__(*args)
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __reduce__(self) -> tuple[Any, ...]:  # keep the message and the problems across workers
        return (self.__class__, self.args, self.__dict__)

    def __str__(self) -> str:  # one message as written (KeyError alone would repr() it)
        return str(self.args[0]) if len(self.args) == 1 else super().__str__()

    @classmethod
    def from_problems(cls: type[_E], what: str, problems: Iterable[Problem], fix: str = "") -> _E:
        """One error listing every problem (up to ``MAX_LISTED`` in the message), then how to fix them."""
        found = tuple(problems)
        return cls(_listing(what, found, fix, cls.MAX_LISTED), problems=found)


def _listing(what: str, found: tuple[Problem, ...], fix: str, max_listed: int) -> str:
    lines = [f"{what} has {len(found)} problem{'s' if len(found) != 1 else ''}:"]
    lines += [f"  {p}" for p in found[:max_listed]]
    if len(found) > max_listed:
        lines.append(f"  ... and {len(found) - max_listed} more (all in the error's .problems)")
    if fix:
        lines.append(fix)
    return "\n".join(lines)


_E = TypeVar("_E", bound=WeakSupError)


class Problems:
    """Collects :class:`Problem`\\ s so that one error reports all of them.

    Parameters
    ----------
    what : str
        The thing checked, as the error's first line names it (``"gold set gold/"``).

    Examples
    --------
    >>> problems = Problems("export.json")
    >>> problems.raise_if_any(DataError)  # nothing collected: no error
    >>> for i in range(3):
    ...     problems.add("bad_row", f"row {i} is bad", where=f"line {i + 1}")
    >>> try:
    ...     problems.raise_if_any(DataError, fix="fix the rows", max_listed=2)
    ... except DataError as exc:
    ...     print(exc)
    ...     print(len(exc.problems))
    export.json has 3 problems:
      line 1: row 0 is bad
      line 2: row 1 is bad
      ... and 1 more (all in the error's .problems)
    fix the rows
    3
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self._found: list[Problem] = []

    def add(self, code: str, message: str, *, where: str | None = None, expected: Any = None, got: Any = None,
            fix: str | None = None) -> None:
        """Record one problem."""
        self._found.append(Problem(code, message, where, expected, got, fix))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record problems found elsewhere."""
        self._found.extend(problems)

    def __bool__(self) -> bool:
        return bool(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._found)

    def raise_if_any(self, error_cls: type[WeakSupError], *, fix: str = "", max_listed: int | None = None) -> None:
        """Raise one ``error_cls`` carrying every problem in ``.problems``; do nothing if there are none.

        The message lists at most ``max_listed`` problems (default: ``error_cls.MAX_LISTED``), then
        "... and K more", then ``fix``.
        """
        if not self._found:
            return
        found = tuple(self._found)
        limit = error_cls.MAX_LISTED if max_listed is None else max_listed
        raise error_cls(_listing(self.what, found, fix, limit), problems=found)


class LabelSpaceError(WeakSupError, ValueError):
    """A label is not in the task's label space, or a label space is malformed."""

    code = "bad_label"


class LFDefinitionError(WeakSupError, ValueError):
    """A labeling function is defined with bad arguments."""

    code = "bad_lf_definition"


class DuplicateLFError(WeakSupError, ValueError):
    """Two labeling functions share one name."""

    code = "duplicate_lf"


class UnknownLFError(WeakSupError, KeyError):
    """A labeling function name that the registry does not hold."""

    code = "unknown_lf"


class LFApplyError(WeakSupError, RuntimeError):
    """A labeling function raised, or returned a bad value, on a row."""

    code = "lf_failed"


class MissingColumnError(WeakSupError, KeyError):
    """A column that the data does not have (read by an LF, or named as the id column)."""

    code = "missing_column"


class VoteMatrixError(WeakSupError, ValueError):
    """A vote matrix, or a file holding one, is malformed."""

    code = "bad_votes"


class DataError(WeakSupError, ValueError):
    """An input data file or frame is malformed."""

    code = "bad_data"


class DatasetError(WeakSupError, ValueError):
    """A benchmark dataset file is missing or malformed."""

    code = "bad_dataset"


class LabelModelError(WeakSupError, ValueError):
    """A label model got bad input or parameters, or a saved model file is malformed."""

    code = "bad_label_model_input"


class NotFittedError(LabelModelError, AttributeError):
    """A label model was used before ``fit``."""

    code = "not_fitted"


class EndModelError(WeakSupError, ValueError):
    """The end model got probabilistic labels, features or weights it cannot train on."""

    code = "bad_end_model_input"


class ParameterError(WeakSupError, ValueError):
    """A function or class got a parameter value outside what it accepts."""

    code = "bad_parameter"


class ParameterTypeError(WeakSupError, TypeError):
    """A function or class got a parameter of the wrong type, or an unknown keyword."""

    code = "bad_parameter_type"


class NotFoundError(WeakSupError, KeyError):
    """A key asked for (a cluster, an entry) that the object does not hold."""

    code = "not_found"


class GoldSetError(WeakSupError, ValueError):
    """A gold set is malformed; ``.problems`` lists every problem found, each with file and line."""

    code = "bad_gold_set"
    MAX_LISTED = 50


class ConfigError(WeakSupError, ValueError):
    """A run config is malformed: unknown keys, wrong types, bad values or paths."""

    code = "bad_config"


class TrackingError(WeakSupError, RuntimeError):
    """MLflow tracking was required but is not reachable or failed."""

    code = "tracking_failed"


class ReviewError(WeakSupError, ValueError):
    """Bad review input: a run without what review needs, bad routing parameters, an unknown format."""

    code = "bad_review_input"


class ReviewImportError(ReviewError):
    """An annotation export is malformed; ``.problems`` lists every problem, each naming the file and task."""

    code = "bad_review_export"
    MAX_LISTED = 30


class MissingExtraError(WeakSupError, ImportError):
    """An optional package is not installed; the message names it and the extra installing it. It stops a run
    (``stops_run``) even with ``lfs.fault_tolerant = true``: it is no fault of the row."""

    code = "missing_extra"
    stops_run = True


def require(module: str, extra: str, what: str) -> Any:
    """Import the optional ``module``, or raise :class:`MissingExtraError` naming it and ``pip install
    'weaksup[<extra>]'``; ``what`` needs it (the message's subject).

    Examples
    --------
    >>> require("json", "embed", "Embeddings").__name__
    'json'
    >>> require("no_such_module_xyz", "llm", "Prompted LFs")
    Traceback (most recent call last):
    ...
    weaksup.errors.MissingExtraError: Prompted LFs need the Python package 'no_such_module_xyz', which is not installed: pip install 'weaksup[llm]'
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        inner = "" if exc.name is None or module.split(".")[0] == exc.name.split(".")[0] else f" ({exc})"
        raise MissingExtraError(f"{what} need the Python package {module!r}, which is not installed{inner}: "
                                f"pip install 'weaksup[{extra}]'") from exc


class WriteError(WeakSupError, OSError):
    """A file could not be written (a full disk, a read-only folder, a folder where the file should go); an
    ``OSError`` too, whose ``errno``, ``strerror`` and ``filename`` are those of the failure (set by the writer).

    Examples
    --------
    >>> err = WriteError("cannot write 'out/a.csv': Permission denied; fix the folder's permissions")
    >>> isinstance(err, OSError), err.code
    (True, 'write_failed')
    """

    code = "write_failed"


def stops_run(exc: WeakSupError) -> WeakSupError:
    """Mark an error as one that stops the whole run even when LFs are fault-tolerant (a budget stop, a replay
    miss, a server that keeps failing, a model that cannot be loaded): abstaining on such rows would save wrong
    votes under the LF's version.

    Examples
    --------
    >>> getattr(stops_run(LFApplyError("the server is gone")), "stops_run")
    True
    """
    exc.stops_run = True  # type: ignore[attr-defined]
    return exc


def run_again(exc: WeakSupError) -> WeakSupError:
    """Mark an error that running the same command again can get past, nothing in the input being wrong: a server
    that kept failing, or rate-limiting past the retries, or the prompt budget (the user's own cap) used up, the
    answers so far being cached. The CLI exits 1 (a failure: run it again later) on it, not 2 (bad input: fix
    something), so that a scheduled job can tell the two apart.

    Examples
    --------
    >>> getattr(run_again(stops_run(LFApplyError("the server kept failing"))), "run_again")
    True
    """
    exc.run_again = True  # type: ignore[attr-defined]
    return exc
