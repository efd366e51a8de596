"""AssemblyAI Universal Streaming v3 (`/v3/ws`) on 127.0.0.1, message for message.

Wire protocol as AssemblyAI documents it (https://www.assemblyai.com/docs/api-reference/streaming-api/
universal-streaming, https://www.assemblyai.com/docs/streaming/message-sequence) and the `assemblyai` SDK 1.8.2
speaks it (`assemblyai/streaming/v3/{_base,async_client,models}.py`):

- handshake: `GET /v3/ws?sample_rate=8000&encoding=pcm_mulaw&speech_model=…&format_turns=True&…`, header
  `Authorization: <api key>` (no scheme) and `AssemblyAI-Version`; a bad key is refused (HTTP 401).
- client: binary audio frames of 50-1000 ms (shorter or longer closes the socket with code 3007, "Audio chunk
  duration violation"), `{"type": "ForceEndpoint"}`, `{"type": "KeepAlive"}`, `{"type": "UpdateConfiguration"}`,
  `{"type": "Terminate"}`.
- server: `Begin` (`id`, `expires_at`), `SpeechStarted` (`timestamp` ms), `Turn` (`turn_order`,
  `turn_is_formatted`, `end_of_turn`, `transcript` = the finalized words, `end_of_turn_confidence`, `words[]` with
  `start`/`end` ms, `confidence`, `text`, `word_is_final`), with `format_turns` a second, formatted `Turn` after
  each unformatted end of turn; `Heartbeat` each second when `session_heartbeat` is on; `Termination`
  (`audio_duration_seconds`, `session_duration_seconds`) after `Terminate`, then close 1000.

Words come from a script (`utterances`, one per stretch of caller speech, found by energy) or from the rehearsal
caption side channel (`caption_source(session) -> AsyncIterator`). AssemblyAI's protocol carries no tag the
caller chooses, so in caption mode the source must say which call a session serves (tests know the call's sid; the
rehearsal runs one call at a time and gives each new session the newest call).

Standalone: `python -m tests.emulators.assemblyai --port 8106`.
"""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request

from .caption_timeline import CaptionTimeline
from .faults import Fault
from .mulaw import rms
from .standalone import WebSocketEmulator, command_line, run

ENCODINGS = {"pcm_s16le": 2, "pcm_mulaw": 1}
MODELS = {"universal-streaming-english", "universal-streaming-multilingual", "u3-rt-pro"}
TRUE = {"true", "True", "1"}


def query_errors(query: dict[str, str]) -> list[str]:
    errors = []
    if not query.get("sample_rate", "").isdigit():
        errors.append("sample_rate is required and must be an integer")
    if query.get("encoding", "pcm_s16le") not in ENCODINGS:
        errors.append(f"encoding must be one of {sorted(ENCODINGS)}")
    if query.get("speech_model") not in MODELS:
        errors.append(f"speech_model is required, one of {sorted(MODELS)}")
    return errors


def unformatted(text: str) -> str:
    return " ".join("".join(c for c in w if c.isalnum() or c == "'").lower() for w in text.split())


class AssemblyAIEmulator(WebSocketEmulator):
    def __init__(self, *, api_key: str = "emulator-key", utterances: tuple[str, ...] | list[str] = (),
                 caption_source: Callable[[Session], AsyncIterator[dict[str, Any]] | None] | None = None,
                 energy_threshold: float = 400.0, seconds_per_word: float = 0.25, heartbeat_every: float = 1.0,
                 format_delay: float = 0.0) -> None:
        super().__init__(api_key)
        self.utterances: deque[str] = deque(utterances)
        self.caption_source = caption_source
        self.energy_threshold = energy_threshold
        self.seconds_per_word = seconds_per_word
        self.heartbeat_every = heartbeat_every
        self.format_delay = format_delay
        self.sessions: list[Session] = []

    def _check_request(self, connection: ServerConnection, request: Request):
        split = urlsplit(request.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        info = {"path": split.path, "query": query, "headers": headers}
        self.recorder.record("handshake", **info)
        if split.path != "/v3/ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        if headers.get("authorization") != self.api_key:
            self.recorder.record("refused", status=401)
            return connection.respond(HTTPStatus.UNAUTHORIZED, '{"error": "Invalid API key"}')
        errors = query_errors(query)
        if errors:
            self.recorder.record("refused", status=400, errors=errors)
            return connection.respond(HTTPStatus.BAD_REQUEST, json.dumps({"error": "; ".join(errors)}))
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind)
            return connection.respond(HTTPStatus(fault.status), '{"error": "Injected fault"}')
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        query = dict(parse_qsl(urlsplit(ws.request.path).query, keep_blank_values=True))
        session = Session(self, ws, query, self.faults.take("stream", {"query": query}))
        self.sessions.append(session)
        self.recorder.record("connected", id=session.id, query=query)
        await session.run()
        self.recorder.record("disconnected", id=session.id)


