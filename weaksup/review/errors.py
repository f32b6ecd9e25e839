"""The errors of the review loop, kept importable from here; they live in :mod:`weaksup.errors`."""

from __future__ import annotations

from weaksup.errors import Problem, ReviewError, ReviewImportError

__all__ = ["Problem", "ReviewError", "ReviewImportError"]
