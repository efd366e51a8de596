"""OpenAI TTS through the openai SDK's streamed audio.speech against the emulator: 24 kHz PCM in, 8 kHz mu-law out,
one request per sentence, a boundary at each sentence's end; faults become ProviderError; barge-in closes the stream."""
from __future__ import annotations

import pytest

from tests.emulators.cartesia import spoken
from voice.audio import ULAW_TO_PCM
from voice.providers.base import AudioChunk, ProviderError

LONG = "This is a long answer that keeps going on and on about pricing, plans and every feature we offer."


def pcm(ulaw: bytes) -> list[int]:
    return [ULAW_TO_PCM[b] for b in ulaw]


async def speak_reply(tts, *sentences: str, voice: str = "") -> list[AudioChunk]:
    reply = await tts.open(voice)
    for sentence in sentences:
        await reply.push(sentence)
    await reply.end()
    return [chunk async for chunk in reply.audio()]


async def test_each_sentence_is_one_pcm_speech_request(openai_tts, openai_server):
    await speak_reply(openai_tts, "Hi Pat, this is Parley.", "Do you have a minute?", voice="nova")

    bodies = openai_server.speech.requests()
    assert [b["input"] for b in bodies] == ["Hi Pat, this is Parley.", "Do you have a minute?"]
    assert all((b["model"], b["voice"], b["response_format"]) == ("gpt-4o-mini-tts", "nova", "pcm") for b in bodies)
    headers = openai_server.speech.recorder.of("request")[0]["headers"]
    assert headers["authorization"] == "Bearer emulator-key"


async def test_the_24khz_pcm_arrives_as_8khz_mulaw_sentence_by_sentence(openai_tts, openai_server):
    chunks = await speak_reply(openai_tts, "Hi Pat, this is Parley.", "Do you have a minute?")

    boundaries = [i for i, c in enumerate(chunks) if c.boundary]
    assert len(boundaries) == 2 and boundaries[-1] == len(chunks) - 1
    first = b"".join(c.audio for c in chunks[: boundaries[0] + 1])
    assert pcm(first) == pcm(spoken(5, 0.3)[: len(first)]) and abs(len(first) - len(spoken(5, 0.3))) < 3
    assert all(len(c.audio) % 160 == 0 for c in chunks if not c.boundary)  # whole 20 ms frames while streaming


async def test_a_voice_that_is_not_an_openai_voice_falls_back_to_the_setting(openai_tts, openai_server):
    await speak_reply(openai_tts, "Hello.", voice="f786b574-daa5-4673-aa0c-cbe3e8534c02")

    assert openai_server.speech.requests()[0]["voice"] == "alloy"


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_request_raises_a_provider_error(openai_tts, openai_server, fault, status):
    openai_server.speech.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await speak_reply(openai_tts, "Hello there.")


async def test_a_tts_that_never_answers_raises_after_the_first_byte_timeout(openai_tts, openai_server):
    openai_server.speech.faults.arm("never_answer")
    openai_tts.first_byte_timeout = 0.3
    with pytest.raises(ProviderError, match="no audio"):
        await speak_reply(openai_tts, "Hello there.")


async def test_a_stream_closed_midway_raises(openai_tts, openai_server):
    openai_server.speech.faults.arm("close_mid_stream", after=2)
    with pytest.raises(ProviderError, match="dropped"):
        await speak_reply(openai_tts, LONG)


async def test_a_malformed_stream_raises(openai_tts, openai_server):
    openai_server.speech.faults.arm("malformed", after=1)
    with pytest.raises(ProviderError, match="malformed"):
        await speak_reply(openai_tts, LONG)


async def test_a_wrong_api_key_raises(openai_tts, openai_server):
    openai_tts.api_key = "not-the-key"
    with pytest.raises(ProviderError, match="401"):
        await speak_reply(openai_tts, "Hello there.")


async def test_cancel_closes_the_http_stream_and_nothing_late_is_yielded(openai_tts, openai_server):
    openai_server.speech.realtime_factor = 1.0
    reply = await openai_tts.open("")
    await reply.push(LONG)
    await reply.push("And another sentence.")
    got = []
    async for chunk in reply.audio():
        got.append(chunk)
        await reply.cancel()

    closed = await openai_server.speech.recorder.wait_for("client_closed")
    assert closed["input"] == LONG and closed["sent"] < closed["of"]
    assert len(got) == 1 and [b["input"] for b in openai_server.speech.requests()] == [LONG]
