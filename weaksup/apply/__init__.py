"""Applying labeling functions to data."""

from weaksup.apply.core import apply_lfs

__all__ = ["apply_lfs"]
