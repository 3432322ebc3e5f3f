"""``assistant_ui.client``: where 0.1.1 kept :class:`AssistantClient` and
:class:`ThreadClient`; both are importable from here as they were (and from
:mod:`assistant_ui`).

Importing this module loads the HTTP stack (httpx); ``import assistant_ui`` alone
does not.
"""

from __future__ import annotations

from ._client import AssistantClient
from ._thread import ThreadClient

__all__ = ["AssistantClient", "ThreadClient"]
