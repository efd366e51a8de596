"""Each fault a TTS vendor (Cartesia, ElevenLabs) can show becomes a ProviderError, so the call can end gracefully
or fail over."""
from __future__ import annotations

import pytest

from voice.providers.base import ProviderError


async def drain(tts):
    reply = await tts.open("voice-1")
    await reply.push("One two three four five six.")
    await reply.end()
    return [c async for c in reply.audio()]


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_socket_raises_a_provider_error(tts_vendor, fault, status):
    await tts_vendor.tts.close()  # drop the socket warmed when the call started
    tts_vendor.emulator.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await tts_vendor.tts.open("voice-1")


async def test_a_vendor_that_never_answers_raises_after_the_first_byte_timeout(tts_vendor):
    tts_vendor.emulator.faults.arm("never_answer")
    tts_vendor.tts.first_byte_timeout = 0.3
    with pytest.raises(ProviderError, match="no audio"):
        await drain(tts_vendor.tts)


async def test_a_socket_closed_mid_reply_raises_and_the_next_reply_reconnects(tts_vendor):
    tts_vendor.emulator.faults.arm("close_mid_stream", after=2)
    with pytest.raises(ProviderError, match="dropped"):
        await drain(tts_vendor.tts)

    assert len(b"".join(c.audio for c in await drain(tts_vendor.tts))) > 0
    assert tts_vendor.emulator.recorder.count("connected") == 2


async def test_a_malformed_message_raises(tts_vendor):
    tts_vendor.emulator.faults.arm("malformed", after=1)
    with pytest.raises(ProviderError, match="malformed"):
        await drain(tts_vendor.tts)


async def test_a_wrong_api_key_raises_naming_the_refusal(tts_vendor):
    """Cartesia refuses the handshake (401, raised by `open`); ElevenLabs closes the socket with its reason."""
    await tts_vendor.tts.close()
    tts_vendor.tts.api_key = "not-the-key"
    with pytest.raises(ProviderError, match=tts_vendor.wrong_key):
        await drain(tts_vendor.tts)
