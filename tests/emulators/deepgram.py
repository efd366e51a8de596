"""Deepgram live transcription (`/v1/listen`) on 127.0.0.1, message for message, driven by the audio it hears.

The emulator checks the `Authorization: Token <key>` header and the query the SDK sends, then listens:
energy in the mu-law frames marks speech; while the caller speaks it answers `SpeechStarted` and interim
`Results`; after `endpointing` ms of silence a final `Results` (`is_final`, `speech_final`); after
`utterance_end_ms` an `UtteranceEnd`; `Finalize` flushes (`from_finalize`), `CloseStream` ends with `Metadata`.
What the caller said comes from a script of utterances (tests, timed by the audio's energy), or from the
rehearsal caption side channel (`captions`, the demo: each caption's words timed on the call's chunk clock,
the same contract the rehearsal STT follows), keyed by the call sid the adapter sends as a `tag`. Each socket is a
`ListenConnection` (tests/emulators/deepgram_listen.py); this module holds the handshake and the server.

Standalone: `python -m tests.emulators.deepgram --port 8101 [--fault close_mid_stream:50]`.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from .deepgram_listen import ListenConnection
from .standalone import WebSocketEmulator, command_line, run, setup_django

MODELS = {"nova-3", "nova-3-general", "nova-3-medical", "nova-2", "nova-2-general", "nova-2-phonecall", "nova",
          "enhanced", "base"}
ENCODINGS = {"linear16", "linear32", "flac", "alaw", "mulaw", "amr-nb", "amr-wb", "opus", "ogg-opus", "speex", "g729"}
BOOLEANS = ("interim_results", "vad_events", "smart_format", "punctuate", "diarize", "numerals", "profanity_filter")


def query_errors(query: dict[str, str]) -> list[str]:
    """What real Deepgram would refuse with a 400 in the query string."""
    errors = []
    if query.get("model") and query["model"] not in MODELS:
        errors.append(f"model {query['model']!r} not found")
    encoding = query.get("encoding")
    if encoding is not None:
        if encoding not in ENCODINGS:
            errors.append(f"encoding {encoding!r} not supported")
        if not query.get("sample_rate", "").isdigit():
            errors.append("sample_rate is required (an integer) when encoding is set")
    for name in BOOLEANS:
        if name in query and query[name] not in ("true", "false"):
            errors.append(f"{name} must be true or false, not {query[name]!r}")
    endpointing = query.get("endpointing")
    if endpointing is not None and not (endpointing.isdigit() or endpointing in ("true", "false")):
        errors.append("endpointing must be a number of milliseconds or false")
    utterance_end = query.get("utterance_end_ms")
    if utterance_end is not None:
        if not utterance_end.isdigit() or int(utterance_end) < 1000:
            errors.append("utterance_end_ms must be an integer of at least 1000")
        if query.get("interim_results") != "true":
            errors.append("utterance_end_ms requires interim_results=true")
    return errors


class DeepgramEmulator(WebSocketEmulator):
    """A scriptable Deepgram live server. `utterances` are consumed in order as the caller finishes speaking."""

    def __init__(
        self,
        *,
        api_key: str = "emulator-key",
        utterances: list[str] | tuple[str, ...] = (),
        captions: Callable[[str], AsyncIterator[dict[str, Any]]] | None = None,
        latency: float = 0.0,
        interim_every: float = 0.25,
        seconds_per_word: float = 0.25,
        energy_threshold: float = 400.0,
        keep_audio: bool = True,
        silence_results_every: float = 1.0,
    ) -> None:
        super().__init__(api_key)
        self.utterances: deque[str] = deque(utterances)
        self.captions = captions
        self.latency = latency
        self.interim_every = interim_every
        self.seconds_per_word = seconds_per_word
        self.energy_threshold = energy_threshold
        self.keep_audio = keep_audio
        self.silence_results_every = silence_results_every
        self.connections: list[ListenConnection] = []

    def next_utterance(self, consume: bool) -> str:
        if not self.utterances:
            return ""
        return self.utterances.popleft() if consume else self.utterances[0]

    # --- handshake --------------------------------------------------------------------------
    def _check_request(self, connection: ServerConnection, request: Request):
        split = urlsplit(request.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in request.headers.raw_items()}
        info = {"path": split.path, "query": query, "tags": _tags(split.query), "headers": headers}
        self.recorder.record("handshake", **info)
        if split.path != "/v1/listen":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        if headers.get("authorization") != f"Token {self.api_key}":
            self.recorder.record("refused", status=401, **info)
            return _json_response(connection, HTTPStatus.UNAUTHORIZED, "INVALID_AUTH", "Invalid credentials.")
        errors = query_errors(query)
        if errors:
            self.recorder.record("refused", status=400, errors=errors, **info)
            return _json_response(connection, HTTPStatus.BAD_REQUEST, "INVALID_QUERY_PARAMETER", "; ".join(errors))
        fault = self.faults.take("connect", info)
        if fault is not None:
            self.recorder.record("fault", kind=fault.kind, **info)
            return _json_response(connection, HTTPStatus(fault.status), "TOO_MANY_REQUESTS", "Injected fault.")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        split = urlsplit(ws.request.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        info = {"path": split.path, "query": query, "tags": _tags(split.query),
                "headers": dict(ws.request.headers.raw_items())}
        conn = ListenConnection(self, ws, query, self.faults.take("stream", info))
        conn.tags = info["tags"]
        if conn.fault is not None and conn.fault.kind == "never_answer":
            self.recorder.record("fault", kind="never_answer", request_id=conn.request_id, tags=conn.tags)
        self.connections.append(conn)
        self.recorder.record("connected", index=len(self.connections) - 1, query=query)
        followers = []
        if self.captions is not None:
            conn.captioned = True
            followers = [asyncio.create_task(conn.timeline.follow(self.captions(tag)))
                         for tag in conn.tags if not tag.startswith("parley-call-")]
        try:
            await conn.run()
        finally:
            for task in followers:
                task.cancel()


def _json_response(connection: ServerConnection, status: HTTPStatus, code: str, message: str):
    body = json.dumps({"err_code": code, "err_msg": message, "request_id": str(uuid.uuid4())})
    response = connection.respond(status, body)
    response.headers["Content-Type"] = "application/json"
    return response


def _tags(query: str) -> list[str]:
    return [value for key, value in parse_qsl(query) if key == "tag"]


def main(argv: list[str] | None = None) -> None:
    parser = command_line(__doc__, "kind[:after_frames], applied to each socket")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added before every server message")
    parser.add_argument("--utterance", action="append", default=[], help="what the caller says, in order")
    args = parser.parse_args(argv)
    emulator = DeepgramEmulator(api_key=args.api_key, utterances=args.utterance, latency=args.latency,
                                keep_audio=False)
    if not args.utterance:
        from .rehearsal import callee_captions

        setup_django()

        emulator.captions = callee_captions
    run(emulator, args.port, "deepgram", args.fault)


if __name__ == "__main__":
    main()
