"""The public calls are typed: mypy (its API, ``mypy.api.run``) rejects a misspelt
keyword, a plain string as ``messages`` and a message with a wrong role, and the
examples of the 0.1.1 README (the seed package's) type-check as they are.

mypy runs once, over every script of this file (each script its own module); the
errors are then looked up per script.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parent.parent

#: scripts mypy must reject: name -> (source, a regex the error line must match)
REJECTED: dict[str, tuple[str, str]] = {
    "misspelt_keyword": (
        """
        from assistant_ui import AssistantClient, user

        thread = AssistantClient("http://127.0.0.1:1").threads("t")
        thread.chat_sync(mesages=[user("hi")])
        """,
        r'Unexpected keyword argument "mesages"',
    ),
    "plain_string_messages": (
        """
        from assistant_ui import AssistantClient

        thread = AssistantClient("http://127.0.0.1:1").threads("t")
        thread.chat_sync(messages="hello")
        """,
        r'Argument "messages" to "chat_sync" of "ThreadClient" has incompatible type "str"',
    ),
    "wrong_role": (
        """
        from assistant_ui import AssistantClient
        from assistant_ui.types import Message

        thread = AssistantClient("http://127.0.0.1:1").threads("t")
        bad: Message = {"role": "robot", "content": [{"type": "text", "text": "hi"}]}
        thread.chat_sync(messages=[bad])
        """,
        r"Type of TypedDict is ambiguous|Incompatible types in assignment",
    ),
    "wrong_role_inline": (
        """
        import asyncio
        from assistant_ui import AssistantClient

        async def main() -> None:
            thread = AssistantClient("http://127.0.0.1:1").threads("t")
            await thread.chat(messages=[{"role": "robot", "content": "hi"}])

        asyncio.run(main())
        """,
        r'Argument "messages" to "chat" of "ThreadClient"|List item 0 has incompatible type',
    ),
    "bare_extra_body_key": (
        """
        from assistant_ui import AssistantClient, user

        thread = AssistantClient("http://127.0.0.1:1").threads("t")
        thread.chat_sync(messages=[user("hi")], temperature=0.2)  # extra_body={"temperature": 0.2}
        """,
        r'Unexpected keyword argument "temperature"',
    ),
    "run_plain_string": (
        """
        from assistant_ui import AssistantClient

        thread = AssistantClient("http://127.0.0.1:1").threads("t")
        thread.run_sync("hello")
        """,
        r'Argument 1 to "run_sync" of "ThreadClient" has incompatible type "str"',
    ),
    "bad_option_type": (
        """
        from assistant_ui import AssistantClient

        thread = AssistantClient("http://127.0.0.1:1").threads("t")
        thread.stream_sync(messages=[], idle_timeout="soon")
        """,
        r'"idle_timeout".*incompatible type "str"',
    ),
}

#: the 0.1.1 README's examples (seed 004), as written, plus the names it exported;
#: only what the README leaves undefined (``fetch_token``, top-level ``await``) is added
ACCEPTED: dict[str, str] = {
    "seed_basic": """
        import asyncio
        from assistant_ui import AssistantClient

        # Create a client
        client = AssistantClient(base_url="https://api.example.com")

        # Create messages
        messages = [
            {
                "role": "user",
                "content": [{"type": "text", "text": "Hello, how are you?"}]
            }
        ]

        # Send a chat request to a specific thread
        async def main():
            thread = client.threads("thread-123")
            response = await thread.chat(
                messages=messages,
                system="You are a helpful assistant."
            )
            print(response.json())
            await client.close()

        asyncio.run(main())
        """,
    "seed_context_managers": """
        from assistant_ui import AssistantClient
        from assistant_ui.types import Message

        messages: list[Message] = [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]

        async def main() -> None:
            # Async context manager
            async with AssistantClient(base_url="https://api.example.com") as client:
                thread = client.threads("thread-123")
                response = await thread.chat(messages=messages)

        # Sync context manager
        with AssistantClient(base_url="https://api.example.com") as client:
            thread = client.threads("thread-123")
            response = thread.chat_sync(messages=messages)
        """,
    "seed_auth": """
        from assistant_ui import AssistantClient

        async def fetch_token() -> str:
            return "t"

        # Static headers
        client = AssistantClient(
            base_url="https://api.example.com",
            headers={"Authorization": "Bearer your-token"}
        )

        # Dynamic headers (async)
        async def get_auth_headers():
            token = await fetch_token()
            return {"Authorization": f"Bearer {token}"}

        client = AssistantClient(
            base_url="https://api.example.com",
            headers=get_auth_headers
        )
        """,
    "seed_tools_and_cancel": """
        import asyncio
        from assistant_ui import AssistantClient
        from assistant_ui.types import Message

        client = AssistantClient(base_url="https://api.example.com")
        messages: list[Message] = []

        tools = {
            "get_weather": {
                "description": "Get the current weather for a location",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {"type": "string"},
                        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
                    },
                    "required": ["location"]
                }
            }
        }

        async def main() -> None:
            thread = client.threads("thread-123")
            response = await thread.chat(
                messages=messages,
                tools=tools
            )
            # Start a long-running chat
            chat_task = asyncio.create_task(thread.chat(messages=messages))

            # Cancel it
            await thread.cancel()
            chat_task.cancel()
        """,
    "seed_message_types": """
        from assistant_ui.types import Message

        # Text message
        text_message: Message = {
            "role": "user",
            "content": [{"type": "text", "text": "Hello!"}]
        }

        # Image message
        image_message: Message = {
            "role": "user",
            "content": [
                {"type": "text", "text": "What's in this image?"},
                {"type": "image", "image": "https://example.com/image.jpg"}
            ]
        }

        # File message
        file_message: Message = {
            "role": "user",
            "content": [
                {"type": "file", "data": "https://example.com/file.pdf", "mimeType": "application/pdf"}
            ]
        }

        # Assistant message with tool calls
        assistant_message: Message = {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "I'll help you with that."},
                {
                    "type": "tool-call",
                    "toolCallId": "call-123",
                    "toolName": "get_weather",
                    "args": {"location": "San Francisco"}
                }
            ]
        }

        # Tool result message
        tool_message: Message = {
            "role": "tool",
            "content": [
                {
                    "type": "tool-result",
                    "toolCallId": "call-123",
                    "toolName": "get_weather",
                    "result": {"temperature": 72, "condition": "sunny"},
                    "isError": False
                }
            ]
        }
        """,
    "exported_names": """
        from assistant_ui import (
            AssistantClient, ThreadClient, Message, SystemMessage, UserMessage,
            AssistantMessage, ToolMessage, TextPart, ImagePart, FilePart, ToolCallPart,
            ToolResultPart, Tool, ToolParameters,
        )
        from assistant_ui.client import AssistantClient as AC, ThreadClient as TC
        from assistant_ui.types import Tool as T, ToolParameters as TP

        params: ToolParameters = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
        tool: Tool = {"description": "search", "parameters": params}
        tool2: Tool = {"parameters": {"type": "object", "additionalProperties": False}}
        client: AC = AssistantClient("http://127.0.0.1:1", timeout=None)
        thread: TC = client.threads("t")
        result = thread.chat_sync(
            messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            tools={"search": tool},
            runConfig={"custom": 1},
            unstable_assistantMessageId="m1",
            extra_body={"anything": True},
        )
        text: str = result.text
        """,
}


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Run mypy once over every script; the error lines per script name."""
    scripts = tmp_path_factory.mktemp("user_scripts")
    sources = {**{k: v for k, (v, _) in REJECTED.items()}, **ACCEPTED}
    for name, source in sources.items():
        (scripts / f"{name}.py").write_text(textwrap.dedent(source))
    config = scripts / "mypy.ini"
    # the user's point of view: default mypy settings, our package found on the path
    config.write_text(f"[mypy]\npython_version = 3.10\nmypy_path = {ROOT}:{ROOT / 'typings'}\n")
    stdout, stderr, _ = mypy_api.run(
        [
            "--config-file",
            str(config),
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "user-scripts"),
            "--no-error-summary",
            "--show-error-codes",
            *sorted(str(p) for p in scripts.glob("*.py")),
        ]
    )
    assert not stderr.strip(), stderr
    errors: dict[str, list[str]] = {name: [] for name in sources}
    for line in stdout.splitlines():
        match = re.match(r"^(?:.*[/\\])?([A-Za-z_0-9]+)\.py:\d+: (error|note): (.*)$", line)
        assert match is not None or not line.strip(), f"unexpected mypy output: {line}"
        if match and match.group(2) == "error":
            errors[match.group(1)].append(match.group(3))
    return errors


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_mypy_rejects(mypy_errors: dict[str, list[str]], name: str) -> None:
    pattern = REJECTED[name][1]
    found = mypy_errors[name]
    assert found, f"mypy accepted {name}"
    assert any(re.search(pattern, e) for e in found), found


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_mypy_accepts_the_seed_examples(mypy_errors: dict[str, list[str]], name: str) -> None:
    assert mypy_errors[name] == []
