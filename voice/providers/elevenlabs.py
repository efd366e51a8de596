"""ElevenLabs text-to-speech over its multi-context WebSocket (the `TTS` contract), `ulaw_8000` straight to Twilio.

Protocol: `wss://api.elevenlabs.io/v1/text-to-speech/{voice_id}/multi-stream-input?model_id=…&output_format=
ulaw_8000`, header `xi-api-key` (https://elevenlabs.io/docs/api-reference/text-to-speech/
v-1-text-to-speech-voice-id-multi-stream-input; guide: …/guides/how-to/websockets/multi-context-web-socket).
One socket per call (per voice: the voice is part of the URL), one context per agent reply; each sentence is
sent with `flush: true`, the reply ends with `close_context` (flushed text is still spoken, then `isFinal`), and
barge-in closes the context at once and drops whatever audio of it still arrives.

Through the `elevenlabs` SDK (2.78): its client supplies the base URL (`ELEVENLABS_BASE_URL` or the production
environment) and auth headers, `elevenlabs.url_utils.build_ws_url` the socket URL, and its typed models
(`InitialiseContext`, `SendTextMulti`, `CloseContext`, `CloseSocket`, `AudioOutputMulti`) every message. The SDK
has no asyncio client for this endpoint (only the blocking `convert_realtime` on `stream-input`, which cannot
cancel), so the socket itself is the `websockets` client the SDK depends on.

Sentence boundaries (`AudioChunk.boundary`, where the session puts a Twilio mark) come from the per-chunk
`alignment.chars`: a sentence's audio ends on the chunk whose characters complete it.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.types import AudioOutputMulti, CloseContext, CloseSocket, InitialiseContext, SendTextMulti
from elevenlabs.url_utils import build_ws_url
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .base import AudioChunk, CallContext, ProviderError
from .context_streams import ContextReply, ContextSocket, ContextTTS
from .warm import client_for_loop

log = logging.getLogger(__name__)

OUTPUT_FORMAT = "ulaw_8000"
BYTES_PER_SECOND = 8000
DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"  # a stock ElevenLabs voice ("Rachel")
INACTIVITY_TIMEOUT = 180  # seconds the socket may sit without text between replies (ElevenLabs' maximum)


class ElevenLabsTTS(ContextTTS):
    """The call's TTS: one warm socket for the call's voice, a fresh context per reply.

    `close()` (hang-up) sends `close_socket` and closes.
    """

    _socket: _Socket | None

    @classmethod
    def for_call(cls, context: CallContext) -> ElevenLabsTTS:
        tts = cls(api_key=settings.ELEVENLABS_API_KEY, model=settings.ELEVENLABS_MODEL,
                  base_url=settings.ELEVENLABS_BASE_URL, label=f"call{context.call_id}")
        tts.warm(context.script.get("voice") or DEFAULT_VOICE)
        return tts

    def socket_url_and_headers(self, voice: str) -> tuple[str, dict[str, str]]:
        """The multi-stream-input URL for `voice` and the SDK's headers (`xi-api-key`, SDK identification)."""
        client = client_for_loop(("elevenlabs", self.api_key, self.base_url), lambda: AsyncElevenLabs(
            api_key=self.api_key, **({"base_url": self.base_url} if self.base_url else {})))
        wrapper = client._client_wrapper  # the SDK's own realtime client reads base URL and headers here too
        url = build_ws_url(wrapper.get_base_url(), ["v1", "text-to-speech", voice, "multi-stream-input"],
                           {"model_id": self.model, "output_format": OUTPUT_FORMAT,
                            "inactivity_timeout": str(INACTIVITY_TIMEOUT)})
        return url, wrapper.get_headers()

    def warm(self, voice: str) -> None:
        """Start opening the socket now (when a loop runs), so the first reply finds it ready."""
        self._warm(lambda: self._connected(voice))

    async def open(self, voice: str) -> ElevenLabsReply:
        socket = await self._connected(voice or DEFAULT_VOICE)
        return socket.reply(f"{self.label}-{uuid.uuid4().hex[:12]}")

    async def _connected(self, voice: str) -> _Socket:
        if self._socket is None or self._socket.dead or self._socket.voice != voice:
            if self._socket is not None:
                await self._socket.close()
            self._socket = _Socket(self, voice)
        await self._socket.ready()
        return self._socket


