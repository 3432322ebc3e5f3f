"""The ``ai-sdk`` request dialect (docs/wire-formats.md §12.4): what the AI SDK's
``DefaultChatTransport`` and assistant-ui's ``AssistantChatTransport`` POST.

Body: ``{"id": <thread id>, "messages": [UIMessage...], "trigger": "submit-message",
"messageId"?, "system"?, "tools"?, "runConfig"?, "state"?, ...extra}``; ``system`` holds
``system=`` and the system messages' texts. Keys whose value is None are left out;
``extra`` keys go last and win (``trigger="regenerate-message"``).

Our messages become UIMessages ``{"id", "role", "parts", "metadata"?}``:

======================================  ==============================================
ours                                    UIMessage part
======================================  ==============================================
system message ``content``              not a UIMessage: AI SDK 7 refuses system
                                        messages in ``messages``. The request's
                                        ``system`` field carries ``system=`` and then
                                        each system message's text, joined by a blank
                                        line (``to_ui_messages`` alone keeps them as
                                        role ``system`` UIMessages)
text                                    ``{"type": "text", "text"}``
reasoning                               ``{"type": "reasoning", "text"}``
image ``image``                         ``{"type": "file", "mediaType", "url"}``; the
                                        media type from a ``data:`` URL or the URL's
                                        extension, else the AI SDK wildcard ``image/*``
file ``data``/``mimeType``/``filename`` ``{"type": "file", "mediaType", "url",
                                        "filename"?}``; base64 data becomes a ``data:``
                                        URL, a URL is kept
tool-call                               ``{"type": "tool-<toolName>", "toolCallId",
                                        "state": "input-available", "input"}``
tool-result (tool message / command)    merged into that tool part: ``output-available``
                                        + ``output``, or ``output-error`` + ``errorText``
                                        (``isError``; a non-str result as JSON), or
                                        ``output-denied`` for a denied approval
tool-call ``approval`` (AI SDK 6+)      ``"approval"`` as it is; state
                                        ``approval-requested``, or
                                        ``approval-responded`` once it has
                                        ``approved`` (until a result comes)
source                                  ``{"type": "source-url", "sourceId", "url",
                                        "title"?}``
data ``name``/``data``/``id``           ``{"type": "data-<name>", "id"?, "data"}``
======================================  ==============================================

Decisions where the AI SDK has no slot:

* Message ids: ``unstable_id``, else the accumulated message's ``id``, else
  ``msg-<index>`` (the index in ``messages``; commands continue the count), so
  the ids stay the same when the same history is sent again. Duplicates get a ``-2``…
  suffix.
* Tool messages do not exist in the AI SDK: each result is merged into the tool part of
  the *latest* assistant message that holds that call. A result with no such call becomes
  a tool part (``input: {}``) of its own assistant message.
* A tool part followed by any other part in the same assistant message gets a
  ``{"type": "step-start"}`` in between, so that ``convertToModelMessages`` keeps the text
  after the tool result in order (our messages do not record step boundaries).
* ``artifact`` (client-side tool data) goes to the UIMessage ``metadata`` under
  ``"toolArtifacts": {toolCallId: artifact}``; an accumulated message's
  ``metadata["custom"]`` (where a UI message stream's ``messageMetadata`` lands) becomes
  the UIMessage ``metadata``. ``parentId``, ``argsText`` (when ``args`` is there),
  ``status`` and reasoning ``summary`` are not sent.
* ``run_config`` is sent as ``runConfig`` and ``state`` as ``state`` (neither is part of
  the AI SDK; servers that do not know them ignore them). ``assistant_message_id`` is the
  AI SDK's ``messageId``.
* ``commands``: this dialect re-sends the whole history, so an ``add-tool-result``
  command is merged into the matching tool part of ``messages`` (ValueError when there is
  none), and an ``add-message`` command is appended as a UIMessage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import (
    ChatRequest,
    RequestDialect,
    RequestSpec,
    merge_fields,
    normalize_tools,
    validate_messages,
)
from .history import (
    content_parts,
    file_url,
    guess_image_media_type,
    history_after,
    json_text,
    tool_input,
)

__all__ = ["build_chat_request", "history_after", "to_ui_messages"]


class _Builder:
    """Turns our messages (then commands) into UIMessages, merging tool results."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._ids: set[str] = set()
        # toolCallId -> (the UIMessage holding it, its tool part); the latest wins
        self._calls: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    # -- ids ----------------------------------------------------------------------------------

    def _new_id(self, wanted: Any, index: int) -> str:
        base = wanted if isinstance(wanted, str) and wanted else f"msg-{index}"
        candidate, n = base, 1
        while candidate in self._ids:
            n += 1
            candidate = f"{base}-{n}"
        self._ids.add(candidate)
        return candidate

    def _append(self, role: str, parts: list[dict[str, Any]], wanted_id: Any, index: int) -> dict[str, Any]:
        ui: dict[str, Any] = {"id": self._new_id(wanted_id, index), "role": role, "parts": parts}
        self.messages.append(ui)
        return ui

    # -- messages -------------------------------------------------------------------------------

    def add_message(self, msg: Mapping[str, Any], index: int) -> None:
        role = msg["role"]
        wanted = msg.get("unstable_id") or msg.get("id")
        if role == "system":
            self._append("system", [{"type": "text", "text": msg["content"]}], wanted, index)
        elif role == "user":
            parts = [self._part(p, f"messages[{index}]") for p in content_parts(msg)]
            self._append("user", parts, wanted, index)
        elif role == "assistant":
            self._add_assistant(msg, wanted, index)
        else:  # tool
            if isinstance(msg.get("content"), str):
                raise ValueError(f"messages[{index}] (tool) content must be a list of tool-result parts")
            holder: dict[str, Any] | None = None  # the assistant message for orphan results
            for part in content_parts(msg):
                if part.get("type") != "tool-result":
                    raise ValueError(
                        f"messages[{index}] (tool) may only hold tool-result parts, not {part.get('type')!r}"
                    )
                if self._merge_result(part):
                    continue
                tool = self._orphan_part(part)
                if holder is None:
                    holder = self._append("assistant", [], wanted, index)
                holder["parts"].append(tool)
                self._set_artifact(holder, part)
                self._calls[str(part.get("toolCallId"))] = (holder, tool)

    def _add_assistant(self, msg: Mapping[str, Any], wanted: Any, index: int) -> None:
        parts: list[dict[str, Any]] = []
        ui = self._append("assistant", parts, wanted, index)
        meta = msg.get("metadata")
        custom = meta.get("custom") if isinstance(meta, Mapping) else None
        if isinstance(custom, Mapping) and custom:
            ui["metadata"] = dict(custom)
        after_tool = False
        for part in content_parts(msg):
            kind = part.get("type")
            if kind == "tool-call":
                call_id = part.get("toolCallId")
                name = part.get("toolName")
                if not isinstance(call_id, str) or not isinstance(name, str):
                    raise ValueError(f"messages[{index}] has a tool-call part without toolCallId/toolName")
                tool: dict[str, Any] = {
                    "type": f"tool-{name}",
                    "toolCallId": call_id,
                    "state": "input-available",
                    "input": tool_input(part),
                }
                parts.append(tool)
                self._calls[call_id] = (ui, tool)
                _set_approval(tool, part.get("approval"))
                if "result" in part or part.get("isError"):
                    _set_output(tool, part)
                    self._set_artifact(ui, part)
                after_tool = True
                continue
            if after_tool:
                parts.append({"type": "step-start"})
            after_tool = False
            parts.append(self._part(part, f"messages[{index}]"))

    def _part(self, part: Mapping[str, Any], where: str) -> dict[str, Any]:
        kind = part.get("type")
        if kind == "text":
            return {"type": "text", "text": part.get("text", "")}
        if kind == "reasoning":
            return {"type": "reasoning", "text": part.get("text", "")}
        if kind == "image":
            url = part.get("image")
            if not isinstance(url, str):
                raise TypeError(f"{where}: an image part needs a URL string")
            return {"type": "file", "mediaType": guess_image_media_type(url), "url": url}
        if kind == "file":
            data, media_type = part.get("data"), part.get("mimeType")
            if not isinstance(data, str) or not isinstance(media_type, str):
                raise TypeError(f"{where}: a file part needs str data and mimeType")
            out = {"type": "file", "mediaType": media_type, "url": file_url(data, media_type)}
            if part.get("filename") is not None:
                out["filename"] = part["filename"]
            return out
        if kind == "source":
            src: dict[str, Any] = {"type": "source-url", "sourceId": part.get("id"), "url": part.get("url")}
            if part.get("title") is not None:
                src["title"] = part["title"]
            return src
        if kind == "data":
            name = part.get("name")
            data_part: dict[str, Any] = {"type": f"data-{name}"}
            if part.get("id") is not None:
                data_part["id"] = part["id"]
            data_part["data"] = part.get("data")
            return data_part
        raise ValueError(f"{where}: cannot send a {kind!r} part in the ai-sdk dialect")

    # -- tool results ------------------------------------------------------------------------------

    def _merge_result(self, result: Mapping[str, Any]) -> bool:
        found = self._calls.get(str(result.get("toolCallId")))
        if found is None:
            return False
        ui, tool = found
        _set_output(tool, result)
        self._set_artifact(ui, result)
        return True

    def _orphan_part(self, result: Mapping[str, Any]) -> dict[str, Any]:
        name = result.get("toolName")
        if not isinstance(name, str) or not name:
            raise ValueError(f"tool result {result.get('toolCallId')!r} has no toolName and no matching tool call")
        tool: dict[str, Any] = {
            "type": f"tool-{name}",
            "toolCallId": result.get("toolCallId"),
            "state": "input-available",
            "input": {},
        }
        _set_output(tool, result)
        return tool

    @staticmethod
    def _set_artifact(ui: dict[str, Any], result: Mapping[str, Any]) -> None:
        artifact = result.get("artifact")
        if artifact is None:
            return
        meta = ui.setdefault("metadata", {})
        meta.setdefault("toolArtifacts", {})[result.get("toolCallId")] = artifact

    # -- commands ------------------------------------------------------------------------------------

    def add_command(self, cmd: Mapping[str, Any], index: int, where: str) -> None:
        kind = cmd.get("type")
        if kind == "add-tool-result":
            if not self._merge_result(cmd):
                raise ValueError(
                    f"{where}: add-tool-result for {cmd.get('toolCallId')!r} has no matching tool call "
                    "in messages. The ai-sdk dialect re-sends the whole history instead of commands: "
                    "pass the messages holding that tool call (e.g. the assistant message from the "
                    "previous chat) along with the command"
                )
        elif kind == "add-message":
            message = cmd.get("message")
            if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
                raise ValueError(f"{where}: add-message needs a user or assistant message")
            content = message.get("parts", message.get("content"))
            msg = {"role": message["role"], "content": content or []}
            if message.get("id") is not None:
                msg["unstable_id"] = message["id"]
            self.add_message(msg, index)
        else:
            raise ValueError(f"{where}: unknown command type {kind!r}")


