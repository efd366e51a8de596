"""The rehearsal voice: speech a listener can play back, each piece's audio closed by a boundary."""
import asyncio

import pytest

from voice.sim import tts
from voice.sim.latency import EmulatedLatency
from voice.turns import VoiceActivity

FAST = EmulatedLatency(tts_first_byte_ms=0)


def _speak(pieces: list[str]) -> list:
    async def run():
        stream = await tts.LocalTTS(FAST).open("")
        for piece in pieces:
            await stream.push(piece)
        await stream.end()
        return [chunk async for chunk in stream.audio()]

    return asyncio.run(run())


@pytest.mark.parametrize("engine", ["synth", pytest.param("espeak", marks=pytest.mark.skipif(
    not tts._espeak_path(), reason="espeak-ng is not installed"))])  # fmt: skip
def test_each_piece_is_speech_of_a_plausible_length_ending_on_a_boundary(engine, settings):
    settings.REHEARSAL_TTS_ENGINE = engine
    chunks = _speak(["Great,", "thanks for your time today."])
    assert sum(c.boundary for c in chunks) == 2 and chunks[-1].boundary
    audio = b"".join(c.audio for c in chunks)
    assert 1.0 < len(audio) / 8000 < 4.0
    vad = VoiceActivity()
    voiced = sum(vad.is_speech(audio[i : i + 160]) for i in range(0, len(audio) - 159, 160))
    assert voiced > 0.5 * len(audio) / 160 * 0.6
