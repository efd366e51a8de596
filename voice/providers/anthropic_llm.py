"""The agent's language model through the `anthropic` SDK's streamed Messages API (the `LLM` contract).

The session speaks Chat Completions messages (system, user, assistant with `tool_calls`, `tool`); they are turned
into a Messages API request here (`claude_request`): the leading system messages become `system`, a system note
later in the call becomes a text block of the next user message, an assistant's tool calls become `tool_use`
blocks and tool results `tool_result` blocks of one user message, roles alternate, and a call that begins with the
agent's opening gets a first user turn saying the call connected. Tools are sent with `input_schema`.

The stream (https://docs.anthropic.com/en/api/messages-streaming) is read event by event: `text_delta` -> text;
a `tool_use` block's `input_json_delta` fragments are joined and yielded as one complete `ToolCall` when the
message ends (the same events as the OpenAI adapter); `thinking`/`signature`/`citations` deltas are skipped; on
`stop_reason: "max_tokens"` the text stands and a half-written tool call is dropped; input that is not JSON
reaches the tool runner as `{UNPARSED: text}`. No first token in time, a stall, a dropped or malformed stream,
an `error` event (overloaded_error) or a refused request raise `ProviderError`. Cancelling the consumer closes the
HTTP stream. `ANTHROPIC_BASE_URL` points it at an emulator or a gateway.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx2
from anthropic import AsyncAnthropic
from django.conf import settings

from voice.providers.summary_prompt import SUMMARY_INSTRUCTIONS, summary_from, summary_schema, transcript_text
from voice.tool_arguments import UNPARSED

from .base import CallContext, CallSummary, LLMEvent, ProviderError, TextDelta, ToolCall
from .warm import client_for_loop

log = logging.getLogger(__name__)

CONNECTED = "(The call has connected.)"  # the first user turn when the agent spoke first
NOTE_PREFIX = "System note: "  # a system message in the middle of the call, as the user's text block


class AnthropicLLM:
    """Streams one reply at a time; the SDK client (and its connection pool) is shared on the loop."""

    first_token_timeout = 2.0
    stall_timeout = 5.0  # longest pause between events once the reply has started
    summary_timeout = 30.0

    def __init__(self, *, api_key: str, model: str, base_url: str = "", user: str = "", max_tokens: int = 400) -> None:
        self.api_key = api_key
        self.model = model
        self.base_url = base_url
        self.user = user
        self.max_tokens = max_tokens

    @classmethod
    def for_call(cls, context: CallContext) -> AnthropicLLM:
        return cls(api_key=settings.ANTHROPIC_API_KEY, model=settings.ANTHROPIC_MODEL,
                   base_url=settings.ANTHROPIC_BASE_URL, user=f"parley-call-{context.call_id}",
                   max_tokens=settings.ANTHROPIC_MAX_TOKENS)

    def client(self) -> AsyncAnthropic:
        """No SDK retries on the live path: the failover (or the apology) is faster than a retry."""
        return client_for_loop(
            ("anthropic", self.api_key, self.base_url),
            lambda: AsyncAnthropic(api_key=self.api_key, base_url=self.base_url or None, max_retries=0, timeout=30.0),
        )

    def _request(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        system, turns = claude_request(messages)
        request: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens, "messages": turns}
        if system:
            request["system"] = system
        if tools:
            request["tools"] = claude_tools(tools)
        if self.user:
            request["metadata"] = {"user_id": self.user}
        return request

    async def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        request = {**self._request(messages, tools), "stream": True}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.first_token_timeout
        response = None
        uses: dict[int, dict[str, str]] = {}  # tool_use blocks by content index, in the order they opened
        stop_reason = ""
        started = False
        try:
            try:
                response = await asyncio.wait_for(self.client().messages.create(**request),
                                                  timeout=self.first_token_timeout)
            except TimeoutError as exc:
                raise ProviderError(f"Anthropic: no answer within {self.first_token_timeout:g} s") from exc
            events = aiter(response)
            while True:
                timeout = self.stall_timeout if started else max(0.0, deadline - loop.time())
                try:
                    event = await asyncio.wait_for(anext(events), timeout)
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    what = "the stream stalled" if started else "no first token"
                    raise ProviderError(f"Anthropic: {what} within {timeout:.1f} s") from exc
                kind = getattr(event, "type", "")
                if kind == "content_block_start":
                    block = event.content_block
                    if block.type == "tool_use":
                        started = True
                        uses[event.index] = {"id": block.id, "name": block.name, "json": ""}
                    elif block.type == "text" and block.text:
                        started = True
                        yield TextDelta(block.text)
                elif kind == "content_block_delta":
                    delta = event.delta
                    if delta.type == "text_delta" and delta.text:
                        started = True
                        yield TextDelta(delta.text)
                    elif delta.type == "input_json_delta" and event.index in uses:
                        uses[event.index]["json"] += delta.partial_json
                elif kind == "message_delta":
                    stop_reason = getattr(event.delta, "stop_reason", None) or stop_reason
                elif kind == "message_stop":
                    break
            for call in complete_tool_uses(uses.values(), stop_reason):
                yield call
        except anthropic.APIStatusError as exc:
            if exc.status_code == 200:  # an `error` event in the stream
                raise ProviderError(f"Anthropic stream failed with an error event: {_message(exc)}") from exc
            raise ProviderError(f"Anthropic refused the request: {exc.status_code} {_message(exc)}") from exc
        except (anthropic.APIError, httpx2.HTTPError, OSError) as exc:  # the SDK lets a dropped body through raw
            raise ProviderError(f"Anthropic stream failed: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # an event that is not JSON
            raise ProviderError(f"Anthropic sent a malformed event: {exc}") from exc
        finally:
            if response is not None:
                await response.close()

    async def summarize(self, transcript: list[dict[str, str]], fields: list[dict[str, str]]) -> CallSummary:
        """A forced tool call (`tool_choice`) whose input schema is the summary, so the fields arrive as data."""
        schema = summary_schema(fields)
        request: dict[str, Any] = {
            "model": self.model, "max_tokens": 1024, "system": SUMMARY_INSTRUCTIONS,
            "messages": [{"role": "user", "content": transcript_text(transcript)}],
            "tools": [{"name": "call_summary", "description": "Record the call's summary.", "input_schema": schema}],
            "tool_choice": {"type": "tool", "name": "call_summary"},
        }
        if self.user:
            request["metadata"] = {"user_id": self.user}
        try:
            # Its own client, closed here: a summary runs on a short-lived loop (a Celery task's async_to_sync),
            # and a client left behind would try to close its connections on that loop after it has gone.
            async with AsyncAnthropic(api_key=self.api_key, base_url=self.base_url or None, max_retries=2,
                                      timeout=self.summary_timeout) as client:
                message = await client.messages.create(**request)
            return summary_from(next(block.input for block in message.content if block.type == "tool_use"), fields)
        except anthropic.APIError as exc:
            raise ProviderError(f"Anthropic summary failed: {type(exc).__name__}: {exc}") from exc
        except (StopIteration, KeyError, TypeError, AttributeError) as exc:
            raise ProviderError(f"Anthropic summary was not the tool call asked for: {exc!r}") from exc


def claude_request(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Chat Completions messages -> (system, Messages API messages). Shapes: see the module docstring."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] += blocks
        else:
            turns.append({"role": role, "content": blocks})

    for m in messages:
        role, content = m.get("role"), m.get("content")
        if role in ("system", "developer"):
            if not turns and not notes:
                system.append(str(content or ""))
            elif content:
                notes.append({"type": "text", "text": NOTE_PREFIX + str(content)})
        elif role == "user":
            add("user", [*notes, *_text(content)])
            notes = []
        elif role == "assistant":
            blocks = _text(content)
            for call in m.get("tool_calls") or ():
                function = call.get("function") or {}
                try:
                    arguments = json.loads(function.get("arguments") or "{}")
                except ValueError:
                    arguments = {}
                blocks.append({"type": "tool_use", "id": call["id"], "name": function.get("name", ""),
                               "input": arguments if isinstance(arguments, dict) else {}})
            add("assistant", blocks)
        elif role == "tool":
            add("user", [{"type": "tool_result", "tool_use_id": m.get("tool_call_id", ""),
                          "content": str(content or "")}])
    if notes:
        add("user", notes)
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": [{"type": "text", "text": CONNECTED}]})
    return "\n\n".join(s for s in system if s), turns


def claude_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI function tools -> Messages API tools (`name`, `description`, `input_schema`)."""
    out = []
    for tool in tools:
        function = tool.get("function") or tool
        out.append({"name": function["name"], "description": function.get("description", ""),
                    "input_schema": function.get("parameters") or {"type": "object", "properties": {}}})
    return out


def complete_tool_uses(uses: Any, stop_reason: str) -> list[ToolCall]:
    """The streamed tool_use blocks as complete calls; one cut off by `max_tokens` is dropped (logged)."""
    out = []
    for use in uses:
        try:
            arguments: Any = json.loads(use["json"] or "{}")
        except ValueError:
            if stop_reason == "max_tokens":
                log.warning("Anthropic: tool call %r cut off by max_tokens; dropped", use["name"])
                continue
            arguments = {UNPARSED: use["json"]}
        if not isinstance(arguments, dict):
            arguments = {UNPARSED: use["json"]}
        out.append(ToolCall(id=use["id"], name=use["name"], arguments=arguments))
    return out


def _text(content: Any) -> list[dict[str, Any]]:
    text = str(content or "").strip()
    return [{"type": "text", "text": text}] if text else []


def _message(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    return " ".join(str(p) for p in (error.get("type"), error.get("message") or exc.message) if p)[:200]