def _set_approval(tool: dict[str, Any], approval: Any) -> None:
    """An approval the server asked for: state ``approval-requested``, or
    ``approval-responded`` once ``approved`` is set (``useChat``'s
    ``addToolApprovalResponse``)."""
    if not isinstance(approval, Mapping) or not isinstance(approval.get("id"), str):
        return
    tool["approval"] = dict(approval)
    tool["state"] = "approval-responded" if "approved" in approval else "approval-requested"


def _set_output(tool: dict[str, Any], result: Mapping[str, Any]) -> None:
    tool.pop("output", None)
    tool.pop("errorText", None)
    approval = tool.get("approval")
    if result.get("isError") and isinstance(approval, Mapping) and approval.get("approved") is False:
        tool["state"] = "output-denied"  # the server recorded the denial (tool-output-denied)
    elif result.get("isError"):
        tool["state"] = "output-error"
        tool["errorText"] = json_text(result.get("result"))
    else:
        tool["state"] = "output-available"
        tool["output"] = result.get("result")


def to_ui_messages(
    messages: Any, commands: Sequence[Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Our messages (and commands) as AI SDK UIMessages; see the module docstring."""
    return _convert(messages, commands, None)


def _convert(
    messages: Any, commands: Sequence[Mapping[str, Any]] | None, systems: list[str] | None
) -> list[dict[str, Any]]:
    """UIMessages; with ``systems``, the system messages' texts go there instead (the
    other messages keep the ids they get when the system messages are in)."""
    builder = _Builder()
    msgs = validate_messages(messages)
    for i, msg in enumerate(msgs):
        if systems is not None and msg.get("role") == "system":
            systems.append(msg["content"])
            continue
        builder.add_message(msg, i)
    for j, cmd in enumerate(commands or []):
        if not isinstance(cmd, Mapping):
            raise TypeError(f"commands[{j}] must be a dict")
        builder.add_command(cmd, len(msgs) + j, f"commands[{j}]")
    return builder.messages


def build_chat_request(req: ChatRequest) -> RequestSpec:
    path, thread_id, messages, commands = req.path, req.thread_id, req.messages, req.commands
    system, tools, run_config, state = req.system, req.tools, req.run_config, req.state
    assistant_message_id, extra = req.assistant_message_id, req.extra
    # AI SDK 7 refuses system messages in ``messages``: their texts join ``system``
    systems: list[str] = [system] if system is not None else []
    body: dict[str, Any] = {
        "id": thread_id,
        "messages": _convert(messages, commands, systems),
        "trigger": "submit-message",
    }
    optional = {
        "messageId": assistant_message_id,
        "system": "\n\n".join(systems) if systems else None,
        "tools": normalize_tools(tools),
        "runConfig": run_config,
        "state": state,
    }
    return RequestSpec("POST", path, merge_fields(body, optional, extra or {}))


DIALECT = RequestDialect("ai-sdk", "/api/chat", build_chat_request)