class Session:
    """One streaming session: audio in on the session's clock, turns out."""

    def __init__(self, emulator: AssemblyAIEmulator, ws: ServerConnection, query: dict[str, str],
                 fault: Fault | None) -> None:
        self.emulator = emulator
        self.ws = ws
        self.query = query
        self.fault = fault
        self.id = str(uuid.uuid4())
        self.width = ENCODINGS[query.get("encoding", "pcm_s16le")]
        self.rate = int(query["sample_rate"])
        self.format_turns = query.get("format_turns") in TRUE
        self.heartbeat = query.get("session_heartbeat") in TRUE
        self.min_silence = int(query.get("min_turn_silence") or 400) / 1000
        self.clock = 0.0  # seconds of audio received
        self.started = time.monotonic()
        self.turn_order = 0
        self.sent = 0
        self.words: list[tuple[str, float, float]] = []  # the current turn's words (text, start s, end s)
        self.heard = 0  # words of the current turn whose end has been heard
        self.in_speech = False
        self.last_voice = 0.0
        self.timeline = CaptionTimeline()  # caption mode: the rehearsal callee's words, on this session's clock
        self.caption: dict[str, Any] | None = None
        self.audio: list[bytes] = []

    async def run(self) -> None:
        tasks: list[asyncio.Task[Any]] = []
        try:
            if self.fault is not None and self.fault.kind == "never_answer":
                self.emulator.recorder.record("fault", kind="never_answer", id=self.id)
                async for _ in self.ws:
                    pass
                return
            await self._send({"type": "Begin", "id": self.id, "expires_at": int(time.time()) + 3600})
            source = self.emulator.caption_source(self) if self.emulator.caption_source else None
            if source is not None:
                tasks.append(asyncio.create_task(self.timeline.follow(source)))
            if self.heartbeat:
                tasks.append(asyncio.create_task(self._beat()))
            async for raw in self.ws:
                if isinstance(raw, bytes):
                    seconds = len(raw) / self.width / self.rate
                    if not 0.05 <= seconds <= 1.0:
                        self.emulator.recorder.record("refused_chunk", ms=round(seconds * 1000))
                        await self.ws.close(3007, "Audio chunk duration violation")
                        return
                    self.audio.append(raw)
                    self.clock += seconds
                    await self._on_audio(raw)
                    continue
                message = json.loads(raw)
                self.emulator.recorder.record("control", session=self.id, **message)
                if message.get("type") == "ForceEndpoint":
                    await self._end_turn()
                elif message.get("type") == "Terminate":
                    await self._end_turn()
                    await self._send({"type": "Termination", "audio_duration_seconds": int(self.clock),
                                      "session_duration_seconds": int(time.monotonic() - self.started)})
                    await self.ws.close(1000)
                    return
        except ConnectionClosed:
            pass
        finally:
            for task in tasks:
                task.cancel()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.emulator.heartbeat_every)
            await self._send({"type": "Heartbeat", "total_audio_received_ms": int(self.clock * 1000),
                              "total_duration_ms": int((time.monotonic() - self.started) * 1000),
                              "realtime_factor": 1.0, "max_speech_probability": 1.0 if self.in_speech else 0.0})

    # --- recognition --------------------------------------------------------------------------
    async def _on_audio(self, chunk: bytes) -> None:
        if self.emulator.caption_source is not None:
            await self._on_captioned_audio()
            return
        loud = rms(chunk) > self.emulator.energy_threshold if self.width == 1 else False
        if loud:
            if not self.in_speech:
                self.in_speech = True
                start = self.clock - len(chunk) / self.rate
                await self._send({"type": "SpeechStarted", "timestamp": int(start * 1000)})
                text = self.emulator.utterances.popleft() if self.emulator.utterances else ""
                step = self.emulator.seconds_per_word
                self.words = [(w, start + i * step, start + (i + 1) * step) for i, w in enumerate(text.split())]
                self.heard = 0
            self.last_voice = self.clock
            heard = sum(1 for w in self.words if w[2] <= self.clock)
            if heard > self.heard:
                self.heard = heard
                await self._partial()
        elif self.in_speech and self.clock - self.last_voice >= self.min_silence:
            self.heard = len(self.words)
            await self._end_turn()

    async def _on_captioned_audio(self) -> None:
        if not self.timeline.aligned and not self.timeline.align(self.clock):
            return
        now = self.clock
        if self.caption is None and self.timeline.captions:
            self.caption = self.timeline.captions.popleft()
            base = (self.caption["start_chunk"] - 1) * 0.02 - self.timeline.origin
            self.words = [(w, base + s / 1000, base + e / 1000) for w, s, e in self.caption["words"]]
            self.heard, self.in_speech = 0, False
        if self.caption is None:
            return
        if not self.in_speech and now >= self.words[0][1]:
            self.in_speech = True
            await self._send({"type": "SpeechStarted", "timestamp": int(self.words[0][1] * 1000)})
        heard = sum(1 for w in self.words if w[2] <= now)
        if self.in_speech and heard > self.heard:
            self.heard = heard
            if heard < len(self.words):
                await self._partial()
        if self.in_speech and heard == len(self.words) and now >= self.words[-1][2] + self.min_silence:
            await self._end_turn()

    async def _partial(self) -> None:
        await self._send(self._turn(self.words[: self.heard + 1], end_of_turn=False, formatted=False))

    async def _end_turn(self) -> None:
        """End of turn (silence, or ForceEndpoint): the unformatted turn, then (format_turns) the formatted one."""
        if not self.in_speech and not self.heard:
            return
        words = self.words[: max(self.heard, 1 if self.words else 0)]
        await self._send(self._turn(words, end_of_turn=True, formatted=False))
        if self.format_turns:
            if self.emulator.format_delay:
                await asyncio.sleep(self.emulator.format_delay)
            await self._send(self._turn(words, end_of_turn=True, formatted=True))
        self.turn_order += 1
        rest = self.words[len(words):] if self.caption is not None else []  # a caption cut short goes on
        self.words, self.heard, self.in_speech = rest, 0, False
        if not rest:
            self.caption = None

    def _turn(self, words: list[tuple[str, float, float]], *, end_of_turn: bool, formatted: bool) -> dict[str, Any]:
        final = words if end_of_turn else words[: self.heard]
        text = " ".join(w for w, _, _ in final)
        return {
            "type": "Turn", "turn_order": self.turn_order, "turn_is_formatted": formatted, "end_of_turn": end_of_turn,
            "transcript": text if formatted else unformatted(text),
            "end_of_turn_confidence": 0.9 if end_of_turn else 0.05,
            "words": [{"start": int(s * 1000), "end": int(e * 1000), "confidence": 0.95,
                       "text": w if formatted else unformatted(w), "word_is_final": end_of_turn or i < self.heard}
                      for i, (w, s, e) in enumerate(words)],
        }

    async def _send(self, message: dict[str, Any]) -> None:
        fault = self.fault
        if fault is not None and message["type"] == "Turn" and self.sent >= fault.after:
            self.fault = None
            self.emulator.recorder.record("fault", kind=fault.kind, id=self.id)
            if fault.kind == "close_mid_stream":
                self.ws.transport.abort()
                raise ConnectionClosed(None, None)
            if fault.kind == "malformed":
                await self.ws.send('{"type": "Turn", "turn_order": ')
                return
        await self.ws.send(json.dumps(message))
        if message["type"] == "Turn":
            self.sent += 1
        self.emulator.recorder.record("sent", session=self.id, message=message)


def main(argv: list[str] | None = None) -> None:
    args = command_line(__doc__, "kind[:after_turn_messages]").parse_args(argv)
    run(AssemblyAIEmulator(api_key=args.api_key), args.port, "assemblyai", args.fault)


if __name__ == "__main__":
    main()
