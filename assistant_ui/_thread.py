"""``ThreadClient``: the calls of one conversation thread (API.md §1, §4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._call.result import ChatResult
from ._call.state import ChatCall
from ._stream import AsyncChatStream, ChatStream, InFlight
from ._wire.requests import REQUEST_DIALECTS, ChatRequest, RequestSpec

if TYPE_CHECKING:
    from ._client import AssistantClient, CallOptions
    from .tools.runner import AsyncRunStream, RunResult, RunStream

__all__ = ["ThreadClient"]


class ThreadClient:
    """Chat, stream, cancel and run tools on one thread. Get one from ``client.threads(id)``."""

    def __init__(self, client: AssistantClient, thread_id: str) -> None:
        if not isinstance(thread_id, str) or not thread_id:
            raise ValueError("thread_id must be a non-empty str")
        self._client = client
        self.thread_id = thread_id

    def __repr__(self) -> str:
        return f"ThreadClient(thread_id={self.thread_id!r}, client={self._client!r})"

    @property
    def client(self) -> AssistantClient:
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

    def _after_answer(self, result: ChatResult) -> None:
        """TEMP facade wiring for sessions: the dialect keeps what the next call needs."""
        update = REQUEST_DIALECTS[self._client.api].update_session
        if update is not None:
            with self._client._lock:
                session = self._client._sessions.setdefault(self.thread_id, {})
            update(session, result.events)

    def _abort_all(self) -> None:
        for handle in self._in_flight():
            handle.cancel()

    # -- building calls --------------------------------------------------------------------

    def _prepare(
        self,
        messages: Any,
        *,
        system: str | None,
        tools: Any,
        commands: Any,
        run_config: Any,
        state: Any,
        assistant_message_id: str | None,
        protocol: str | None,
        idle_timeout: float | None,
        deadline: float | None,
        resume: bool | None,
        extra: Mapping[str, Any],
    ) -> tuple[RequestSpec, CallOptions, ChatCall]:
        extra = dict(extra)
        # the seed package's camelCase spellings and our Pythonic ones are both accepted
        run_config = _pick("runConfig", run_config, extra)
        assistant_message_id = _pick(
            "unstable_assistantMessageId", assistant_message_id, extra
        )
        spec = build_chat_spec(
            self._client,
            self.thread_id,
            messages=messages,
            system=system,
            tools=tools,
            commands=commands,
            run_config=run_config,
            state=state,
            assistant_message_id=assistant_message_id,
            extra=extra,
        )
        opts = self._client.call_options(
            protocol=protocol, idle_timeout=idle_timeout, deadline=deadline, resume=resume
        )
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
        messages: Any = None,
        system: str | None = None,
        tools: Any = None,
        *,
        commands: Any = None,
        run_config: Any = None,
        state: Any = None,
        assistant_message_id: str | None = None,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool | None = None,
        **kwargs: Any,
    ) -> AsyncChatStream:
        """Start a chat and stream its events: ``async with thread.stream(...) as s``.

        ``idle_timeout`` bounds the silence between two decoded events (heartbeats do
        not count), ``deadline`` the whole call; both default to the client's and
        raise :class:`~assistant_ui.APITimeoutError` carrying ``.partial``. Leaving
        the block, ``break``, an exception or ``aclose()`` release the connection.
        ``resume`` (default: the client's) picks up a body cut by the network when
        the server allows it (``x-resumable-stream-id``, or SSE ids).
        """
        spec, opts, call = self._prepare(
            messages,
            system=system,
            tools=tools,
            commands=commands,
            run_config=run_config,
            state=state,
            assistant_message_id=assistant_message_id,
            protocol=protocol,
            idle_timeout=idle_timeout,
            deadline=deadline,
            resume=resume,
            extra=kwargs,
        )
        return AsyncChatStream(self, spec, opts, call)

    def stream_sync(
        self,
        messages: Any = None,
        system: str | None = None,
        tools: Any = None,
        *,
        commands: Any = None,
        run_config: Any = None,
        state: Any = None,
        assistant_message_id: str | None = None,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool | None = None,
        **kwargs: Any,
    ) -> ChatStream:
        """Start a chat and stream its events: ``with thread.stream_sync(...) as s``."""
        spec, opts, call = self._prepare(
            messages,
            system=system,
            tools=tools,
            commands=commands,
            run_config=run_config,
            state=state,
            assistant_message_id=assistant_message_id,
            protocol=protocol,
            idle_timeout=idle_timeout,
            deadline=deadline,
            resume=resume,
            extra=kwargs,
        )
        return ChatStream(self, spec, opts, call)

    # -- whole calls ---------------------------------------------------------------------------

    async def chat(
        self,
        messages: Any = None,
        system: str | None = None,
        tools: Any = None,
        *,
        commands: Any = None,
        run_config: Any = None,
        state: Any = None,
        assistant_message_id: str | None = None,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Send the chat, decode the whole answer, return a :class:`ChatResult`.

        ``await thread.cancel()`` (from any task or thread) makes it return early
        with what arrived and status ``incomplete`` / ``cancelled``.
        """
        stream = self.stream(
            messages,
            system,
            tools,
            commands=commands,
            run_config=run_config,
            state=state,
            assistant_message_id=assistant_message_id,
            protocol=protocol,
            idle_timeout=idle_timeout,
            deadline=deadline,
            resume=resume,
            **kwargs,
        )
        async with stream:
            return await stream.final()

    def chat_sync(
        self,
        messages: Any = None,
        system: str | None = None,
        tools: Any = None,
        *,
        commands: Any = None,
        run_config: Any = None,
        state: Any = None,
        assistant_message_id: str | None = None,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
        resume: bool | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Blocking :meth:`chat`."""
        stream = self.stream_sync(
            messages,
            system,
            tools,
            commands=commands,
            run_config=run_config,
            state=state,
            assistant_message_id=assistant_message_id,
            protocol=protocol,
            idle_timeout=idle_timeout,
            deadline=deadline,
            resume=resume,
            **kwargs,
        )
        with stream:
            return stream.final()

    # -- resuming a stream started elsewhere --------------------------------------------------

    def _prepare_resume(
        self, stream_id: str, protocol: str | None, idle_timeout: float | None, deadline: float | None
    ) -> tuple[RequestSpec, CallOptions, ChatCall]:
        spec = self._client._resume_spec(stream_id)
        opts = self._client.call_options(protocol=protocol, idle_timeout=idle_timeout, deadline=deadline)
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
        spec, opts, call = self._prepare_resume(stream_id, protocol, idle_timeout, deadline)
        return AsyncChatStream(self, spec, opts, call)

    def resume_stream_sync(
        self,
        stream_id: str,
        *,
        protocol: str | None = None,
        idle_timeout: float | None = None,
        deadline: float | None = None,
    ) -> ChatStream:
        """Blocking :meth:`resume_stream`: ``with thread.resume_stream_sync(stream_id) as s``."""
        spec, opts, call = self._prepare_resume(stream_id, protocol, idle_timeout, deadline)
        return ChatStream(self, spec, opts, call)

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
        self, messages: Any = None, *, tools: Any = None, max_steps: int = 8, **kwargs: Any
    ) -> RunResult:
        """Chat, execute the tool calls the backend asks for, send the results, repeat (API.md §8)."""
        from .tools.runner import run_async

        return await run_async(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    def run_sync(
        self, messages: Any = None, *, tools: Any = None, max_steps: int = 8, **kwargs: Any
    ) -> RunResult:
        """Blocking :meth:`run`."""
        from .tools.runner import run_sync

        return run_sync(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    def run_stream(
        self, messages: Any = None, *, tools: Any = None, max_steps: int = 8, **kwargs: Any
    ) -> AsyncRunStream:
        """:meth:`run` as events: ``async with thread.run_stream(...) as run: async for ev in run``.

        Every step's events plus ``tool-execution-start`` / ``tool-execution-end``;
        ``await run.final()`` gives the ``RunResult``.
        """
        from .tools.runner import run_stream

        return run_stream(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    def run_stream_sync(
        self, messages: Any = None, *, tools: Any = None, max_steps: int = 8, **kwargs: Any
    ) -> RunStream:
        """Blocking :meth:`run_stream`: ``with thread.run_stream_sync(...) as run: for ev in run``."""
        from .tools.runner import run_stream_sync

        return run_stream_sync(self, messages, tools=tools, max_steps=max_steps, **kwargs)

    # -- cancel ----------------------------------------------------------------------------------

    async def cancel(self) -> None:
        """Abort every in-flight ``chat`` / ``stream`` of this thread, then tell the server.

        Works across tasks, event loops and OS threads: the aborted calls return
        what arrived so far with status ``incomplete`` / ``cancelled``. The server
        is told (``cancel_path``) even when nothing is in flight here.
        """
        self._abort_all()
        spec = self._cancel_spec()
        if spec is not None:
            response = await self._client.send_async(spec, stream=False)
            await response.aclose()
        else:
            import anyio.lowlevel

            await anyio.lowlevel.checkpoint()

    def cancel_sync(self) -> None:
        """Blocking :meth:`cancel`; safe to call from any OS thread (and inside an event loop)."""
        self._abort_all()
        spec = self._cancel_spec()
        if spec is not None:
            response = self._client.send_sync(spec, stream=False)
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


def _pick(camel: str, value: Any, extra: dict[str, Any]) -> Any:
    camel_value = extra.pop(camel, None)
    if value is not None and camel_value is not None and value != camel_value:
        snake = {"runConfig": "run_config", "unstable_assistantMessageId": "assistant_message_id"}[camel]
        raise TypeError(f"got both {camel}= and {snake}= with different values")
    return value if value is not None else camel_value


def build_chat_spec(
    client: AssistantClient,
    thread_id: str,
    *,
    messages: Any,
    system: str | None,
    tools: Any,
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
        session=dict(client._sessions.setdefault(thread_id, {})),  # TEMP facade wiring for sessions
    )
    return REQUEST_DIALECTS[client.api].build_chat(request)
