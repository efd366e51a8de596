"""Rehearsal text-to-speech: each pushed piece of text as mu-law 8 kHz audio after the vendor's first-byte latency;
every piece's audio ends with a `boundary` chunk, as adapters must mark.

The voice is espeak-ng when it is installed (so rehearsal recordings can be listened to), else speech-shaped
audio of the right length (`voice.sim.speech`). `REHEARSAL_TTS_ENGINE`: "auto" (default), "espeak" or "synth".
"""
from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from functools import lru_cache

from django.conf import settings

from voice.audio import pcm_to_ulaw
from voice.providers.base import AudioChunk, CallContext
from voice.providers.piecewise_tts import PiecewiseTTSStream
from voice.sim import speech
from voice.sim.latency import EmulatedLatency

log = logging.getLogger(__name__)
ESPEAK_RATE = 22050


@lru_cache(maxsize=1)
def _espeak_path() -> str:
    return shutil.which("espeak-ng") or ""


def engine() -> str:
    choice = getattr(settings, "REHEARSAL_TTS_ENGINE", "auto")
    if choice == "auto":
        return "espeak" if _espeak_path() else "synth"
    return choice


def espeak(text: str) -> bytes:
    """espeak-ng's 22.05 kHz speech, low-passed and resampled to 8 kHz mu-law."""
    out = subprocess.run(
        [_espeak_path(), "--stdout", "-s", "165", "-v", "en-us", text], capture_output=True, timeout=10, check=True
    ).stdout
    pcm = out[44:]  # header of a streamed WAV; its size fields are placeholders
    samples = memoryview(pcm[: len(pcm) - len(pcm) % 2]).cast("h")
    n = len(samples)
    step = ESPEAK_RATE / 8000
    resampled = []
    for i in range(int(n / step) - 1):
        j = int(i * step)
        resampled.append((samples[j - 1 if j else 0] + 2 * samples[j] + samples[j + 1]) // 4)
    return pcm_to_ulaw(resampled)


class LocalTTSStream(PiecewiseTTSStream):
    def __init__(self, latency: EmulatedLatency, voice_index: int = 0) -> None:
        super().__init__()
        self.latency = latency
        self.voice_index = voice_index
        self.engine = engine()

    async def _render(self, text: str) -> tuple[bytes, tuple]:
        if self.engine == "espeak":
            try:
                return await asyncio.to_thread(espeak, text), ()
            except (OSError, subprocess.SubprocessError) as exc:
                log.warning("espeak-ng failed (%s); using speech-shaped audio", exc)
                self.engine = "synth"
        audio, timings = speech.render(text, self.voice_index)
        return audio, tuple({"word": w, "start": s / 1000, "end": e / 1000} for w, s, e in timings)

    async def audio(self) -> AsyncIterator[AudioChunk]:
        first = True
        async for text in self.pieces():
            started = time.perf_counter()
            audio, words = await self._render(text)
            if first:
                spent = time.perf_counter() - started
                await asyncio.sleep(max(0.0, self.latency.tts_first_byte_ms / 1000 - spent))
                first = False
            for chunk in self.chunks(audio, words):
                yield chunk
            if self.cancelled:
                return


class LocalTTS:
    def __init__(self, latency: EmulatedLatency) -> None:
        self.latency = latency

    @classmethod
    def for_call(cls, context: CallContext) -> LocalTTS:
        return cls(EmulatedLatency.current())

    async def open(self, voice: str) -> LocalTTSStream:
        return LocalTTSStream(self.latency)
