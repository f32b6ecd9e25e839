"""The errors of the review loop; both are :class:`~weaksup.errors.WeakSupError` (CLI exit status 2)."""

from __future__ import annotations

from typing import NamedTuple

from weaksup.errors import WeakSupError


class ReviewError(WeakSupError, ValueError):
    """Bad review input: a run without what review needs, bad routing parameters, an unknown format."""


class ReviewProblem(NamedTuple):
    """One problem of a review export: the file, where in it (a task id or a line), and what is wrong."""

    file: str
    where: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


class ReviewImportError(ReviewError):
    """An annotation export is malformed; ``.problems`` lists every problem, each naming the file and task."""

    #: How many problems the message lists; ``.problems`` always holds all of them.
    MAX_LISTED = 30

    def __init__(self, message: str, problems: tuple[ReviewProblem, ...] | list[ReviewProblem] = ()) -> None:
        super().__init__(message, tuple(problems))
        self.problems: tuple[ReviewProblem, ...] = tuple(problems)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    @classmethod
    def from_problems(cls, what: str, problems: list[ReviewProblem], fix: str = "") -> ReviewImportError:
        """One error listing every problem (up to :attr:`MAX_LISTED` in the message), then how to fix them."""
        lines = [f"{what} has {len(problems)} problem{'s' if len(problems) != 1 else ''}:"]
        lines += [f"  {p}" for p in problems[: cls.MAX_LISTED]]
        if len(problems) > cls.MAX_LISTED:
            lines.append(f"  ... and {len(problems) - cls.MAX_LISTED} more (all in the error's .problems)")
        if fix:
            lines.append(fix)
        return cls("\n".join(lines), problems)
