"""Each fault Deepgram can show becomes a ProviderError, so the call can end gracefully."""
from __future__ import annotations

import pytest

from tests.emulators.mulaw import speech
from voice.providers.base import ProviderError

from .speech import heard_until, speak


@pytest.mark.parametrize("fault, status", [("reject_429", "429"), ("reject_503", "503")])
async def test_a_refused_connection_raises_a_provider_error(stt, deepgram, fault, status):
    deepgram.faults.arm(fault)
    with pytest.raises(ProviderError, match=status):
        await stt.open()


async def test_a_wrong_api_key_raises_a_provider_error(stt, deepgram):
    stt.api_key = "not-the-key"
    with pytest.raises(ProviderError, match="401"):
        await stt.open()
    assert deepgram.recorder.of("refused")[0]["status"] == 401


async def test_a_deepgram_that_never_answers_fails_the_stream_at_finalize(stt, deepgram):
    deepgram.faults.arm("never_answer")
    stt.finalize_timeout = 0.3
    stream = await stt.open()
    await speak(stream, speech(0.8))
    await stream.finalize()

    with pytest.raises(ProviderError, match="Finalize"):
        await heard_until(stream, lambda e: False)
    await stream.close()


async def test_a_malformed_message_fails_the_stream(stt, deepgram):
    deepgram.faults.arm("malformed", after=5)
    stream = await stt.open()
    await speak(stream, speech(0.5))

    with pytest.raises(ProviderError, match="malformed"):
        await heard_until(stream, lambda e: False)
    await stream.close()


async def test_audio_sent_after_a_failure_is_dropped_quietly_the_error_having_been_raised(stt, deepgram):
    deepgram.faults.arm("malformed", after=1)
    stream = await stt.open()
    await speak(stream, speech(0.1))
    with pytest.raises(ProviderError):
        await heard_until(stream, lambda e: False)

    await stream.send(speech(0.02))  # the caller's next frame does not break the media handler
    await stream.close()
    assert deepgram.connections[0].audio_bytes == 160 * 5
