"""A small loopback TCP proxy that cuts HTTP responses, for the resume tests.

``CutProxy(upstream_port, cuts=[k0, k1, ...])`` accepts on ``127.0.0.1:0`` and
forwards every connection to ``127.0.0.1:upstream_port``. On the i-th accepted
connection with ``cuts[i]`` not None, the first response is forwarded up to the
end of its head (the blank line after the headers) and then ``cuts[i]`` bytes of
what follows (the raw body, chunked framing included), and the connection is
closed both ways: the client sees the body end mid-way, as after a network cut.
Connections past the list (or with None) pass through untouched.

``record=True`` keeps the raw bytes that followed the first response head on each
connection (``bodies``), to choose cut points in a reference run.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence

__all__ = ["CutProxy", "chunked_layout"]

_HEAD_END = b"\r\n\r\n"


class CutProxy:
    def __init__(self, upstream_port: int, cuts: Sequence[int | None] = (), *, record: bool = False) -> None:
        self.upstream_port = upstream_port
        self.cuts = list(cuts)
        self.record = record
        #: per accepted connection: the raw bytes after the first response head
        self.bodies: list[bytearray] = []
        #: how many connections were accepted / cut
        self.accepted = 0
        self.cut_count = 0
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self._closing = False
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> CutProxy:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._spawn(self._accept_loop, "proxy-accept")
        return self

    def stop(self) -> None:
        self._closing = True
        if self._sock is not None:
            _shutdown(self._sock)  # wakes the accept() (a close() alone does not)
            _close(self._sock)
        with self._lock:
            socks = list(self._open)
        for s in socks:
            _shutdown(s)
            _close(s)
        for t in self._threads:
            t.join(2)

    def __enter__(self) -> CutProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the work --------------------------------------------------------------------------

    def _spawn(self, target: object, name: str, *args: object) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._closing:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                index = self.accepted
                self.accepted += 1
                cut = self.cuts[index] if index < len(self.cuts) else None
                body = bytearray()
                self.bodies.append(body)
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                _close(client)
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open.update((client, upstream))
            done = threading.Event()
            self._spawn(self._pump_up, "proxy-up", client, upstream, done)
            self._spawn(self._pump_down, "proxy-down", upstream, client, cut, body, done)

    def _pump_up(self, client: socket.socket, upstream: socket.socket, done: threading.Event) -> None:
        """Client to server, untouched."""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                upstream.sendall(data)
        except OSError:
            pass
        if done.is_set():
            return
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)

    def _pump_down(
        self,
        upstream: socket.socket,
        client: socket.socket,
        cut: int | None,
        body: bytearray,
        done: threading.Event,
    ) -> None:
        """Server to client: the head, then ``cut`` bytes, then close (or everything)."""
        head = bytearray()
        in_head = True
        left = cut
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                sent = False
                if in_head:
                    head += data
                    end = head.find(_HEAD_END)
                    if end < 0:
                        if cut is None:
                            client.sendall(data)
                        continue
                    in_head = False
                    split = end + len(_HEAD_END)
                    tail = bytes(head[split:])
                    if cut is None:
                        client.sendall(data)
                        sent = True
                    else:
                        client.sendall(bytes(head[:split]))
                    data = tail
                if self.record:
                    body += data
                if left is None:
                    if data and not sent:
                        client.sendall(data)
                    continue
                piece = data[:left]
                if piece:
                    client.sendall(piece)
                left -= len(piece)
                if left <= 0:
                    with self._lock:
                        self.cut_count += 1
                    break
        except OSError:
            pass
        done.set()
        # the end of the response stream (or the cut): both ways at once (what was
        # sent is still delivered, then the end of stream)
        for s in (client, upstream):
            _shutdown(s)
            _close(s)
        with self._lock:
            self._open.discard(client)
            self._open.discard(upstream)


def _shutdown(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.close()


def chunked_layout(raw: bytes) -> Iterator[tuple[int, int]]:
    """The (start, end) wire offsets of each chunk's data in a chunked body ``raw``."""
    pos = 0
    while True:
        eol = raw.index(b"\r\n", pos)
        size = int(raw[pos:eol].split(b";")[0], 16)
        start = eol + 2
        if size == 0:
            return
        yield start, start + size
        pos = start + size + 2
