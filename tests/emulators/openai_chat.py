"""An OpenAI-compatible Chat Completions server on 127.0.0.1: SSE streaming, tool calls, structured output.

It checks `Authorization: Bearer <key>` and the request body the SDK sends (model, messages, tools,
response_format, stream_options) and answers as api.openai.com does: `chat.completion.chunk` events with
text deltas, tool-call deltas (id and name first, then argument fragments, by index), a `finish_reason`,
then `data: [DONE]`. Replies come from a script (tests) or a `responder` callable (the rehearsal demo);
first-token delay and token rate are configurable; faults can be injected per request.

Standalone: `python -m tests.emulators.openai_chat --port 8102 [--first-token-delay 0.3]`.
"""
from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from .faults import Fault
from .http11 import ClientGone, HttpEmulator, Reply, pause, send_chunk, send_json
from .standalone import command_line, run, setup_django

MALFORMED = b'data: {"id": "chatcmpl-emu", "choices": [{"delta": {"content": \n\n'  # an SSE event cut short
ROLES = {"system", "developer", "user", "assistant", "tool"}
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def body_errors(body: Any) -> list[str]:
    """What api.openai.com would refuse with a 400 invalid_request_error."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    errors = []
    if not isinstance(body.get("model"), str) or not body["model"]:
        errors.append("you must provide a model parameter")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        errors.append("messages must be a non-empty array")
    else:
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                errors.append(f"messages[{i}].role must be one of {sorted(ROLES)}")
            elif message["role"] == "tool" and not message.get("tool_call_id"):
                errors.append(f"messages[{i}]: a tool message needs tool_call_id")
            elif message["role"] == "assistant":
                for call in message.get("tool_calls") or []:
                    function = call.get("function") or {}
                    if not call.get("id") or call.get("type") != "function" or not isinstance(
                        function.get("arguments"), str
                    ):
                        errors.append(f"messages[{i}].tool_calls need id, type=function and string arguments")
    for i, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict):
            errors.append(f"tools[{i}] must be {{'type': 'function', 'function': {{...}}}}")
        elif not TOOL_NAME.match(str(function.get("name", ""))):
            errors.append(f"tools[{i}].function.name must match {TOOL_NAME.pattern}")
        elif "parameters" in function and not isinstance(function["parameters"], dict):
            errors.append(f"tools[{i}].function.parameters must be a JSON schema object")
    if "stream" in body and not isinstance(body["stream"], bool):
        errors.append("stream must be a boolean")
    if body.get("stream_options") is not None and not body.get("stream"):
        errors.append("stream_options is only allowed when stream is true")
    response_format = body.get("response_format")
    if response_format is not None:
        kind = response_format.get("type") if isinstance(response_format, dict) else None
        if kind not in ("text", "json_object", "json_schema"):
            errors.append("response_format.type must be text, json_object or json_schema")
        elif kind == "json_schema":
            spec = response_format.get("json_schema") or {}
            if not spec.get("name") or not isinstance(spec.get("schema"), dict):
                errors.append("response_format.json_schema needs a name and a schema")
    return errors


class OpenAIEmulator(HttpEmulator):
    """A scriptable OpenAI-compatible server. `replies` are used in order, then `responder`, then a default."""

    def __init__(
        self,
        *,
        api_key: str = "emulator-key",
        replies: list[Reply] | tuple[Reply, ...] = (),
        responder: Callable[[dict[str, Any]], Reply | Awaitable[Reply]] | None = None,
        summarizer: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        first_token_delay: float = 0.0,
        token_rate: float = 200.0,
    ) -> None:
        super().__init__(api_key=api_key, replies=replies, responder=responder,
                         first_token_delay=first_token_delay, token_rate=token_rate)
        self.summarizer = summarizer or default_summary
        from .openai_speech import SpeechEndpoint

        self.speech = SpeechEndpoint()  # POST /v1/audio/speech (tests/emulators/openai_speech.py)

    @property
    def url(self) -> str:
        """What `OPENAI_BASE_URL` should be set to."""
        return f"http://127.0.0.1:{self.port}/v1"

    # --- HTTP/1.1 -----------------------------------------------------------------------------
    async def _dispatch(self, request: dict[str, Any], reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must close."""
        method, path, headers = request["method"], request["path"], request["headers"]
        if headers.get("authorization") != f"Bearer {self.api_key}":
            await _send_json(writer, 401, _error("Incorrect API key provided.", "invalid_request_error",
                                                 "invalid_api_key"))
            return True
        if method == "GET" and path == "/v1/models":
            await _send_json(writer, 200, {"object": "list", "data": [
                {"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "emulator"}]})
            return True
        if method == "POST" and path == "/v1/audio/speech":
            return await self.speech.answer(request, reader, writer)
        if method != "POST" or path != "/v1/chat/completions":
            await _send_json(writer, 404, _error(f"Unknown request URL: {method} {path}.", "invalid_request_error"))
            return True
        try:
            body = json.loads(request["body"] or b"null")
        except ValueError:
            body = None
        errors = body_errors(body)
        self.recorder.record("request", body=body, headers=headers, errors=errors)
        if errors:
            await _send_json(writer, 400, _error("; ".join(errors), "invalid_request_error"))
            return True
        info = {"path": path, "headers": headers, "body": body}
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind, user=body.get("user"))
            code = "rate_limit_exceeded" if fault.status == 429 else "server_error"
            await _send_json(writer, fault.status, _error("Injected fault.", code, code),
                             extra={"retry-after": "0"} if fault.status == 429 else None)
            return True
        fault = self.faults.take("stream", info)
        if body.get("response_format", {}).get("type") == "json_schema" and not body.get("stream"):
            return await self._structured(body, writer, reader, fault)
        return await self._stream(body, writer, reader, fault)

    async def _structured(self, body: dict[str, Any], writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                          fault: Fault | None) -> bool:
        if fault is not None and fault.kind == "never_answer":
            await self._hang(reader, body.get("user"), of=0)
        content = json.dumps(self.summarizer(body))
        if fault is not None and fault.kind == "malformed":
            content = content[: len(content) // 2]
        completion = {
            "id": f"chatcmpl-emu-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "system_fingerprint": "fp_emulator",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 40, "total_tokens": 140},
        }
        await _send_json(writer, 200, completion)
        self.recorder.record("completed", user=body.get("user"), structured=True)
        return True

    async def _stream(self, body: dict[str, Any], writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                      fault: Fault | None) -> bool:
        user = body.get("user")
        if fault is not None and fault.kind == "never_answer":
            await self._hang(reader, body.get("user"), of=0)
        reply = await self._reply_for(body)
        if reply.events is not None:
            return await self._replay(reply.events, writer, user)
        stream_id = f"chatcmpl-emu-{next(self._ids)}"
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": stream_id, "object": "chat.completion.chunk", "created": created, "model": body["model"],
                    "system_fingerprint": "fp_emulator",
                    "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

        deltas: list[dict[str, Any]] = [{"content": token} for token in re.findall(r"\s*\S+", reply.text)]
        for index, call in enumerate(reply.tool_calls):
            arguments = call["arguments"] if isinstance(call.get("arguments"), str) else json.dumps(call.get(
                "arguments", {}))
            deltas.append({"tool_calls": [{"index": index, "id": call.get("id") or f"call_emu{next(self._ids)}",
                                           "type": "function",
                                           "function": {"name": call["name"], "arguments": ""}}]})
            deltas += [{"tool_calls": [{"index": index, "function": {"arguments": arguments[i : i + 7]}}]}
                       for i in range(0, len(arguments), 7)]
        finish = "tool_calls" if reply.tool_calls else "stop"

        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                     b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                     b"openai-processing-ms: 1\r\nx-request-id: req_emulator\r\n\r\n")
        await writer.drain()
        self.recorder.record("stream_started", user=user)
        sent = 0
        try:
            await pause(reader, self.first_token_delay)
            await _send_event(writer, chunk({"role": "assistant", "content": "", "refusal": None}))
            for delta in [*deltas, None]:
                if fault is not None and (sent >= fault.after or delta is None):
                    if not await self._break_stream(fault, writer, user, sent, MALFORMED):
                        return False
                    fault = None
                if delta is None:
                    break
                if sent:
                    await pause(reader, 1 / (reply.token_rate or self.token_rate))
                await _send_event(writer, chunk(delta))
                sent += 1
            await _send_event(writer, chunk({}, finish))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 50, "completion_tokens": sent, "total_tokens": 50 + sent}
                await _send_event(writer, {**chunk({}), "choices": [], "usage": usage})
            await _send_raw_event(writer, "[DONE]")
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ClientGone, ConnectionError):
            self.recorder.record("client_closed", user=user, sent=sent, of=len(deltas))
            return False
        self.recorder.record("completed", user=user, sent=sent)
        return True

    async def _replay(self, events: list[Any], writer: asyncio.StreamWriter, user: Any) -> bool:
        """Send a recorded stream as it was: every event in order, nothing added (not even `[DONE]`)."""
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                     b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n")
        self.recorder.record("stream_started", user=user)
        try:
            for event in events:
                if isinstance(event, str):
                    await _send_raw_event(writer, event)
                else:
                    await _send_event(writer, event)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ClientGone, ConnectionError):
            self.recorder.record("client_closed", user=user, sent=0, of=len(events))
            return False
        self.recorder.record("completed", user=user, sent=len(events))
        return True


