"""Test helpers: a fake chat backend, wire-format encoders, and serving it on loopback.

>>> from assistant_ui import AssistantClient, user
>>> from assistant_ui.testing import FakeBackend, serve, text_reply
>>> backend = FakeBackend([text_reply("Hello!")])
>>> with serve(backend) as base_url:                     # real HTTP on 127.0.0.1
...     with AssistantClient(base_url=base_url) as client:
...         client.threads("t1").chat_sync(messages=[user("Hi")]).text
'Hello!'
>>> backend.requests[0].body["threadId"]
't1'

``serve()`` and ``serve_async()`` run the app on uvicorn (the ``testing``
extra: ``pip install -e ".[testing]"`` from a checkout, or ``pip install
uvicorn``). The backend is a plain ASGI 3 app, so async tests can also skip the
network, and uvicorn:
``AssistantClient(base_url="http://test", transport=httpx.ASGITransport(app=backend))``
(the body then arrives in one piece).
"""

from __future__ import annotations

from ._asgi import AbortConnection
from ._demo_backend import DemoBackend, fake_weather
from ._encoders import FORMAT_EVENTS, FORMATS, EncodedStream, encode, encode_body
from ._fake_backend import FakeBackend, RecordedRequest, request_dialect
from ._replies import (
    OMIT,
    Reply,
    message_events,
    text_events,
    text_reply,
    tool_call_events,
    tool_call_reply,
)
from ._serve import serve, serve_async

__all__ = [
    "FORMATS",
    "FORMAT_EVENTS",
    "OMIT",
    "AbortConnection",
    "DemoBackend",
    "EncodedStream",
    "FakeBackend",
    "RecordedRequest",
    "Reply",
    "encode",
    "encode_body",
    "fake_weather",
    "message_events",
    "request_dialect",
    "serve",
    "serve_async",
    "text_events",
    "text_reply",
    "tool_call_events",
    "tool_call_reply",
]
