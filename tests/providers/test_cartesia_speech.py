"""Cartesia TTS through the cartesia SDK against the Cartesia emulator: one context per reply, mu-law 8 kHz."""
from __future__ import annotations

from tests.emulators.cartesia import spoken
from voice.providers.base import AudioChunk


async def speak_reply(tts, *sentences: str) -> list[AudioChunk]:
    reply = await tts.open("voice-1")
    for sentence in sentences:
        await reply.push(sentence)
    await reply.end()
    return [chunk async for chunk in reply.audio()]


async def test_a_reply_is_one_context_continued_sentence_by_sentence(tts, cartesia):
    await speak_reply(tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    [(context_id, requests)] = cartesia.contexts().items()
    assert context_id.startswith("call7-")
    assert [(r["transcript"], r["continue"]) for r in requests] == [
        ("Hi Pat, this is Parley. ", True), ("Do you have a minute? ", True), ("", False)]
    first = requests[0]
    assert first["output_format"] == {"container": "raw", "encoding": "pcm_mulaw", "sample_rate": 8000}
    assert (first["model_id"], first["voice"], first["add_timestamps"]) == ("sonic-2", {"id": "voice-1"}, True)
    handshake = cartesia.recorder.of("handshake")[0]
    assert handshake["headers"]["authorization"] == "Bearer emulator-key"
    assert handshake["headers"]["cartesia-version"]


async def test_the_audio_is_the_raw_mulaw_cartesia_sent_in_order(tts, cartesia):
    chunks = await speak_reply(tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    assert b"".join(c.audio for c in chunks) == spoken(5, 0.3) + spoken(5, 0.3)


async def test_each_sentence_ends_at_a_boundary_carrying_its_word_timestamps(tts, cartesia):
    chunks = await speak_reply(tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    boundaries = [i for i, c in enumerate(chunks) if c.boundary]
    assert len(boundaries) == 2 and boundaries[-1] == len(chunks) - 1
    first_sentence = chunks[: boundaries[0] + 1]
    assert b"".join(c.audio for c in first_sentence) == spoken(5, 0.3)
    words = [w["word"] for c in chunks for w in c.words]
    assert words == ["Hi", "Pat,", "this", "is", "Parley.", "Do", "you", "have", "a", "minute?"]
    assert chunks[0].words[0] == {"word": "Hi", "start": 0.0, "end": 0.3}


async def test_every_reply_of_the_call_shares_one_warm_socket(tts, cartesia):
    await speak_reply(tts, "First reply.")
    await speak_reply(tts, "Second reply.")

    assert cartesia.recorder.count("connected") == 1
    assert len(cartesia.contexts()) == 2


async def test_a_socket_left_idle_is_closed_and_the_next_reply_reopens_it(tts, cartesia):
    tts.idle_close_after = 0.05
    await speak_reply(tts, "First reply.")
    await cartesia.recorder.wait_for("disconnected")

    chunks = await speak_reply(tts, "Second reply.")

    assert b"".join(c.audio for c in chunks) == spoken(2, 0.3)
    assert cartesia.recorder.count("connected") == 2


async def test_closing_the_call_closes_its_socket(tts, cartesia):
    await speak_reply(tts, "Goodbye.")
    await tts.close()

    await cartesia.recorder.wait_for("disconnected")
