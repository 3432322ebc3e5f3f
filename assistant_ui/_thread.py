"""``ThreadClient``: the calls of one conversation thread.

The chat options are written once (:class:`~assistant_ui._call.options.ChatOptions`,
taken as typed ``**options``); every call builds its request through the client's
request dialect and runs on one of the two stream drivers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from ._async_stream import AsyncChatStream
from ._call.options import CallOptions, ChatOptions, RunOptions, ToolsParam, split_options
from ._call.result import ChatResult
from ._call.state import ChatCall
from ._sync_stream import ChatStream
from ._transports.inflight import InFlight
from ._transports.ws_commands import SocketCommands
from ._wire.requests import REQUEST_DIALECTS, ChatRequest, RequestSpec
from .events import Event
from .types import Message

if TYPE_CHECKING:
    from ._client import AssistantClient
    from .tools.runner import AsyncRunStream, RunResult, RunStream

__all__ = ["ThreadClient", "build_chat_spec"]


class ThreadClient(SocketCommands):
    """Chat, stream, cancel and run tools on one thread. Get one from ``client.threads(id)``.

    Every chat call takes ``messages`` (a list of message dicts, see
    :mod:`assistant_ui.messages`), ``system``, ``tools`` and the keyword options of
    :class:`~assistant_ui._call.options.ChatOptions`: ``commands``, ``run_config``
    (``runConfig``), ``state``, ``assistant_message_id``
    (``unstable_assistantMessageId``), ``protocol``, ``idle_timeout``, ``deadline``,
    ``resume`` and ``extra_body`` (more top-level body fields; any other keyword
    reaches the body too, as in 0.1.1).
    """

    def __init__(self, client: AssistantClient, thread_id: str) -> None:
        if not isinstance(thread_id, str) or not thread_id:
            raise ValueError("thread_id must be a non-empty str")
        self._client = client
        self.thread_id = thread_id

    def __repr__(self) -> str:
        return f"ThreadClient(thread_id={self.thread_id!r}, client={self._client!r})"

    @property
    def client(self) -> AssistantClient:
        """The :class:`AssistantClient` this thread belongs to."""
        return self._client

    # -- in-flight registry ------------------------------------------------------------

    # Kept by the client per thread id, so that any ``client.threads(id)`` can cancel
    # the calls another ThreadClient object of the same id started.

    def _register(self, handle: InFlight) -> None:
        self._client._track(self.thread_id, handle)

    def _unregister(self, handle: InFlight) -> None:
        self._client._untrack(self.thread_id, handle)

    def _in_flight(self) -> list[InFlight]:
        """The calls of this thread now in flight (in this process)."""
        handles: list[InFlight] = self._client._tracked(self.thread_id)
        return handles

    def _answer_hook(self) -> Callable[[Sequence[Event]], None] | None:
        """What a call tells its final events (None when the request dialect keeps no
        session: no bound method made per call for nothing)."""
        if REQUEST_DIALECTS[self._client.api].update_session is None:
            return None
        return self._after_answer

    def _after_answer(self, events: Sequence[Event]) -> None:
        """An answer is final: the request dialect keeps what this thread's next call sends."""
        update = REQUEST_DIALECTS[self._client.api].update_session
        if update is not None:
            with self._client._lock:
                session = self._client._sessions.setdefault(self.thread_id, {})
            update(session, events)

    def _abort_all(self) -> None:
        for handle in self._in_flight():
            handle.cancel()

    # -- cancels, counted per thread id (a tool-run loop stops when the count changes) ---------

    def _cancel_count(self) -> int:
        """How many times ``cancel``/``cancel_sync`` was called on this thread id."""
        return self._client._cancels_by_thread.get(self.thread_id, 0)

    def _count_cancel(self) -> None:
        client = self._client
        with client._lock:
            counts = client._cancels_by_thread
            counts[self.thread_id] = counts.get(self.thread_id, 0) + 1

    # -- building calls --------------------------------------------------------------------

    def _prepare(
        self,
        messages: Sequence[Message] | None,
        system: str | None,
        tools: ToolsParam | None,
        options: Mapping[str, Any],
    ) -> tuple[RequestSpec, CallOptions, ChatCall]:
        if isinstance(messages, (str, bytes)):
            raise TypeError(
                "messages must be a list of message dicts, not a str; "
                'wrap the text as messages=[user("...")] (from assistant_ui import user)'
            )
        body, knobs, extra = split_options(options)
        # the seed package's camelCase spellings and our Pythonic ones are both accepted
        run_config = _pick(body, "run_config", "runConfig")
        assistant_message_id = _pick(body, "assistant_message_id", "unstable_assistantMessageId")
        state = body.get("state")
        spec = build_chat_spec(
            self._client,
            self.thread_id,
            messages=messages,
            system=system,
            tools=tools,
            commands=body.get("commands"),
            run_config=run_config,
            state=state,
            assistant_message_id=assistant_message_id,
            extra=extra,
        )
        opts = self._client._call_options(**knobs)
        call = ChatCall(
            protocol=opts.protocol,
            state=state,
            message_id=assistant_message_id,
            max_event_size=opts.max_event_size,
        )
        return spec, opts, call

    # -- streaming ----------------------------------------------------------------------------

    def stream(
        self,
        messages: Sequence[Message] | None = None,
        system: str | None = None,
        tools: ToolsParam | None = None,
        **options: Unpack[ChatOptions],
    ) -> AsyncChatStream:
        """Start a chat and stream its events: ``async with thread.stream(...) as s``.

        Returns an :class:`~assistant_ui.AsyncChatStream`: iterate it for the
        normalized events, ``s.text_stream`` for the text, ``await s.final()`` for
        the :class:`~assistant_ui.ChatResult`. ``idle_timeout`` bounds the silence
        between two decoded events (heartbeats do not count), ``deadline`` the whole
        call; both default to the client's and raise
        :class:`~assistant_ui.APITimeoutError` carrying ``.partial``. Leaving the
        block, ``break``, an exception or ``aclose()`` release the connection.
        ``resume`` (default: the client's) picks up a body cut by the network when
        the server allows it (``x-resumable-stream-id``, or SSE ids).
        """
        return AsyncChatStream(self, *self._prepare(messages, system, tools, options))

    def stream_sync(
        self,
        messages: Sequence[Message] | None = None,
        system: str | None = None,
        tools: ToolsParam | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatStream:
        """Start a chat and stream its events: ``with thread.stream_sync(...) as s``.

        The blocking twin of :meth:`stream` (same arguments); returns a
        :class:`~assistant_ui.ChatStream`. ``stream.close()`` from another OS
        thread aborts a blocked read.
        """
        return ChatStream(self, *self._prepare(messages, system, tools, options))

    # -- whole calls ---------------------------------------------------------------------------

    async def chat(
        self,
        messages: Sequence[Message] | None = None,
        system: str | None = None,
        tools: ToolsParam | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatResult:
        """Send the chat, decode the whole answer, return a :class:`ChatResult`.

        Takes what :meth:`stream` takes. ``await thread.cancel()`` (from any task or
        thread) makes it return early with what arrived and status ``incomplete`` /
        ``cancelled``. Raises the typed errors of :mod:`assistant_ui.errors`.
        """
        async with self.stream(messages, system, tools, **options) as stream:
            return await stream.final()

    def chat_sync(
        self,
        messages: Sequence[Message] | None = None,
        system: str | None = None,
        tools: ToolsParam | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatResult:
        """Send the chat and block until the whole answer is decoded: a :class:`ChatResult`.

        Takes what :meth:`stream` takes; works in plain scripts, in threads and
        inside a running event loop. ``thread.cancel_sync()`` from another thread
        makes it return early with status ``incomplete`` / ``cancelled``.
        """
        with self.stream_sync(messages, system, tools, **options) as stream:
            return stream.final()

    # -- resuming a stream started elsewhere --------------------------------------------------

    def _prepare_resume(
        self, stream_id: str, protocol: str | None, idle_timeout: float | None, deadline: float | None
    ) -> tuple[RequestSpec, CallOptions, ChatCall]:
        spec = self._client._resume_spec(stream_id)
        opts = self._client._call_options(protocol=protocol, idle_timeout=idle_timeout, deadline=deadline)
        call = ChatCall(protocol=opts.protocol, max_event_size=opts.max_event_size)
        call.stream_id = stream_id
        return spec, opts, call

    def resume_stream(
        self,
        stream_id: str,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
    ) -> AsyncChatStream:
        """Stream a resumable stream from its start (``resume_path``), e.g. one another
        process started: ``async with thread.resume_stream(stream_id) as s``.

        Events and result are those of the whole stream; an unknown id raises
        :class:`~assistant_ui.NotFoundError`. A cut is resumed like any other.
        """
        return AsyncChatStream(self, *self._prepare_resume(stream_id, protocol, idle_timeout, deadline))

    def resume_stream_sync(
        self,
        stream_id: str,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
    ) -> ChatStream:
        """Blocking :meth:`resume_stream`: ``with thread.resume_stream_sync(stream_id) as s``."""
        return ChatStream(self, *self._prepare_resume(stream_id, protocol, idle_timeout, deadline))

    async def resume(
        self,
        stream_id: str,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
    ) -> ChatResult:
        """Fetch a resumable stream (by its ``ChatResult.stream_id``) from its start and
        return the whole :class:`ChatResult`, e.g. after a restart of this process."""
        stream = self.resume_stream(stream_id, protocol=protocol, idle_timeout=idle_timeout, deadline=deadline)
        async with stream:
            return await stream.final()

    def resume_sync(
        self,
        stream_id: str,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
    ) -> ChatResult:
        """Blocking :meth:`resume`."""
        stream = self.resume_stream_sync(
            stream_id, protocol=protocol, idle_timeout=idle_timeout, deadline=deadline
        )
        with stream:
            return stream.final()

    # -- tool-calling loops (assistant_ui.tools.runner) -----------------------------------------------------

    async def run(
        self,
        messages: Sequence[Message] | None = None,
        *,
        tools: ToolsParam | None = None,
        max_steps: int = 8,
        **kwargs: Unpack[RunOptions],
    ) -> RunResult:
        """Chat, execute the tool calls the backend asks for, send the results, repeat.

        ``tools`` are what :class:`~assistant_ui.tools.Toolbox` takes (``@tool``
        functions, plain functions, a Toolbox, the seed's schemas with
        ``tool_impls=``); at most ``max_steps`` requests are made. Options:
        ``approve``, ``tool_timeout``, ``max_concurrency``, ``system`` and every
        chat option. Returns a :class:`~assistant_ui.tools.RunResult`; a
        ``thread.cancel()`` stops it with ``stop_reason == "cancelled"``.
        """
        from .tools.runner import run_async

        return await run_async(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    def run_sync(
        self,
        messages: Sequence[Message] | None = None,
        *,
        tools: ToolsParam | None = None,
        max_steps: int = 8,
        **kwargs: Unpack[RunOptions],
    ) -> RunResult:
        """Blocking :meth:`run` (same arguments); sync tools run on a bounded pool of
        worker threads (``max_concurrency``)."""
        from .tools.runner import run_sync

        return run_sync(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    def run_stream(
        self,
        messages: Sequence[Message] | None = None,
        *,
        tools: ToolsParam | None = None,
        max_steps: int = 8,
        **kwargs: Unpack[RunOptions],
    ) -> AsyncRunStream:
        """:meth:`run` as events: ``async with thread.run_stream(...) as run: async for ev in run``.

        Every step's events plus ``tool-execution-start`` / ``tool-execution-end``;
        ``await run.final()`` gives the ``RunResult``.
        """
        from .tools.runner import run_stream

        return run_stream(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    def run_stream_sync(
        self,
        messages: Sequence[Message] | None = None,
        *,
        tools: ToolsParam | None = None,
        max_steps: int = 8,
        **kwargs: Unpack[RunOptions],
    ) -> RunStream:
        """Blocking :meth:`run_stream`: ``with thread.run_stream_sync(...) as run: for ev in run``."""
        from .tools.runner import run_stream_sync

        return run_stream_sync(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    # -- cancel ----------------------------------------------------------------------------------

    async def cancel(self) -> None:
        """Abort every in-flight ``chat`` / ``stream`` of this thread, then tell the server.

        Works across tasks, event loops and OS threads: the aborted calls return
        what arrived so far with status ``incomplete`` / ``cancelled``. The server
        is told (``cancel_path``) even when nothing is in flight here. A ``run`` of this
        thread stops too: running tools are cancelled (or their results dropped) and
        nothing more is sent; it returns with ``stop_reason == "cancelled"``. Returns
        None (0.1.1 returned the ``httpx.Response``).
        """
        self._count_cancel()
        self._abort_all()
        spec = self._cancel_spec()
        if spec is not None:
            response = await self._client._send_async(spec)
            await response.aclose()
        else:
            import anyio.lowlevel

            await anyio.lowlevel.checkpoint()

    def cancel_sync(self) -> None:
        """Blocking :meth:`cancel`; safe to call from any OS thread (and inside an event loop)."""
        self._count_cancel()
        self._abort_all()
        spec = self._cancel_spec()
        if spec is not None:
            response = self._client._send_sync(spec)
            response.close()

    def _cancel_spec(self) -> RequestSpec | None:
        path = self._client.cancel_path
        if path is None:
            return None
        # a backend without a cancel notice of its own gets assistant-ui's, at the
        # cancel_path the user configured
        build = REQUEST_DIALECTS[self._client.api].build_cancel
        if build is None:
            build = REQUEST_DIALECTS["assistant-ui"].build_cancel
        assert build is not None
        return build(path, self.thread_id)


def _pick(body: Mapping[str, Any], snake: str, camel: str) -> Any:
    """One option given in its Python spelling or 0.1.1's camelCase one (not both)."""
    value, camel_value = body.get(snake), body.get(camel)
    if value is not None and camel_value is not None and value != camel_value:
        raise TypeError(f"got both {camel}= and {snake}= with different values")
    return value if value is not None else camel_value


def build_chat_spec(
    client: AssistantClient,
    thread_id: str,
    *,
    messages: Sequence[Message] | None,
    system: str | None,
    tools: ToolsParam | None,
    commands: Any,
    run_config: Any,
    state: Any,
    assistant_message_id: str | None,
    extra: Mapping[str, Any],
) -> RequestSpec:
    """The request for one chat in the client's request dialect (``api=``)."""
    request = ChatRequest(
        path=client.chat_path,
        thread_id=thread_id,
        messages=messages,
        commands=list(commands) if commands is not None else None,
        system=system,
        tools=tools,
        run_config=run_config,
        state=state,
        assistant_message_id=assistant_message_id,
        extra=extra,
        model=client.model,
        session=dict(client._sessions.get(thread_id, {})),
    )
    return REQUEST_DIALECTS[client.api].build_chat(request)
