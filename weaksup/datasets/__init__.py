"""Datasets: WRENCH-format benchmarks (:mod:`~weaksup.datasets.wrench`) and the shipped examples
(:mod:`~weaksup.datasets.examples`, whose data, LFs and gold set are package data)."""

from __future__ import annotations

from weaksup.datasets.examples import (
    EXAMPLES,
    YOUTUBE_LABELS,
    Example,
    get_example,
    load_youtube_spam,
    youtube_split,
)
from weaksup.datasets.wrench import (
    SPLITS,
    WRENCH_F1,
    Roles,
    Split,
    WrenchDataset,
    find_datasets,
    is_dataset_folder,
    load_wrench,
)

__all__ = [
    "EXAMPLES",
    "SPLITS",
    "WRENCH_F1",
    "YOUTUBE_LABELS",
    "Example",
    "Roles",
    "Split",
    "WrenchDataset",
    "find_datasets",
    "get_example",
    "is_dataset_folder",
    "load_wrench",
    "load_youtube_spam",
    "youtube_split",
]
