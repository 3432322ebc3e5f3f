"""The WebSocket chat's commands on a thread: its server-held history, ``clear``, ``ping``.

Mixed into :class:`~assistant_ui.ThreadClient`; they need a ``ws://`` base URL. Each
runs on the thread's connection (opening it, with the in-band auth, when needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from .._wire.requests.bedrock_ws import command, history_messages
from ..types import Message
from .websocket import command_error

if TYPE_CHECKING:
    from .._client import AssistantClient

__all__ = ["SocketCommands"]


class SocketCommands:
    """``history``, ``clear`` and ``ping`` (sync and async) for ``ws://`` clients."""

    _client: AssistantClient
    thread_id: str

    async def history(self) -> list[Message]:
        """The conversation the server holds for this thread (its ``history``), as
        message dicts: user and assistant messages, server-side tool calls with their
        results as tool-call parts."""
        reply = await self._command_async("history", "history")
        return cast("list[Message]", history_messages(reply))

    def history_sync(self) -> list[Message]:
        """Blocking :meth:`history`."""
        return cast("list[Message]", history_messages(self._command_sync("history", "history")))

    async def clear(self) -> None:
        """Clear the conversation the server holds for this thread (``clear``)."""
        await self._command_async("clear", "history_cleared")

    def clear_sync(self) -> None:
        """Blocking :meth:`clear`."""
        self._command_sync("clear", "history_cleared")

    async def ping(self) -> None:
        """Check the thread's connection (``ping``, answered by ``pong``)."""
        await self._command_async("ping", "pong")

    def ping_sync(self) -> None:
        """Blocking :meth:`ping`."""
        self._command_sync("ping", "pong")

    def _command_sync(self, kind: str, expect: str) -> Any:
        client = self._client
        text = command(self.thread_id, kind).text()
        with _typed_errors():
            return client._sockets().command_sync(client.sync_http, self.thread_id, text, expect)

    async def _command_async(self, kind: str, expect: str) -> Any:
        client = self._client
        text = command(self.thread_id, kind).text()
        with _typed_errors():
            return await client._sockets().command_async(client.async_http, self.thread_id, text, expect)


class _typed_errors:
    """The failures of a command as the library's typed errors."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, Exception):
            error = command_error(exc)
            if error is not None:
                raise error from exc
