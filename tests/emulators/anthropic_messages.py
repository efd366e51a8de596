"""An Anthropic Messages API server on 127.0.0.1: streamed replies with tool use, as api.anthropic.com sends them.

It checks the key (`x-api-key`, or `Authorization: Bearer` which the current SDK sends), the `anthropic-version`
header and the body (model, max_tokens, system, alternating user/assistant messages, tool_use / tool_result
pairing, tools with `input_schema`), answering a bad one with the API's error shape. A streamed reply is the
documented SSE sequence (https://docs.anthropic.com/en/api/messages-streaming): `message_start`, per content block
`content_block_start` / `content_block_delta` (`text_delta`, or `input_json_delta` fragments of a tool's input) /
`content_block_stop`, then `message_delta` (`stop_reason`, usage) and `message_stop`, with a `ping` after the start;
an `error` event (`overloaded_error`) is how the API fails mid-stream. Non-streamed requests (the post-call summary,
a forced tool) get one `message` object.

Replies come from a script (tests) or a `responder` callable (the rehearsal demo), which receives the request body;
first-token delay and token rate are configurable; faults (tests/emulators/faults.py) are armed per request:
429/503 with `retry-after`, never answering, closing mid-stream, a malformed event.

Standalone: `python -m tests.emulators.anthropic_messages --port 8104 [--first-token-delay 0.3]`.
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from .faults import Fault
from .http11 import ClientGone, HttpEmulator, Reply, pause, send_chunk, send_json
from .openai_chat import default_summary
from .standalone import command_line, run, setup_django

TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MALFORMED = b'event: content_block_delta\ndata: {"type": "content_block_delta", "index": \n\n'  # cut short


def body_errors(body: Any) -> list[str]:
    """What api.anthropic.com would refuse with a 400 invalid_request_error."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    errors = []
    if not isinstance(body.get("model"), str) or not body["model"]:
        errors.append("model: Field required")
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        errors.append("max_tokens: Field required (a positive integer)")
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        errors.append("system: must be a string or a list of text blocks")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*errors, "messages: at least one message is required"]
    pending_tools: set[str] = set()
    previous = None
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            errors.append(f"messages.{i}.role: Input should be 'user' or 'assistant'")
            continue
        if role == previous:
            errors.append(f"messages.{i}: roles must alternate between 'user' and 'assistant'")
        previous = role
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list) or not blocks:
            errors.append(f"messages.{i}.content: must be a string or a non-empty list of blocks")
            continue
        results = {b.get("tool_use_id") for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"}
        if pending_tools and not pending_tools <= results:
            errors.append(f"messages.{i}: tool_use ids were found without tool_result blocks immediately after: "
                          + ", ".join(sorted(pending_tools - results)))
        pending_tools = set()
        for j, block in enumerate(blocks):
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                if not isinstance(block.get("text"), str) or not block["text"].strip():
                    errors.append(f"messages.{i}.content.{j}: text content blocks must be non-empty")
            elif kind == "tool_use" and role == "assistant":
                if not block.get("id") or not block.get("name") or not isinstance(block.get("input"), dict):
                    errors.append(f"messages.{i}.content.{j}: tool_use needs id, name and an object input")
                else:
                    pending_tools.add(block["id"])
            elif kind == "tool_result" and role == "user":
                if not block.get("tool_use_id"):
                    errors.append(f"messages.{i}.content.{j}: tool_result needs tool_use_id")
            else:
                errors.append(f"messages.{i}.content.{j}: unexpected block type {kind!r} for role {role}")
    if messages[0].get("role") != "user":
        errors.append("messages.0: the first message must use the user role")
    for i, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict) or not TOOL_NAME.match(str(tool.get("name", ""))):
            errors.append(f"tools.{i}.name: String should match pattern {TOOL_NAME.pattern}")
        elif not isinstance(tool.get("input_schema"), dict) or tool["input_schema"].get("type") != "object":
            errors.append(f"tools.{i}.input_schema: must be a JSON schema with type 'object'")
    if "stream" in body and not isinstance(body["stream"], bool):
        errors.append("stream: Input should be a valid boolean")
    return errors


