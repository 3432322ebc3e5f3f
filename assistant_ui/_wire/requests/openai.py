"""The ``openai`` request dialect (docs/wire-formats.md §12.5): ``POST /v1/chat/completions``.

Body: ``{"model", "messages", "stream": true, "stream_options": {"include_usage": true},
"tools"?, ...extra}``. ``extra`` keys are merged at the top level last and win
(``temperature=``, ``tool_choice=``, ``max_tokens=``, ...; ``stream=False`` asks for the
non-streaming JSON answer and then ``stream_options`` is left out unless ``extra`` gives
it). Keys whose value is None are left out.

=====================================  ===============================================
ours                                   OpenAI
=====================================  ===============================================
``system=``                            a first ``{"role": "system", "content"}``
system message                         ``{"role": "system", "content": str}``
user message, one text part (or str)   ``{"role": "user", "content": str}``
user text                              ``{"type": "text", "text"}``
user image                             ``{"type": "image_url", "image_url": {"url"}}``
user file, ``image/*``                 ``image_url`` (base64 as a ``data:`` URL)
user file, wav/mp3 base64              ``{"type": "input_audio", "input_audio":
                                       {"data": <base64>, "format": "wav"|"mp3"}}``
user file, ``file-…`` (no colon)       ``{"type": "file", "file": {"file_id",
                                       "filename"?}}`` (an uploaded file's id)
user file, otherwise                   ``{"type": "file", "file": {"file_data",
                                       "filename"}}``: ``file_data`` is a ``data:``
                                       URL (base64 data is wrapped in one; a URL is
                                       passed as is, which OpenAI-compatible routers
                                       accept); OpenAI requires a ``filename``, so a
                                       missing one becomes ``part-<index><ext>``
assistant text + tool-call parts       ``{"role": "assistant", "content": text|None,
                                       "tool_calls": [{"id", "type": "function",
                                       "function": {"name", "arguments": JSON}}]}``
tool-result                            ``{"role": "tool", "tool_call_id", "content"}``;
                                       content is the result if it is a str, else its
                                       JSON
tools ``{name: {description,           ``[{"type": "function", "function": {"name",
parameters}}``                         "description"?, "parameters", "strict"?}}]``
``add-tool-result`` command            a ``role: "tool"`` message, appended
``add-message`` command                its message, appended
=====================================  ===============================================

Details and what OpenAI has no slot for:

* An assistant message is split where text follows a tool call (one step's text comes
  after the previous step's results), and a tool-call part that already carries its
  ``result`` (a backend-executed tool) is followed by its ``role: "tool"`` message. A later
  result for a call already answered is not sent twice. Several text parts of one step are
  joined with no separator (as ``ChatResult.text`` does).
* Reasoning parts are not sent: they are the model's internal output, and Chat Completions
  has no input slot for them. Source, data and assistant-side file parts (citations and
  app data the backend produced) are not model input either and are left out too.
  ``artifact`` is client-side tool data and is never sent to the model; ``isError`` has no
  OpenAI flag (the result text says what went wrong).
* The thread id is not sent (Chat Completions is stateless; pass ``user=`` yourself if
  you want one), nor ``assistant_message_id`` (the client still uses it as the message id)
  nor ``state`` (it only seeds the client-side state). ``run_config`` has no meaning here
  and raises ValueError rather than being dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .base import ChatRequest, RequestDialect, RequestSpec, normalize_tools, validate_messages
from .history import (
    content_parts,
    data_url_parts,
    file_extension,
    file_url,
    history_after,
    is_url,
    json_text,
)

__all__ = ["build_chat_request", "history_after", "to_openai_messages", "to_openai_tools"]

_AUDIO_FORMATS = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
}


class _Builder:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._answered: set[str] = set()

    def system(self, content: str) -> None:
        self.messages.append({"role": "system", "content": content})

    def add_message(self, msg: Mapping[str, Any], where: str) -> None:
        role = msg["role"]
        if role == "system":
            self.system(msg["content"])
        elif role == "user":
            self.messages.append({"role": "user", "content": _user_content(msg, where)})
        elif role == "assistant":
            self._add_assistant(msg, where)
        else:  # tool
            if isinstance(msg.get("content"), str):
                raise ValueError(f"{where} (tool) content must be a list of tool-result parts")
            for part in content_parts(msg):
                if part.get("type") != "tool-result":
                    raise ValueError(f"{where} (tool) may only hold tool-result parts, not {part.get('type')!r}")
                self.add_result(part, where)

    def add_result(self, result: Mapping[str, Any], where: str) -> None:
        call_id = result.get("toolCallId")
        if not isinstance(call_id, str) or not call_id:
            raise ValueError(f"{where}: a tool result needs a toolCallId")
        if call_id in self._answered:
            return
        self._answered.add(call_id)
        self.messages.append(
            {"role": "tool", "tool_call_id": call_id, "content": json_text(result.get("result"))}
        )

    def _add_assistant(self, msg: Mapping[str, Any], where: str) -> None:
        texts: list[str] = []
        calls: list[Mapping[str, Any]] = []
        for part in content_parts(msg):
            kind = part.get("type")
            if kind == "text":
                if calls:  # text after a tool call: the next step
                    self._flush_assistant(texts, calls, where)
                    texts, calls = [], []
                texts.append(str(part.get("text", "")))
            elif kind == "tool-call":
                calls.append(part)
            # reasoning, source, data, file: not model input (module docstring)
        self._flush_assistant(texts, calls, where)

    def _flush_assistant(self, texts: list[str], calls: list[Mapping[str, Any]], where: str) -> None:
        if not texts and not calls:
            return
        out: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
        if calls:
            out["tool_calls"] = [_tool_call(c, where) for c in calls]
        self.messages.append(out)
        for call in calls:
            if "result" in call:
                self.add_result(call, where)

    def add_command(self, cmd: Mapping[str, Any], where: str) -> None:
        kind = cmd.get("type")
        if kind == "add-tool-result":
            self.add_result(cmd, where)
        elif kind == "add-message":
            message = cmd.get("message")
            if not isinstance(message, Mapping) or message.get("role") not in ("user", "assistant"):
                raise ValueError(f"{where}: add-message needs a user or assistant message")
            content = message.get("parts", message.get("content"))
            self.add_message({"role": message["role"], "content": content or []}, where)
        else:
            raise ValueError(f"{where}: unknown command type {kind!r}")


def _tool_call(part: Mapping[str, Any], where: str) -> dict[str, Any]:
    call_id, name = part.get("toolCallId"), part.get("toolName")
    if not isinstance(call_id, str) or not isinstance(name, str):
        raise ValueError(f"{where}: a tool-call part needs toolCallId and toolName")
    args = part.get("args")
    if args is not None:
        arguments = json.dumps(args, ensure_ascii=False)
    else:
        text = part.get("argsText")
        arguments = text if isinstance(text, str) and text else "{}"
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _user_content(msg: Mapping[str, Any], where: str) -> str | list[dict[str, Any]]:
    parts = content_parts(msg)
    if len(parts) == 1 and parts[0].get("type") == "text":
        return str(parts[0].get("text", ""))
    return [_user_part(p, i, where) for i, p in enumerate(parts)]


def _user_part(part: Mapping[str, Any], index: int, where: str) -> dict[str, Any]:
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": part.get("text", "")}
    if kind == "image":
        url = part.get("image")
        if not isinstance(url, str):
            raise TypeError(f"{where}: an image part needs a URL string")
        return {"type": "image_url", "image_url": {"url": url}}
    if kind == "file":
        data, media_type = part.get("data"), part.get("mimeType")
        if not isinstance(data, str) or not isinstance(media_type, str):
            raise TypeError(f"{where}: a file part needs str data and mimeType")
        return _file_part(data, media_type.lower(), part.get("filename"), index)
    raise ValueError(f"{where}: a user message cannot hold a {kind!r} part in the openai dialect")


def _file_part(data: str, media_type: str, filename: Any, index: int) -> dict[str, Any]:
    if media_type.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": file_url(data, media_type)}}
    audio_format = _AUDIO_FORMATS.get(media_type)
    if audio_format is not None:
        payload: str | None = None
        if not is_url(data):
            payload = data
        else:
            parsed = data_url_parts(data)
            if parsed is not None and parsed[1]:
                payload = parsed[2]
        if payload is not None:
            return {"type": "input_audio", "input_audio": {"data": payload, "format": audio_format}}
    file: dict[str, Any]
    if data.startswith("file-") and not is_url(data):
        file = {"file_id": data}
        if filename is not None:
            file["filename"] = filename
    else:
        if filename is None:
            filename = f"part-{index}{file_extension(media_type)}"
        file = {"file_data": file_url(data, media_type), "filename": filename}
    return {"type": "file", "file": file}


def to_openai_messages(
    messages: Any,
    commands: Sequence[Mapping[str, Any]] | None = None,
    *,
    system: str | None = None,
) -> list[dict[str, Any]]:
    """Our messages (``system=`` first, commands last) as Chat Completions messages."""
    builder = _Builder()
    if system is not None:
        builder.system(system)
    for i, msg in enumerate(validate_messages(messages)):
        builder.add_message(msg, f"messages[{i}]")
    for j, cmd in enumerate(commands or []):
        if not isinstance(cmd, Mapping):
            raise TypeError(f"commands[{j}] must be a dict")
        builder.add_command(cmd, f"commands[{j}]")
    return builder.messages


def to_openai_tools(tools: Any) -> list[dict[str, Any]] | None:
    """The tools (any form :func:`normalize_tools` takes) as Chat Completions ``tools``."""
    spec = normalize_tools(tools)
    if not spec:
        return None  # OpenAI rejects an empty tools array
    out = []
    for name, tool in spec.items():
        function: dict[str, Any] = {"name": name}
        if tool.get("description") is not None:
            function["description"] = tool["description"]
        function["parameters"] = tool.get("parameters") or {"type": "object", "properties": {}}
        if tool.get("strict") is not None:
            function["strict"] = tool["strict"]
        out.append({"type": "function", "function": function})
    return out


def build_chat_request(req: ChatRequest) -> RequestSpec:
    # the thread id, state and assistant message id have no place in a Chat Completions body
    path, messages, commands = req.path, req.messages, req.commands
    system, tools, run_config = req.system, req.tools, req.run_config
    extra, model = req.extra, req.model
    extra = {k: v for k, v in (extra or {}).items() if v is not None}
    model = extra.pop("model", None) or model
    if not isinstance(model, str) or not model:
        raise ValueError('api="openai" needs model= (the Chat Completions model name)')
    if run_config is not None:
        raise ValueError(
            'api="openai" has no runConfig; pass Chat Completions parameters '
            "(temperature=, max_tokens=, ...) as keyword arguments instead"
        )
    body: dict[str, Any] = {
        "model": model,
        "messages": to_openai_messages(messages, commands, system=system),
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    openai_tools = to_openai_tools(tools)
    if openai_tools is not None:
        body["tools"] = openai_tools
    body.update(extra)
    if not body.get("stream") and "stream_options" not in extra:
        del body["stream_options"]
    return RequestSpec("POST", path, body)


DIALECT = RequestDialect("openai", "/v1/chat/completions", build_chat_request, needs_model=True)