class _Socket(ContextSocket):
    """One WebSocket and the task that reads it, routing audio to its reply by `contextId`.

    `error` (why the socket died) is told to whoever uses it next.
    """

    vendor = "ElevenLabs"

    def __init__(self, tts: ElevenLabsTTS, voice: str) -> None:
        self.voice = voice
        super().__init__(tts)

    async def _open(self) -> None:
        url, headers = self.tts.socket_url_and_headers(self.voice)
        try:
            self._connection = await asyncio.wait_for(connect(url, additional_headers=headers, max_size=2**22),
                                                      timeout=self.tts.connect_timeout)
        except Exception as exc:  # refused (429/5xx), unreachable or timed out
            self.dead = True
            raise ProviderError(f"ElevenLabs: could not open the TTS socket ({_describe(exc)})") from exc
        self._reader = asyncio.create_task(self._read())

    def reply(self, context_id: str) -> ElevenLabsReply:
        reply = ElevenLabsReply(self, context_id)
        self.replies[context_id] = reply
        return reply

    async def send(self, message: Any) -> None:
        if self.dead:
            raise self.error or ProviderError("ElevenLabs: the TTS socket is closed")
        try:
            await self._connection.send(json.dumps(message.dict()))
        except (ConnectionClosed, OSError) as exc:
            self._fail_all(ProviderError(f"ElevenLabs: the TTS socket dropped ({_describe(exc)})"))
            raise ProviderError(f"ElevenLabs: the TTS socket dropped ({_describe(exc)})") from exc

    async def _read(self) -> None:
        try:
            async for raw in self._connection:
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict):
                        raise ValueError("not a JSON object")
                except ValueError as exc:
                    self._fail_all(ProviderError(f"ElevenLabs sent a malformed message ({exc})"))
                    await self._abort()
                    return
                reply = self.replies.get(data.get("contextId") or "")
                if "error" in data or ("message" in data and "audio" not in data):
                    error = ProviderError(f"ElevenLabs error: {data.get('message') or data.get('error')}")
                    if reply is not None:
                        reply.fail(error)
                    else:
                        self._fail_all(error)
                elif reply is not None:
                    reply.on_message(data)
            if self.replies:  # a close (by ElevenLabs) while a reply was still being spoken
                reason = self._connection.close_reason or "closed"
                self._fail_all(ProviderError(f"ElevenLabs: the TTS socket closed "
                                             f"({self._connection.close_code} {reason})"))
            self.dead = True
        except (ConnectionClosed, OSError) as exc:
            if not self.dead:
                self._fail_all(ProviderError(f"ElevenLabs: the TTS socket dropped ({_describe(exc)})"))

    async def close(self) -> None:
        was_dead, self.dead = self.dead, True
        self.replies.clear()
        if not self._opening.done():
            self._opening.cancel()
        if self._reader is not None:
            self._reader.cancel()
        if self._connection is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                if not was_dead:
                    await asyncio.wait_for(self._connection.send(json.dumps(CloseSocket(close_socket=True).dict())),
                                           timeout=0.5)
                await asyncio.wait_for(self._connection.close(), timeout=1.0)  # never hold up a hang-up


