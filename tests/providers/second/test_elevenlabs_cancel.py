"""Barge-in closes the reply's ElevenLabs context and nothing late is played."""
from __future__ import annotations

from tests.emulators.cartesia import spoken

LONG = "This is a long answer that keeps going on and on about pricing, plans and every feature we offer."


async def test_cancel_closes_the_context_before_its_audio_is_done(eleven_tts, elevenlabs):
    elevenlabs.realtime_factor = 1.0
    reply = await eleven_tts.open("voice-1")
    await reply.push(LONG)
    async for _ in reply.audio():
        await reply.cancel()

    closed = await elevenlabs.recorder.wait_for("close_context")
    assert closed["context_id"] == reply.context_id
    assert closed["chunks"] < len(LONG.split()) * 3


async def test_no_audio_is_yielded_after_cancel(eleven_tts, elevenlabs):
    reply = await eleven_tts.open("voice-1")
    await reply.push(LONG)
    got = []
    async for chunk in reply.audio():
        got.append(chunk)
        if len(got) == 2:
            await reply.cancel()

    assert len(got) == 2


async def test_the_next_reply_speaks_normally_after_a_cancel(eleven_tts, elevenlabs):
    first = await eleven_tts.open("voice-1")
    await first.push(LONG)
    await first.cancel()
    second = await eleven_tts.open("voice-1")
    await second.push("Sorry, go ahead.")
    await second.end()

    audio = b"".join([c.audio async for c in second.audio()])
    assert audio == spoken(3, 0.3)
