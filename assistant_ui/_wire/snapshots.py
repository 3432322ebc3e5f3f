"""Snapshots of the message being accumulated (docs/architecture.md §2, step 11).

A part of :class:`~.accumulator.MessageAccumulator`, kept in a module of its own: the
final message (:meth:`MessageSnapshots._build`) and the snapshots taken while it
streams (:meth:`MessageSnapshots._snapshot`). A snapshot copies again only the parts
changed since the one before (:meth:`MessageSnapshots._mark` records them once a first
snapshot exists; that one copies every part), and shares what did not change.
"""

from __future__ import annotations

from typing import Any, cast

from ..types import AssistantMessage, MessageStatus
from .message_parts import ToolState, copy_value

__all__ = ["MessageSnapshots"]


class MessageSnapshots:
    """The message's snapshots; the accumulator provides what they are made of."""

    __slots__ = ("_changed", "_meta_changed", "_snap_meta", "_snap_parts")

    _changed: set[int] | None
    _meta_changed: bool
    _snap_meta: dict[str, Any]
    _snap_parts: list[dict[str, Any]] | None
    # (the accumulator's)
    _parts: list[dict[str, Any]]
    _part: dict[str, Any] | None
    _part_index: int
    _open_tools: dict[str, ToolState]
    _data: list[Any] | None
    _annotations: list[Any] | None
    id: str | None
    status: MessageStatus
    steps: list[dict[str, Any]]
    custom: dict[str, Any]

    @property
    def state(self) -> Any:
        raise NotImplementedError

    @property
    def data(self) -> list[Any]:
        raise NotImplementedError

    @property
    def annotations(self) -> list[Any]:
        raise NotImplementedError

    def _target_text(self) -> str:
        raise NotImplementedError

    def _mark(self, index: int) -> None:
        """Part ``index`` changed since the last snapshot (no set before the first one:
        that snapshot copies every part)."""
        changed = self._changed
        if changed is not None:
            changed.add(index)

    def _build(self) -> AssistantMessage:
        msg = {
            "role": "assistant",
            "id": self.id,
            "content": self._parts,
            "status": dict(self.status),
            "metadata": {
                "unstable_state": self.state,
                "unstable_data": self.data,
                "unstable_annotations": self.annotations,
                "steps": self.steps,
                "custom": self.custom,
            },
        }
        return cast(AssistantMessage, msg)

    def _snapshot(self) -> AssistantMessage:
        parts = self._parts
        snaps = self._snap_parts
        changed = self._changed
        if snaps is None or changed is None:
            snaps = self._snap_parts = []
            changed = self._changed = set()
        for i in range(len(snaps), len(parts)):
            snaps.append(dict(parts[i]))
        for i in changed:
            if i < len(snaps):
                snaps[i] = dict(parts[i])
        changed.clear()
        if self._part is not None:
            text = self._target_text()
            snap = dict(self._part)
            snap["text"] = text
            snaps[self._part_index] = snap
        for tool in self._open_tools.values():
            if tool.snap_len != len(tool.args_text()):
                snaps[tool.index] = tool.snapshot()
        meta = self._snap_meta
        if self._meta_changed:
            meta["steps"] = [dict(s) for s in self.steps]
            meta["custom"] = copy_value(self.custom)
            self._meta_changed = False
        for key, items in (
            ("unstable_data", self._data or ()),
            ("unstable_annotations", self._annotations or ()),
        ):
            if key not in meta or len(meta[key]) != len(items):
                meta[key] = list(items)
        msg = {
            "role": "assistant",
            "id": self.id,
            "content": list(snaps),
            "status": dict(self.status),
            "metadata": {
                "unstable_state": self.state,
                "unstable_data": meta["unstable_data"],
                "unstable_annotations": meta["unstable_annotations"],
                "steps": meta["steps"],
                "custom": meta["custom"],
            },
        }
        return cast(AssistantMessage, msg)
