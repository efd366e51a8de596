"""ElevenLabs TTS through the elevenlabs SDK against the multi-context emulator: one context per reply, ulaw_8000."""
from __future__ import annotations

from tests.emulators.cartesia import spoken
from voice.providers.base import AudioChunk


async def speak_reply(tts, *sentences: str, voice: str = "voice-1") -> list[AudioChunk]:
    reply = await tts.open(voice)
    for sentence in sentences:
        await reply.push(sentence)
    await reply.end()
    return [chunk async for chunk in reply.audio()]


async def test_a_reply_is_one_context_each_sentence_flushed_and_closed_at_the_end(eleven_tts, elevenlabs):
    await speak_reply(eleven_tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    [(context_id, messages)] = elevenlabs.contexts().items()
    assert context_id.startswith("call7-")
    assert [{k: v for k, v in m.items() if k != "context_id"} for m in messages] == [
        {"text": " "},
        {"text": "Hi Pat, this is Parley. ", "flush": True},
        {"text": "Do you have a minute? ", "flush": True},
        {"close_context": True},
    ]
    handshake = elevenlabs.recorder.of("handshake")[-1]
    assert handshake["path"] == "/v1/text-to-speech/voice-1/multi-stream-input"
    assert handshake["query"]["output_format"] == "ulaw_8000"
    assert handshake["query"]["model_id"] == "eleven_flash_v2_5"
    assert handshake["headers"]["xi-api-key"] == "emulator-key"


async def test_the_audio_is_the_mulaw_elevenlabs_sent_in_order(eleven_tts, elevenlabs):
    chunks = await speak_reply(eleven_tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    assert b"".join(c.audio for c in chunks) == spoken(5, 0.3) + spoken(5, 0.3)
    assert await elevenlabs.recorder.wait_for("final")


async def test_each_sentence_ends_at_a_boundary_and_words_come_from_the_alignment(eleven_tts, elevenlabs):
    chunks = await speak_reply(eleven_tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    boundaries = [i for i, c in enumerate(chunks) if c.boundary]
    assert len(boundaries) == 2
    assert b"".join(c.audio for c in chunks[: boundaries[0] + 1]) == spoken(5, 0.3)
    words = [w["word"] for c in chunks for w in c.words]
    assert words == ["Hi", "Pat,", "this", "is", "Parley.", "Do", "you", "have", "a", "minute?"]
    starts = [w["start"] for c in chunks for w in c.words]
    assert starts == sorted(starts) and starts[5] >= 1.5  # the second sentence starts after the first's audio


async def test_every_reply_of_the_call_shares_one_warm_socket(eleven_tts, elevenlabs):
    await speak_reply(eleven_tts, "First reply.")
    await speak_reply(eleven_tts, "Second reply.")

    assert elevenlabs.recorder.count("connected") == 1
    assert len(elevenlabs.contexts()) == 2


async def test_another_voice_opens_its_own_socket(eleven_tts, elevenlabs):
    await speak_reply(eleven_tts, "First reply.")
    await speak_reply(eleven_tts, "Second reply.", voice="voice-2")

    assert [c["voice_id"] for c in elevenlabs.recorder.of("connected")] == ["voice-1", "voice-2"]


async def test_closing_the_call_closes_its_socket(eleven_tts, elevenlabs):
    await speak_reply(eleven_tts, "Goodbye.")
    await eleven_tts.close()

    await elevenlabs.recorder.wait_for("disconnected")
    assert {"close_socket": True} in elevenlabs.recorder.of("message")
