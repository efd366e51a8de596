"""Rehearsal speech-to-text: the simulated callee's words (from `voice.sim.captions`), released as the matching
audio arrives, with the vendor's latency emulated on the audio clock (interim per word, final after speech end).
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from voice.audio import FRAME_MS
from voice.providers.base import CallContext, SpeechStarted, STTEvent, Transcript, UtteranceEnd
from voice.sim import captions
from voice.sim.latency import EmulatedLatency


class RehearsalSTTStream:
    def __init__(self, call_sid: str, latency: EmulatedLatency) -> None:
        self.call_sid = call_sid
        self.latency = latency
        self.frames = 0
        self._events: asyncio.Queue[STTEvent | None] = asyncio.Queue()
        self._pending: deque[dict] = deque()
        self._current: dict | None = None
        self._emitted = 0  # words of the current caption already released as interim
        self._started = False
        self._next_due = 1 << 62  # frame count at which something is due; checked on every frame
        self._listener = asyncio.create_task(self._listen()) if call_sid else None

    async def _listen(self) -> None:
        async for caption in captions.subscribe(self.call_sid):
            self._pending.append(caption)
            self._schedule()
            self._advance()

    def _schedule(self) -> None:
        if self._current is None and self._pending:
            self._current, self._emitted, self._started = self._pending.popleft(), 0, False
        c = self._current
        if c is None:
            self._next_due = 1 << 62
            return
        base = c["start_chunk"] - 1
        words = c["words"]
        if not self._started:
            ms = words[0][1]
        elif self._emitted < len(words):
            ms = words[self._emitted][2] + self.latency.stt_interim_ms
        else:
            ms = words[-1][2] + self.latency.stt_final_ms
        self._next_due = base + -(-ms // FRAME_MS)

    async def send(self, audio: bytes) -> None:
        self.frames += 1
        if self.frames >= self._next_due:
            self._advance()

    def _advance(self) -> None:
        while self._current is not None and self.frames >= self._next_due:
            c = self._current
            words = c["words"]
            base_s = (c["start_chunk"] - 1) * FRAME_MS / 1000
            if not self._started:
                self._started = True
                self._events.put_nowait(SpeechStarted(base_s + words[0][1] / 1000))
            elif self._emitted < len(words):
                heard_ms = (self.frames - c["start_chunk"] + 1) * FRAME_MS - self.latency.stt_interim_ms
                while self._emitted < len(words) and words[self._emitted][2] <= heard_ms:
                    self._emitted += 1
                self._events.put_nowait(self._transcript(c, self._emitted, final=False))
            else:
                self._events.put_nowait(self._transcript(c, len(words), final=True))
                self._events.put_nowait(UtteranceEnd(base_s + words[-1][2] / 1000))
                self._current = None
            self._schedule()

    def _transcript(self, c: dict, n: int, final: bool) -> Transcript:
        words = c["words"][:n]
        base_s = (c["start_chunk"] - 1) * FRAME_MS / 1000
        return Transcript(
            text=" ".join(w[0] for w in words),
            is_final=final,
            speech_final=final,
            start=base_s + words[0][1] / 1000,
            end=base_s + words[-1][2] / 1000,
            words=tuple({"word": w[0], "start": base_s + w[1] / 1000, "end": base_s + w[2] / 1000} for w in words),
        )

    async def events(self) -> AsyncIterator[STTEvent]:
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    async def keep_alive(self) -> None:
        return None

    async def finalize(self) -> None:
        """As Deepgram's Finalize: the words of the current utterance whose audio has arrived come out as a final
        at once (then an end of utterance), without waiting for the emulated final latency."""
        c = self._current
        if c is None or not self._started:
            return
        words = c["words"]
        heard_ms = (self.frames - c["start_chunk"] + 1) * FRAME_MS
        n = sum(1 for w in words if w[2] <= heard_ms)
        if n == 0:
            return
        base_s = (c["start_chunk"] - 1) * FRAME_MS / 1000
        self._events.put_nowait(self._transcript(c, n, final=True))
        self._events.put_nowait(UtteranceEnd(base_s + words[n - 1][2] / 1000))
        if n < len(words):  # the rest of the utterance is still to come, as its own words
            self._current = {**c, "words": words[n:]}
            self._emitted = 0
        else:
            self._current = None
        self._schedule()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        self._events.put_nowait(None)


class RehearsalSTT:
    def __init__(self, call_sid: str, latency: EmulatedLatency) -> None:
        self.call_sid = call_sid
        self.latency = latency

    @classmethod
    def for_call(cls, context: CallContext) -> RehearsalSTT:
        return cls(context.call_sid, EmulatedLatency.current())

    async def open(self) -> RehearsalSTTStream:
        return RehearsalSTTStream(self.call_sid, self.latency)