def default_summary(body: dict[str, Any]) -> dict[str, Any]:
    """Structured output that follows the requested schema: a short summary and the answers it can find."""
    schema = body["response_format"]["json_schema"]["schema"]
    transcript = next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
    lines = [line for line in str(transcript).splitlines() if line.strip()]
    result: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if name == "summary":
            result[name] = " ".join(lines[:4])[:400] or "No conversation took place."
        elif prop.get("type") == "object":
            result[name] = {key: _answer_after(lines, sub.get("description", key))
                            for key, sub in prop.get("properties", {}).items()}
        else:
            result[name] = None
    return result


def _answer_after(lines: list[str], question: str) -> str | None:
    """The caller's line that follows the agent asking `question` (matched on its first words)."""
    probe = " ".join(question.lower().split()[:4])
    for i, line in enumerate(lines):
        if probe and probe in line.lower():
            for later in lines[i + 1 :]:
                speaker, _, said = later.partition(":")
                if speaker.strip().lower() in ("caller", "lead", "user") and said.strip():
                    return said.strip()
    return None


# --- wire helpers -------------------------------------------------------------------------------
async def _send_json(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any],
                     extra: dict[str, str] | None = None) -> None:
    await send_json(writer, status, payload, {"x-request-id": "req_emulator", **(extra or {})})


async def _send_event(writer: asyncio.StreamWriter, payload: dict[str, Any]) -> None:
    await _send_raw_event(writer, json.dumps(payload))


async def _send_raw_event(writer: asyncio.StreamWriter, data: str) -> None:
    await send_chunk(writer, f"data: {data}\n\n".encode())


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def main(argv: list[str] | None = None) -> None:
    parser = command_line(__doc__, "kind[:after_tokens], applied to each request")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--token-rate", type=float, default=200.0, help="tokens per second after the first")
    args = parser.parse_args(argv)
    from .rehearsal import scripted_reply

    setup_django()
    emulator = OpenAIEmulator(api_key=args.api_key, responder=scripted_reply,
                              first_token_delay=args.first_token_delay, token_rate=args.token_rate)
    run(emulator, args.port, "openai", args.fault)


if __name__ == "__main__":
    main()
