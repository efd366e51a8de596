"""What the TTS WebSocket emulators share (tests/emulators/cartesia.py, elevenlabs.py): the pacing of their audio
and, per context, the first-byte delay and the faults armed for it."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .faults import Fault
from .standalone import WebSocketEmulator, command_line, run


class TtsEmulator(WebSocketEmulator):
    """A context's audio starts `first_byte_delay` s after it opens, then comes in chunks of `chunk_seconds` of
    audio sent `realtime_factor` times faster than real time, `seconds_per_word` s of speech a word."""

    def __init__(self, *, api_key: str, first_byte_delay: float, realtime_factor: float, seconds_per_word: float,
                 chunk_seconds: float) -> None:
        super().__init__(api_key)
        self.first_byte_delay = first_byte_delay
        self.realtime_factor = realtime_factor
        self.seconds_per_word = seconds_per_word
        self.chunk_seconds = chunk_seconds


class TtsContext:
    """One context's generation. Subclasses set these attributes and define `_malformed()`, the vendor's audio
    message cut off mid-JSON."""

    emulator: TtsEmulator
    ws: ServerConnection
    context_id: str
    fault: Fault | None
    started: float  # time.monotonic() when the context opened

    async def _first_byte(self) -> bool:
        """Wait until the first-byte delay since the context opened is over; False (recorded) when its fault is
        `never_answer`: the context never speaks."""
        if self.fault is not None and self.fault.kind == "never_answer":
            self.emulator.recorder.record("fault", kind="never_answer", context_id=self.context_id)
            return False
        await asyncio.sleep(max(0.0, self.started + self.emulator.first_byte_delay - time.monotonic()))
        return True

    async def _fault(self) -> None:
        """The context's mid-stream fault fires (once): `close_mid_stream` drops the socket (raising
        ConnectionClosed), `malformed` sends `_malformed()`."""
        assert self.fault is not None
        kind, self.fault = self.fault.kind, None
        self.emulator.recorder.record("fault", kind=kind, context_id=self.context_id)
        if kind == "close_mid_stream":
            self.ws.transport.abort()
            raise ConnectionClosed(None, None)
        await self.ws.send(self._malformed())

    def _malformed(self) -> str:
        raise NotImplementedError


async def send(ws: ServerConnection, message: dict[str, Any]) -> None:
    """One JSON text message."""
    await ws.send(json.dumps(message))


def serve_command_line(emulator_class: Callable[..., TtsEmulator], doc: str, label: str,
                       argv: list[str] | None) -> None:
    """`python -m tests.emulators.<vendor> [--port N] [--api-key K] [--first-byte-delay S] [--fault kind[:after]]`:
    serve one TTS emulator until Ctrl-C; `after` counts audio chunks, per context."""
    parser = command_line(doc, "kind[:after_chunks], applied to each context")
    parser.add_argument("--first-byte-delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    run(emulator_class(api_key=args.api_key, first_byte_delay=args.first_byte_delay), args.port, label, args.fault)
