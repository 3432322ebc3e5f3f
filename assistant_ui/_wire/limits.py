"""The decoder's default limits, in a module of their own so that the client can name
them without importing the decoder (``import assistant_ui`` stays light)."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_EVENT_SIZE"]

#: default bound on one line / SSE event / JSON body / AWS frame / WebSocket message, in bytes
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024
