"""Every recorded stream shape of the major OpenAI-compatible servers, served through the real `openai` SDK.

Each file in stream_shapes/ names its server and the documentation or issue it was written from, the events as
that server sends them, and what the adapter must yield: the text to speak and the complete tool calls.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.emulators.openai_chat import Reply
from voice.providers.base import TextDelta, ToolCall

SHAPES = sorted((Path(__file__).parent / "stream_shapes").glob("*.json"))
MESSAGES = [{"role": "system", "content": "Book a meeting."}, {"role": "user", "content": "Tuesday works."}]


def _load(path: Path) -> dict:
    shape = json.loads(path.read_text())
    assert shape["source"] and shape["server"] and shape["events"][-1] == "[DONE]"
    return shape


@pytest.mark.parametrize("path", SHAPES, ids=[p.stem for p in SHAPES])
async def test_the_adapter_speaks_the_text_and_assembles_the_calls(llm, openai_server, path):
    shape = _load(path)
    openai_server.replies.append(Reply(events=shape["events"]))

    events = [e async for e in llm.stream(MESSAGES, [])]

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == shape["expect"]["text"]
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.arguments) for c in calls] == [
        (c["name"], c["arguments"]) for c in shape["expect"]["tool_calls"]]
    for call, expected in zip(calls, shape["expect"]["tool_calls"], strict=True):
        assert call.id == (expected["id"] or call.id) and call.id
    assert len({c.id for c in calls}) == len(calls)
    assert all(isinstance(e, TextDelta) for e in events[: len(events) - len(calls)])  # calls come last


async def test_synthesised_ids_differ_from_one_reply_to_the_next(llm, openai_server):
    shape = _load(Path(__file__).parent / "stream_shapes" / "tool_calls_without_ids.json")
    openai_server.replies.extend([Reply(events=shape["events"]), Reply(events=shape["events"])])

    first = [e.id async for e in llm.stream(MESSAGES, []) if isinstance(e, ToolCall)]
    second = [e.id async for e in llm.stream(MESSAGES, []) if isinstance(e, ToolCall)]

    assert len(set(first + second)) == 4 and all(i.startswith("call_") for i in first + second)


def test_the_corpus_covers_every_server_named_in_the_adapter():
    servers = " ".join(_load(p)["server"] for p in SHAPES)
    for name in ("OpenAI", "vLLM", "Ollama", "llama.cpp", "Gemini"):
        assert name in servers
