"""The `anthropic` SDK against the Messages API emulator: text and tool use arrive as the OpenAI adapter's events."""
from __future__ import annotations

import json

import pytest

from tests.emulators.anthropic_messages import AnthropicEmulator
from tests.emulators.openai_chat import Reply
from voice.providers.anthropic_llm import CONNECTED, NOTE_PREFIX, AnthropicLLM
from voice.providers.base import CallContext, TextDelta, ToolCall
from voice.tools import TOOL_SCHEMAS

KEY = "emulator-key"


@pytest.fixture
def claude(settings, anthropic_server) -> AnthropicLLM:
    settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL = KEY, anthropic_server.url
    return AnthropicLLM.for_call(CallContext(call_id=7))


async def collect(llm, messages, tools=TOOL_SCHEMAS):
    return [event async for event in llm.stream(messages, tools)]


HISTORY = [
    {"role": "system", "content": "You are Riley."},
    {"role": "assistant", "content": "Hi, this is Riley, an AI assistant."},
    {"role": "user", "content": "Do you have time Tuesday?"},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "check_availability", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"slots": []}'},
    {"role": "system", "content": "The caller asked not to be called again."},
    {"role": "user", "content": "Please stop calling."},
]


async def test_text_and_a_tool_call_stream_as_the_session_expects(claude, anthropic_server):
    anthropic_server.replies.append(Reply(text="Let me check the calendar.", tool_calls=[
        {"name": "book_meeting", "arguments": {"slot_start": "2026-12-01T15:00:00Z", "rep_id": 3}}]))

    events = await collect(claude, HISTORY)

    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert text == "Let me check the calendar."
    assert len(calls) == 1 and calls[0].name == "book_meeting" and calls[0].id.startswith("toolu_")
    assert calls[0].arguments == {"slot_start": "2026-12-01T15:00:00Z", "rep_id": 3}
    assert isinstance(events[-1], ToolCall)  # complete, after the text


async def test_the_request_is_a_valid_messages_api_body_with_the_call_history(claude, anthropic_server):
    await collect(claude, HISTORY)

    [request] = anthropic_server.recorder.of("request")
    body, headers = request["body"], request["headers"]
    assert request["errors"] == []
    assert headers["anthropic-version"] and headers.get("authorization") == f"Bearer {KEY}"
    assert body["stream"] is True and body["max_tokens"] == 400 and body["model"] == "claude-haiku-4-5"
    assert body["system"] == "You are Riley." and body["metadata"] == {"user_id": "parley-call-7"}
    assert {t["name"] for t in body["tools"]} == {t["function"]["name"] for t in TOOL_SCHEMAS}
    assert all(t["input_schema"]["type"] == "object" for t in body["tools"])
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    assert body["messages"][0]["content"] == [{"type": "text", "text": CONNECTED}]
    tool_use = body["messages"][3]["content"][0]
    assert tool_use == {"type": "tool_use", "id": "call_1", "name": "check_availability", "input": {}}
    last = body["messages"][4]["content"]
    assert last[0] == {"type": "tool_result", "tool_use_id": "call_1", "content": '{"slots": []}'}
    assert last[1]["text"].startswith(NOTE_PREFIX) and last[2]["text"] == "Please stop calling."


async def test_the_emulator_refuses_a_wrong_key_and_a_bad_body_as_the_api_does():
    import httpx

    async with AnthropicEmulator(api_key=KEY) as emulator, httpx.AsyncClient(base_url=emulator.url) as http:
        no_key = await http.post("/v1/messages", json={})
        headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
        no_version = await http.post("/v1/messages", json={}, headers={"x-api-key": KEY})
        bad = await http.post("/v1/messages", headers=headers, json={
            "model": "claude-haiku-4-5", "max_tokens": 10,
            "messages": [{"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "x",
                                                            "input": {}}]},
                         {"role": "user", "content": "hi"}]})
        good = await http.post("/v1/messages", headers=headers, json={
            "model": "claude-haiku-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]})

    assert no_key.status_code == 401 and no_key.json()["error"]["type"] == "authentication_error"
    assert no_version.status_code == 400
    assert bad.status_code == 400 and "tool_result" in bad.json()["error"]["message"]
    assert "first message must use the user role" in bad.json()["error"]["message"]
    assert good.status_code == 200 and good.json()["content"] == [{"type": "text", "text": "Okay."}]


async def test_input_that_is_not_json_reaches_the_tool_runner_as_unparsed(claude, anthropic_server):
    anthropic_server.replies.append(Reply(tool_calls=[{"name": "end_call", "arguments": '{"outcome": "conv'}]))

    [call] = [e for e in await collect(claude, HISTORY) if isinstance(e, ToolCall)]

    assert call.name == "end_call" and list(call.arguments.values()) == ['{"outcome": "conv']


async def test_the_summary_is_a_forced_tool_call_with_the_qualification_fields(claude, anthropic_server):
    transcript = [{"speaker": "agent", "text": "How many seats do you need?"},
                  {"speaker": "caller", "text": "About forty."}]

    summary = await claude.summarize(transcript, [{"field": "seats", "question": "How many seats do you need?"}])

    body = anthropic_server.requests()[-1]
    assert body["tool_choice"] == {"type": "tool", "name": "call_summary"} and "stream" not in body
    assert summary.summary and summary.extracted == {"seats": "About forty."}
    assert json.dumps(summary.extracted)
