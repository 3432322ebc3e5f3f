"""The ``amazon-q`` request dialect: Amazon Q / CodeWhisperer ``GenerateAssistantResponse``
(docs/wire-formats.md, README "Amazon Q").

``POST /generateAssistantResponse`` with ``Content-Type: application/json``: the restJson1
form AWS's JavaScript streaming client sends. With ``chat_path="/"`` the body goes out in
the AWS JSON 1.0 form of AWS's Rust CLI instead (``Content-Type:
application/x-amz-json-1.0`` and ``X-Amz-Target:
AmazonCodeWhispererStreamingService.GenerateAssistantResponse``); the service takes both.

Body::

    {"conversationState": {
        "conversationId"?: <kept from the thread's previous answer>,
        "chatTriggerType": "MANUAL",
        "currentMessage": {"userInputMessage": {
            "content", "images"?, "modelId"?, "origin"?,
            "userInputMessageContext"?: {"tools"?, "toolResults"?}}},
        "history"?: [{"userInputMessage": ...} | {"assistantResponseMessage": ...}]},
     "profileArn"?: str}

=====================================  ===============================================
ours                                   Amazon Q
=====================================  ===============================================
the last user (or tool) message        ``currentMessage.userInputMessage``
earlier user messages                  ``history`` ``userInputMessage`` ``{content}``
user text parts                        ``content`` (joined with blank lines)
user image (``data:`` URL, or a file   ``images: [{"format": "png"|"jpeg"|"gif"|"webp",
part ``image/*`` with base64 data)     "source": {"bytes": <base64>}}]``
assistant message                      ``assistantResponseMessage`` ``{content,
                                       messageId?, toolUses?: [{toolUseId, name,
                                       input}]}``
tool message (tool-result parts)       a user entry with ``content: ""`` and
                                       ``userInputMessageContext.toolResults: [{toolUseId,
                                       content: [{"json": …}] | [{"text": …}], status:
                                       "success"|"error"}]`` (a str result is text, a
                                       dict or list is JSON, anything else its JSON text)
tools (``@tool``, schemas)             ``userInputMessageContext.tools:
                                       [{"toolSpecification": {name, description,
                                       inputSchema: {json}}}]`` of the current message
system messages and ``system=``        put in front of the current message's content
                                       (the service has no system slot)
the thread's ``conversationId``        ``conversationState.conversationId``
client ``model=``                      ``modelId`` of the current message
=====================================  ===============================================

Extra keyword arguments go where the service takes them: ``modelId``, ``origin`` and
``userIntent`` into the current ``userInputMessage``; ``editorState``, ``shellState``,
``gitState``, ``envState``, ``appStudioContext``, ``diagnostic``, ``consoleState`` and
``userSettings`` into its ``userInputMessageContext``; ``chatTriggerType``,
``conversationId``, ``customizationArn``, ``agentContinuationId``, ``agentTaskType``
and ``workspaceId`` into ``conversationState``; anything else (``profileArn``) at the
top level. ``profile_arn=`` and ``model_id=`` are accepted too. Keys whose value is None
are left out.

Consecutive user entries (tool results followed by a new question) are merged into one,
as are consecutive assistant entries, since the service wants them to alternate.
Reasoning, source, data and assistant file parts are not model input and are not sent;
``run_config`` has no meaning here (ValueError); ``state`` and ``assistant_message_id``
only seed the client side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import ChatRequest, RequestDialect, RequestSpec, normalize_tools, validate_messages
from .history import content_parts, data_url_parts, json_text, tool_input

__all__ = ["DIALECT", "build_chat_request", "to_conversation_state", "update_session"]

PATH = "/generateAssistantResponse"
TARGET = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
_ACCEPT = "application/vnd.amazon.eventstream, application/json"
_IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"}

_MESSAGE_KEYS = frozenset({"modelId", "origin", "userIntent"})
_CONTEXT_KEYS = frozenset(
    {"editorState", "shellState", "gitState", "envState", "appStudioContext", "diagnostic", "consoleState", "userSettings"}
)
_STATE_KEYS = frozenset(
    {"chatTriggerType", "conversationId", "customizationArn", "agentContinuationId", "agentTaskType", "workspaceId"}
)
_ALIASES = {"profile_arn": "profileArn", "model_id": "modelId"}


# -- messages -> entries -------------------------------------------------------------------------


class _Entries:
    """History entries in the making: ``("user", dict)`` / ``("assistant", dict)``."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.system: list[str] = []
        self._answered: set[str] = set()

    def user(self, content: str, images: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        if self.items and self.items[-1][0] == "user":
            last = self.items[-1][1]
            if content:
                last["content"] = f"{last['content']}\n\n{content}" if last["content"] else content
            if images:
                last.setdefault("images", []).extend(images)
            if results:
                context = last.setdefault("userInputMessageContext", {})
                context.setdefault("toolResults", []).extend(results)
            return
        entry: dict[str, Any] = {"content": content}
        if images:
            entry["images"] = images
        if results:
            entry["userInputMessageContext"] = {"toolResults": results}
        self.items.append(("user", entry))

    def assistant(self, content: str, uses: list[dict[str, Any]], message_id: Any) -> None:
        if self.items and self.items[-1][0] == "assistant":
            last = self.items[-1][1]
            last["content"] += content
            if uses:
                last.setdefault("toolUses", []).extend(uses)
            return
        entry: dict[str, Any] = {"content": content}
        if isinstance(message_id, str) and message_id:
            entry["messageId"] = message_id
        if uses:
            entry["toolUses"] = uses
        self.items.append(("assistant", entry))

    def result(self, part: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        call_id = part.get("toolCallId")
        if not isinstance(call_id, str) or not call_id:
            raise ValueError(f"{where}: a tool result needs a toolCallId")
        if call_id in self._answered:
            return None  # answered already (a result the backend gave, then ours)
        self._answered.add(call_id)
        return _tool_result(call_id, part.get("result"), bool(part.get("isError", False)))

    def add(self, msg: Mapping[str, Any], where: str) -> None:
        role = msg["role"]
        if role == "system":
            self.system.append(msg["content"])
        elif role == "user":
            content, images = _user_content(msg, where)
            self.user(content, images, [])
        elif role == "assistant":
            self._add_assistant(msg, where)
        else:  # tool
            if isinstance(msg.get("content"), str):
                raise ValueError(f"{where} (tool) content must be a list of tool-result parts")
            results = []
            for part in content_parts(msg):
                if part.get("type") != "tool-result":
                    raise ValueError(f"{where} (tool) may only hold tool-result parts, not {part.get('type')!r}")
                result = self.result(part, where)
                if result is not None:
                    results.append(result)
            if results:
                self.user("", [], results)

    def _add_assistant(self, msg: Mapping[str, Any], where: str) -> None:
        texts: list[str] = []
        calls: list[Mapping[str, Any]] = []
        message_id = msg.get("unstable_id") or msg.get("id")
        for part in content_parts(msg):
            kind = part.get("type")
            if kind == "text":
                if calls:  # text after a tool call: the next step
                    self._flush(texts, calls, message_id, where)
                    texts, calls, message_id = [], [], None
                texts.append(str(part.get("text", "")))
            elif kind == "tool-call":
                calls.append(part)
            # reasoning, source, data, file: not model input
        self._flush(texts, calls, message_id, where)

    def _flush(self, texts: list[str], calls: list[Mapping[str, Any]], message_id: Any, where: str) -> None:
        if not texts and not calls:
            return
        self.assistant("".join(texts), [_tool_use(c, where) for c in calls], message_id)
        # calls the backend already answered: their results follow, as the service wants
        results = [r for r in (self.result(c, where) for c in calls if "result" in c) if r is not None]
        if results:
            self.user("", [], results)


def _tool_use(part: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id, name = part.get("toolCallId"), part.get("toolName")
    if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
        raise ValueError(f"{where}: a tool-call part needs toolCallId and toolName")
    args = tool_input(part)
    return {"toolUseId": call_id, "name": name, "input": args if isinstance(args, dict) else {}}


def _tool_result(call_id: str, result: Any, is_error: bool) -> dict[str, Any]:
    if isinstance(result, str):
        block: dict[str, Any] = {"text": result}
    elif isinstance(result, (dict, list)):
        block = {"json": result}
    else:
        block = {"text": json_text(result)}
    return {"toolUseId": call_id, "content": [block], "status": "error" if is_error else "success"}


def _user_content(msg: Mapping[str, Any], where: str) -> tuple[str, list[dict[str, Any]]]:
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    for part in content_parts(msg):
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part.get("text", "")))
        elif kind == "image":
            url = part.get("image")
            if not isinstance(url, str):
                raise TypeError(f"{where}: an image part needs a URL string")
            images.append(_image_from_url(url, where))
        elif kind == "file":
            data, media_type = part.get("data"), part.get("mimeType")
            if not isinstance(data, str) or not isinstance(media_type, str):
                raise TypeError(f"{where}: a file part needs str data and mimeType")
            if ":" in data:
                images.append(_image_from_url(data, where))
            else:
                images.append(_image(media_type, data, where))
        else:
            raise ValueError(f"{where}: a user message cannot hold a {kind!r} part in the amazon-q dialect")
    return "\n\n".join(t for t in texts if t), images


def _image_from_url(url: str, where: str) -> dict[str, Any]:
    parsed = data_url_parts(url)
    if parsed is None or not parsed[1]:
        raise ValueError(
            f"{where}: Amazon Q takes images as bytes, not URLs; pass a base64 data: URL "
            "or file(data, 'image/png')"
        )
    return _image(parsed[0], parsed[2], where)


def _image(media_type: str, data: str, where: str) -> dict[str, Any]:
    fmt = _IMAGE_FORMATS.get(media_type.split(";", 1)[0].strip().lower())
    if fmt is None:
        raise ValueError(f"{where}: Amazon Q takes png, jpeg, gif and webp images, not {media_type!r}")
    return {"format": fmt, "source": {"bytes": data}}


def _tool_specs(tools: Any) -> list[dict[str, Any]] | None:
    spec = normalize_tools(tools)
    if not spec:
        return None
    out = []
    for name, tool in spec.items():
        schema = tool.get("parameters") or {"type": "object", "properties": {}}
        description = tool.get("description")
        out.append(
            {
                "toolSpecification": {
                    "name": name,
                    # the service requires a description: the name stands in for a missing one
                    "description": description if isinstance(description, str) and description else name,
                    "inputSchema": {"json": schema},
                }
            }
        )
    return out


def _command_messages(commands: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for j, cmd in enumerate(commands or []):
        if not isinstance(cmd, Mapping):
            raise TypeError(f"commands[{j}] must be a dict")
        kind = cmd.get("type")
        if kind == "add-tool-result":
            out.append({"role": "tool", "content": [{**cmd, "type": "tool-result"}]})
        elif kind == "add-message":
            message = cmd.get("message")
            if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
                raise ValueError(f"commands[{j}]: add-message needs a user or assistant message")
            content = message.get("parts", message.get("content"))
            out.append({"role": message["role"], "content": content or []})
        else:
            raise ValueError(f"commands[{j}]: unknown command type {kind!r}")
    return out


def to_conversation_state(
    messages: Any,
    commands: Sequence[Mapping[str, Any]] | None = None,
    *,
    system: str | None = None,
    tools: Any = None,
) -> dict[str, Any]:
    """Our messages as ``conversationState`` (``currentMessage`` and ``history``).

    Raises ValueError when the conversation does not end with a user message or tool
    results: the service answers the last user turn.
    """
    entries = _Entries()
    if system is not None:
        entries.system.append(system)
    all_messages = validate_messages(messages) + validate_messages(_command_messages(commands))
    for i, msg in enumerate(all_messages):
        entries.add(msg, f"messages[{i}]")
    if not entries.items or entries.items[-1][0] != "user":
        raise ValueError(
            'api="amazon-q" answers the last user turn: the messages must end with a user '
            "message or tool results"
        )
    current = entries.items[-1][1]
    if entries.system:
        prompt = "\n\n".join(s for s in entries.system if s)
        current["content"] = f"{prompt}\n\n{current['content']}" if current["content"] else prompt
    specs = _tool_specs(tools)
    if specs is not None:
        current.setdefault("userInputMessageContext", {})["tools"] = specs
    state: dict[str, Any] = {"chatTriggerType": "MANUAL", "currentMessage": {"userInputMessage": current}}
    history = [
        {"userInputMessage": e} if role == "user" else {"assistantResponseMessage": e}
        for role, e in entries.items[:-1]
    ]
    if history:
        state["history"] = history
    return state


def build_chat_request(req: ChatRequest) -> RequestSpec:
    if req.run_config is not None:
        raise ValueError(
            'api="amazon-q" has no runConfig; pass the service\'s fields (modelId=, '
            "profileArn=, ...) as keyword arguments instead"
        )
    extra = {_ALIASES.get(k, k): v for k, v in (req.extra or {}).items() if v is not None}
    state = to_conversation_state(req.messages, req.commands, system=req.system, tools=req.tools)
    conversation_id = req.session.get("conversationId")
    if isinstance(conversation_id, str) and conversation_id:
        state = {"conversationId": conversation_id, **state}
    message = state["currentMessage"]["userInputMessage"]
    if req.model and "modelId" not in extra:
        message["modelId"] = req.model
    body: dict[str, Any] = {"conversationState": state}
    for key, value in extra.items():
        if key in _MESSAGE_KEYS:
            message[key] = value
        elif key in _CONTEXT_KEYS:
            message.setdefault("userInputMessageContext", {})[key] = value
        elif key in _STATE_KEYS:
            state[key] = value
        else:
            body[key] = value
    if req.path.strip("/") == "":
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET}
    else:
        headers = {"Content-Type": "application/json"}
    headers["Accept"] = _ACCEPT
    return RequestSpec("POST", req.path, body, headers)


def update_session(session: dict[str, Any], events: Sequence[Mapping[str, Any]]) -> None:
    """Keep the ``conversationId`` of the answer's ``messageMetadataEvent`` for the next call."""
    for event in events:
        if event.get("type") == "metadata":
            metadata = event.get("metadata")
            if isinstance(metadata, Mapping):
                conversation_id = metadata.get("conversationId")
                if isinstance(conversation_id, str) and conversation_id:
                    session["conversationId"] = conversation_id


DIALECT = RequestDialect("amazon-q", PATH, build_chat_request, update_session=update_session)