class AnthropicEmulator(HttpEmulator):
    """A scriptable Messages API. `replies` are used in order, then `responder`, then a default."""

    def __init__(
        self,
        *,
        api_key: str = "emulator-key",
        replies: list[Reply] | tuple[Reply, ...] = (),
        responder: Callable[[dict[str, Any]], Reply | Awaitable[Reply]] | None = None,
        first_token_delay: float = 0.0,
        token_rate: float = 200.0,
        summarizer: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(api_key=api_key, replies=replies, responder=responder,
                         first_token_delay=first_token_delay, token_rate=token_rate)
        self.summarizer = summarizer or default_summary_input

    @property
    def url(self) -> str:
        """What `ANTHROPIC_BASE_URL` should be set to (the SDK adds `/v1/messages`)."""
        return f"http://127.0.0.1:{self.port}"

    # --- HTTP/1.1 -----------------------------------------------------------------------------
    async def _dispatch(self, request: dict[str, Any], reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
        method, path, headers = request["method"], request["path"], request["headers"]
        key = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        if key != self.api_key:
            await _send_json(writer, 401, _error("authentication_error", "invalid x-api-key"))
            return True
        if not VERSION.match(headers.get("anthropic-version", "")):
            await _send_json(writer, 400, _error("invalid_request_error",
                                                 "anthropic-version: header is required (e.g. 2023-06-01)"))
            return True
        if method != "POST" or path != "/v1/messages":
            await _send_json(writer, 404, _error("not_found_error", f"Not found: {method} {path}"))
            return True
        try:
            body = json.loads(request["body"] or b"null")
        except ValueError:
            body = None
        errors = body_errors(body)
        user = (body.get("metadata") or {}).get("user_id") if isinstance(body, dict) else None
        self.recorder.record("request", body=body, headers=headers, errors=errors, user=user)
        if errors:
            await _send_json(writer, 400, _error("invalid_request_error", "; ".join(errors)))
            return True
        info = {"path": path, "headers": headers, "body": body, "user": user}
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind, user=user)
            kind = "rate_limit_error" if fault.status == 429 else "api_error"
            await _send_json(writer, fault.status, _error(kind, "Injected fault."),
                             extra={"retry-after": "0"} if fault.status == 429 else None)
            return True
        fault = self.faults.take("stream", info)
        if fault is not None and fault.kind == "never_answer":
            await self._hang(reader, user)
        forced = (body.get("tool_choice") or {}).get("name")
        if forced:  # a forced tool (the post-call summary): its input follows the tool's schema
            schema = next(t["input_schema"] for t in body.get("tools") or () if t.get("name") == forced)
            reply = Reply(tool_calls=[{"name": forced, "arguments": self.summarizer(schema, body)}])
        else:
            reply = await self._reply_for(body)
        if not body.get("stream"):
            await _send_json(writer, 200, self._message(body, reply))
            self.recorder.record("completed", user=user, streamed=False)
            return True
        return await self._stream(body, reply, writer, reader, fault, user)

    def _tool_uses(self, reply: Reply) -> list[dict[str, Any]]:
        return [{"type": "tool_use", "id": call.get("id") or f"toolu_emu{next(self._ids):06d}", "name": call["name"],
                 "input": call.get("arguments", {})} for call in reply.tool_calls]

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
        content += self._tool_uses(reply)
        return {"id": f"msg_emu{next(self._ids):06d}", "type": "message", "role": "assistant", "model": body["model"],
                "content": content, "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
                "stop_sequence": None, "usage": {"input_tokens": 100, "output_tokens": 40}}

    async def _stream(self, body: dict[str, Any], reply: Reply, writer: asyncio.StreamWriter,
                      reader: asyncio.StreamReader, fault: Fault | None, user: Any) -> bool:
        if reply.events is not None:
            events = list(reply.events)
        else:
            events = self._events_of(body, reply)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                     b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                     b"request-id: req_emulator\r\n\r\n")
        await writer.drain()
        self.recorder.record("stream_started", user=user)
        sent = 0  # deltas sent
        rate = reply.token_rate or self.token_rate
        try:
            await pause(reader, self.first_token_delay)
            for name, data in events:
                is_delta = name == "content_block_delta"
                if fault is not None and (sent >= fault.after and is_delta or name == "message_stop"):
                    if not await self._break_stream(fault, writer, user, sent, MALFORMED):
                        return False
                    fault = None
                if is_delta and sent:
                    await pause(reader, 1 / rate)
                await _send_raw(writer, name, data if isinstance(data, str) else json.dumps(data))
                sent += is_delta
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ClientGone, ConnectionError):
            self.recorder.record("client_closed", user=user, sent=sent)
            return False
        self.recorder.record("completed", user=user, sent=sent, streamed=True)
        return True

    def _events_of(self, body: dict[str, Any], reply: Reply) -> list[tuple[str, Any]]:
        """The documented event sequence for one reply: text block first, then one block per tool use."""
        message = self._message(body, reply)
        start = {**message, "content": [], "stop_reason": None, "usage": {"input_tokens": 100, "output_tokens": 1}}
        events: list[tuple[str, Any]] = [("message_start", {"type": "message_start", "message": start}),
                                         ("ping", {"type": "ping"})]
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                opened = {"type": "text", "text": ""}
                deltas = [{"type": "text_delta", "text": token} for token in re.findall(r"\s*\S+", block["text"])]
            else:
                opened = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                raw = block["input"] if isinstance(block["input"], str) else json.dumps(block["input"])
                deltas = [{"type": "input_json_delta", "partial_json": raw[i : i + 7]} for i in range(0, len(raw), 7)]
            events.append(("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": opened}))
            events += [("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
                       for d in deltas]
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        events.append(("message_delta", {"type": "message_delta",
                                         "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                         "usage": {"output_tokens": 40}}))
        events.append(("message_stop", {"type": "message_stop"}))
        return events


def default_summary_input(schema: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The forced summary tool's input, filled as the OpenAI emulator fills its structured output."""
    transcript = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
    return default_summary({"response_format": {"json_schema": {"schema": schema}},
                            "messages": [{"role": "user", "content": transcript}]})


def overloaded_mid_stream(text: str) -> list[tuple[str, Any]]:
    """A recorded shape: the API starts a reply, then fails it with an `error` event (overloaded_error)."""
    return [
        ("message_start", {"type": "message_start", "message": {
            "id": "msg_overloaded", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text",
                                                                                               "text": ""}}),
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
                                                                                      "text": text}}),
        ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ]


# --- wire helpers -------------------------------------------------------------------------------
async def _send_json(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any],
                     extra: dict[str, str] | None = None) -> None:
    await send_json(writer, status, payload, {"request-id": "req_emulator", **(extra or {})})


async def _send_raw(writer: asyncio.StreamWriter, event: str, data: str) -> None:
    await send_chunk(writer, f"event: {event}\ndata: {data}\n\n".encode())


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_emulator"}


def main(argv: list[str] | None = None) -> None:
    parser = command_line(__doc__, "kind[:after_deltas], applied to each request")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--token-rate", type=float, default=200.0, help="tokens per second after the first")
    args = parser.parse_args(argv)
    from .rehearsal import scripted_claude_reply

    setup_django()
    emulator = AnthropicEmulator(api_key=args.api_key, responder=scripted_claude_reply,
                                 first_token_delay=args.first_token_delay, token_rate=args.token_rate)
    run(emulator, args.port, "anthropic", args.fault)


if __name__ == "__main__":
    main()
