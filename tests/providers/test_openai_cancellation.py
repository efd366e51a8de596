"""Barge-in cancels the reply: the HTTP stream is closed and the emulator sees the client go."""
from __future__ import annotations

import asyncio

from tests.emulators.openai_chat import Reply

LONG = Reply(text=" ".join(f"word{i}" for i in range(200)))
MESSAGES = [{"role": "user", "content": "Tell me everything."}]


async def test_closing_the_stream_early_closes_the_vendor_stream(llm, openai_server):
    openai_server.replies.append(LONG)
    openai_server.token_rate = 100

    stream = llm.stream(MESSAGES, [])
    first = [await anext(stream) for _ in range(3)]
    await stream.aclose()

    gone = await openai_server.recorder.wait_for("client_closed")
    assert [d.text for d in first] == ["word0", " word1", " word2"]
    assert gone["sent"] < gone["of"] == 200
    assert openai_server.recorder.count("completed") == 0


async def test_cancelling_the_consuming_task_closes_the_vendor_stream(llm, openai_server):
    openai_server.replies.append(LONG)
    openai_server.token_rate = 100
    received = asyncio.Event()

    async def consume():
        async for _ in llm.stream(MESSAGES, []):
            received.set()

    task = asyncio.create_task(consume())
    await received.wait()
    task.cancel()

    gone = await openai_server.recorder.wait_for("client_closed")
    assert gone["sent"] < gone["of"]
    assert task.cancelled()


async def test_the_next_reply_streams_normally_after_a_cancellation(llm, openai_server):
    openai_server.replies.extend([LONG, Reply(text="Sure.")])
    stream = llm.stream(MESSAGES, [])
    await anext(stream)
    await stream.aclose()

    assert "".join([d.text async for d in llm.stream(MESSAGES, [])]) == "Sure."
