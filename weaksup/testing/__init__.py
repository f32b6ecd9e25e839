"""Real local stand-ins for remote services, for tests, CI and benchmarks (loopback only).

The names load on first use (a module ``__getattr__``), so ``python -m weaksup.testing.chat_server`` runs that
module once, without the warning ``runpy`` gives for a module its package had already imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weaksup.testing.chat_server import ChatServer, youtube_classifier
    from weaksup.testing.process import ChatServerProcess

__all__ = ["ChatServer", "ChatServerProcess", "youtube_classifier"]

_HOMES = {"ChatServer": "weaksup.testing.chat_server", "youtube_classifier": "weaksup.testing.chat_server",
          "ChatServerProcess": "weaksup.testing.process"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'weaksup.testing' has no attribute {name!r}")
