"""Every media test keeps its feature vectors in its own cache file, never the user's (``$WEAKSUP_EMBED_CACHE``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "cache.sqlite"))
