"""Time and peak RSS of calls against hostile servers (issue #17, items 5 and 7).

Each case runs in a child process (its peak RSS is its own; an address-space
limit keeps a runaway case from hurting the machine) against the raw server of
``tests/hostile_servers.py`` on 127.0.0.1::

    PYTHONPATH=$PWD:$PWD/tests python bench/hostile_servers.py            # this tree
    PYTHONPATH=/old/tree:$PWD/tests python bench/hostile_servers.py       # another one
    PYTHONPATH=$PWD:$PWD/tests python bench/hostile_servers.py cancel     # the cases named so

Cases: gzip bombs (about 5 MB on the wire, ``MIB`` MiB decoded) of every wire
format, with the client's defaults (and ``deadline=60`` for two of them; two more
with ``max_response_size`` out of the way, to see the deadline fire), and
``cancel_sync()`` against a cancel endpoint that trickles, sends 1.5 GB, or
sends a gzip bomb.
"""

from __future__ import annotations

import inspect
import json
import multiprocessing
import resource
import sys
import time
from typing import Any

MIB = 5000
#: the address-space limit of a child (bytes)
AS_LIMIT = 6 << 30
CASE_TIMEOUT = 150.0

CASES: list[tuple[str, dict[str, Any]]] = [
    ("gzip bomb, text/plain", {"fault": "gzip-bomb", "kind": "plain"}),
    ("gzip bomb, no Content-Type", {"fault": "gzip-bomb", "kind": "unlabelled"}),
    ("gzip bomb, ndjson", {"fault": "gzip-bomb", "kind": "ndjson"}),
    ("gzip bomb, data stream, deadline=60", {"fault": "gzip-bomb", "kind": "data-stream", "deadline": 60}),
    ("gzip bomb, OpenAI deltas, deadline=60", {"fault": "gzip-bomb", "kind": "openai", "deadline": 60}),
    (
        "gzip bomb, data stream, max_response_size=1 TiB, deadline=10",
        {"fault": "gzip-bomb", "kind": "data-stream", "deadline": 10, "client": {"max_response_size": 1 << 40}},
    ),
    (
        "gzip bomb, data stream, max_response_size=1 TiB, deadline=40",
        {"fault": "gzip-bomb", "kind": "data-stream", "deadline": 40, "client": {"max_response_size": 1 << 40}},
    ),
    (
        "gzip bomb, OpenAI deltas, max_response_size=1 TiB, deadline=10",
        {"fault": "gzip-bomb", "kind": "openai", "deadline": 10, "client": {"max_response_size": 1 << 40}},
    ),
    ("cancel_sync, trickling answer", {"cancel": "trickle"}),
    ("cancel_sync, 1.5 GB answer", {"cancel": "huge", "cancel_mib": 1500}),
    ("cancel_sync, gzip bomb answer", {"cancel": "gzip-bomb", "cancel_mib": MIB}),
]


def _child(base_url: str, case: dict[str, Any], out: Any) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    from assistant_ui import AssistantClient
    from assistant_ui.messages import user

    started = time.monotonic()
    outcome = "ok"
    try:
        body = dict(case)
        options = body.pop("client", {})
        known = inspect.signature(AssistantClient).parameters
        # a tree without the option runs the case without it
        client = AssistantClient(base_url, max_retries=0, **{k: v for k, v in options.items() if k in known})
        with client:
            thread = client.threads("t")
            if "cancel" in case:
                thread.cancel_sync()
            else:
                result = thread.chat_sync([user("Hi")], mib=MIB, **body)
                outcome = f"ok, {len(result.text)} chars"
    except BaseException as exc:  # the point: see what comes out
        outcome = f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:90]}"
    elapsed = time.monotonic() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send({"elapsed": elapsed, "rss_mb": rss_mb, "outcome": outcome})


def main() -> None:
    from hostile_servers import HostileServer

    rows = []
    with HostileServer() as server:
        only = sys.argv[1] if len(sys.argv) > 1 else ""
        for name, case in CASES:
            if only not in name:
                continue
            server.cancel_mode = case.get("cancel")
            server.cancel_mib = int(case.get("cancel_mib", 64))
            server.cancel_bytes = 0
            parent, child = multiprocessing.Pipe()
            proc = multiprocessing.get_context("fork").Process(target=_child, args=(server.base_url, case, child))
            proc.start()
            if parent.poll(CASE_TIMEOUT):
                row = parent.recv()
            else:
                row = {"elapsed": CASE_TIMEOUT, "rss_mb": float("nan"), "outcome": "still running: killed"}
                proc.kill()
            proc.join(10)
            row["case"] = name
            if "cancel" in case:
                row["server_sent_mb"] = round(server.cancel_bytes / 1e6, 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| case | time s | peak RSS MB | outcome |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row['case']} | {row['elapsed']:.1f} | {row['rss_mb']:.0f} | {row['outcome']} |")


if __name__ == "__main__":
    sys.exit(main())
