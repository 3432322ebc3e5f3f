"""Authentication with a token callable: ``headers=`` an async function, and ``auth.bearer``.

    python examples/auth_token_callable.py                     # a local backend that checks tokens
    python examples/auth_token_callable.py --base-url http://127.0.0.1:8000

The callable is called before every request (every attempt, retries included), so it can
hand out a fresh or refreshed token each time. It works in the sync methods too.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import re
import sys

from assistant_ui import AssistantClient, AuthenticationError, user
from assistant_ui.auth import bearer
from assistant_ui.testing import FakeBackend, RecordedRequest, Reply, serve_async, text_reply


class TokenSource:
    """Short-lived tokens, as an identity provider would issue them (here: numbered)."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_token(self) -> str:
        await asyncio.sleep(0)  # stands for a request to the identity provider
        self.calls += 1
        return f"demo-token-{self.calls}"


async def talk(base_url: str) -> None:
    # 1. headers= an async callable returning the headers of one request
    tokens = TokenSource()

    async def auth_headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {await tokens.get_token()}"}

    async with AssistantClient(base_url=base_url, headers=auth_headers) as client:
        thread = client.threads("auth-example")
        for _ in range(3):
            result = await thread.chat(messages=[user("Who am I?")])
            print(f"headers=callable: {result.text}")
    print(f"get_token was called {tokens.calls} times for 3 requests")

    # 2. the same with the helper: bearer() takes a str, or a sync or async callable
    tokens = TokenSource()
    async with AssistantClient(base_url=base_url, headers=bearer(tokens.get_token)) as client:
        result = await client.threads("auth-example").chat(messages=[user("Who am I?")])
        print(f"headers=bearer(get_token): {result.text}")
    print(f"secrets stay out of reprs and logs: {bearer('s3cret-token')!r}")

    # 3. no credentials at all: a backend that checks them answers 401
    async with AssistantClient(base_url=base_url) as client:
        try:
            await client.threads("auth-example").chat(messages=[user("Who am I?")])
            print("without a token: the backend accepted the request (it does not check tokens)")
        except AuthenticationError as exc:
            print(f"without a token: {type(exc).__name__} ({exc.status_code})")


# -- demo mode: a backend that wants "Authorization: Bearer demo-token-<n>" ----------------------


class TokenCheckingBackend(FakeBackend):
    async def respond(self, request: RecordedRequest) -> Reply | None:
        match = re.fullmatch(r"Bearer demo-token-(\d+)", request.headers.get("authorization", ""))
        if match is None:
            return Reply(status=401)  # an error body, as an API gateway would send
        return text_reply(f"You are signed in (token #{match.group(1)} accepted).")


def local_backend_or_exit() -> None:
    """Without --base-url the script serves a local fake backend, which needs uvicorn."""
    if importlib.util.find_spec("uvicorn") is None:
        sys.exit('the local demo backend needs uvicorn: pip install uvicorn (from a checkout: '
                 'pip install -e ".[demo]"), or give --base-url')


async def main_async(base_url: str | None) -> None:
    if base_url:
        await talk(base_url)
        return
    local_backend_or_exit()
    async with serve_async(TokenCheckingBackend()) as demo_url:
        await talk(demo_url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Authenticate with a token callable.")
    parser.add_argument("--base-url", default=os.environ.get("ASSISTANT_UI_BASE_URL"),
                        help="the chat backend (default: $ASSISTANT_UI_BASE_URL, else a local demo)")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.base_url))


if __name__ == "__main__":
    main()
