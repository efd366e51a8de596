"""Cartesia Sonic text-to-speech over the `cartesia` SDK's WebSocket (the `TTS` contract).

One socket per call, opened as soon as the call starts so the first reply does not pay for the handshake;
one Cartesia context per agent reply, continued sentence by sentence, each sentence flushed so its
`flush_done` marks where its audio ends (`AudioChunk.boundary`, where the session puts a Twilio mark);
raw `pcm_mulaw` at 8 kHz goes to Twilio untouched.

The adapter reads the socket itself and routes messages by `context_id`, because the SDK's context helper
never wakes a waiting `receive()` when the socket drops; that is how a drop, a malformed frame or a silent
vendor become a prompt `ProviderError` instead of a call stuck in silence.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from cartesia import AsyncCartesia
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from .base import AudioChunk, CallContext, ProviderError
from .warm import client_for_loop

log = logging.getLogger(__name__)

OUTPUT_FORMAT = {"container": "raw", "encoding": "pcm_mulaw", "sample_rate": 8000}
DEFAULT_VOICE = "f786b574-daa5-4673-aa0c-cbe3e8534c02"  # a stock conversational English voice
_PUSHED = object()  # wakes audio() so it starts timing the first byte of newly pushed text


class CartesiaTTS:
    """The call's TTS: one warm socket, a fresh context per reply."""

    connect_timeout = 3.0
    first_byte_timeout = 2.0  # pushed text with no audio back for this long means the vendor stopped
    idle_close_after = 60.0  # no reply for this long: close the socket (the next reply reopens it)

    def __init__(self, *, api_key: str, model: str, base_url: str = "", label: str = "") -> None:
        self.api_key = api_key
        self.model = model
        self.base_url = base_url
        self.label = label
        self._socket: _Socket | None = None
        self._warming: asyncio.Task[Any] | None = None

    @classmethod
    def for_call(cls, context: CallContext) -> CartesiaTTS:
        tts = cls(api_key=settings.CARTESIA_API_KEY, model=settings.CARTESIA_MODEL,
                  base_url=settings.CARTESIA_BASE_URL, label=f"call{context.call_id}")
        tts.warm()
        return tts

    def client(self) -> AsyncCartesia:
        def build() -> AsyncCartesia:
            if not self.base_url:
                return AsyncCartesia(api_key=self.api_key)
            http = self.base_url.rstrip("/")
            ws = "ws" + http[len("http"):] if http.startswith("http") else http
            return AsyncCartesia(api_key=self.api_key, base_url=http, websocket_base_url=ws)

        return client_for_loop(("cartesia", self.api_key, self.base_url), build)

    def warm(self) -> None:
        """Start opening the socket now (when a loop is running), so the first reply finds it ready."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._warming = asyncio.ensure_future(self._connected())
        self._warming.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def open(self, voice: str) -> CartesiaReply:
        socket = await self._connected()
        return socket.reply(self, voice or DEFAULT_VOICE)

    async def close(self) -> None:
        """Hang-up: close the call's socket (the contract has no close; `Providers.aclose()` calls this)."""
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def _connected(self) -> _Socket:
        if self._socket is None or self._socket.dead:
            if self._socket is not None:
                await self._socket.close()
            self._socket = _Socket(self)
        await self._socket.ready()
        return self._socket


class _Socket:
    """One WebSocket and the task that reads it, routing every message to its reply by context_id."""

    def __init__(self, tts: CartesiaTTS) -> None:
        self.tts = tts
        self.replies: dict[str, CartesiaReply] = {}
        self.dead = False
        self._manager: Any = None
        self._connection: Any = None
        self._opening: asyncio.Task[None] = asyncio.ensure_future(self._open())
        self._reader: asyncio.Task[None] | None = None
        self._idle: asyncio.TimerHandle | None = None

    async def ready(self) -> None:
        await asyncio.shield(self._opening)

    async def _open(self) -> None:
        self._manager = self.tts.client().tts.websocket_connect()
        try:
            self._connection = await asyncio.wait_for(self._manager.enter(), timeout=self.tts.connect_timeout)
        except Exception as exc:  # refused (401/429/5xx), unreachable or timed out
            self.dead = True
            raise ProviderError(f"Cartesia: could not open the TTS socket ({_describe(exc)})") from exc
        self._reader = asyncio.create_task(self._read())

    def reply(self, tts: CartesiaTTS, voice: str) -> CartesiaReply:
        reply = CartesiaReply(self, f"{tts.label}-{uuid.uuid4().hex[:12]}", voice)
        self.replies[reply.context_id] = reply
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        return reply

    def release(self, context_id: str) -> None:
        """A reply is over; a socket left idle this long is closed (a safety net if the call never says bye)."""
        self.replies.pop(context_id, None)
        if not self.replies and not self.dead and self._idle is None:
            self._idle = asyncio.get_running_loop().call_later(
                self.tts.idle_close_after, lambda: asyncio.ensure_future(self.close())
            )

    async def send(self, event: dict[str, Any]) -> None:
        if self.dead:
            raise ProviderError("Cartesia: the TTS socket is closed")
        try:
            await self._connection.send(event)
        except (ConnectionClosed, OSError) as exc:
            self._fail_all(ProviderError(f"Cartesia: the TTS socket dropped ({_describe(exc)})"))
            raise ProviderError(f"Cartesia: the TTS socket dropped ({_describe(exc)})") from exc

    async def _read(self) -> None:
        try:
            while True:
                event = await self._connection.recv()
                reply = self.replies.get(getattr(event, "context_id", None) or "")
                if reply is not None:
                    reply.on_event(event)
                elif event.type == "error":
                    self._fail_all(ProviderError(f"Cartesia error: {event.title or ''} {event.message or ''}"))
                    return
        except (ConnectionClosed, OSError) as exc:
            if not self.dead:
                self._fail_all(ProviderError(f"Cartesia: the TTS socket dropped ({_describe(exc)})"))
        except ValueError as exc:
            self._fail_all(ProviderError(f"Cartesia sent a malformed message ({exc})"))
            await self._abort()

    def _fail_all(self, error: ProviderError) -> None:
        log.warning("%s", error)
        self.dead = True
        for reply in list(self.replies.values()):
            reply.fail(error)
        self.replies.clear()

    async def _abort(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._connection.close(), timeout=1.0)

    async def close(self) -> None:
        self.dead = True
        self.replies.clear()
        if self._idle is not None:
            self._idle.cancel()
        if not self._opening.done():
            self._opening.cancel()
        if self._reader is not None:
            self._reader.cancel()
        if self._connection is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._connection.close(), timeout=1.0)  # never hold up a hang-up


