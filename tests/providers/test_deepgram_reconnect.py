"""A dropped Deepgram socket is reopened once; audio Deepgram had not finalized is replayed, none is lost."""
from __future__ import annotations

import pytest

from tests.emulators.mulaw import silence, speech
from voice.providers.base import ProviderError, Transcript

from .speech import heard_until, speak


def final(event) -> bool:
    return isinstance(event, Transcript) and event.is_final and bool(event.text)


async def test_a_dropped_socket_is_reopened_and_the_unfinalized_audio_replayed(stt, deepgram):
    deepgram.utterances.extend(["Hello there.", "Book me for Tuesday."])
    deepgram.faults.arm("close_mid_stream", after=75)  # 1.5 s into the call: mid second utterance
    stream = await stt.open()
    first = speech(0.6) + silence(0.6)
    await speak(stream, first)
    heard = [e for e in await heard_until(stream, final) if final(e)]
    acked = int(heard[0].end * 8000)  # Deepgram's final covers the call's audio up to here

    second = speech(0.6, seed=3)
    await speak(stream, second)
    await deepgram.recorder.wait_for("fault")
    meanwhile = silence(0.6)
    await speak(stream, meanwhile)
    heard += [e for e in await heard_until(stream, final) if final(e)]
    await stream.close()

    assert [e.text for e in heard] == ["Hello there.", "Book me for Tuesday."]
    assert stream.reconnects == 1 and len(deepgram.connections) == 2
    sent = first + second + meanwhile
    assert bytes(deepgram.connections[1].audio) == sent[acked:]  # in order, nothing lost, nothing twice
    assert heard[1].words[0]["start"] == pytest.approx(len(first) / 8000, abs=0.03)  # still the call's clock


async def test_a_second_drop_ends_the_stream_with_a_provider_error(stt, deepgram):
    deepgram.faults.arm("close_mid_stream", after=10, times=2)
    stream = await stt.open()
    await speak(stream, speech(0.5))

    with pytest.raises(ProviderError, match="dropped again"):
        await heard_until(stream, lambda e: False)
    await deepgram.recorder.wait_for("connected", lambda c: c["index"] == 1)
    await stream.close()
