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
import uuid
from typing import Any

from cartesia import AsyncCartesia
from django.conf import settings
from websockets.exceptions import ConnectionClosed

from .base import AudioChunk, CallContext, ProviderError
from .context_streams import ContextReply, ContextSocket, ContextTTS
from .warm import client_for_loop

log = logging.getLogger(__name__)

OUTPUT_FORMAT = {"container": "raw", "encoding": "pcm_mulaw", "sample_rate": 8000}
DEFAULT_VOICE = "f786b574-daa5-4673-aa0c-cbe3e8534c02"  # a stock conversational English voice


class CartesiaTTS(ContextTTS):
    """The call's TTS: one warm socket, a fresh context per reply."""

    idle_close_after = 60.0  # no reply for this long: close the socket (the next reply reopens it)
    _socket: _Socket | None

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
        self._warm(self._connected)

    async def open(self, voice: str) -> CartesiaReply:
        socket = await self._connected()
        return socket.reply(self, voice or DEFAULT_VOICE)

    async def _connected(self) -> _Socket:
        if self._socket is None or self._socket.dead:
            if self._socket is not None:
                await self._socket.close()
            self._socket = _Socket(self)
        await self._socket.ready()
        return self._socket


class _Socket(ContextSocket):
    """One WebSocket and the task that reads it, routing every message to its reply by context_id."""

    vendor = "Cartesia"

    def __init__(self, tts: CartesiaTTS) -> None:
        self._manager: Any = None
        self._idle: asyncio.TimerHandle | None = None
        super().__init__(tts)

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


class CartesiaReply(ContextReply):
    """One agent reply as one Cartesia context (the `TTSStream` contract).

    Barge-in (`cancel()`): Cartesia stops generating; anything already in flight for this context is dropped here.
    """

    def __init__(self, socket: _Socket, context_id: str, voice: str) -> None:
        super().__init__(socket, context_id)
        self.voice = voice
        self._words: list[dict[str, Any]] = []

    async def push(self, text: str) -> None:
        if self.cancelled or self._ended or not text.strip():
            return
        await self._send(text if text[-1:].isspace() else text + " ", more=True, flush=True)

    async def end(self) -> None:
        if self.cancelled or self._ended:
            return
        self._ended = True
        await self._send("", more=False, flush=False)

    def _cancel_message(self) -> dict[str, Any]:
        return {"context_id": self.context_id, "cancel": True}

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
        self._pushed()

    def on_event(self, event: Any) -> None:
        if self.cancelled:
            return
        self._heard()
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
            self._finish()
        elif event.type == "error":
            self.fail(ProviderError(f"Cartesia error: {event.title or ''} {event.message or ''}".strip()))


def _describe(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return f"{type(exc).__name__} {status}" if status else f"{type(exc).__name__}: {exc}"[:200]
