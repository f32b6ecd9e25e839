"""Every media test keeps its feature vectors in its own cache file, never the user's (``$WEAKSUP_EMBED_CACHE``);
``hide`` makes an installed package look missing, as a user without the extra has it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "cache.sqlite"))


class _Hidden:
    """A ``sys.meta_path`` finder under which importing ``names`` (or their submodules) raises ImportError."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if any(fullname == name or fullname.startswith(name + ".") for name in self.names):
            raise ImportError(f"No module named {fullname!r} (hidden by the test)")


@pytest.fixture
def hide(monkeypatch) -> Callable[..., None]:
    """``hide("skimage")``: until the test ends, importing skimage or a submodule raises ImportError."""

    def hide_(*names: str) -> None:
        for key in list(sys.modules):
            if any(key == name or key.startswith(name + ".") for name in names):
                monkeypatch.delitem(sys.modules, key)
        monkeypatch.setattr(sys, "meta_path", [_Hidden(names), *sys.meta_path])

    return hide_
