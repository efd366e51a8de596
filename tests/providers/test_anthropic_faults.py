"""Every fault of the Messages API emulator becomes a prompt ProviderError; barge-in closes the stream."""
from __future__ import annotations

import asyncio
import time

import pytest

from tests.emulators.anthropic_messages import overloaded_mid_stream
from tests.emulators.openai_chat import Reply
from voice.providers.anthropic_llm import AnthropicLLM
from voice.providers.base import CallContext, ProviderError, TextDelta

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello?"}]


@pytest.fixture
def claude(settings, anthropic_server) -> AnthropicLLM:
    settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL = "emulator-key", anthropic_server.url
    llm = AnthropicLLM.for_call(CallContext(call_id=9))
    llm.first_token_timeout = 0.5
    return llm


async def drain(llm) -> list:
    return [event async for event in llm.stream(MESSAGES, [])]


@pytest.mark.parametrize("kind, says", [
    ("reject_429", "429"), ("reject_503", "503"), ("never_answer", "no answer within 0.5 s"),
    ("close_mid_stream", "stream failed"), ("malformed", "malformed"),
])
async def test_each_fault_raises_a_provider_error_naming_it(claude, anthropic_server, kind, says):
    anthropic_server.replies.append(Reply(text="One two three four five six."))
    anthropic_server.faults.arm(kind, after=2)
    started = time.monotonic()

    with pytest.raises(ProviderError, match=says):
        await drain(claude)

    assert time.monotonic() - started < 2.0
    assert anthropic_server.recorder.of("fault")[0]["kind"] == kind


async def test_an_error_event_mid_stream_is_a_provider_error(claude, anthropic_server):
    anthropic_server.replies.append(Reply(events=overloaded_mid_stream("Sure, ")))

    with pytest.raises(ProviderError, match="overloaded"):
        await drain(claude)


async def test_no_first_token_before_the_deadline_is_a_provider_error(claude, anthropic_server):
    anthropic_server.first_token_delay = 2.0

    with pytest.raises(ProviderError, match="no first token"):
        await drain(claude)


async def test_cancelling_the_reply_closes_the_vendor_stream(claude, anthropic_server):
    anthropic_server.replies.append(Reply(text=" ".join(["word"] * 200), token_rate=50))
    first = asyncio.Event()

    async def consume():
        async for event in claude.stream(MESSAGES, []):
            if isinstance(event, TextDelta):
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    closed = await anthropic_server.recorder.wait_for("client_closed", timeout=2)
    assert closed["sent"] < 200
