"""OpenAI text-to-speech (`POST /v1/audio/speech`) for the OpenAI emulator: streamed raw PCM as api.openai.com sends it.

Request (https://platform.openai.com/docs/api-reference/audio/createSpeech; `openai` SDK
`resources/audio/speech.py`, `types/audio/speech_create_params.py`): JSON `model` (tts-1, tts-1-hd,
gpt-4o-mini-tts), `input` (at most 4096 characters), `voice`, optional `instructions`, `response_format` (mp3, opus,
aac, flac, wav, pcm), `speed` (0.25-4), `stream_format` (audio, sse). With `response_format: "pcm"` the body is raw
24 kHz signed 16-bit little-endian mono samples, no header, sent with chunked transfer encoding as it is generated.
Errors are the usual `{"error": {message, type, param, code}}` JSON with 400/401/429/5xx.

Served by `OpenAIEmulator` (tests/emulators/openai_chat.py) at the same base URL as chat completions, so
`OPENAI_BASE_URL` serves both layers; it has its own `recorder` and `faults` (`emulator.speech`).
"""
from __future__ import annotations

import asyncio
import json
import time
from array import array
from typing import Any

from .cartesia import spoken
from .faults import FaultBook, Recorder
from .http11 import ClientGone, pause
from .mulaw import DECODE

MODELS = {"tts-1", "tts-1-hd", "gpt-4o-mini-tts"}
VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin",
          "cedar"}
FORMATS = {"mp3", "opus", "aac", "flac", "wav", "pcm"}
PCM_RATE = 24000


def speech_errors(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    errors = []
    if body.get("model") not in MODELS:
        errors.append(f"model must be one of {sorted(MODELS)}")
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        errors.append("input is required")
    elif len(text) > 4096:
        errors.append("input must be at most 4096 characters")
    if body.get("voice") not in VOICES:
        errors.append(f"voice must be one of {sorted(VOICES)}")
    if body.get("response_format", "mp3") not in FORMATS:
        errors.append(f"response_format must be one of {sorted(FORMATS)}")
    speed = body.get("speed", 1.0)
    if not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
        errors.append("speed must be between 0.25 and 4.0")
    return errors


def pcm24k(words: int, seconds_per_word: float) -> bytes:
    """The speech-shaped audio the other TTS emulators speak, as 24 kHz s16le (each 8 kHz sample held 3 times)."""
    samples = array("h")
    for byte in spoken(words, seconds_per_word):
        samples.extend((DECODE[byte],) * 3)
    return samples.tobytes()


class SpeechEndpoint:
    """What the emulator does for `/v1/audio/speech`; faults: reject_429/503, never_answer, close_mid_stream,
    malformed (an odd byte count: half a sample, which no PCM stream may end with)."""

    def __init__(self, *, first_byte_delay: float = 0.0, realtime_factor: float = 8.0,
                 seconds_per_word: float = 0.3, chunk_seconds: float = 0.1) -> None:
        self.first_byte_delay = first_byte_delay
        self.realtime_factor = realtime_factor
        self.seconds_per_word = seconds_per_word
        self.chunk_seconds = chunk_seconds
        self.recorder = Recorder()
        self.faults = FaultBook()

    def requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.recorder.of("request")]

    async def answer(self, request: dict[str, Any], reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> bool:
        from .openai_chat import _error, _send_json

        try:
            body = json.loads(request["body"] or b"null")
        except ValueError:
            body = None
        errors = speech_errors(body)
        self.recorder.record("request", body=body, headers=request["headers"], errors=errors)
        if errors:
            await _send_json(writer, 400, _error("; ".join(errors), "invalid_request_error"))
            return True
        info = {"body": body}
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind)
            code = "rate_limit_exceeded" if fault.status == 429 else "server_error"
            await _send_json(writer, fault.status, _error("Injected fault.", code, code))
            return True
        fault = self.faults.take("stream", info)
        text = body["input"]
        audio = pcm24k(len(text.split()), self.seconds_per_word) if body.get("response_format") == "pcm" else b""
        size = int(self.chunk_seconds * PCM_RATE) * 2
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: audio/pcm\r\nTransfer-Encoding: chunked\r\n"
                     b"Connection: keep-alive\r\nx-request-id: req_emulator\r\n\r\n")
        await writer.drain()
        sent = 0
        started = time.monotonic()
        try:
            if fault is not None and fault.kind == "never_answer":
                self.recorder.record("fault", kind="never_answer", input=text)
                await pause(reader, 3600)
            await pause(reader, max(0.0, started + self.first_byte_delay - time.monotonic()))
            for offset in range(0, len(audio), size):
                if fault is not None and sent >= fault.after:
                    self.recorder.record("fault", kind=fault.kind, input=text, sent=sent)
                    if fault.kind == "close_mid_stream":
                        writer.transport.abort()
                        return False
                    _chunk(writer, b"\x00")  # malformed: half a sample, then the body ends
                    break
                if sent:
                    await pause(reader, self.chunk_seconds / self.realtime_factor)
                _chunk(writer, audio[offset : offset + size])
                await writer.drain()
                sent += 1
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ClientGone, ConnectionError):
            self.recorder.record("client_closed", input=text, sent=sent, of=-(-len(audio) // size))
            return False
        self.recorder.record("completed", input=text, sent=sent)
        return True


def _chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