class ElevenLabsReply(ContextReply):
    """One agent reply as one ElevenLabs context (the `TTSStream` contract).

    Barge-in (`cancel()`) closes the context at once; audio of it that still arrives is dropped here.
    """

    def __init__(self, socket: _Socket, context_id: str) -> None:
        super().__init__(socket, context_id)
        self._opened = False
        self._sentence_ends: list[int] = []  # cumulative non-space character counts where each sentence ends
        self._pushed_chars = 0
        self._heard_chars = 0
        self._audio_seconds = 0.0  # audio received so far, for word times on the reply's clock
        self._word: dict[str, Any] | None = None

    async def push(self, text: str) -> None:
        if self.cancelled or self._ended or not text.strip():
            return
        if not self._opened:
            self._opened = True
            await self.socket.send(InitialiseContext(text=" ", context_id=self.context_id))
        self._pushed_chars += sum(not c.isspace() for c in text)
        self._sentence_ends.append(self._pushed_chars)
        await self.socket.send(SendTextMulti(text=text if text[-1:].isspace() else text + " ",
                                             context_id=self.context_id, flush=True))
        self._pushed()

    async def end(self) -> None:
        if self.cancelled or self._ended:
            return
        self._ended = True
        if not self._opened:  # nothing was said: no context to close
            self._finish()
            return
        await self.socket.send(CloseContext(context_id=self.context_id, close_context=True))

    def _cancel_message(self) -> CloseContext | None:
        if not self._opened or self._ended:  # no context, or already closing
            return None
        return CloseContext(context_id=self.context_id, close_context=True)

    def on_message(self, data: dict[str, Any]) -> None:
        if self.cancelled:
            return
        if data.get("audio"):
            self._heard()
            message = AudioOutputMulti.model_validate(data)
            try:
                audio = base64.b64decode(message.audio, validate=True)
            except (binascii.Error, ValueError):
                self.fail(ProviderError("ElevenLabs sent a malformed message (audio is not base64)"))
                return
            words, boundaries = self._align(message, len(audio) / BYTES_PER_SECOND)
            self._queue.put_nowait(AudioChunk(audio=audio, words=words, boundary=boundaries > 0))
            for _ in range(boundaries - 1):
                self._queue.put_nowait(AudioChunk(audio=b"", boundary=True))
        elif data.get("isFinal"):
            if self._word is not None:
                self._queue.put_nowait(AudioChunk(audio=b"", words=(self._word,)))
            for _ in self._sentence_ends:  # sentences whose alignment fell short still end here
                self._queue.put_nowait(AudioChunk(audio=b"", boundary=True))
            self._sentence_ends.clear()
            self._finish()

    def _align(self, message: AudioOutputMulti, seconds: float) -> tuple[tuple[dict[str, Any], ...], int]:
        """Words completed in this chunk (times on the reply's clock) and how many sentences it ends."""
        alignment = message.alignment
        words: list[dict[str, Any]] = []
        if alignment is not None and alignment.chars:
            starts = alignment.char_start_times_ms or [0] * len(alignment.chars)
            durations = alignment.char_durations_ms or [0] * len(alignment.chars)
            for char, start, duration in zip(alignment.chars, starts, durations, strict=False):
                at, until = self._audio_seconds + start / 1000, self._audio_seconds + (start + duration) / 1000
                if char.isspace():
                    if self._word is not None:
                        words.append(self._word)
                        self._word = None
                    continue
                self._heard_chars += 1
                if self._word is None:
                    self._word = {"word": char, "start": round(at, 3), "end": round(until, 3)}
                else:
                    self._word["word"] += char
                    self._word["end"] = round(until, 3)
        self._audio_seconds += seconds
        ended = 0
        while self._sentence_ends and self._heard_chars >= self._sentence_ends[0]:
            self._sentence_ends.pop(0)
            ended += 1
        if ended and self._word is not None:
            words.append(self._word)
            self._word = None
        return tuple(words), ended


def _describe(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, ConnectionClosed):
        frame = exc.rcvd or exc.sent
        return f"close {frame.code} {frame.reason}".strip() if frame else "connection lost"
    return f"{type(exc).__name__}: {exc}"[:200]
