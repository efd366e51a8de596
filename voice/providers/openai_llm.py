"""The agent's language model through the `openai` SDK's streamed Chat Completions (the `LLM` contract).

`OPENAI_BASE_URL` points it at any OpenAI-compatible server (vLLM, Ollama, llama.cpp server). Tool-call deltas
are assembled by index into complete `ToolCall`s; a reply with no first token in time, a dropped or malformed
stream, or a refused request raises `ProviderError`. Cancelling the consumer closes the HTTP stream.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import openai
from django.conf import settings
from openai import AsyncOpenAI

from .base import CallContext, CallSummary, LLMEvent, ProviderError, TextDelta, ToolCall
from .warm import client_for_loop

log = logging.getLogger(__name__)

SUMMARY_INSTRUCTIONS = (
    "You summarise a sales call for the rep who follows up. Write two or three plain sentences: who was "
    "reached, what they said, what was agreed. Then fill each qualification field with the caller's own "
    "answer, or null when the caller never answered it. Do not invent answers."
)


class OpenAILLM:
    """Streams one reply at a time; the SDK client (and its connection pool) is shared on the loop."""

    first_token_timeout = 2.0
    stall_timeout = 5.0  # longest pause between chunks once the reply has started
    summary_timeout = 30.0

    def __init__(self, *, api_key: str, model: str, base_url: str = "", user: str = "") -> None:
        self.api_key = api_key
        self.model = model
        self.base_url = base_url
        self.user = user

    @classmethod
    def for_call(cls, context: CallContext) -> OpenAILLM:
        return cls(api_key=settings.OPENAI_API_KEY, model=settings.OPENAI_MODEL, base_url=settings.OPENAI_BASE_URL,
                   user=f"parley-call-{context.call_id}")

    def client(self) -> AsyncOpenAI:
        """No SDK retries on the live path: a retry would be slower than ending the call gracefully."""
        return client_for_loop(
            ("openai", self.api_key, self.base_url),
            lambda: AsyncOpenAI(api_key=self.api_key, base_url=self.base_url or None, max_retries=0, timeout=30.0),
        )

    async def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        request: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        if tools:
            request["tools"] = tools
        if self.user:
            request["user"] = self.user
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.first_token_timeout
        response = None
        calls: dict[int, dict[str, str]] = {}
        started = False
        try:
            try:
                response = await asyncio.wait_for(
                    self.client().chat.completions.create(**request), timeout=self.first_token_timeout
                )
            except TimeoutError as exc:
                raise ProviderError(f"OpenAI: no answer within {self.first_token_timeout:g} s") from exc
            chunks = aiter(response)
            while True:
                timeout = self.stall_timeout if started else max(0.0, deadline - loop.time())
                try:
                    chunk = await asyncio.wait_for(anext(chunks), timeout)
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    what = "the stream stalled" if started else "no first token"
                    raise ProviderError(f"OpenAI: {what} within {timeout:.1f} s") from exc
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        started = True
                        yield TextDelta(delta.content)
                    for part in (delta.tool_calls if delta is not None else None) or []:
                        started = True
                        slot = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                        slot["id"] = part.id or slot["id"]
                        if part.function is not None:
                            slot["name"] = part.function.name or slot["name"]
                            slot["arguments"] += part.function.arguments or ""
            for index in sorted(calls):
                yield _tool_call(calls[index])
        except openai.APIStatusError as exc:
            raise ProviderError(f"OpenAI refused the request: {exc.status_code} {_message(exc)}") from exc
        except openai.APIError as exc:
            raise ProviderError(f"OpenAI stream failed: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # a chunk that is not JSON
            raise ProviderError(f"OpenAI sent a malformed chunk: {exc}") from exc
        finally:
            if response is not None:
                await response.close()

    async def summarize(self, transcript: list[dict[str, str]], fields: list[dict[str, str]]) -> CallSummary:
        """Structured output (a strict JSON schema) so the qualification fields arrive as data, not prose."""
        lines = "\n".join(f"{_speaker(turn)}: {turn.get('text') or turn.get('content') or ''}" for turn in transcript)
        field_props = {f["field"]: {"type": ["string", "null"], "description": f.get("question", f["field"])}
                       for f in fields}
        schema = {
            "type": "object",
            "properties": {
                "summary": {"type": "string", "description": "Two or three sentences for the rep."},
                "fields": {"type": "object", "properties": field_props, "required": list(field_props),
                           "additionalProperties": False},
            },
            "required": ["summary", "fields"],
            "additionalProperties": False,
        }
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": SUMMARY_INSTRUCTIONS},
                         {"role": "user", "content": lines or "(no one spoke)"}],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "call_summary", "strict": True, "schema": schema}},
        }
        if self.user:
            request["user"] = self.user
        client = self.client().with_options(max_retries=2, timeout=self.summary_timeout)
        try:
            completion = await client.chat.completions.create(**request)
            data = json.loads(completion.choices[0].message.content or "")
            answers = data.get("fields") or {}
            return CallSummary(
                summary=str(data["summary"]),
                extracted={key: answers[key] for key in field_props if answers.get(key) not in (None, "")},
            )
        except openai.APIError as exc:
            raise ProviderError(f"OpenAI summary failed: {type(exc).__name__}: {exc}") from exc
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ProviderError(f"OpenAI summary was not the JSON asked for: {exc}") from exc


def _tool_call(slot: dict[str, str]) -> ToolCall:
    try:
        arguments = json.loads(slot["arguments"] or "{}")
    except ValueError as exc:
        raise ProviderError(f"OpenAI tool call {slot['name']!r} had malformed arguments: {exc}") from exc
    if not isinstance(arguments, dict) or not slot["name"]:
        raise ProviderError(f"OpenAI tool call {slot['name']!r} was incomplete")
    return ToolCall(id=slot["id"], name=slot["name"], arguments=arguments)


def _speaker(turn: dict[str, str]) -> str:
    who = (turn.get("speaker") or turn.get("role") or "").lower()
    return "Agent" if who in ("agent", "assistant") else "Caller"


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("message") or exc.message)[:200]
