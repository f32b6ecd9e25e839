"""Real local stand-ins for remote services, for tests, CI and benchmarks (loopback only)."""

from weaksup.testing.chat_server import ChatServer, youtube_classifier
from weaksup.testing.process import ChatServerProcess

__all__ = ["ChatServer", "ChatServerProcess", "youtube_classifier"]
