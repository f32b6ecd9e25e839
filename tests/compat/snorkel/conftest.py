"""The YouTube comments, the Snorkel-style LF module and the votes Snorkel's own applier gives on them."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def comments(youtube):
    """The 1,956 comments (``text``, ``author``...) and their gold labels as ids (ham 0, spam 1)."""
    return youtube, (youtube["label"] == "spam").to_numpy().astype(np.int64)


@pytest.fixture(scope="session")
def snorkel_lfs():
    """The LFs of ``labeling_functions/snorkel_spam.py``, a Snorkel project's module (Snorkel's own LF classes)."""
    from snorkel.labeling import LabelingFunction

    from labeling_functions import snorkel_spam

    return [value for value in vars(snorkel_spam).values() if isinstance(value, LabelingFunction)]


@pytest.fixture(scope="session")
def snorkel_L(comments, snorkel_lfs):
    """Snorkel's ``PandasLFApplier`` votes of those LFs on the comments."""
    from snorkel.labeling import PandasLFApplier

    return PandasLFApplier(snorkel_lfs).apply(comments[0], progress_bar=False)
