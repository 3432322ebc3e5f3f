"""The default size limits, in a module of their own so that the client can name and
check them without importing the decoder or the call core (``import assistant_ui``
stays light)."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "DEFAULT_MAX_RESPONSE_SIZE", "check_max_response_size"]

#: default bound on one line / SSE event / JSON body / AWS frame / WebSocket message, in bytes
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024

#: the default of ``max_response_size``: 64 MiB decoded per response
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024


def check_max_response_size(value: object) -> int:
    """``value`` if it is a valid ``max_response_size`` (an int > 0), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"max_response_size must be an int > 0 (bytes), got {value!r}")
    return value