class CartesiaReply:
    """One agent reply as one Cartesia context (the `TTSStream` contract)."""

    def __init__(self, socket: _Socket, context_id: str, voice: str) -> None:
        self.socket = socket
        self.context_id = context_id
        self.voice = voice
        self.cancelled = False
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._awaiting_since: float | None = None
        self._words: list[dict[str, Any]] = []
        self._ended = False

    async def push(self, text: str) -> None:
        if self.cancelled or self._ended or not text.strip():
            return
        await self._send(text if text[-1:].isspace() else text + " ", more=True, flush=True)

    async def end(self) -> None:
        if self.cancelled or self._ended:
            return
        self._ended = True
        await self._send("", more=False, flush=False)

    async def audio(self) -> AsyncIterator[AudioChunk]:
        timeout = self.socket.tts.first_byte_timeout
        while True:
            wait = None if self._awaiting_since is None else self._awaiting_since + timeout - time.monotonic()
            try:
                if not self._queue.empty():
                    item = self._queue.get_nowait()
                else:
                    item = await asyncio.wait_for(self._queue.get(), None if wait is None else max(0.001, wait))
            except TimeoutError as exc:
                self.socket.release(self.context_id)
                raise ProviderError(f"Cartesia: no audio within {timeout:g} s of the text") from exc
            if item is _PUSHED:
                continue
            if item is None:
                return
            if isinstance(item, ProviderError):
                raise item
            yield item

    async def cancel(self) -> None:
        """Barge-in: Cartesia stops generating; anything already in flight for this context is dropped here."""
        if self.cancelled:
            return
        self.cancelled = True
        self.socket.release(self.context_id)
        self._queue.put_nowait(None)
        if not self.socket.dead:
            with contextlib.suppress(ProviderError):
                await self.socket.send({"context_id": self.context_id, "cancel": True})

    async def _send(self, transcript: str, *, more: bool, flush: bool) -> None:
        await self.socket.send({
            "context_id": self.context_id,
            "model_id": self.socket.tts.model,
            "transcript": transcript,
            "voice": {"id": self.voice},
            "output_format": OUTPUT_FORMAT,
            "language": "en",
            "add_timestamps": True,
            "continue": more,
            "flush": flush,
        })
        if self._awaiting_since is None:
            self._awaiting_since = time.monotonic()
            self._queue.put_nowait(_PUSHED)

    def on_event(self, event: Any) -> None:
        if self.cancelled:
            return
        self._awaiting_since = None
        if event.type == "chunk":
            words, self._words = tuple(self._words), []
            self._queue.put_nowait(AudioChunk(audio=event.audio or b"", words=words))
        elif event.type == "timestamps" and event.word_timestamps is not None:
            stamps = event.word_timestamps
            self._words += [{"word": w, "start": s, "end": e} for w, s, e in zip(stamps.words, stamps.start,
                                                                                  stamps.end, strict=False)]
        elif event.type == "flush_done":
            words, self._words = tuple(self._words), []
            self._queue.put_nowait(AudioChunk(audio=b"", words=words, boundary=True))
        elif event.type == "done":
            if self._words:
                self._queue.put_nowait(AudioChunk(audio=b"", words=tuple(self._words)))
            self.socket.release(self.context_id)
            self._queue.put_nowait(None)
        elif event.type == "error":
            self.fail(ProviderError(f"Cartesia error: {event.title or ''} {event.message or ''}".strip()))

    def fail(self, error: ProviderError) -> None:
        self.socket.release(self.context_id)
        self._queue.put_nowait(error)


def _describe(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return f"{type(exc).__name__} {status}" if status else f"{type(exc).__name__}: {exc}"[:200]
