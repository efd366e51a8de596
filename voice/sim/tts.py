"""Rehearsal text-to-speech: speech-shaped mu-law audio of the right length for each pushed piece of text,
after the vendor's first-byte latency; every piece's audio ends with a `boundary` chunk, as adapters must mark.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from voice.providers.base import AudioChunk, CallContext
from voice.sim import speech
from voice.sim.latency import EmulatedLatency

CHUNK_BYTES = 1600  # 200 ms of audio per chunk, as streaming vendors send


class LocalTTSStream:
    def __init__(self, latency: EmulatedLatency, voice_index: int = 0) -> None:
        self.latency = latency
        self.voice_index = voice_index
        self._texts: asyncio.Queue[str | None] = asyncio.Queue()
        self._cancelled = False

    async def push(self, text: str) -> None:
        if not self._cancelled:
            self._texts.put_nowait(text)

    async def end(self) -> None:
        self._texts.put_nowait(None)

    async def cancel(self) -> None:
        self._cancelled = True
        self._texts.put_nowait(None)

    async def audio(self) -> AsyncIterator[AudioChunk]:
        first = True
        while not self._cancelled:
            text = await self._texts.get()
            if text is None or self._cancelled:
                return
            if first:
                await asyncio.sleep(self.latency.tts_first_byte_ms / 1000)
                first = False
            audio, timings = speech.render(text, self.voice_index)
            words = tuple({"word": w, "start": s / 1000, "end": e / 1000} for w, s, e in timings)
            for i in range(0, len(audio), CHUNK_BYTES):
                if self._cancelled:
                    return
                last = i + CHUNK_BYTES >= len(audio)
                yield AudioChunk(audio[i : i + CHUNK_BYTES], words=words if i == 0 else (), boundary=last)


class LocalTTS:
    def __init__(self, latency: EmulatedLatency) -> None:
        self.latency = latency

    @classmethod
    def for_call(cls, context: CallContext) -> LocalTTS:
        return cls(EmulatedLatency.current())

    async def open(self, voice: str) -> LocalTTSStream:
        return LocalTTSStream(self.latency)
