"""Streamed chat completions through the openai SDK against the OpenAI-compatible emulator."""
from __future__ import annotations

from tests.emulators.openai_chat import Reply
from voice.providers.base import TextDelta, ToolCall

TOOLS = [
    {"type": "function", "function": {"name": "check_availability", "parameters": {
        "type": "object", "properties": {"after": {"type": "string"}}}}},
    {"type": "function", "function": {"name": "book_meeting", "parameters": {
        "type": "object", "properties": {"rep_id": {"type": "integer"}, "start": {"type": "string"}}}}},
]
MESSAGES = [{"role": "system", "content": "Book a meeting."}, {"role": "user", "content": "Tuesday works."}]


async def test_text_streams_as_deltas_that_join_into_the_reply(llm, openai_server):
    openai_server.replies.append(Reply(text="Great, I can do Tuesday at ten. Does that work?"))

    events = [e async for e in llm.stream(MESSAGES, TOOLS)]

    assert len(events) > 5 and all(isinstance(e, TextDelta) for e in events)
    assert "".join(e.text for e in events) == "Great, I can do Tuesday at ten. Does that work?"


async def test_tool_call_deltas_are_assembled_by_index_into_complete_calls(llm, openai_server):
    booking = {"rep_id": 3, "start": "2026-12-01T10:00:00-05:00", "note": "prefers \"mornings\", {braces}"}
    openai_server.replies.append(Reply(text="One moment.", tool_calls=[
        {"id": "call_a", "name": "check_availability", "arguments": {"after": "2026-12-01"}},
        {"id": "call_b", "name": "book_meeting", "arguments": booking},
    ]))

    events = [e async for e in llm.stream(MESSAGES, TOOLS)]

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "One moment."
    assert [e for e in events if isinstance(e, ToolCall)] == [
        ToolCall(id="call_a", name="check_availability", arguments={"after": "2026-12-01"}),
        ToolCall(id="call_b", name="book_meeting", arguments=booking),
    ]


async def test_the_request_carries_model_messages_tools_and_the_call(llm, openai_server):
    [_ async for _ in llm.stream(MESSAGES, TOOLS)]

    request = openai_server.recorder.of("request")[0]
    assert request["headers"]["authorization"] == "Bearer emulator-key"
    assert request["errors"] == []
    body = request["body"]
    assert (body["model"], body["stream"], body["messages"], body["tools"]) == ("gpt-4o-mini", True, MESSAGES, TOOLS)
    assert body["user"] == "parley-call-7"


async def test_every_call_on_the_loop_shares_one_warm_client(llm, vendor_settings):
    from voice.providers.base import CallContext
    from voice.providers.openai_llm import OpenAILLM

    other = OpenAILLM.for_call(CallContext(call_id=8))
    assert other.client() is llm.client()
