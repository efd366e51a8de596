"""Barge-in cancels the reply's context at the TTS vendor (Cartesia, ElevenLabs): its audio stops before it is
done and nothing late is played."""
from __future__ import annotations

from tests.emulators.cartesia import spoken

LONG = "This is a long answer that keeps going on and on about pricing, plans and every feature we offer."


async def test_cancel_stops_the_context_before_its_audio_is_done(tts_vendor):
    tts_vendor.emulator.realtime_factor = 1.0
    reply = await tts_vendor.tts.open("voice-1")
    await reply.push(LONG)
    async for _ in reply.audio():
        await reply.cancel()

    cancelled = await tts_vendor.emulator.recorder.wait_for(tts_vendor.cancelled)
    assert cancelled["context_id"] == reply.context_id
    assert cancelled["chunks"] < len(LONG.split()) * 3
    if tts_vendor.finished is not None:
        assert tts_vendor.emulator.recorder.count(tts_vendor.finished) == 0


async def test_no_audio_is_yielded_after_cancel(tts_vendor):
    reply = await tts_vendor.tts.open("voice-1")
    await reply.push(LONG)
    await reply.end()
    got = []
    async for chunk in reply.audio():
        got.append(chunk)
        if len(got) == 2:
            await reply.cancel()

    assert len(got) == 2


async def test_the_next_reply_speaks_normally_after_a_cancel(tts_vendor):
    first = await tts_vendor.tts.open("voice-1")
    await first.push(LONG)
    await first.cancel()
    second = await tts_vendor.tts.open("voice-1")
    await second.push("Sorry, go ahead.")
    await second.end()

    audio = b"".join([c.audio async for c in second.audio()])
    assert audio == spoken(3, 0.3)
