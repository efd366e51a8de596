"""Deepgram live transcription through deepgram-sdk against the Deepgram emulator."""
from __future__ import annotations

from tests.emulators.mulaw import silence, speech
from voice.providers.base import SpeechStarted, Transcript, UtteranceEnd

from .speech import heard_until, speak


def is_final(event) -> bool:
    return isinstance(event, Transcript) and event.is_final and bool(event.text)


async def test_it_opens_nova3_on_mulaw_8khz_with_the_api_key(stt, deepgram):
    stream = await stt.open()
    await stream.close()

    handshake = deepgram.recorder.of("handshake")[0]
    assert handshake["path"] == "/v1/listen"
    assert handshake["headers"]["authorization"] == "Token emulator-key"
    assert handshake["query"] | {"tag": None} == {
        "model": "nova-3", "encoding": "mulaw", "sample_rate": "8000", "interim_results": "true",
        "endpointing": "300", "utterance_end_ms": "1000", "vad_events": "true", "smart_format": "true", "tag": None,
    }
    assert handshake["tags"] == ["parley-call-7", "CA7"]


async def test_caller_speech_becomes_speech_started_interims_a_final_and_utterance_end(stt, deepgram):
    deepgram.utterances.append("Tuesday at ten works for me.")
    stream = await stt.open()

    await speak(stream, speech(1.6) + silence(0.5))
    events = await heard_until(stream, is_final)
    await speak(stream, silence(1.0))
    events += await heard_until(stream, lambda e: isinstance(e, UtteranceEnd))
    await stream.close()

    assert isinstance(events[0], SpeechStarted)
    interims = [e for e in events if isinstance(e, Transcript) and not e.is_final]
    assert interims and all("Tuesday at ten works for me.".startswith(e.text) for e in interims)
    final = next(e for e in events if is_final(e))
    assert (final.text, final.speech_final) == ("Tuesday at ten works for me.", True)
    assert [w["word"] for w in final.words] == ["Tuesday", "at", "ten", "works", "for", "me."]
    assert 0 <= final.words[0]["start"] < final.words[-1]["end"] <= 1.7
    assert events[-1].last_word_end == final.words[-1]["end"]


async def test_finalize_turns_the_words_heard_so_far_into_a_final(stt, deepgram):
    deepgram.utterances.append("I think so")
    stream = await stt.open()

    await speak(stream, speech(0.8))
    await stream.finalize()
    events = await heard_until(stream, is_final)
    await stream.close()

    assert (events[-1].text, events[-1].is_final, events[-1].speech_final) == ("I think so", True, False)
    assert deepgram.recorder.of("control")[0]["type"] == "Finalize"


async def test_keep_alive_finalize_and_close_stream_reach_deepgram_and_end_the_events(stt, deepgram):
    stream = await stt.open()
    await stream.keep_alive()
    await stream.finalize()
    await stream.close()

    assert [e async for e in stream.events() if isinstance(e, Transcript) and e.text] == []
    assert [c["type"] for c in deepgram.recorder.of("control")] == ["KeepAlive", "Finalize", "CloseStream"]
    closed = await deepgram.recorder.wait_for("closed")
    assert closed["by"] == "close_stream"
