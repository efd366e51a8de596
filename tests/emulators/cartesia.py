"""Cartesia TTS over WebSocket (`/tts/websocket`) on 127.0.0.1, message for message.

Checks `Authorization: Bearer <key>` and the `Cartesia-Version` header, validates each generation request
(context_id, model_id, transcript, voice, output_format, continue) and answers per context: `timestamps`
(when asked), base64 `chunk`s after a configurable first-byte delay paced faster than real time, and `done`
once input has ended (`continue: false`) and all audio is out. `{"cancel": true}` stops a context at once.

Standalone: `python -m tests.emulators.cartesia --port 8103 [--first-byte-delay 0.09]`.
"""
from __future__ import annotations

import asyncio
import base64
import functools
import json
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request

from .faults import Fault
from .mulaw import SAMPLE_RATE, speech
from .tts import TtsContext, TtsEmulator, send, serve_command_line

ENCODINGS = {"pcm_f32le": 4, "pcm_s16le": 2, "pcm_mulaw": 1, "pcm_alaw": 1}
SAMPLE_RATES = {8000, 16000, 22050, 24000, 44100, 48000}


@functools.lru_cache(maxsize=64)
def spoken(words: int, seconds_per_word: float) -> bytes:
    """Speech-shaped mu-law audio for `words` words (cached: every reply of that length sounds alike)."""
    return speech(words * seconds_per_word, words=words, seed=words)


def request_errors(message: dict[str, Any]) -> list[str]:
    errors = []
    for name in ("context_id", "model_id"):
        if not isinstance(message.get(name), str) or not message[name]:
            errors.append(f"{name} is required")
    if not isinstance(message.get("transcript"), str):
        errors.append("transcript must be a string")
    voice = message.get("voice")
    if not (isinstance(voice, str) or (isinstance(voice, dict) and isinstance(voice.get("id"), str))):
        errors.append("voice must be {'id': '<voice id>'}")
    fmt = message.get("output_format")
    if not isinstance(fmt, dict) or fmt.get("container") != "raw":
        errors.append("output_format.container must be 'raw' on the WebSocket")
    else:
        if fmt.get("encoding") not in ENCODINGS:
            errors.append(f"output_format.encoding must be one of {sorted(ENCODINGS)}")
        if fmt.get("sample_rate") not in SAMPLE_RATES:
            errors.append(f"output_format.sample_rate must be one of {sorted(SAMPLE_RATES)}")
    if "continue" in message and not isinstance(message["continue"], bool):
        errors.append("continue must be a boolean")
    return errors


class CartesiaEmulator(TtsEmulator):
    def __init__(
        self,
        *,
        api_key: str = "emulator-key",
        first_byte_delay: float = 0.0,
        realtime_factor: float = 8.0,
        seconds_per_word: float = 0.3,
        chunk_seconds: float = 0.1,
    ) -> None:
        super().__init__(api_key=api_key, first_byte_delay=first_byte_delay, realtime_factor=realtime_factor,
                         seconds_per_word=seconds_per_word, chunk_seconds=chunk_seconds)

    def contexts(self) -> dict[str, list[dict[str, Any]]]:
        """Every context seen, with the generation requests it received, in order."""
        seen: dict[str, list[dict[str, Any]]] = {}
        for request in self.recorder.of("request"):
            seen.setdefault(request["context_id"], []).append(request["message"])
        return seen

    def _check_request(self, connection: ServerConnection, request: Request):
        split = urlsplit(request.path)
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        info = {"path": split.path, "headers": headers}
        self.recorder.record("handshake", **info)
        if split.path != "/tts/websocket":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        if headers.get("authorization") != f"Bearer {self.api_key}":
            self.recorder.record("refused", status=401)
            return connection.respond(HTTPStatus.UNAUTHORIZED, '{"error": "Invalid API key"}')
        if not headers.get("cartesia-version"):
            self.recorder.record("refused", status=400)
            return connection.respond(HTTPStatus.BAD_REQUEST, '{"error": "Cartesia-Version header is required"}')
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind, n=1 + sum(f["kind"] == fault.kind
                                                                     for f in self.recorder.of("fault")))
            return connection.respond(HTTPStatus(fault.status), '{"error": "Injected fault"}')
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self.recorder.record("connected")
        contexts: dict[str, _Context] = {}
        try:
            async for raw in ws:
                try:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        raise ValueError("not an object")
                except ValueError:
                    await send(ws, {"type": "error", "done": True, "status_code": 400, "title": "Invalid JSON",
                                    "message": "Could not parse the message."})
                    continue
                context_id = message.get("context_id")
                if message.get("cancel"):
                    self.recorder.record("cancel", context_id=context_id)
                    if context_id in contexts:
                        contexts[context_id].cancel()
                    continue
                errors = request_errors(message)
                self.recorder.record("request", context_id=context_id, message=message, errors=errors)
                if errors:
                    await send(ws, {"type": "error", "context_id": context_id, "done": True, "status_code": 400,
                                    "title": "Invalid request", "message": "; ".join(errors)})
                    continue
                context = contexts.get(context_id)
                if context is None or context.finished:
                    fault = self.faults.take("stream", {"context_id": context_id, "message": message})
                    context = contexts[context_id] = _Context(self, ws, context_id, message, fault)
                context.add(message)
        except ConnectionClosed:
            pass
        finally:
            for context in contexts.values():
                context.cancel(record=False)
            self.recorder.record("disconnected")


