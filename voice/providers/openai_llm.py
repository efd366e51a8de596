"""The agent's language model through the `openai` SDK's streamed Chat Completions (the `LLM` contract).

`OPENAI_BASE_URL` points it at any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, Gemini's OpenAI
endpoint). Their streams differ (tests/providers/stream_shapes/ holds one recorded shape per quirk, with its
source): tool-call deltas are assembled by `index` when present, else by `id`, else in order (`ToolCallAssembler`);
a call without an `id` gets a synthesised one; a `refusal` is spoken like content; a usage chunk with no
`choices` is skipped; `finish_reason: "length"` ends the reply with what was generated (a tool call cut short is
dropped). Arguments that are not JSON reach the tool runner as `{UNPARSED: text}`, which tells the model.
A reply with no first token in time, a dropped or malformed stream, or a refused request raises `ProviderError`.
Cancelling the consumer closes the HTTP stream.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import openai
from django.conf import settings
from openai import AsyncOpenAI

from voice.providers.summary_prompt import SUMMARY_INSTRUCTIONS, summary_from, summary_schema, transcript_text
from voice.tool_arguments import UNPARSED

from .base import CallContext, CallSummary, LLMEvent, ProviderError, TextDelta, ToolCall
from .warm import client_for_loop

log = logging.getLogger(__name__)


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
        calls = ToolCallAssembler()
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
                for choice in getattr(chunk, "choices", None) or ():  # a usage chunk has none
                    if getattr(choice, "index", 0) not in (0, None):
                        continue  # only one reply is asked for (n=1)
                    if getattr(choice, "finish_reason", None):
                        calls.finish_reason = choice.finish_reason
                    delta = getattr(choice, "delta", None)
                    if delta is None:
                        continue
                    text = getattr(delta, "content", None) or getattr(delta, "refusal", None)
                    if text:
                        started = True
                        yield TextDelta(text)
                    for part in getattr(delta, "tool_calls", None) or ():
                        started = True
                        calls.add(part)
            for call in calls.complete():
                yield call
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
        schema = summary_schema(fields, closed=True)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": SUMMARY_INSTRUCTIONS},
                         {"role": "user", "content": transcript_text(transcript)}],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "call_summary", "strict": True, "schema": schema}},
        }
        if self.user:
            request["user"] = self.user
        try:
            # Its own client, closed here: a summary runs on a short-lived loop (a Celery task's async_to_sync),
            # and a pooled client left behind would try to close its connections after that loop has gone.
            async with AsyncOpenAI(api_key=self.api_key, base_url=self.base_url or None, max_retries=2,
                                   timeout=self.summary_timeout) as client:
                completion = await client.chat.completions.create(**request)
            return summary_from(json.loads(completion.choices[0].message.content or ""), fields)
        except openai.APIError as exc:
            raise ProviderError(f"OpenAI summary failed: {type(exc).__name__}: {exc}") from exc
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ProviderError(f"OpenAI summary was not the JSON asked for: {exc}") from exc


class ToolCallAssembler:
    """Tool-call deltas of one streamed reply, joined into complete calls in the order they were opened.

    A delta belongs to the call with its `id`; else to the call open at its `index`; with neither, to the last
    call. A new `id` (Ollama reuses index 0 for every call of a parallel batch) or a second function name
    (Gemini sends no index) opens a new call once the current one's arguments are complete JSON. Sources:
    https://platform.openai.com/docs/api-reference/chat-streaming, ollama/ollama#7881 and #15457,
    open-webui/computer#224 (Gemini), llama.cpp `common_chat_msg_diff_to_json_oaicompat`.
    """

    def __init__(self) -> None:
        self.slots: list[dict[str, str]] = []
        self.by_index: dict[int, dict[str, str]] = {}
        self.by_id: dict[str, dict[str, str]] = {}
        self.finish_reason = ""
        self._stream = uuid.uuid4().hex[:12]
        self._numbers = itertools.count()

    def add(self, part: Any) -> None:
        """One entry of `delta.tool_calls` (the SDK's object; any field may be missing)."""
        index = getattr(part, "index", None)
        call_id = getattr(part, "id", None) or ""
        function = getattr(part, "function", None)
        name = (getattr(function, "name", None) or "") if function is not None else ""
        arguments = (getattr(function, "arguments", None) or "") if function is not None else ""
        slot = self.by_id.get(call_id) if call_id else None
        if slot is None:
            current = self.by_index.get(index) if index is not None else (self.slots[-1] if self.slots else None)
            slot = current if current is not None and not _opens_new(current, call_id, name) else None
        if slot is None:
            slot = {"id": "", "name": "", "arguments": ""}
            self.slots.append(slot)
        if index is not None:
            self.by_index[index] = slot
        if call_id and not slot["id"]:
            slot["id"] = call_id
            self.by_id[call_id] = slot
        slot["name"] = slot["name"] or name
        slot["arguments"] += arguments

    def complete(self) -> list[ToolCall]:
        """The calls to run. A call cut off by `finish_reason: "length"` or without a name is dropped (logged)."""
        out = []
        for slot in self.slots:
            if not slot["id"]:
                slot["id"] = f"call_{self._stream}_{next(self._numbers)}"
            try:
                arguments: Any = json.loads(slot["arguments"] or "{}")
            except ValueError:
                if self.finish_reason == "length":
                    log.warning("OpenAI: tool call %r cut off by the length limit; dropped", slot["name"])
                    continue
                arguments = {UNPARSED: slot["arguments"]}
            if not slot["name"]:
                log.warning("OpenAI: a tool call without a function name was dropped: %r", slot)
                continue
            if not isinstance(arguments, dict):
                arguments = {UNPARSED: slot["arguments"]}
            out.append(ToolCall(id=slot["id"], name=slot["name"], arguments=arguments))
        return out


def _opens_new(current: dict[str, str], call_id: str, name: str) -> bool:
    """Whether a delta with this id/name starts another call rather than continuing `current`."""
    other_id = bool(call_id and current["id"] and call_id != current["id"])
    other_name = bool(name and current["name"])
    if not (other_id or other_name):
        return False
    if other_name and not current["arguments"].strip():
        return True  # a call with no arguments, then the next call
    try:
        json.loads(current["arguments"])
    except ValueError:
        return False  # still inside the current call's arguments (LM Studio repeats ids on fragments)
    return True


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    return str(body.get("message") or exc.message)[:200]
