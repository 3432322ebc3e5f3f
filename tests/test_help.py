"""``help()`` explains the library: every constructor parameter, what each public call
takes and returns, and no internal helper among the public attributes."""

from __future__ import annotations

import inspect
import pydoc

from assistant_ui import AssistantClient, AsyncChatStream, ChatStream, ThreadClient


def test_every_constructor_parameter_is_explained() -> None:
    doc = inspect.getdoc(AssistantClient) or ""
    names = [n for n in inspect.signature(AssistantClient).parameters if n != "httpx_kwargs"]
    missing = [n for n in names if n not in doc]
    assert not missing, missing
    assert "**httpx_kwargs" in doc and "transport=" in doc  # what the extra keywords reach


def test_the_public_calls_say_what_they_take_and_return() -> None:
    for name in ("chat", "chat_sync", "stream", "stream_sync", "run", "run_sync", "cancel", "cancel_sync"):
        doc = inspect.getdoc(getattr(ThreadClient, name)) or ""
        assert len(doc) > 80, (name, doc)
    assert "ChatResult" in (inspect.getdoc(ThreadClient.chat_sync) or "")
    assert "ChatStream" in (inspect.getdoc(ThreadClient.stream_sync) or "")
    assert "RunResult" in (inspect.getdoc(ThreadClient.run) or "")


def test_internal_helpers_are_not_public() -> None:
    public = {n for n in dir(AssistantClient) if not n.startswith("_")}
    assert not public & {"send_sync", "send_async", "call_options"}
    for cls in (ThreadClient, ChatStream, AsyncChatStream):
        assert not {n for n in dir(cls) if not n.startswith("_")} & {"send_sync", "send_async"}


def test_help_renders() -> None:
    text = pydoc.render_doc(AssistantClient, renderer=pydoc.plaintext)
    assert "max_response_size" in text and "idle_timeout" in text
