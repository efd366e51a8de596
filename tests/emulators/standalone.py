"""Running an emulator on its own (`python -m tests.emulators.<name> --port N`) for `make demo` and manual checks."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

from .faults import FaultBook, Recorder, parse_fault_args


async def serve_forever(emulator: Any, port: int, label: str) -> None:
    await emulator.start(port)
    print(f"{label} emulator listening on {emulator.url}", flush=True)
    await asyncio.Event().wait()


def command_line(doc: str, fault_help: str) -> argparse.ArgumentParser:
    """The options every emulator takes on its own: `--port` (0: any free one), `--api-key`, and `--fault` (repeated,
    `kind[:after]`, described by `fault_help`); the description is the first line of the module's `doc`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default="emulator-key")
    parser.add_argument("--fault", action="append", default=[], help=fault_help)
    return parser


def run(emulator: Any, port: int, label: str, faults: list[str]) -> None:
    """Arm each `--fault kind[:after]` for every connection or request to come, then serve until Ctrl-C."""
    for kind, after in parse_fault_args(faults):
        emulator.faults.arm(kind, after=after, times=10**9)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(emulator, port, label))


def setup_django() -> None:
    """The rehearsal glue reads captions and calls through Django (same settings and database as the demo)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


class WebSocketEmulator:
    """Lifecycle shared by the WebSocket vendor emulators: serve on 127.0.0.1, report the port and base URL.

    Subclasses call `__init__(api_key)` (the key it accepts; it keeps a `recorder` and `faults`) and define
    `_handle(connection)` and `_check_request(connection, request)` (the handshake check).
    """

    _server: Any = None

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.recorder = Recorder()
        self.faults = FaultBook()

    async def start(self, port: int = 0):
        from websockets.asyncio.server import serve

        self._server = await serve(self._handle, "127.0.0.1", port, process_request=self._check_request)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """What the adapter's base-URL setting should be set to (http; the SDKs derive the ws URL)."""
        return f"http://127.0.0.1:{self.port}"
