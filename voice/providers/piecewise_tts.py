"""The shape shared by the TTS streams that synthesise each pushed piece whole, then play it (local Piper, the
rehearsal voice): pieces queue until the reply ends or a barge-in cancels it, and each piece's audio goes out in
200 ms chunks, its last chunk a `boundary` as the `TTSStream` contract asks."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

from .base import AudioChunk

CHUNK_BYTES = 1600  # 200 ms of mu-law 8 kHz per chunk, as streaming vendors send


class PiecewiseTTSStream:
    """`push`/`end`/`cancel` of the `TTSStream` contract over a queue of pieces; subclasses write `audio()` with
    `pieces()` and `chunks()`."""

    def __init__(self) -> None:
        self._texts: asyncio.Queue[str | None] = asyncio.Queue()
        self.cancelled = False

    async def push(self, text: str) -> None:
        if not self.cancelled:
            self._texts.put_nowait(text)

    async def end(self) -> None:
        self._texts.put_nowait(None)

    async def cancel(self) -> None:
        self.cancelled = True
        self._texts.put_nowait(None)

    async def pieces(self) -> AsyncIterator[str]:
        """The pushed pieces in order, until the reply ends or is cancelled."""
        while not self.cancelled:
            text = await self._texts.get()
            if text is None or self.cancelled:
                return
            yield text

    def chunks(self, audio: bytes, words: tuple = (), boundary: bool = True) -> Iterator[AudioChunk]:
        """`audio` (mu-law 8 kHz) in CHUNK_BYTES chunks, `words` on the first, until cancelled; with `boundary` the
        last chunk is marked (an empty boundary chunk when there is no audio)."""
        for i in range(0, len(audio), CHUNK_BYTES):
            if self.cancelled:
                return
            last = boundary and i + CHUNK_BYTES >= len(audio)
            yield AudioChunk(audio[i : i + CHUNK_BYTES], words=words if i == 0 else (), boundary=last)
        if boundary and not audio:
            yield AudioChunk(b"", boundary=True)
