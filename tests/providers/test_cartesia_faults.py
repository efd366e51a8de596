"""Each fault Cartesia can show becomes a ProviderError, so the call can end gracefully."""
from __future__ import annotations

import pytest

from voice.providers.base import ProviderError


async def drain(tts):
    reply = await tts.open("voice-1")
    await reply.push("One two three four five six.")
    await reply.end()
    return [c async for c in reply.audio()]


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_socket_raises_a_provider_error(tts, cartesia, fault, status):
    await tts.close()  # drop the socket warmed when the call started
    cartesia.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await tts.open("voice-1")


async def test_a_cartesia_that_never_answers_raises_after_the_first_byte_timeout(tts, cartesia):
    cartesia.faults.arm("never_answer")
    tts.first_byte_timeout = 0.3
    with pytest.raises(ProviderError, match="no audio"):
        await drain(tts)


async def test_a_socket_closed_mid_reply_raises_and_the_next_reply_reconnects(tts, cartesia):
    cartesia.faults.arm("close_mid_stream", after=2)
    with pytest.raises(ProviderError, match="dropped"):
        await drain(tts)

    assert len(b"".join(c.audio for c in await drain(tts))) > 0
    assert cartesia.recorder.count("connected") == 2


async def test_a_malformed_message_raises(tts, cartesia):
    cartesia.faults.arm("malformed", after=1)
    with pytest.raises(ProviderError, match="malformed"):
        await drain(tts)


async def test_a_wrong_api_key_raises(tts, cartesia):
    await tts.close()
    tts.api_key = "not-the-key"
    with pytest.raises(ProviderError, match="401"):
        await tts.open("voice-1")
