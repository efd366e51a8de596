"""Mid-call failover: one layer's providers in order, the call moved to the next one when the current one fails.

`build_providers` wraps a layer in these when its setting lists more than one provider (`VOICE_LLM=openai,anthropic`).
Each wrapper keeps the layer's contract, so the session does not know a switch happened; it only hears of it
through `on_switch(record)` (saved on the call and shown on its page). A failure is any exception from the current
provider (`ProviderError` for the vendor adapters); only when the last provider fails too does the error reach
the session, which then apologises and hangs up as before.

What each layer does with the call's state on a switch:
- LLM: the reply is asked again of the next provider with the same messages; text the caller was already given
  is not said twice (the new reply's opening words that repeat it are skipped; a reply that diverges is spoken
  whole). A tool call is only ever yielded complete, so none is lost or doubled.
- TTS: the next provider gets a new stream with the unspoken rest of the current piece (the words whose audio
  had not arrived: from the vendor's word timestamps, else estimated at 0.4 s a word, rounding so a word is
  repeated rather than skipped), then the pieces after it; one boundary per piece is kept, so marks stay true.
- STT (`failover_stt.py`): the next provider's stream is opened and the audio not yet covered by a final
  transcript is replayed into it (up to 30 s); its timestamps are moved onto the call's clock. The switch counts as
  served once the replay is sent (for LLM and TTS: their first text or audio).
A provider that failed is marked in `health` so new calls start on another one for the cool-down.
Ideas from LiveKit Agents' FallbackAdapter and Pipecat's ServiceSwitcher; the replay and the re-speaking are ours.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from time import monotonic
from typing import Any

from . import health
from .base import (
    AudioChunk,
    LLMEvent,
    TextDelta,
)

log = logging.getLogger(__name__)

BYTES_PER_SECOND = 8000  # mu-law 8 kHz
SECONDS_PER_WORD = 0.4  # speech rate assumed when a TTS gives no word timestamps
CLOSE_S = 1.0  # closing a failed provider's stream never holds up the switch longer

OnSwitch = Callable[[dict[str, Any]], None]


class Chain:
    """One layer's providers for one call, in the order to try them; built lazily, current one by index."""

    def __init__(self, layer: str, names: list[str], build: Callable[[str], Any], on_switch: OnSwitch | None,
                 call_id: int = 0) -> None:
        self.layer, self.names, self.build, self.call_id = layer, names, build, call_id
        self.on_switch = on_switch or (lambda record: None)
        self.index = 0
        self.pending: dict[str, Any] | None = None  # the last switch, until its provider first serves
        self._built: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return self.names[self.index]

    def current(self) -> Any:
        name = self.name
        if name not in self._built:
            self._built[name] = self.build(name)
        return self._built[name]

    def fail(self, exc: BaseException) -> dict[str, Any] | None:
        """The current provider failed: mark it, move on. Returns the switch record, or None when none is left."""
        why = (str(exc) or type(exc).__name__)[:300]
        health.mark_failed(self.layer, self.name, why)
        if self.index + 1 >= len(self.names):
            log.warning("call %s: %s %s failed (%s); no provider left", self.call_id, self.layer, self.name, why)
            return None
        record = {"layer": self.layer, "from": self.name, "to": self.names[self.index + 1], "why": why,
                  "at": datetime.now(UTC).isoformat(timespec="milliseconds"), "served_ms": None,
                  "t": monotonic()}
        log.warning("call %s: %s %s failed (%s); moving the call to %s", self.call_id, self.layer, record["from"],
                    why, record["to"])
        self.index += 1
        self.pending = record
        self.on_switch(record)
        return record

    def served(self) -> None:
        """The current provider delivered output (text, audio, a transcript): the first time after a switch, how
        long the switch took, seen from the call (the reply it happened in may have been cancelled meanwhile)."""
        record, self.pending = self.pending, None
        if record is not None:
            record["served_ms"] = round((monotonic() - record["t"]) * 1000)
            self.on_switch(record)

    async def aclose(self) -> None:
        for provider in self._built.values():
            close = getattr(provider, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()


# --- LLM --------------------------------------------------------------------------------------------------------
class FailoverLLM:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    async def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        said = ""  # text of this reply already given to the session
        while True:
            inner = self.chain.current().stream(messages, tools)
            repeat = said  # the new reply's words that repeat it are not said again
            heard = ""
            try:
                async for event in inner:
                    self.chain.served()
                    if isinstance(event, TextDelta) and repeat:
                        heard += event.text
                        rest = beyond(repeat, heard)
                        if rest is None:
                            continue
                        repeat = ""
                        if not rest:
                            continue
                        event = TextDelta(rest)
                    if isinstance(event, TextDelta):
                        said += event.text
                    yield event
                return
            except Exception as exc:
                if self.chain.fail(exc) is None:
                    raise
            finally:
                aclose = getattr(inner, "aclose", None)
                if aclose is not None:
                    with contextlib.suppress(Exception):
                        await aclose()

    async def summarize(self, transcript: list[dict[str, str]], fields: list[dict[str, str]]) -> Any:
        while True:
            try:
                return await self.chain.current().summarize(transcript, fields)
            except Exception as exc:
                if self.chain.fail(exc) is None:
                    raise

    async def close(self) -> None:
        await self.chain.aclose()


def beyond(said: str, heard: str) -> str | None:
    """What `heard` adds after repeating `said` (whitespace aside): None while it is still repeating it; all of
    `heard` when it diverges."""
    target = "".join(said.split())
    i = 0
    for j, ch in enumerate(heard):
        if ch.isspace():
            continue
        if i == len(target):
            k = j
            while k > 0 and heard[k - 1].isspace():
                k -= 1
            return heard[k:]
        if ch != target[i]:
            return " " + heard.lstrip()
        i += 1
    return None if i < len(target) else ""


# --- TTS --------------------------------------------------------------------------------------------------------
class FailoverTTS:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain

    async def open(self, voice: str) -> FailoverTTSStream:
        while True:
            try:
                inner = await self.chain.current().open(voice)
                return FailoverTTSStream(self.chain, voice, inner)
            except Exception as exc:
                if self.chain.fail(exc) is None:
                    raise

    async def close(self) -> None:
        await self.chain.aclose()


class FailoverTTSStream:
    """One reply's TTS stream, moved to the next provider with the unspoken text when the current one fails."""

    def __init__(self, chain: Chain, voice: str, inner: Any) -> None:
        self.chain, self.voice, self.inner = chain, voice, inner
        self.pieces: list[str] = []
        self.done_pieces = 0  # pieces whose audio has fully arrived (boundaries seen)
        self.piece_bytes = 0  # audio of the current piece so far
        self.piece_words = 0  # timestamped words of the current piece so far
        self.ended = False
        self.cancelled = False
        self._owed_boundaries = 0  # pieces whose audio was all in before the switch
        self._lock = asyncio.Lock()

    async def push(self, text: str) -> None:
        self.pieces.append(text)
        if self._lock.locked():
            return  # a switch is under way: it gives the next provider every piece pushed meanwhile
        inner = self.inner
        try:
            await inner.push(text)
        except Exception as exc:
            await self._switch(inner, exc)

    async def end(self) -> None:
        self.ended = True
        if self._lock.locked():
            return  # the switch under way ends the next provider's stream
        inner = self.inner
        try:
            await inner.end()
        except Exception as exc:
            await self._switch(inner, exc)

    async def cancel(self) -> None:
        self.cancelled = True
        await self.inner.cancel()

    async def audio(self) -> AsyncIterator[AudioChunk]:
        while True:
            inner = self.inner
            while self._owed_boundaries:  # pieces all said before a switch: their marks go out now, in order
                self._owed_boundaries -= 1
                yield AudioChunk(b"", boundary=True)
            try:
                async for chunk in inner.audio():
                    if inner is not self.inner:
                        break  # switched while this one was still talking: its audio is no longer wanted
                    if chunk.audio:
                        self.chain.served()
                    self.piece_bytes += len(chunk.audio)
                    self.piece_words += len(chunk.words)
                    if chunk.boundary:
                        self.done_pieces += 1
                        self.piece_bytes = self.piece_words = 0
                    yield chunk
            except Exception as exc:
                if self.cancelled:
                    return
                await self._switch(inner, exc)
                continue
            if self.cancelled or inner is self.inner:
                return

    def _unspoken(self) -> list[str]:
        """The text still to be spoken: the rest of the current piece, then the pieces after it."""
        pending = self.pieces[self.done_pieces:]
        if not pending:
            return []
        words = pending[0].split()
        said = self.piece_words or int(self.piece_bytes / BYTES_PER_SECOND / SECONDS_PER_WORD)
        return [" ".join(words[min(said, len(words)):]), *pending[1:]]

    async def _switch(self, failed: Any, exc: Exception) -> None:
        async with self._lock:
            if failed is not self.inner or self.cancelled:
                return
            unspoken, known = self._unspoken(), len(self.pieces)
            owed = 1 if unspoken and not unspoken[0].strip() else 0  # the current piece was all said
            unspoken = unspoken[owed:]
            while True:
                if self.chain.fail(exc) is None:
                    raise exc
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(failed.cancel(), timeout=CLOSE_S)
                inner = None
                try:
                    inner = await self.chain.current().open(self.voice)
                    for piece in unspoken:
                        await inner.push(piece)
                    sent = known
                    while sent < len(self.pieces):  # pushed while the switch was under way
                        sent += 1
                        await inner.push(self.pieces[sent - 1])
                    if self.ended:
                        await inner.end()
                except Exception as again:
                    failed, exc = inner or failed, again
                    continue
                self.done_pieces += owed
                self._owed_boundaries += owed
                self.piece_bytes = self.piece_words = 0
                self.inner = inner
                return
