"""Deepgram live speech-to-text through deepgram-sdk's `AsyncDeepgramClient` (the `STT` contract).

One WebSocket per call: nova-3 on mu-law 8 kHz with interim results, endpointing, utterance-end and VAD events.
A dropped socket is reopened once; audio not yet covered by a final result is kept and replayed, so no words
are lost and timestamps stay on the call's clock. Every failure surfaces as `ProviderError` from `events()`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from deepgram import AsyncDeepgramClient
from deepgram.environment import DeepgramClientEnvironment
from deepgram.listen.v1.types import (
    ListenV1Error,
    ListenV1Results,
    ListenV1SpeechStarted,
    ListenV1UtteranceEnd,
)
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from .base import CallContext, ProviderError, SpeechStarted, STTEvent, Transcript, UtteranceEnd, drain
from .warm import client_for_loop

log = logging.getLogger(__name__)

BYTES_PER_SECOND = 8000  # mu-law, 8 kHz, mono
LIVE_OPTIONS: dict[str, Any] = {
    "model": "nova-3",
    "encoding": "mulaw",
    "sample_rate": 8000,
    "interim_results": "true",
    "endpointing": 300,
    "utterance_end_ms": 1000,
    "vad_events": "true",
    "smart_format": "true",
}
MAX_REPLAY_SECONDS = 30
REPLAY_CHUNK = 3200


def environment(base_url: str) -> DeepgramClientEnvironment:
    """`DEEPGRAM_BASE_URL` (http(s)://host:port) as the SDK's environment; the live socket uses ws(s)://."""
    if not base_url:
        return DeepgramClientEnvironment.PRODUCTION
    http = base_url.rstrip("/")
    ws = "ws" + http[len("http"):] if http.startswith("http") else http
    return DeepgramClientEnvironment(base=http, production=ws, agent=ws, agent_rest=http)


class DeepgramSTT:
    """Opens one live recognition stream per call; the SDK client is shared by every call on the loop."""

    connect_timeout = 3.0
    finalize_timeout = 1.5  # a Finalize unanswered this long means the vendor stopped answering
    stall_timeout = 2.5  # caller audio flowing this long with no message back means the same
    keep_alive_every = 5.0  # Deepgram closes a socket after 10 s without data

    def __init__(self, *, api_key: str, base_url: str = "", tags: tuple[str, ...] = (),
                 options: dict[str, Any] | None = None):
        self.api_key = api_key
        self.base_url = base_url
        self.options = {**LIVE_OPTIONS, **(options or {})}
        if tags:
            self.options["tag"] = list(tags)

    @classmethod
    def for_call(cls, context: CallContext) -> DeepgramSTT:
        """Tagged with our call id and Twilio's call sid, so usage on Deepgram's side can be traced to the call."""
        tags = (f"parley-call-{context.call_id}", *([context.call_sid] if context.call_sid else []))
        return cls(api_key=settings.DEEPGRAM_API_KEY, base_url=settings.DEEPGRAM_BASE_URL, tags=tags)

    def client(self) -> AsyncDeepgramClient:
        return client_for_loop(
            ("deepgram", self.api_key, self.base_url),
            lambda: AsyncDeepgramClient(api_key=self.api_key, environment=environment(self.base_url)),
        )

    async def open(self) -> DeepgramStream:
        stream = DeepgramStream(self)
        await stream.start()
        return stream


class DeepgramStream:
    """One call's live socket (the `STTStream` contract), reopened once if it drops."""

    def __init__(self, stt: DeepgramSTT) -> None:
        self.stt = stt
        self._events: asyncio.Queue[STTEvent | ProviderError | None] = asyncio.Queue()
        self._socket: Any = None
        self._exit = contextlib.AsyncExitStack()
        self._connected = asyncio.Event()
        self._reconnects_left = 1
        self._closing = False
        self._failed: ProviderError | None = None
        # audio not yet covered by a final result, as absolute byte offsets into the call's audio
        self._buffer = bytearray()
        self._buffer_start = 0
        self._base = 0  # absolute offset where the current socket's clock starts
        self._last_sent = time.monotonic()
        self._last_audio: float | None = None
        self._last_heard = time.monotonic()
        self._finalize_deadline: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.reconnects = 0

    async def start(self) -> None:
        await self._connect()
        self._connected.set()
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._watch())]

    # --- the STTStream contract ---------------------------------------------------------------
    async def send(self, audio: bytes) -> None:
        """Never raises: the per-frame path must not break; a failure is raised once, from `events()`."""
        if self._failed is not None or self._closing or not audio:
            return
        self._buffer.extend(audio)
        overflow = len(self._buffer) - MAX_REPLAY_SECONDS * BYTES_PER_SECOND
        if overflow > 0:
            del self._buffer[:overflow]
            self._buffer_start += overflow
        self._last_audio = time.monotonic()
        if self._connected.is_set():
            # A send into a dying socket is not lost: it stays buffered and the reader replays it.
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._socket.send_media(audio)
                self._last_sent = time.monotonic()

    def events(self) -> AsyncIterator[STTEvent]:
        return drain(self._events)

    async def keep_alive(self) -> None:
        await self._control("send_keep_alive")

    async def finalize(self) -> None:
        if self._finalize_deadline is None:
            self._finalize_deadline = time.monotonic() + self.stt.finalize_timeout
        await self._control("send_finalize")

    async def close(self) -> None:
        """CloseStream, let Deepgram flush its last results, then shut the socket."""
        if self._closing:
            return
        self._closing = True
        if self._failed is None and self._connected.is_set() and self._tasks:
            with contextlib.suppress(ConnectionClosed, OSError):
                await self._socket.send_close_stream()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._tasks[0]), timeout=1.0)
        await self._shutdown()
        self._events.put_nowait(None)

    # --- internals ----------------------------------------------------------------------------
    async def _control(self, method: str) -> None:
        if self._failed is not None or self._closing or not self._connected.is_set():
            return  # like send(): a failure is raised once, from events()
        with contextlib.suppress(ConnectionClosed, OSError):
            await getattr(self._socket, method)()
            self._last_sent = time.monotonic()

    async def _connect(self) -> None:
        self._exit = contextlib.AsyncExitStack()
        connection = self.stt.client().listen.v1.connect(**self.stt.options)
        try:
            self._socket = await asyncio.wait_for(
                self._exit.enter_async_context(connection), timeout=self.stt.connect_timeout
            )
        except Exception as exc:  # refused (401/429/5xx), unreachable or timed out: all end the call
            await self._exit.aclose()
            raise ProviderError(f"Deepgram: could not open the live stream ({_describe(exc)})") from exc
        self._last_heard = time.monotonic()

    async def _read(self) -> None:
        while True:
            try:
                while True:  # recv(), not iteration: the SDK's iterator silently skips frames that are not JSON
                    message = await self._socket.recv()
                    self._last_heard = time.monotonic()
                    self._on_message(message)
            except ProviderError as exc:
                self._fail(exc)
                return
            except ValueError as exc:  # the SDK could not parse a frame as JSON
                self._fail(ProviderError(f"Deepgram sent a malformed message ({exc})"))
                return
            except (ConnectionClosed, OSError) as exc:
                if self._closing:
                    return
                log.warning("Deepgram socket dropped: %s", _describe(exc))
            if self._closing:
                return
            if not await self._reconnect():
                return

    async def _reconnect(self) -> bool:
        """Reopen the socket once and replay the audio Deepgram had not yet finalized."""
        self._connected.clear()
        if self._reconnects_left <= 0:
            self._fail(ProviderError("Deepgram: the live stream dropped again after a reconnect"))
            return False
        self._reconnects_left -= 1
        self.reconnects += 1
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._exit.aclose(), timeout=1.0)
        try:
            await self._connect()
            self._base = position = self._buffer_start
            while position < self._buffer_start + len(self._buffer):
                offset = max(0, position - self._buffer_start)
                chunk = bytes(self._buffer[offset : offset + REPLAY_CHUNK])
                await self._socket.send_media(chunk)
                position = self._buffer_start + offset + len(chunk)
        except ProviderError as exc:
            self._fail(exc)
            return False
        except (ConnectionClosed, OSError) as exc:
            self._fail(ProviderError(f"Deepgram: the reopened stream failed during replay ({_describe(exc)})"))
            return False
        self._last_sent = time.monotonic()
        self._connected.set()
        return True

    def _on_message(self, message: Any) -> None:
        offset = self._base / BYTES_PER_SECOND
        if isinstance(message, ListenV1Results):
            self._on_results(message, offset)
        elif isinstance(message, ListenV1SpeechStarted):
            self._events.put_nowait(SpeechStarted(timestamp=message.timestamp + offset))
        elif isinstance(message, ListenV1UtteranceEnd):
            self._events.put_nowait(UtteranceEnd(last_word_end=message.last_word_end + offset))
        elif isinstance(message, ListenV1Error):
            raise ProviderError(f"Deepgram error {message.variant}: {message.description}")
        elif isinstance(message, dict):  # a message type newer than the SDK: not an error
            log.debug("Deepgram message of an unknown type: %s", str(message)[:200])

    def _on_results(self, message: ListenV1Results, offset: float) -> None:
        if message.is_final:
            self._finalize_deadline = None
            covered = self._base + int((message.start + message.duration) * BYTES_PER_SECOND)
            if covered > self._buffer_start:
                del self._buffer[: covered - self._buffer_start]
                self._buffer_start = covered
        alternatives = message.channel.alternatives
        best = alternatives[0] if alternatives else None
        text = best.transcript if best else ""
        if not text and not message.speech_final:
            return  # Deepgram's heartbeat over silence: no words, no end of speech, nothing for the call
        words = tuple(
            {"word": w.punctuated_word or w.word, "start": w.start + offset, "end": w.end + offset,
             "confidence": w.confidence}
            for w in (best.words if best else [])
        )
        self._events.put_nowait(Transcript(
            text=text,
            is_final=bool(message.is_final),
            speech_final=bool(message.speech_final),
            start=message.start + offset,
            end=message.start + message.duration + offset,
            confidence=best.confidence if best else 0.0,
            words=words,
        ))

    async def _watch(self) -> None:
        """Keep the socket alive and notice a vendor that has stopped answering."""
        while True:
            await asyncio.sleep(0.1)
            if self._closing or self._failed is not None:
                return
            now = time.monotonic()
            if not self._connected.is_set():
                continue
            if self._finalize_deadline is not None and now > self._finalize_deadline:
                self._fail(ProviderError("Deepgram did not answer Finalize in time"))
            elif self._last_audio is not None and self._last_audio - self._last_heard > self.stt.stall_timeout:
                self._fail(ProviderError("Deepgram stopped answering while audio kept flowing"))
            elif now - self._last_sent > self.stt.keep_alive_every:
                await self.keep_alive()

    def _fail(self, error: ProviderError) -> None:
        if self._failed is not None or self._closing:
            return
        log.warning("%s", error)
        self._failed = error
        self._connected.clear()
        self._events.put_nowait(error)
        asyncio.get_running_loop().create_task(self._shutdown())

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current and not task.done():
                task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(self._exit.aclose(), timeout=1.0)  # a silent vendor must not hold the hang-up


def _describe(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__} {status}" if status else f"{type(exc).__name__}: {exc}"[:200]
