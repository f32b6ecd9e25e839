"""Real local stand-ins for remote services, for tests, CI and benchmarks (loopback only)."""

from weaksup.testing.chat_server import ChatServer, youtube_classifier

__all__ = ["ChatServer", "youtube_classifier"]
