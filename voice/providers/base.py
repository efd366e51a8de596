"""The small contracts every speech and language vendor is adapted to (see docs/architecture.md).

Real adapters (deepgram.py, openai_llm.py, cartesia.py) and the rehearsal ones (voice/sim/) implement
these; `CallSession` only ever talks to these types. Audio is always mu-law 8 kHz mono bytes.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class ProviderError(Exception):
    """A vendor stream failed (socket dropped, refused, timed out, malformed): the call must end gracefully."""


async def drain(queue: asyncio.Queue[T | ProviderError | None]) -> AsyncIterator[T]:
    """What an adapter put on a stream's output `queue`, in order, until None (the stream ended); a ProviderError
    put on it is raised here, where the session reads (`STTStream.events()`, `TTSStream.audio()`)."""
    while True:
        item = await queue.get()
        if item is None:
            return
        if isinstance(item, ProviderError):
            raise item
        yield item


# --- speech to text -------------------------------------------------------------------------


@dataclass(frozen=True)
class Transcript:
    text: str
    is_final: bool
    speech_final: bool
    start: float = 0.0  # seconds since the stream opened
    end: float = 0.0
    confidence: float = 1.0
    words: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class SpeechStarted:
    timestamp: float


@dataclass(frozen=True)
class UtteranceEnd:
    last_word_end: float


STTEvent = Transcript | SpeechStarted | UtteranceEnd


class STTStream(Protocol):
    """One call's live recognition stream."""

    async def send(self, audio: bytes) -> None: ...

    def events(self) -> AsyncIterator[STTEvent]: ...

    async def keep_alive(self) -> None:
        """Called while the agent talks and the caller is silent, so the vendor does not hang up."""

    async def finalize(self) -> None:
        """End of turn: flush what was heard so far into a final transcript."""

    async def close(self) -> None: ...


class STT(Protocol):
    async def open(self) -> STTStream: ...


# --- language model -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


LLMEvent = TextDelta | ToolCall


@dataclass
class CallSummary:
    summary: str
    extracted: dict[str, Any] = field(default_factory=dict)


class LLM(Protocol):
    def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        """Stream one reply. Cancelling the consuming task (or `aclose()`) stops the vendor stream."""

    async def summarize(self, transcript: list[dict[str, str]], fields: list[dict[str, str]]) -> CallSummary:
        """Post-call: a short summary and the script's qualification fields."""


# --- text to speech -------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioChunk:
    audio: bytes  # mu-law 8 kHz
    words: tuple[dict[str, Any], ...] = ()  # word timestamps, when the vendor offers them
    # True on the last chunk of the audio for one pushed piece of text (the chunk's audio may be empty).
    # The session puts a Twilio `mark` there, which is how it knows which sentences the caller heard;
    # an adapter that never sets it makes every piece count as heard only when the whole reply was.
    boundary: bool = False


class TTSStream(Protocol):
    """One agent reply: text is pushed sentence by sentence, audio streams back in order."""

    async def push(self, text: str) -> None: ...

    async def end(self) -> None:
        """No more text for this reply."""

    def audio(self) -> AsyncIterator[AudioChunk]: ...

    async def cancel(self) -> None:
        """Barge-in: stop generating; audio that still arrives must be dropped by the caller."""


class TTS(Protocol):
    async def open(self, voice: str) -> TTSStream: ...


# --- per-call context -----------------------------------------------------------------------


@dataclass
class CallContext:
    """What a provider may need to know about the call it serves (read once when the session starts)."""

    call_id: int
    call_sid: str = ""
    stream_sid: str = ""
    lead: dict[str, Any] = field(default_factory=dict)  # first_name, last_name, company, timezone, attributes…
    script: dict[str, Any] = field(default_factory=dict)  # ScriptVersion fields: instructions, opening_line…
    campaign: dict[str, Any] = field(default_factory=dict)  # id, slug, name, max_call_seconds…
    custom_parameters: dict[str, str] = field(default_factory=dict)  # from Twilio's <Stream><Parameter>
    meeting: dict[str, Any] = field(default_factory=dict)  # reminder/follow-up calls: campaigns.kinds.meeting_facts