class _Context(TtsContext):
    """One context's generation: pieces of transcript in, paced audio chunks out."""

    def __init__(self, emulator: CartesiaEmulator, ws: ServerConnection, context_id: str, first: dict[str, Any],
                 fault: Fault | None) -> None:
        self.emulator = emulator
        self.ws = ws
        self.context_id = context_id
        self.fault = fault
        self.format = first["output_format"]
        self.timestamps = bool(first.get("add_timestamps"))
        self.pieces: asyncio.Queue[tuple[str, bool] | None] = asyncio.Queue()
        self.flushes = 0
        self.started = time.monotonic()
        self.finished = False
        self.chunks_sent = 0
        self.clock = 0.0
        self.task = asyncio.create_task(self._generate())

    def add(self, message: dict[str, Any]) -> None:
        if message["transcript"] or message.get("flush"):
            self.pieces.put_nowait((message["transcript"], bool(message.get("flush"))))
        if not message.get("continue", False):
            self.pieces.put_nowait(None)

    def cancel(self, record: bool = True) -> None:
        if not self.task.done():
            self.task.cancel()
            if record:
                self.emulator.recorder.record("cancelled", context_id=self.context_id, chunks=self.chunks_sent)
        self.finished = True

    async def _generate(self) -> None:
        if not await self._first_byte():
            return
        try:
            while (piece := await self.pieces.get()) is not None:
                await self._speak(*piece)
            await send(self.ws, {"type": "done", "context_id": self.context_id, "done": True, "status_code": 206})
            self.emulator.recorder.record("done", context_id=self.context_id, chunks=self.chunks_sent)
        except ConnectionClosed:
            pass
        finally:
            self.finished = True

    async def _speak(self, piece: str, flush: bool) -> None:
        """Audio for one piece of transcript; with `flush`, tagged with the flush id and closed by `flush_done`."""
        words = piece.split()
        flush_id = None
        if flush:
            self.flushes += 1
            flush_id = self.flushes
        if words:
            await self._words_audio(words, flush_id)
        if flush_id is not None:
            await send(self.ws, {"type": "flush_done", "context_id": self.context_id, "done": False,
                                 "flush_done": True, "flush_id": flush_id, "status_code": 206})

    async def _words_audio(self, words: list[str], flush_id: int | None) -> None:
        emulator = self.emulator
        if self.timestamps:
            step = emulator.seconds_per_word
            await send(self.ws, {
                "type": "timestamps", "context_id": self.context_id, "done": False, "status_code": 206,
                "word_timestamps": {"words": words,
                                    "start": [round(self.clock + i * step, 3) for i in range(len(words))],
                                    "end": [round(self.clock + (i + 1) * step, 3) for i in range(len(words))]},
            })
        audio = self._audio(len(words))
        size = int(emulator.chunk_seconds * SAMPLE_RATE) * ENCODINGS[self.format["encoding"]]
        for offset in range(0, len(audio), size):
            if self.fault is not None and self.chunks_sent >= self.fault.after:
                await self._fault()
            data = audio[offset : offset + size]
            chunk = {"type": "chunk", "context_id": self.context_id, "done": False,
                     "data": base64.b64encode(data).decode(), "status_code": 206, "step_time": 1.0}
            if flush_id is not None:
                chunk["flush_id"] = flush_id
            await send(self.ws, chunk)
            self.chunks_sent += 1
            await asyncio.sleep(emulator.chunk_seconds / emulator.realtime_factor)
        self.clock += len(words) * emulator.seconds_per_word

    def _audio(self, words: int) -> bytes:
        audio = spoken(words, self.emulator.seconds_per_word)
        width = ENCODINGS[self.format["encoding"]]
        if self.format["encoding"] == "pcm_mulaw" and self.format["sample_rate"] == SAMPLE_RATE:
            return audio
        return bytes(len(audio) * width * self.format["sample_rate"] // SAMPLE_RATE)

    def _malformed(self) -> str:
        return '{"type": "chunk", "context_id": "' + self.context_id + '", "data": "AAAA'


def main(argv: list[str] | None = None) -> None:
    serve_command_line(CartesiaEmulator, __doc__, "cartesia", argv)


if __name__ == "__main__":
    main()
