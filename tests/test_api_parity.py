"""The sync and async public surfaces match name for name and parameter for parameter.

In the spirit of langgraph-sdk's sync/async parity test: every async method of
``AssistantClient`` / ``ThreadClient`` has its ``*_sync`` twin (and the reverse),
``AsyncChatStream`` mirrors ``ChatStream`` (``aclose`` / ``close``, ``__aiter__`` /
``__iter__``, ...), and each pair takes exactly the same parameters.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from assistant_ui import AssistantClient, AsyncChatStream, ChatStream, ThreadClient

#: async name -> sync name, wherever the sync name is not ``<async name>_sync``
SPECIAL = {
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
    "send_async": "send_sync",
    "async_http": "sync_http",
}
DUNDERS = set(SPECIAL) | set(SPECIAL.values())


def surface(cls: type) -> dict[str, Any]:
    """Public attributes (plus the protocol dunders) as defined on the class."""
    out = {}
    for name in dir(cls):
        if name.startswith("_") and name not in DUNDERS:
            continue
        out[name] = inspect.getattr_static(cls, name)
    return out


def is_async(obj: Any) -> bool:
    return inspect.iscoroutinefunction(obj) or inspect.isasyncgenfunction(obj)


def params(obj: Any) -> list[inspect.Parameter]:
    return list(inspect.signature(obj).parameters.values())


def assert_same_parameters(async_obj: Any, sync_obj: Any, what: str) -> None:
    if isinstance(async_obj, property) or isinstance(sync_obj, property):
        assert isinstance(async_obj, property) and isinstance(sync_obj, property), what
        return
    a, s = params(async_obj), params(sync_obj)
    assert [p.name for p in a] == [p.name for p in s], what
    assert a == s, f"{what}: {inspect.signature(async_obj)} != {inspect.signature(sync_obj)}"


# -- one class carrying both surfaces ---------------------------------------------------------------


def twin_pairs(cls: type) -> list[tuple[str, str]]:
    names = surface(cls)
    pairs = []
    for name, obj in names.items():
        if name.endswith("_sync"):
            continue
        twin = SPECIAL.get(name, f"{name}_sync")
        if twin in names:
            pairs.append((name, twin))
        else:
            assert not is_async(obj), f"{cls.__name__}.{name} is async but has no {twin}"
    for name in names:
        if name.endswith("_sync"):
            base = name[: -len("_sync")]
            base = {v: k for k, v in SPECIAL.items()}.get(name, base)
            assert base in names, f"{cls.__name__}.{name} has no async twin {base}"
    return pairs


@pytest.mark.parametrize("cls", [AssistantClient, ThreadClient], ids=lambda c: c.__name__)
def test_every_async_method_has_its_sync_twin(cls: type) -> None:
    pairs = twin_pairs(cls)
    assert pairs
    names = surface(cls)
    for async_name, sync_name in pairs:
        async_obj, sync_obj = names[async_name], names[sync_name]
        assert not is_async(sync_obj), f"{cls.__name__}.{sync_name} must be sync"
        assert_same_parameters(async_obj, sync_obj, f"{cls.__name__}.{async_name}/{sync_name}")


def test_the_expected_pairs_exist() -> None:
    client_pairs = set(twin_pairs(AssistantClient))
    assert {("close", "close_sync"), ("__aenter__", "__enter__"), ("__aexit__", "__exit__")} <= client_pairs
    thread_pairs = set(twin_pairs(ThreadClient))
    assert {
        ("chat", "chat_sync"),
        ("stream", "stream_sync"),
        ("cancel", "cancel_sync"),
        ("run", "run_sync"),
        ("resume", "resume_sync"),
        ("resume_stream", "resume_stream_sync"),
    } <= thread_pairs
    for name in ("chat", "cancel", "run", "resume"):
        assert is_async(getattr(ThreadClient, name)), name
    assert is_async(AssistantClient.close)


def test_stream_factories_return_the_matching_stream_class() -> None:
    hints_async = inspect.signature(ThreadClient.stream).return_annotation
    hints_sync = inspect.signature(ThreadClient.stream_sync).return_annotation
    assert hints_async in ("AsyncChatStream", AsyncChatStream)
    assert hints_sync in ("ChatStream", ChatStream)
    chat = inspect.signature(ThreadClient.chat).return_annotation
    assert chat == inspect.signature(ThreadClient.chat_sync).return_annotation


# -- two classes mirroring each other -------------------------------------------------------------------


def stream_pairs() -> list[tuple[type, type]]:
    pairs: list[tuple[type, type]] = [(AsyncChatStream, ChatStream)]
    try:
        from assistant_ui.tools.runner import AsyncRunStream, RunStream
    except ImportError:
        pass
    else:
        pairs.append((AsyncRunStream, RunStream))
    return pairs


@pytest.mark.parametrize("async_cls,sync_cls", stream_pairs(), ids=lambda c: c.__name__)
def test_stream_classes_mirror_each_other(async_cls: type, sync_cls: type) -> None:
    async_names = surface(async_cls)
    sync_names = surface(sync_cls)
    mapped = {SPECIAL.get(name, name): name for name in async_names}
    assert set(mapped) == set(sync_names), (
        f"only async: {sorted(set(mapped) - set(sync_names))}; "
        f"only sync: {sorted(set(sync_names) - set(mapped))}"
    )
    for sync_name, async_name in mapped.items():
        async_obj, sync_obj = async_names[async_name], sync_names[sync_name]
        assert not is_async(sync_obj), f"{sync_cls.__name__}.{sync_name} must be sync"
        assert_same_parameters(async_obj, sync_obj, f"{async_cls.__name__}.{async_name}")
    # what must be awaited is async on the async side
    for name in ("__aenter__", "__aexit__", "__anext__", "aclose", "final"):
        assert is_async(async_names[name]), f"{async_cls.__name__}.{name} must be async"
    assert not is_async(async_names["__aiter__"])


def test_the_stream_surface_is_what_api_md_promises() -> None:
    names = surface(AsyncChatStream)
    for name in ("final", "message", "text_stream", "aclose", "events", "response"):
        assert name in names
    assert isinstance(names["message"], property)
    assert isinstance(names["text_stream"], property)
