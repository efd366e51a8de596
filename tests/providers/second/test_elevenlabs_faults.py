"""Each fault ElevenLabs can show becomes a ProviderError (so the call ends gracefully or fails over)."""
from __future__ import annotations

import pytest

from voice.providers.base import ProviderError


async def drain(tts):
    reply = await tts.open("voice-1")
    await reply.push("One two three four five six.")
    await reply.end()
    return [c async for c in reply.audio()]


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_socket_raises_a_provider_error(eleven_tts, elevenlabs, fault, status):
    await eleven_tts.close()  # drop the socket warmed when the call started
    elevenlabs.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await eleven_tts.open("voice-1")


async def test_an_elevenlabs_that_never_answers_raises_after_the_first_byte_timeout(eleven_tts, elevenlabs):
    elevenlabs.faults.arm("never_answer")
    eleven_tts.first_byte_timeout = 0.3
    with pytest.raises(ProviderError, match="no audio"):
        await drain(eleven_tts)


async def test_a_socket_closed_mid_reply_raises_and_the_next_reply_reconnects(eleven_tts, elevenlabs):
    elevenlabs.faults.arm("close_mid_stream", after=2)
    with pytest.raises(ProviderError, match="dropped"):
        await drain(eleven_tts)

    assert len(b"".join(c.audio for c in await drain(eleven_tts))) > 0
    assert elevenlabs.recorder.count("connected") == 2


async def test_a_malformed_message_raises(eleven_tts, elevenlabs):
    elevenlabs.faults.arm("malformed", after=1)
    with pytest.raises(ProviderError, match="malformed"):
        await drain(eleven_tts)


async def test_a_wrong_api_key_raises_naming_the_refusal(eleven_tts, elevenlabs):
    await eleven_tts.close()
    eleven_tts.api_key = "not-the-key"
    with pytest.raises(ProviderError, match="Invalid API key"):
        await drain(eleven_tts)
