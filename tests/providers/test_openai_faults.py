"""Each fault an OpenAI-compatible server can show becomes a ProviderError, so the call can end gracefully."""
from __future__ import annotations

import pytest

from tests.emulators.openai_chat import Reply
from voice.providers.base import ProviderError, ToolCall
from voice.tool_arguments import UNPARSED

MESSAGES = [{"role": "user", "content": "Hello?"}]


async def drain(llm):
    return [e async for e in llm.stream(MESSAGES, [])]


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_request_raises_a_provider_error_without_retrying(llm, openai_server, fault, status):
    openai_server.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await drain(llm)
    assert openai_server.recorder.count("request") == 1


async def test_no_first_token_in_time_raises_and_abandons_the_request(llm, openai_server):
    openai_server.faults.arm("never_answer")
    llm.first_token_timeout = 0.3
    with pytest.raises(ProviderError, match="no answer"):
        await drain(llm)
    await openai_server.recorder.wait_for("client_closed")


async def test_a_slow_first_token_counts_against_the_same_deadline(llm, openai_server):
    openai_server.first_token_delay = 1.0
    llm.first_token_timeout = 0.3
    with pytest.raises(ProviderError, match="first token"):
        await drain(llm)


async def test_a_stream_closed_mid_reply_raises(llm, openai_server):
    openai_server.replies.append(Reply(text="one two three four five six"))
    openai_server.faults.arm("close_mid_stream", after=3)
    with pytest.raises(ProviderError, match="stream failed"):
        await drain(llm)


async def test_a_malformed_chunk_raises(llm, openai_server):
    openai_server.replies.append(Reply(text="one two three four five six"))
    openai_server.faults.arm("malformed", after=2)
    with pytest.raises(ProviderError, match="malformed"):
        await drain(llm)


async def test_a_wrong_api_key_raises(llm, openai_server):
    llm.api_key = "not-the-key"
    with pytest.raises(ProviderError, match="401"):
        await drain(llm)


async def test_tool_arguments_that_are_not_json_reach_the_tool_runner_marked_unparsed(llm, openai_server):
    """Not the end of the call: the tool runner tells the model its arguments were not JSON (tests/agent)."""
    openai_server.replies.append(Reply(tool_calls=[{"id": "call_x", "name": "book_meeting",
                                                    "arguments": '{"rep_id": 1'}]))
    assert [e async for e in llm.stream(MESSAGES, [])] == [
        ToolCall(id="call_x", name="book_meeting", arguments={UNPARSED: '{"rep_id": 1'})]
