"""Old import path of :mod:`weaksup.datasets.examples` (the shipped examples); import from there."""

from __future__ import annotations

from weaksup.datasets.examples import (  # noqa: F401
    EXAMPLES,
    YOUTUBE_DIR,
    YOUTUBE_LABELS,
    Example,
    get_example,
    load_youtube_spam,
    youtube_split,
)
