"""ElevenLabs multi-context TTS WebSocket (`/v1/text-to-speech/{voice_id}/multi-stream-input`) on 127.0.0.1.

The wire protocol as the `elevenlabs` SDK 2.78 types it (`v_1_text_to_speech_voice_id_multi_stream_input/types`,
`types/{initialise_context,send_text_multi,flush_context,close_context,close_socket,keep_context_alive,
audio_output_multi,final_output_multi}.py`) and ElevenLabs documents it
(https://elevenlabs.io/docs/api-reference/text-to-speech/v-1-text-to-speech-voice-id-multi-stream-input,
https://elevenlabs.io/docs/eleven-api/guides/how-to/websockets/multi-context-web-socket):

- query `model_id`, `output_format` (e.g. `ulaw_8000`), header `xi-api-key`; a wrong key is refused with an
  error message and close code 1008 (policy violation); at most 5 open contexts per socket.
- client: `{"text": " ", "context_id"}` opens a context; `{"text": "Hi. ", "context_id", "flush": true}` adds
  text (generated once flushed); `{"context_id", "flush": true}`; `{"text": "", "context_id"}` keeps it alive;
  `{"context_id", "close_context": true}` closes it (text already flushed is still spoken, the rest dropped);
  `{"close_socket": true}`.
- server: `{"audio": <base64>, "alignment": {"chars", "charStartTimesMs", "charDurationsMs"},
  "normalizedAlignment": {...}, "contextId"}` per chunk (alignment times relative to the chunk), then
  `{"isFinal": true, "contextId"}` once a closed context has sent all its audio.

Standalone: `python -m tests.emulators.elevenlabs --port 8105 [--first-byte-delay 0.1]`.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request

from .cartesia import spoken
from .faults import Fault
from .mulaw import SAMPLE_RATE
from .tts import TtsContext, TtsEmulator, send, serve_command_line

OUTPUT_FORMATS = {"ulaw_8000": 1, "pcm_8000": 2, "pcm_16000": 2, "pcm_22050": 2, "pcm_24000": 2, "mp3_44100_128": 1}
MAX_CONTEXTS = 5
PATH_PREFIX, PATH_SUFFIX = "/v1/text-to-speech/", "/multi-stream-input"


class ElevenLabsEmulator(TtsEmulator):
    def __init__(self, *, api_key: str = "emulator-key", first_byte_delay: float = 0.0,
                 realtime_factor: float = 8.0, seconds_per_word: float = 0.3, chunk_seconds: float = 0.1) -> None:
        super().__init__(api_key=api_key, first_byte_delay=first_byte_delay, realtime_factor=realtime_factor,
                         seconds_per_word=seconds_per_word, chunk_seconds=chunk_seconds)

    def contexts(self) -> dict[str, list[dict[str, Any]]]:
        """Every context seen, with the messages sent to it, in order."""
        seen: dict[str, list[dict[str, Any]]] = {}
        for message in self.recorder.of("message"):
            if message.get("context_id"):
                seen.setdefault(message["context_id"], []).append(message)
        return seen

    def _check_request(self, connection: ServerConnection, request: Request):
        split = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        info = {"path": split.path, "query": query, "headers": headers}
        self.recorder.record("handshake", **info)
        if not (split.path.startswith(PATH_PREFIX) and split.path.endswith(PATH_SUFFIX)):
            return connection.respond(HTTPStatus.NOT_FOUND, '{"detail": "Not Found"}')
        if query.get("output_format", "mp3_44100_128") not in OUTPUT_FORMATS:
            return connection.respond(HTTPStatus.BAD_REQUEST, '{"detail": "invalid output_format"}')
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind)
            return connection.respond(HTTPStatus(fault.status), '{"detail": {"status": "injected_fault"}}')
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        query = {k: v[-1] for k, v in parse_qs(urlsplit(request.path).query).items()}
        if headers.get("xi-api-key") != self.api_key:
            self.recorder.record("refused", code=1008)
            await send(ws, {"message": "Invalid API key", "error": "invalid_api_key", "code": 1008})
            await ws.close(1008, "Invalid API key")
            return
        self.recorder.record("connected", voice_id=urlsplit(request.path).path[len(PATH_PREFIX):-len(PATH_SUFFIX)],
                             query=query)
        fmt = query.get("output_format", "mp3_44100_128")
        contexts: dict[str, _Context] = {}
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        raise ValueError("not an object")
                except ValueError:
                    await send(ws, {"message": "Invalid message", "error": "invalid_message", "code": 1007})
                    await ws.close(1007, "Invalid message")
                    return
                self.recorder.record("message", **message)
                if message.get("close_socket"):
                    for context in contexts.values():
                        context.close()
                    await asyncio.gather(*(c.task for c in contexts.values()), return_exceptions=True)
                    await ws.close(1000)
                    return
                context_id = message.get("context_id") or "default"
                context = contexts.get(context_id)
                if message.get("close_context"):
                    if context is not None:
                        context.close()
                        self.recorder.record("close_context", context_id=context_id, chunks=context.chunks_sent)
                    continue
                if context is None or context.closed:
                    if sum(not c.closed for c in contexts.values()) >= MAX_CONTEXTS:
                        await send(ws, {"message": "Maximum of 5 contexts per connection", "error": "max_contexts",
                                        "code": 1008, "contextId": context_id})
                        continue
                    fault = self.faults.take("stream", {"context_id": context_id, "message": message})
                    context = contexts[context_id] = _Context(self, ws, context_id, fmt, fault)
                context.add(message)
        except ConnectionClosed:
            pass
        finally:
            for context in contexts.values():
                context.task.cancel()
            self.recorder.record("disconnected")


class _Context(TtsContext):
    """One context: text is buffered, spoken when flushed, finished (isFinal) once closed and all spoken."""

    def __init__(self, emulator: ElevenLabsEmulator, ws: ServerConnection, context_id: str, fmt: str,
                 fault: Fault | None) -> None:
        self.emulator = emulator
        self.ws = ws
        self.context_id = context_id
        self.width = OUTPUT_FORMATS[fmt]
        self.fmt = fmt
        self.fault = fault
        self.buffer = ""
        self.pieces: asyncio.Queue[str | None] = asyncio.Queue()
        self.closed = False
        self.chunks_sent = 0
        self.started = time.monotonic()
        self.task = asyncio.create_task(self._generate())

    def add(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            self.buffer += text
        if message.get("flush") and self.buffer.strip():
            self.pieces.put_nowait(self.buffer)
            self.buffer = ""

    def close(self) -> None:
        """close_context: what was flushed is still spoken; unflushed text is dropped."""
        if not self.closed:
            self.closed = True
            self.buffer = ""
            self.pieces.put_nowait(None)

    async def _generate(self) -> None:
        if not await self._first_byte():
            return
        with contextlib.suppress(ConnectionClosed):
            while (piece := await self.pieces.get()) is not None:
                await self._speak(piece)
            await send(self.ws, {"isFinal": True, "contextId": self.context_id})
            self.emulator.recorder.record("final", context_id=self.context_id, chunks=self.chunks_sent)

    async def _speak(self, piece: str) -> None:
        emulator = self.emulator
        words = piece.split()
        audio = spoken(len(words), emulator.seconds_per_word)
        if self.fmt != "ulaw_8000":
            audio = bytes(len(audio) * self.width)
        size = int(emulator.chunk_seconds * SAMPLE_RATE) * self.width
        offsets = list(range(0, len(audio), size))
        chars = list(piece)  # spread over the chunks in proportion, the last characters on the last chunk
        cut = [round(n * len(chars) / max(1, len(offsets))) for n in range(len(offsets) + 1)]
        for n, offset in enumerate(offsets):
            if self.fault is not None and self.chunks_sent >= self.fault.after:
                await self._fault()
            data = audio[offset : offset + size]
            mine = chars[cut[n] : cut[n + 1]]
            step = max(1, int(len(data) / self.width / SAMPLE_RATE * 1000) // max(1, len(mine)))
            alignment = {"chars": mine, "charStartTimesMs": [i * step for i in range(len(mine))],
                         "charDurationsMs": [step] * len(mine)}
            await send(self.ws, {"audio": base64.b64encode(data).decode(), "isFinal": None,
                                 "normalizedAlignment": alignment, "alignment": alignment,
                                 "contextId": self.context_id})
            self.chunks_sent += 1
            await asyncio.sleep(emulator.chunk_seconds / emulator.realtime_factor)

    def _malformed(self) -> str:
        return '{"audio": "AAAA", "contextId": "' + self.context_id


def main(argv: list[str] | None = None) -> None:
    serve_command_line(ElevenLabsEmulator, __doc__, "elevenlabs", argv)


if __name__ == "__main__":
    main()
