"""AssemblyAI Universal Streaming v3 through the assemblyai SDK against the emulator: mu-law 8 kHz in 100 ms chunks,
Turn events mapped to interim and final transcripts and the end of turn; every fault becomes a ProviderError."""
from __future__ import annotations

import asyncio

import pytest

from tests.emulators.mulaw import frames, silence, speech
from voice.providers.base import ProviderError, SpeechStarted, Transcript, UtteranceEnd

from ..speech import heard_until, speak


def is_final(event) -> bool:
    return isinstance(event, Transcript) and event.is_final


async def test_it_opens_a_v3_session_on_mulaw_8khz_with_the_api_key(aai_stt, assemblyai):
    stream = await aai_stt.open()
    await stream.close()

    handshake = assemblyai.recorder.of("handshake")[0]
    assert handshake["path"] == "/v3/ws"
    assert handshake["headers"]["authorization"] == "emulator-key"
    query = handshake["query"]
    assert (query["encoding"], query["sample_rate"], query["speech_model"]) == (
        "pcm_mulaw", "8000", "universal-streaming-english")
    assert query["format_turns"] == "True" and query["keyterms_prompt"] == '["Pat", "Acme"]'
    assert stream.session_id == assemblyai.sessions[0].id
    assert {"type": "Terminate"} in [{"type": c["type"]} for c in assemblyai.recorder.of("control")]


async def test_a_turn_becomes_speech_started_interims_then_one_formatted_final_and_the_end_of_turn(aai_stt, assemblyai):
    assemblyai.utterances.append("Tuesday at ten works for me.")
    stream = await aai_stt.open()

    await speak(stream, speech(1.6) + silence(0.6))
    events = await heard_until(stream, lambda e: isinstance(e, UtteranceEnd))
    await stream.close()

    assert isinstance(events[0], SpeechStarted)
    interims = [e for e in events if isinstance(e, Transcript) and not e.is_final]
    assert interims and all("tuesday at ten works for me".startswith(e.text) for e in interims)
    [final] = [e for e in events if is_final(e)]
    assert (final.text, final.speech_final) == ("Tuesday at ten works for me.", True)  # the formatted turn
    assert final.words[0]["word"] == "Tuesday" and 0 <= final.words[0]["start"] < final.end <= 2.2
    assert all(0.05 <= c["ms"] / 1000 <= 1 for c in assemblyai.recorder.of("refused_chunk")) is True
    assert not assemblyai.recorder.of("refused_chunk")  # 20 ms frames were gathered into valid chunks


async def test_the_unformatted_end_of_turn_is_final_when_the_formatted_one_is_late(aai_stt, assemblyai):
    assemblyai.utterances.append("Yes please.")
    assemblyai.format_delay = 1.0
    aai_stt.format_timeout = 0.2
    stream = await aai_stt.open()

    await speak(stream, speech(0.8) + silence(0.6))
    events = await heard_until(stream, is_final)
    await stream.close()

    assert events[-1].text == "yes please"


async def test_finalize_ends_the_turn_at_once_with_force_endpoint(aai_stt, assemblyai):
    assemblyai.utterances.append("I think so.")
    stream = await aai_stt.open()

    await speak(stream, speech(1.0))
    await stream.finalize()
    events = await heard_until(stream, is_final)
    await stream.close()

    assert events[-1].text == "I think so."
    assert "ForceEndpoint" in [c["type"] for c in assemblyai.recorder.of("control")]


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_session_raises_a_provider_error(aai_stt, assemblyai, fault, status):
    assemblyai.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await aai_stt.open()


async def test_a_wrong_api_key_raises(aai_stt, assemblyai):
    aai_stt.api_key = "not-the-key"
    with pytest.raises(ProviderError, match="401"):
        await aai_stt.open()


async def test_an_assemblyai_that_never_answers_raises(aai_stt, assemblyai):
    assemblyai.faults.arm("never_answer")
    aai_stt.connect_timeout = 0.3
    with pytest.raises(ProviderError, match="no Begin"):
        await aai_stt.open()


async def test_a_session_that_goes_silent_while_audio_flows_raises(aai_stt, assemblyai):
    assemblyai.heartbeat_every = 3600  # no heartbeats: nothing comes back while the caller is silent
    aai_stt.stall_timeout = 0.3
    stream = await aai_stt.open()

    async def caller_line():  # audio at the pace a phone line delivers it
        for frame in frames(silence(3.0)):
            await stream.send(frame)
            await asyncio.sleep(0.02)

    line = asyncio.create_task(caller_line())
    with pytest.raises(ProviderError, match="stopped answering"):
        await heard_until(stream, is_final, timeout=3)
    line.cancel()
    await stream.close()


async def test_heartbeats_keep_a_silent_caller_s_session_alive(aai_stt, assemblyai):
    assemblyai.heartbeat_every = 0.1
    aai_stt.stall_timeout = 0.3
    assemblyai.utterances.append("Still here.")
    stream = await aai_stt.open()

    for frame in frames(silence(1.0)):
        await stream.send(frame)
        await asyncio.sleep(0.02)
    await speak(stream, speech(0.8) + silence(0.6))
    events = await heard_until(stream, is_final)
    await stream.close()

    assert events[-1].text == "Still here."


async def test_a_socket_closed_mid_turn_raises(aai_stt, assemblyai):
    assemblyai.utterances.append("One two three four five six.")
    assemblyai.faults.arm("close_mid_stream", after=1)
    stream = await aai_stt.open()
    with pytest.raises(ProviderError, match="AssemblyAI"):
        await speak(stream, speech(2.0) + silence(0.6))
        await heard_until(stream, is_final, timeout=3)
    await stream.close()


async def test_a_malformed_message_is_dropped_and_the_turn_still_ends(aai_stt, assemblyai):
    assemblyai.utterances.append("One two three four five six.")
    assemblyai.faults.arm("malformed", after=1)
    stream = await aai_stt.open()

    await speak(stream, speech(2.0) + silence(0.6))
    events = await heard_until(stream, is_final)
    await stream.close()

    assert events[-1].text == "One two three four five six."
    assert assemblyai.recorder.of("fault")[0]["kind"] == "malformed"
