"""A call's events, kept compactly: what ``ChatResult.events`` and ``stream.events`` read.

Most of a stream's events are text and reasoning deltas: a ``text-delta`` dict with
its string costs ~240 bytes of memory against ~12 bytes of data-stream body, so a
list of them is ~20 times the body. :class:`EventLog` keeps a run of consecutive
deltas of one type and one ``parentId`` as their text, encoded as UTF-8 in blocks of
:data:`BLOCK` deltas, plus each delta's length; every other event is kept as it came.
Reading an index, iterating or comparing builds the delta dicts again, equal to the
ones decoded (their keys in the order of the run's first event: a decoder builds its
deltas one way); nothing is lost. See docs/architecture.md §7.

Lone surrogates (a JSON ``"\\ud83d"`` split from its pair) survive the round trip:
the text is encoded and decoded with ``surrogatepass``, which keeps each surrogate a
code point of its own.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from ..events import Event

__all__ = ["BLOCK", "EventLog"]

#: deltas per encoded block: the block is the unit decoded on access
BLOCK = 64

#: a length of this or more is kept in the run's ``long`` table (one byte per delta)
_LONG = 255

_DELTAS = frozenset(("text-delta", "reasoning-delta"))
#: the tail :meth:`EventLog.extend` starts with when there is no open run (never grown)
_NO_TAIL: list[str] = []
_UTF8 = "utf-8"
_KEEP = "surrogatepass"


class _Run:
    """Consecutive deltas of one type and parent: their text and their lengths."""

    __slots__ = ("blocks", "lengths", "long", "parent", "size", "tail", "template", "type")

    def __init__(self, event: dict[str, Any]) -> None:
        #: a copy of the first event, its key order kept; every delta is this with its
        #: own text (a copy: the event itself is the caller's, who may change it)
        self.template = dict(event)
        self.type: str = event["type"]
        self.parent: Any = event.get("parentId")
        #: how many keys each event of the run has (2, or 3 with a ``parentId``)
        self.size = len(event)
        self.blocks: list[bytes] = []
        #: each delta's length in code points, or _LONG: then it is in ``long``
        self.lengths = array("B")
        #: the lengths of _LONG or more, by the delta's index in the run
        self.long: dict[int, int] = {}
        #: the deltas not encoded yet (fewer than BLOCK)
        self.tail: list[str] = [event["delta"]]

    def fold(self) -> None:
        """Encode the tail as one block (the tail list is emptied in place)."""
        tail = self.tail
        lengths = [len(delta) for delta in tail]
        if max(lengths) >= _LONG:
            base = len(self.lengths)
            for i, n in enumerate(lengths):
                if n >= _LONG:
                    self.long[base + i] = n
                    lengths[i] = _LONG
        self.lengths.extend(lengths)
        self.blocks.append("".join(tail).encode(_UTF8, _KEEP))
        tail.clear()

    def block(self, k: int) -> list[str]:
        """The deltas of block ``k`` (the tail is the last block)."""
        if k == len(self.blocks):
            return self.tail
        text = self.blocks[k].decode(_UTF8, _KEEP)
        out: list[str] = []
        pos = 0
        first = k * BLOCK
        for i, n in enumerate(self.lengths[first : first + BLOCK], first):
            if n == _LONG:
                n = self.long[i]
            out.append(text[pos : pos + n])
            pos += n
        return out

    def event(self, delta: str) -> dict[str, Any]:
        ev = dict(self.template)
        ev["delta"] = delta
        return ev


def _runnable(event: dict[str, Any]) -> bool:
    """Whether ``event`` can start a run: a delta with a plain string and at most a string parent."""
    if event["type"] not in _DELTAS or type(event.get("delta")) is not str:
        return False
    size = len(event)
    return size == 2 or (size == 3 and type(event.get("parentId")) is str)


class EventLog(Sequence[Event]):
    """The events of one call, in order: a read-only sequence (see the module doc)."""

    __slots__ = (
        "_cache", "_items", "_len", "_parent", "_run", "_size", "_starts", "_tail", "_type",
    )

    def __init__(self, events: Iterable[Event] = ()) -> None:
        #: lists of events kept as they are, and runs of deltas, in order
        self._items: list[list[Event] | tuple[Event] | _Run] = []
        #: the index of each item's first event
        self._starts: list[int] = []
        self._len = 0
        #: the run the next delta may join (the last item, when it is a run)
        self._run: _Run | None = None
        # that run's type, size, parent and tail, kept here too: a delta joining it
        # touches the log and the tail only (see extend)
        self._type: str | None = None
        self._size = 0
        self._parent: Any = None
        self._tail = _NO_TAIL
        #: the last block read: (run, block number, its deltas)
        self._cache: tuple[_Run, int, list[str]] | None = None
        self.extend(events)

    def extend(self, events: Iterable[Event]) -> None:
        """Record ``events`` after the ones already here (the hot path: one check per event)."""
        n = self._len
        # the open run's key, in locals: a delta that matches joins it with one append
        rtype = self._type
        size = self._size
        parent = self._parent
        tail = self._tail  # (only read when an event matched ``rtype``: there is a run)
        for ev in events:
            if ev["type"] == rtype:
                delta = ev.get("delta")
                if (
                    type(delta) is str
                    and len(ev) == size
                    and (size == 2 or ev.get("parentId") == parent)
                ):
                    tail.append(delta)
                    if len(tail) == BLOCK:
                        self._run.fold()  # type: ignore[union-attr]
                    n += 1
                    continue
            run = self._run = self._add(ev, n)  # type: ignore[arg-type]
            if run is None:
                rtype = self._type = None
            else:
                rtype, size, parent, tail = run.type, run.size, run.parent, run.tail
                self._type, self._size, self._parent, self._tail = rtype, size, parent, tail
            n += 1
        self._len = n

    def _add(self, event: dict[str, Any], index: int) -> _Run | None:
        """Record ``event`` (at ``index``) outside any run; the run it starts, if any."""
        items = self._items
        if _runnable(event):
            run = _Run(event)
            self._starts.append(index)
            items.append(run)
            return run
        last = items[-1] if items else None
        if isinstance(last, list):
            last.append(event)  # type: ignore[arg-type]
        elif isinstance(last, tuple):
            items[-1] = [*last, event]  # type: ignore[list-item]
        else:
            # a lone event is kept in a tuple: the collector stops tracking a tuple of
            # plain values (most such events are), a list it tracks for as long as it lives
            self._starts.append(index)
            items.append((event,))  # type: ignore[arg-type]
        return None

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._len))]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("event index out of range")
        k = bisect_right(self._starts, index) - 1
        item = self._items[k]
        offset = index - self._starts[k]
        if type(item) is not _Run:
            return item[offset]  # type: ignore[index]
        return item.event(self._deltas(item, offset // BLOCK)[offset % BLOCK])  # type: ignore[return-value]

    def _deltas(self, run: _Run, k: int) -> list[str]:
        cache = self._cache
        if cache is not None and cache[0] is run and cache[1] == k and k < len(run.blocks):
            return cache[2]
        deltas = run.block(k)
        self._cache = (run, k, deltas)
        return deltas

    def __iter__(self) -> Iterator[Event]:
        for item in self._items:
            if type(item) is not _Run:
                yield from item  # type: ignore[misc]
                continue
            for k in range(len(item.blocks) + 1):
                for delta in item.block(k):
                    yield item.event(delta)  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (EventLog, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))
