"""Shared test configuration: async tests run under asyncio and trio (anyio's plugin)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- slow tests (the long fuzzing run): skipped unless asked for ------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (the long fuzzing run); or set ASSISTANT_UI_FUZZ=1",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import os

    markexpr = str(config.getoption("markexpr", "") or "")
    asked = "slow" in markexpr and "not slow" not in markexpr  # -m slow
    if asked or config.getoption("--run-slow") or os.environ.get("ASSISTANT_UI_FUZZ", "") not in ("", "0"):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow, --run-slow or ASSISTANT_UI_FUZZ=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
