"""Shared fixtures: the shipped YouTube example and its registry."""

from __future__ import annotations

import os
from pathlib import Path

import tempfile

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis writes nothing into the checkout: no example database (every run draws afresh), caches in a temp folder.
settings.register_profile("weaksup", database=None)
settings.load_profile("weaksup")
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "weaksup-hypothesis")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("WEAKSUP_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def youtube():
    """The 1,956 YouTube comments with gold labels and splits."""
    from weaksup.datasets.examples import load_youtube_spam

    return load_youtube_spam(with_labels=True)


@pytest.fixture(scope="session")
def youtube_registry():
    from weaksup.registry import Registry

    # The LF module is found through sys.path (pytest puts the repository on it); paths inside the
    # module are resolved from the module's own file, so no test depends on the working directory.
    return Registry.from_modules("labeling_functions.youtube_spam")
