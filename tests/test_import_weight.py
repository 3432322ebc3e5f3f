"""``from assistant_ui import AssistantClient`` and making a client load little more than
httpx: the transports, the request and decoder dialects and the call core load on the
first call, and each public name of the package is imported on first use (bench/RESULTS.md,
"Round 2"). No timing here: the checks are on what is
in ``sys.modules``, each in a fresh interpreter.

Also: the name tables the client checks its settings against (``_wire/names.py``)
agree with the registries they stand for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: what making a client must not load (each is imported by the first call)
LAZY = [
    "assistant_ui._call.options",
    "assistant_ui._call.send_flow",
    "assistant_ui._call.state",
    "assistant_ui._log",
    "assistant_ui._redaction",
    "assistant_ui._thread",
    "assistant_ui._transports.headers",
    "assistant_ui._transports.http",
    "assistant_ui._transports.http_clients",
    "assistant_ui._transports.loops",
    "assistant_ui._transports.redirects",
    "assistant_ui._wire.decoder",
    "assistant_ui._wire.dialects",
    "assistant_ui._wire.requests",
    "assistant_ui._wire.requests.assistant_ui",
    "assistant_ui._wire.requests.base",
    "assistant_ui.auth",
    "assistant_ui.errors",
    "assistant_ui.messages",
    "assistant_ui.types",
    "typing_extensions",
]

#: the first call's modules, for the check that LAZY names real modules
FIRST_CALL = [
    "assistant_ui.errors",
    "assistant_ui.messages",
    "assistant_ui._call.options",
    "assistant_ui._transports.http",
    "assistant_ui._transports.http_clients",
    "assistant_ui._wire.dialects",
    "assistant_ui._wire.requests",
]

SCRIPT = """
import json, sys
from assistant_ui import AssistantClient
{make}
lazy = {lazy!r}
before = sorted(m for m in lazy if m in sys.modules)
import httpx
from assistant_ui import user

def answer(request):
    assert request.url.path == "/api/chat", request.url
    return httpx.Response(
        200,
        headers={{"content-type": "text/plain", "x-vercel-ai-data-stream": "v1"}},
        content=b'0:"Hel"\\n0:"lo"\\nd:{{"finishReason":"stop"}}\\n',
    )

{call}
after = sorted(m for m in lazy if m in sys.modules)
print(json.dumps({{"before": before, "after": after, "text": text}}))
"""

SYNC = """
client = AssistantClient("http://x", transport=httpx.MockTransport(answer))
text = client.threads("t").chat_sync(messages=[user("hi")]).text
client.close_sync()
"""

ASYNC = """
import asyncio

async def main():
    async with AssistantClient("http://x", transport=httpx.MockTransport(answer)) as client:
        return (await client.threads("t").chat(messages=[user("hi")])).text

text = asyncio.run(main())
"""


def python(code: str) -> str:
    """What ``code`` prints, run in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_fresh(make: str, call: str) -> dict[str, object]:
    out = python(SCRIPT.format(make=make, lazy=LAZY, call=call))
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("call", [SYNC, ASYNC], ids=["sync", "async"])
def test_making_a_client_loads_no_transport_and_the_first_call_works(call: str) -> None:
    # the first client is made before httpx's MockTransport is named; the checks run
    # right after it, then the first call goes out on a second client
    out = run_fresh('AssistantClient("http://x"); AssistantClient("http://x", api="openai", model="m")', call)
    assert out["before"] == []
    assert out["text"] == "Hello"
    assert set(FIRST_CALL) <= set(out["after"])  # (LAZY names modules that exist)


def test_closing_a_client_that_never_called_loads_nothing() -> None:
    make = (
        'c = AssistantClient("http://x")\n'
        "c.close_sync()\n"
        "import asyncio\n"
        "asyncio.run(c.close())\n"
        "with AssistantClient('http://x') as c2:\n"
        "    pass\n"
    )
    out = run_fresh(make, SYNC)
    assert out["before"] == []
    assert out["text"] == "Hello"


def test_the_name_tables_agree_with_the_registries() -> None:
    from assistant_ui._wire import dialects, names, requests

    assert names.APIS == tuple(requests.REQUEST_DIALECTS) == requests.APIS
    for api in names.APIS:
        dialect = requests.REQUEST_DIALECTS[api]
        assert dialect.name == api
        assert names.DEFAULT_CHAT_PATHS[api] == dialect.default_chat_path, api
    assert set(names.DEFAULT_CHAT_PATHS) == set(names.APIS)
    # the built-in entries, in sniffing order (register() may add more later)
    assert names.PROTOCOLS == dialects.PROTOCOLS
    assert names.PROTOCOLS == tuple(dialects.DIALECTS)[: len(names.PROTOCOLS)]


def test_the_client_checks_api_and_protocol_against_the_tables() -> None:
    from assistant_ui import AssistantClient
    from assistant_ui._wire import names

    for api in names.APIS:
        if api == "bedrock-ws":
            continue  # (a ws:// client: the ws extra; its chat path is checked above)
        client = AssistantClient("http://x", api=api, model="m")
        assert client.chat_path == names.DEFAULT_CHAT_PATHS[api]
    with pytest.raises(ValueError, match="api must be one of"):
        AssistantClient("http://x", api="nope")
    for protocol in names.PROTOCOLS:
        assert AssistantClient("http://x", protocol=protocol).protocol == protocol
    with pytest.raises(ValueError, match="protocol must be one of"):
        AssistantClient("http://x", protocol="nope")


def test_every_public_name_loads_on_first_use_from_its_module() -> None:
    code = (
        "import importlib, json, sys\n"
        "import assistant_ui\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('assistant_ui.'))\n"
        "names = [n for n in assistant_ui.__all__ if n != '__version__']\n"
        "wrong = [n for n in names if getattr(assistant_ui, n) is not getattr(\n"
        "    importlib.import_module(assistant_ui._LAZY[n], 'assistant_ui'), n)]\n"
        "print(json.dumps({'loaded': loaded, 'wrong': wrong, 'names': names,\n"
        "                  'lazy': sorted(assistant_ui._LAZY)}))"
    )
    out = json.loads(python(code))
    assert out["loaded"] == []  # ``import assistant_ui`` alone loads none of its modules
    assert out["wrong"] == []
    assert sorted(out["names"]) == out["lazy"]  # __all__ and the lazy table name the same


def test_the_submodules_of_0_1_1_are_attributes_after_a_bare_import() -> None:
    code = (
        "import assistant_ui\n"
        "print(assistant_ui.errors.APIError.__name__, assistant_ui.types.TextPart.__name__,\n"
        "      assistant_ui.messages.user.__name__, 'errors' in dir(assistant_ui))"
    )
    assert python(code).split() == ["APIError", "TextPart", "user", "True"]
    import assistant_ui

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        assistant_ui.nope  # noqa: B018
