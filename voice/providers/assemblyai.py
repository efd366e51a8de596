"""AssemblyAI Universal Streaming v3 speech-to-text through the `assemblyai` SDK's `AsyncStreamingClient`
(the `STT` contract).

One session per call on Twilio's audio as it is: `encoding=pcm_mulaw`, `sample_rate=8000`
(https://www.assemblyai.com/docs/api-reference/streaming-api/universal-streaming; message order:
https://www.assemblyai.com/docs/streaming/message-sequence). AssemblyAI accepts audio chunks of 50-1000 ms only,
so Twilio's 20 ms frames are gathered into 100 ms chunks. `format_turns` is on, `session_heartbeat` too (so a
silent vendor is noticed while the caller is silent).

Turn events map to our transcripts: a `Turn` with `end_of_turn: false` is an interim `Transcript` of every word so
far (finalized or not); the end of a turn is final once it is formatted (`turn_is_formatted`), or, if the
formatted turn is late (`format_timeout`), the unformatted one is; that final carries `speech_final=True` and is
followed by an `UtteranceEnd` (the end-of-turn signal). `SpeechStarted` maps to ours. Word times (ms) become
seconds on the call's clock. `finalize()` sends `ForceEndpoint`.

The SDK reports failures through its `Error` handler rather than raising (refused handshake, close codes such as
3005/3007/1008, dropped socket) and drops frames that are not JSON with a warning; every one of these surfaces here
as a `ProviderError` from `events()` — a refusal, a drop or an error at once, and a vendor that stops answering
(no Begin, no message while audio flows, a ForceEndpoint unanswered) after its deadline.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from assemblyai.streaming.v3 import (
    AsyncStreamingClient,
    BeginEvent,
    SpeechStartedEvent,
    StreamingClientOptions,
    StreamingError,
    StreamingEvents,
    StreamingParameters,
    TurnEvent,
)
from django.conf import settings

from .base import CallContext, ProviderError, SpeechStarted, STTEvent, Transcript, UtteranceEnd, drain

log = logging.getLogger(__name__)

CHUNK_BYTES = 800  # 100 ms of mu-law 8 kHz: AssemblyAI takes 50-1000 ms per message
PRODUCTION_HOST = "streaming.assemblyai.com"


def api_host(base_url: str) -> str:
    """`ASSEMBLYAI_BASE_URL` (http(s)://host:port) as the SDK's `api_host` (it builds `<host>/v3/ws`)."""
    if not base_url:
        return PRODUCTION_HOST
    url = base_url.rstrip("/")
    return "ws" + url[len("http"):] if url.startswith("http") else url


class AssemblyAISTT:
    """Opens one streaming session per call."""

    connect_timeout = 3.0  # the handshake and the Begin message
    finalize_timeout = 1.5  # a ForceEndpoint unanswered this long means the vendor stopped answering
    stall_timeout = 3.0  # audio flowing this long with no message back (heartbeats included) means the same
    format_timeout = 0.4  # how long an unformatted end of turn waits for its formatted twin

    def __init__(self, *, api_key: str, base_url: str = "", speech_model: str = "universal-streaming-english",
                 keyterms: tuple[str, ...] = ()) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.speech_model = speech_model
        self.keyterms = keyterms

    @classmethod
    def for_call(cls, context: CallContext) -> AssemblyAISTT:
        """The lead's name and company are sent as `keyterms_prompt`, which AssemblyAI boosts."""
        lead = context.lead or {}
        terms = tuple(str(lead[k]) for k in ("first_name", "last_name", "company") if lead.get(k))
        return cls(api_key=settings.ASSEMBLYAI_API_KEY, base_url=settings.ASSEMBLYAI_BASE_URL,
                   speech_model=settings.ASSEMBLYAI_SPEECH_MODEL, keyterms=terms)

    def parameters(self) -> StreamingParameters:
        return StreamingParameters(
            sample_rate=8000, encoding="pcm_mulaw", speech_model=self.speech_model, format_turns=True,
            session_heartbeat=True, keyterms_prompt=list(self.keyterms) or None,
        )

    async def open(self) -> AssemblyAIStream:
        stream = AssemblyAIStream(self)
        await stream.start()
        return stream


class AssemblyAIStream:
    """One call's streaming session (the `STTStream` contract)."""

    def __init__(self, stt: AssemblyAISTT) -> None:
        self.stt = stt
        self.session_id = ""
        self._events: asyncio.Queue[STTEvent | ProviderError | None] = asyncio.Queue()
        self._client = AsyncStreamingClient(StreamingClientOptions(
            api_key=stt.api_key, api_host=api_host(stt.base_url), connect_timeout=stt.connect_timeout,
            max_connection_retries=0, terminate_timeout=1.0))
        self._begun = asyncio.Event()
        self._pending = bytearray()
        self._failed: ProviderError | None = None
        self._closing = False
        self._last_audio: float | None = None
        self._last_heard = time.monotonic()
        self._finalize_deadline: float | None = None
        self._unformatted: tuple[TurnEvent, float] | None = None  # an end of turn waiting for its formatted twin
        self._watch: asyncio.Task[None] | None = None
        for event, handler in ((StreamingEvents.Begin, self._on_begin), (StreamingEvents.Turn, self._on_turn),
                               (StreamingEvents.SpeechStarted, self._on_speech_started),
                               (StreamingEvents.Heartbeat, self._on_any), (StreamingEvents.Termination, self._on_any),
                               (StreamingEvents.Error, self._on_error)):
            self._client.on(event, handler)

    async def start(self) -> None:
        try:
            await self._client.connect(self.stt.parameters())
            if self._failed is None:
                await asyncio.wait_for(self._begun.wait(), self.stt.connect_timeout)
        except TimeoutError:
            self._failed = ProviderError(f"AssemblyAI: no Begin within {self.stt.connect_timeout:g} s")
        if self._failed is not None:
            await self._shutdown()
            raise self._failed
        self._watch = asyncio.create_task(self._watchdog())

    # --- the STTStream contract ---------------------------------------------------------------
    async def send(self, audio: bytes) -> None:
        """Never raises: the per-frame path must not break; a failure is raised once, from `events()`."""
        if self._failed is not None or self._closing or not audio:
            return
        self._pending.extend(audio)
        if self._last_audio is None:
            self._last_heard = time.monotonic()  # the stall clock starts with the first audio
        self._last_audio = time.monotonic()
        if len(self._pending) >= CHUNK_BYTES:
            chunk, self._pending = bytes(self._pending), bytearray()
            await self._client.stream(chunk)

    def events(self) -> AsyncIterator[STTEvent]:
        return drain(self._events)

    async def keep_alive(self) -> None:
        if self._failed is None and not self._closing:
            await self._client.keep_alive()

    async def finalize(self) -> None:
        """End of turn now: `ForceEndpoint` (after the audio still gathered, padded to a valid chunk)."""
        if self._failed is not None or self._closing:
            return
        if self._pending:
            chunk = bytes(self._pending).ljust(400, b"\xff")  # 50 ms at least: pad with mu-law silence
            self._pending = bytearray()
            await self._client.stream(chunk)
        if self._finalize_deadline is None:
            self._finalize_deadline = time.monotonic() + self.stt.finalize_timeout
        await self._client.force_endpoint()

    async def close(self) -> None:
        """`Terminate`, let AssemblyAI send its last turn and `Termination`, then close."""
        if self._closing:
            return
        self._closing = True
        if self._watch is not None:
            self._watch.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._client.disconnect(terminate=self._failed is None), timeout=2.0)
        self._flush_unformatted()
        self._events.put_nowait(None)

    # --- SDK handlers -------------------------------------------------------------------------
    def _on_any(self, client: Any, event: Any) -> None:
        self._last_heard = time.monotonic()

    def _on_begin(self, client: Any, event: BeginEvent) -> None:
        self._last_heard = time.monotonic()
        self.session_id = event.id
        self._begun.set()

    def _on_speech_started(self, client: Any, event: SpeechStartedEvent) -> None:
        self._last_heard = time.monotonic()
        self._events.put_nowait(SpeechStarted(timestamp=event.timestamp / 1000))

    def _on_turn(self, client: Any, event: TurnEvent) -> None:
        self._last_heard = time.monotonic()
        if not event.end_of_turn:
            words = [w.text for w in event.words]
            if words:
                self._events.put_nowait(_transcript(event, " ".join(words), final=False))
            return
        self._finalize_deadline = None
        if event.turn_is_formatted:
            self._unformatted = None
            self._final(event)
        else:
            self._flush_unformatted()
            self._unformatted = (event, time.monotonic())

    def _on_error(self, client: Any, error: StreamingError) -> None:
        if self._closing:
            return
        code = getattr(error, "code", None)
        self._fail(ProviderError(f"AssemblyAI: {error}" + (f" (code {code})" if code else "")))

    # --- internals ----------------------------------------------------------------------------
    def _final(self, event: TurnEvent) -> None:
        self._events.put_nowait(_transcript(event, event.transcript, final=True))
        end = max((w.end for w in event.words), default=0) / 1000
        self._events.put_nowait(UtteranceEnd(last_word_end=end))

    def _flush_unformatted(self) -> None:
        if self._unformatted is not None:
            event, self._unformatted = self._unformatted[0], None
            self._final(event)

    async def _watchdog(self) -> None:
        while not self._closing and self._failed is None:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if self._unformatted is not None and now - self._unformatted[1] > self.stt.format_timeout:
                self._flush_unformatted()
            if self._finalize_deadline is not None and now > self._finalize_deadline:
                self._fail(ProviderError("AssemblyAI did not answer ForceEndpoint in time"))
            elif self._last_audio is not None and self._last_audio - self._last_heard > self.stt.stall_timeout:
                self._fail(ProviderError("AssemblyAI stopped answering while audio kept flowing"))

    def _fail(self, error: ProviderError) -> None:
        if self._failed is not None:
            return
        self._failed = error
        if not self._begun.is_set():
            self._begun.set()  # wake start(); it raises
            return
        log.warning("%s", error)
        self._events.put_nowait(error)
        asyncio.get_running_loop().create_task(self._shutdown())

    async def _shutdown(self) -> None:
        if self._watch is not None and self._watch is not asyncio.current_task():
            self._watch.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(self._client.disconnect(terminate=False), timeout=1.0)


def _transcript(event: TurnEvent, text: str, *, final: bool) -> Transcript:
    words = tuple({"word": w.text, "start": w.start / 1000, "end": w.end / 1000, "confidence": w.confidence}
                  for w in event.words)
    return Transcript(
        text=text, is_final=final, speech_final=final,
        start=words[0]["start"] if words else 0.0, end=words[-1]["end"] if words else 0.0,
        confidence=min((w["confidence"] for w in words), default=1.0), words=words,
    )
