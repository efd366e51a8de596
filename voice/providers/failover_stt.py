"""Mid-call failover of the speech-to-text layer (see voice/providers/failover.py): on a fault the next provider's
stream is opened and the audio no final transcript has covered yet is replayed into it, on the call's clock."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from .base import ProviderError, SpeechStarted, STTEvent, Transcript, UtteranceEnd
from .failover import BYTES_PER_SECOND, CLOSE_S, Chain

MAX_REPLAY_BYTES = 30 * BYTES_PER_SECOND
REPLAY_CHUNK = 3200


class FailoverSTT:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    async def open(self) -> FailoverSTTStream:
        stream = FailoverSTTStream(self.chain)
        stream.inner = await stream._open_next(None)
        self.chain.served()  # a switch at the call's start is served once the next stream is open
        return stream

    async def close(self) -> None:
        await self.chain.aclose()


class FailoverSTTStream:
    """One call's recognition stream; on a failure the next provider hears the audio not yet finalized."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.inner: Any = None
        self.closing = False
        self._buffer = bytearray()  # audio not yet covered by a final, from absolute byte offset _buffer_start
        self._buffer_start = 0
        self._base = 0  # absolute offset where the current stream's clock starts
        self._switching = False

    async def _open_next(self, exc: Exception | None) -> Any:
        while True:
            if exc is not None and self.chain.fail(exc) is None:
                raise exc
            try:
                return await self.chain.current().open()
            except Exception as again:
                exc = again

    async def send(self, audio: bytes) -> None:
        if self.closing or not audio:
            return
        self._buffer.extend(audio)
        overflow = len(self._buffer) - MAX_REPLAY_BYTES
        if overflow > 0:
            del self._buffer[:overflow]
            self._buffer_start += overflow
        if not self._switching:
            with contextlib.suppress(Exception):
                await self.inner.send(audio)

    async def events(self) -> AsyncIterator[STTEvent]:
        while True:
            inner = self.inner
            try:
                async for event in inner.events():
                    yield self._on_event(event)
                if self.closing:
                    return
                exc: Exception = ProviderError(f"{self.chain.name}: the recognition stream ended during the call")
            except Exception as failure:
                if self.closing:
                    return
                exc = failure
            await self._switch(inner, exc)

    def _on_event(self, event: STTEvent) -> STTEvent:
        offset = self._base / BYTES_PER_SECOND
        if isinstance(event, Transcript):
            if event.is_final:
                covered = self._base + int(event.end * BYTES_PER_SECOND)
                if covered > self._buffer_start:
                    del self._buffer[: covered - self._buffer_start]
                    self._buffer_start = covered
            if offset:
                words = tuple({**w, "start": w.get("start", 0) + offset, "end": w.get("end", 0) + offset}
                              for w in event.words)
                return replace(event, start=event.start + offset, end=event.end + offset, words=words)
        elif isinstance(event, SpeechStarted) and offset:
            return replace(event, timestamp=event.timestamp + offset)
        elif isinstance(event, UtteranceEnd) and offset:
            return replace(event, last_word_end=event.last_word_end + offset)
        return event

    async def _switch(self, failed: Any, exc: Exception) -> None:
        self._switching = True
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(failed.close(), timeout=CLOSE_S)
            while True:
                inner = await self._open_next(exc)
                try:
                    position = self._buffer_start
                    while position < self._buffer_start + len(self._buffer):
                        offset = max(0, position - self._buffer_start)
                        chunk = bytes(self._buffer[offset : offset + REPLAY_CHUNK])
                        await inner.send(chunk)
                        position = self._buffer_start + offset + len(chunk)
                except Exception as again:
                    exc = again
                    continue
                self._base = self._buffer_start
                self.inner = inner
                self.chain.served()  # listening again: everything the caller said since the last final is in
                return
        finally:
            self._switching = False

    async def keep_alive(self) -> None:
        keep_alive = getattr(self.inner, "keep_alive", None)
        if keep_alive is not None and not self._switching:
            await keep_alive()

    async def finalize(self) -> None:
        finalize = getattr(self.inner, "finalize", None)
        if finalize is not None and not self._switching:
            await finalize()

    async def close(self) -> None:
        self.closing = True
        if self.inner is not None:
            await self.inner.close()


